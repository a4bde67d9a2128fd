"""Regenerate the README's pictures: docs/explorer.png and docs/small_multiples.png.

Trains the demo's LSTM on BasicMotions, embeds it with MM-PHATE and analyses it, then

* exports the standalone explorer, opens it in headless Chromium (Debian's, driven by
  Playwright), selects two units and presses "Save PNG" at 2x: the composed figure it
  downloads (plot, legend, epoch label, title) becomes docs/explorer.png;
* draws ``mmphate.explorer.small_multiples`` of four epochs, coloured by timestep, as
  docs/small_multiples.png.

Run with the project's environment::

    .venv/bin/python scripts/screenshot.py [--out docs/explorer.png]
        [--figure docs/small_multiples.png] [--epochs 40]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--enable-unsafe-swiftshader",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/explorer.png"))
    parser.add_argument("--figure", type=Path, default=Path("docs/small_multiples.png"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--color-by", default="cluster")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    import mmphate
    from mmphate._atomic import atomic_write
    from mmphate.explorer import small_multiples
    from mmphate.pipeline import analyse
    from mmphate.record.training import train_classifier

    _, rec = train_classifier("basic_motions", kind="lstm", epochs=args.epochs, seed=0)
    mm = mmphate.MMPHATE(n_components=3, random_state=0).fit(rec)
    result = analyse(mm.embedding_, rec, random_state=0)
    # the two units that move most through the timesteps (highest mean inter-step entropy)
    moving = result.interstep.groupby("unit")["entropy"].mean().sort_values(ascending=False)
    top = [str(u) for u in moving.index[:2]]
    w = mmphate.Explorer(
        mm,
        intrastep=result.intrastep,
        interstep=result.interstep,
        clusters=result.clusters["cluster"].to_numpy(),
        color_by=args.color_by,
        epoch=int(rec.epochs[len(rec.epochs) * 3 // 4]),
        selected_units=top,
        height=520,
        title="LSTM on BasicMotions: hidden units at one epoch",
    )
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "explorer.html"
        mmphate.export_html(w, page_path, title="BasicMotions LSTM")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.goto(page_path.as_uri())
            page.wait_for_selector(".mmphate-root[data-ready='true']", timeout=60_000)
            page.wait_for_timeout(500)
            page.get_by_label("PNG scale", exact=True).select_option("2")
            with page.expect_download() as info:
                page.get_by_label("Save PNG", exact=True).click()
            download = Path(tmp) / "figure.png"
            info.value.save_as(download)
            browser.close()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        png = download.read_bytes()
        atomic_write(args.out, lambda fh: fh.write(png))  # the old picture survives a failure
    print(args.out)
    w.selected_units = []
    epochs = [int(rec.epochs[i]) for i in (0, len(rec.epochs) // 3, 2 * len(rec.epochs) // 3, -1)]
    small_multiples(
        w,
        epochs=epochs,
        color_by="timestep",
        view="2d",
        title="LSTM on BasicMotions: hidden units by timestep, four epochs",
        path=args.figure,
        dpi=110,
    )
    print(args.figure)


if __name__ == "__main__":
    main()
