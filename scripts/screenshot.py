"""Regenerate the README's picture of the explorer (docs/explorer.png).

Trains the demo's LSTM on BasicMotions, embeds it with MM-PHATE, exports the
standalone explorer and photographs it in headless Chromium (Debian's, driven
by Playwright).  Run with the project's environment::

    .venv/bin/python scripts/screenshot.py [--out docs/explorer.png] [--epochs 40]
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
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--color-by", default="cluster")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    import mmphate
    from mmphate.pipeline import analyse
    from mmphate.record.training import train_classifier

    _, rec = train_classifier("basic_motions", kind="lstm", epochs=args.epochs, seed=0)
    mm = mmphate.MMPHATE(n_components=3, random_state=0).fit(rec)
    result = analyse(mm.embedding_, rec, random_state=0)
    w = mmphate.Explorer(
        mm,
        intrastep=result.intrastep,
        interstep=result.interstep,
        clusters=result.clusters["cluster"].to_numpy(),
        color_by=args.color_by,
        epoch=int(rec.epochs[len(rec.epochs) * 3 // 4]),
        height=520,
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
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.locator(".mmphate-root").screenshot(path=str(args.out))
            browser.close()
    print(args.out)


if __name__ == "__main__":
    main()
