"""Explorer widget performance in headless Chromium (SwiftShader WebGL, no GPU).

For 100k, 500k, 1M and 2M nodes (synthetic random-walk embeddings) this measures

* payload: bytes per point that cross to the browser (positions, codes, entropies);
* python: Explorer construction + binary encoding + writing the standalone HTML (s);
* load: browser navigation to the first frame with data (``data-ready``) (s);
* first frame total: python + load;
* scrub: frame time while stepping the Epoch slider once per frame, every epoch's points drawn
  (current epoch + faint context), each frame forced to completion with a 1-pixel
  ``readPixels`` (so GPU time counts), reported as median / 90th percentile ms and fps;
* play: frame time while the timestep animation runs (requestAnimationFrame intervals);
* orbit: frame time while the camera is dragged (other epochs drawn from a subsample of at
  most 40k points during the drag; the full context is redrawn when the drag ends).

and, in JupyterLab 4, the time from the Python call ``Explorer(...)`` to the first drawn frame
in the notebook (payloads above 10 MB cross in 4 MiB chunks there: from 1M points on).

There is no reference widget to compare with (m-phate draws static matplotlib figures), so the
table shows absolute numbers next to the 20 fps target for 500k points.

Usage: python benchmarks/bench_widget.py [--sizes 100000 500000 1000000 2000000] [--frames 60]
       [--no-lab]

Results also go to ``--out`` (default ``benchmarks/results``) as ``bench_widget-<time>.json``
(the format ``benchmarks/render.py`` reads; copy it to ``bench_widget.json`` to publish it, then
``python benchmarks/render.py --update-readme`` regenerates the README's table).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mmphate.explorer import Explorer, export_html
from mmphate.record import Recording

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

SCRUB_JS = """
async (frames) => {
  const slider = document.querySelector('[aria-label="Epoch"]');
  const canvas = document.querySelector('canvas.mmphate-canvas');
  const gl = canvas.getContext('webgl2');
  const px = new Uint8Array(4);
  const n = Number(slider.max) + 1;
  const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
  await nextFrame();
  let last = performance.now();
  const times = [];
  for (let k = 0; k < frames; k++) {
    slider.value = String((k + 1) % n);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await nextFrame();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return times;
}
"""

ORBIT_JS = """
async (steps) => {
  const c = document.querySelector("canvas.mmphate-canvas");
  const r = c.getBoundingClientRect();
  const gl = c.getContext("webgl2");
  const px = new Uint8Array(4);
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  const nextFrame = () => new Promise((res) => requestAnimationFrame(res));
  const times = [];
  await nextFrame();
  let last = performance.now();
  for (let k = 1; k <= steps; k++) {
    c.dispatchEvent(new PointerEvent("pointermove", {
      clientX: cx + 3 * k, clientY: cy + k, pointerId: 1, pointerType: "mouse",
      isPrimary: true, buttons: 1, bubbles: true,
    }));
    await nextFrame();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return times;
}
"""

PLAY_JS = """
async (frames) => {
  const play = document.querySelector('[aria-label="Play"]');
  document.querySelector('[aria-label="Speed"]').value = '30';
  document.querySelector('[aria-label="Speed"]').dispatchEvent(new Event('change'));
  play.click();
  const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
  await nextFrame();
  let last = performance.now();
  const times = [];
  for (let k = 0; k < frames; k++) {
    await nextFrame();
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  play.click();
  return times;
}
"""


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SETUP_CELL = """\
import sys, time
import numpy as np
sys.path.insert(0, {bench!r})
from bench_widget import synthetic
from mmphate import Explorer
"""


def synthetic(n_points: int, seed: int = 0) -> tuple[np.ndarray, Recording]:
    """Random-walk embedding with E x T x U = n_points nodes (U = 100 units, T = 100 steps)."""
    U = 100
    T = 100 if n_points >= 500_000 else 50
    E = max(1, n_points // (T * U))
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=0.05, size=(E, T, U, 3)).astype(np.float32)
    unit_offsets = rng.normal(size=(1, 1, U, 3)).astype(np.float32) * 3
    emb = (np.cumsum(steps, axis=1) + np.cumsum(steps[:, :1], axis=0) + unit_offsets).reshape(-1, 3)
    S = 4
    hidden = rng.normal(size=(E, T, U, S)).astype(np.float32)
    rec = Recording(
        hidden,
        units=[f"u{i}" for i in range(U)],
        sample_labels=[0, 1, 2, 0],
        class_names=["a", "b", "c"],
        metrics={"train_loss": np.linspace(2, 0.1, E), "val_accuracy": np.linspace(0.3, 0.9, E)},
    )
    return emb, rec


def measure_orbit(page, frames: int) -> list[float]:
    """Frame times while the camera is dragged (a real pointerdown, then moves once per frame)."""
    box = page.locator("canvas.mmphate-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    try:
        return page.evaluate(ORBIT_JS, frames)[3:]
    finally:
        page.mouse.up()


READY_JS = """
(n) => [...document.querySelectorAll('.mmphate-root')].some(
  (r) => r.dataset.ready === 'true' && r.dataset.points === String(n))
"""


def bench_lab(browser, sizes: list[int], tmp: Path) -> list[tuple[int, float, float, int]]:
    """In JupyterLab: from the Python call ``Explorer(...)`` (cell start) to the first drawn frame.

    Returns (points, seconds to first frame, Python-side seconds of the call, chunks sent) per
    size. Reuses the real-browser test harness (tests/ui/uitools.py) to start the server and the
    kernel.
    """
    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    import uitools

    server = uitools.wait_server(uitools.launch_server("lab", tmp / "lab"))
    results = []
    try:
        uitools.write_notebook(server.root / "bench.ipynb", [SETUP_CELL.format(bench=str(HERE))])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.notebook_url("bench.ipynb"), wait_until="domcontentloaded")
        page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
        kernel_id = uitools.wait_kernel_settled(page, uitools.KERNEL_READY_TIMEOUT)
        kernel = uitools.Kernel(server.runtime_dir / f"kernel-{kernel_id}.json")
        nb = uitools.NotebookSession(page, server, "bench.ipynb", kernel_id, kernel)
        uitools.run_all_cells(page, uitools.RUN_ALL_TIMEOUT)
        for n in sizes:
            kernel.exec(
                f"emb, rec = synthetic({n}); intra = np.random.default_rng(1).random((rec.n_epochs, rec.n_timesteps))"
            )
            nb.run_cell(
                "t0 = time.time(); w = Explorer(emb, rec, intrastep=intra); t1 = time.time(); w",
                timeout=120,
            )
            page.wait_for_function(READY_JS, arg=rec_points(n), polling="raf", timeout=180_000)
            t_ready = page.evaluate("Date.now() / 1000")
            t0, t1 = kernel.eval("t0"), kernel.eval("t1")
            chunks = kernel.eval(
                "-(-len(w._streamed.get('_positions', b'')) // w._chunked['chunk_bytes'])"
                " - (-len(w._streamed.get('_node_class', b'')) // w._chunked['chunk_bytes'])"
                " if w.chunked else 0"
            )
            results.append((rec_points(n), t_ready - t0, t1 - t0, chunks))
            kernel.exec("w.close(); del w, emb, rec")
        kernel.close()
        page.close()
    finally:
        uitools.stop_server(server)
    return results


def rec_points(n: int) -> int:
    U = 100
    T = 100 if n >= 500_000 else 50
    return max(1, n // (T * U)) * T * U


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 500_000, 1_000_000, 2_000_000]
    )
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--no-lab", action="store_true", help="skip the JupyterLab load measurement")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON")
    args = ap.parse_args(argv)
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_start": list(os.getloadavg()),
    }

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    machine["chromium"] = subprocess.run(
        [chromium, "--version"], capture_output=True, text=True
    ).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for n in args.sizes:
            emb, rec = synthetic(n)
            intra = np.random.default_rng(1).random((rec.n_epochs, rec.n_timesteps))
            path = Path(tmp) / f"explorer_{n}.html"
            t0 = time.perf_counter()
            widget = Explorer(emb, rec, intrastep=intra)
            export_html(widget, path)
            t_py = time.perf_counter() - t0
            per_point = widget.payload_bytes / rec.n_nodes
            page = browser.new_page(viewport={"width": 1000, "height": 760})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="commit")
            page.wait_for_function(
                "document.querySelector('.mmphate-root')?.dataset.ready === 'true'",
                polling="raf",
                timeout=180_000,
            )
            t_load = page.evaluate("performance.now()") / 1000
            drawn = int(page.evaluate("document.querySelector('.mmphate-root').dataset.points"))
            scrub = page.evaluate(SCRUB_JS, args.frames)[3:]
            play = page.evaluate(PLAY_JS, args.frames)[3:]
            orbit = measure_orbit(page, args.frames)
            page.close()
            if errors:
                print(f"page errors at {n}: {errors[:3]}", file=sys.stderr)
            med = statistics.median(scrub)
            rows.append(
                dict(
                    n=rec.n_nodes,
                    shape=f"{rec.n_epochs}x{rec.n_timesteps}x{rec.n_units}",
                    bpp=per_point,
                    mb=path.stat().st_size / 1e6,
                    py=t_py,
                    load=t_load,
                    total=t_py + t_load,
                    drawn=drawn,
                    scrub_med=med,
                    scrub_p90=pct(scrub, 90),
                    fps=1000 / med,
                    play_med=statistics.median(play),
                    orbit_med=statistics.median(orbit) if orbit else float("nan"),
                )
            )
        lab = [] if args.no_lab else bench_lab(browser, args.sizes, Path(tmp))
        browser.close()
    machine["loadavg_end"] = list(os.getloadavg())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'points':>9} {'E x T x U':>12} {'B/pt':>6} {'html MB':>8} {'python s':>9} "
        f"{'load s':>7} {'first frame s':>14} {'drawn':>9} {'scrub ms (med/p90)':>19} "
        f"{'scrub fps':>9} {'play ms':>8} {'orbit ms':>9}"
    )
    for r in rows:
        print(
            f"{r['n']:>9} {r['shape']:>12} {r['bpp']:>6.2f} {r['mb']:>8.1f} {r['py']:>9.2f} "
            f"{r['load']:>7.2f} {r['total']:>14.2f} {r['drawn']:>9} "
            f"{r['scrub_med']:>9.1f} / {r['scrub_p90']:<7.1f} {r['fps']:>9.1f} {r['play_med']:>8.1f} {r['orbit_med']:>9.1f}"
        )
    print(
        f"target: scrubbing 500k points >= 20 fps; payload <= ~16 B/point. Python peak RSS {peak_mb:.0f} MB"
    )
    print(
        "(headless Chromium, SwiftShader WebGL2, 1000 x 760 viewport; other epochs drawn as context)"
    )
    if lab:
        print("\nJupyterLab 4: Python call Explorer(...) to the first drawn frame in the notebook")
        print(f"{'points':>9} {'Explorer() s':>13} {'first frame s':>14} {'chunks':>7}")
        for n, total, call, chunks in lab:
            print(f"{n:>9} {call:>13.2f} {total:>14.2f} {chunks:>7}")
    print(
        f"load average {machine['loadavg_start'][0]:.2f} at start, "
        f"{machine['loadavg_end'][0]:.2f} at end ({machine['cpus']} CPUs); {machine['chromium']}"
    )
    path = write_json(args, rows, lab, machine, peak_mb)
    print(f"\nwrote {path}")
    return 0


def _finite(value):
    return None if isinstance(value, float) and value != value else value


def write_json(args, rows, lab, machine, peak_mb) -> Path:
    """Save the results in the format of ``benchmarks/render.py`` (see its docstring)."""
    keys = {
        "n": "points",
        "shape": "shape",
        "bpp": "bytes_per_point",
        "mb": "html_mb",
        "py": "python_s",
        "load": "load_s",
        "total": "first_frame_s",
        "drawn": "drawn",
        "scrub_med": "scrub_ms_median",
        "scrub_p90": "scrub_ms_p90",
        "fps": "scrub_fps",
        "play_med": "play_ms_median",
        "orbit_med": "orbit_ms_median",
    }
    data = {
        "benchmark": "widget",
        "command": "python benchmarks/bench_widget.py "
        + " ".join(["--sizes", *map(str, args.sizes), "--frames", str(args.frames)])
        + (" --no-lab" if args.no_lab else ""),
        "machine": {
            "cpus": machine["cpus"],
            "platform": machine["platform"],
            "python": machine["python"],
            "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3,
            "threads": None,
            "loadavg_start": machine["loadavg_start"],
            "loadavg_end": machine["loadavg_end"],
            "date": time.strftime("%Y-%m-%d"),
        },
        "browser": f"headless {machine['chromium']}, SwiftShader WebGL2 (no GPU)",
        "viewport": [1000, 760],
        "frames": args.frames,
        "peak_rss_mb": peak_mb,
        "rows": [{keys[k]: _finite(v) for k, v in r.items() if k in keys} for r in rows],
        "lab": [
            {"points": n, "explorer_call_s": call, "first_frame_s": total, "chunks": chunks}
            for n, total, call, chunks in lab
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench_widget-{time.strftime('%Y%m%d-%H%M%S')}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
