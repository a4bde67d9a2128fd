"""A 2,000,000-point embedding in JupyterLab: its 24 MB payload crosses in chunks (a progress bar
shows them arrive), then scrubbing epochs redraws on the GPU and reaches the kernel."""

from __future__ import annotations

import time

from playwright.sync_api import expect
from uitools import ExplorerPage, changed_pixels, ink_mask

E, T, U = 20, 100, 1000
N = E * T * U

CELLS = [
    f"""\
import time
import numpy as np
import mmphate

E, T, U = {E}, {T}, {U}
rng = np.random.default_rng(0)
base = rng.standard_normal((1, 1, U, 3)).astype(np.float32)
drift = rng.standard_normal((1, T, U, 3)).astype(np.float32).cumsum(axis=1) * 0.02
shift = np.arange(E, dtype=np.float32)[:, None, None, None] * np.float32([0.15, 0.05, 0.0])
emb = (base + drift + shift).reshape(-1, 3)
rec = mmphate.Recording(np.zeros((E, T, U, 1), np.float32), epochs=list(range(1, E + 1)))
""",
    "t_call = time.time()\nw = mmphate.Explorer(emb, recording=rec, view='2d')\nw",
]

# records, from the first DOM change on, that the loading bar appeared and how it advanced
WATCH_PROGRESS = """() => {
  window.__mmphateProgress = [];
  window.__mmphateProgressBar = false;
  const seen = window.__mmphateProgress;
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target;
      if (r.type === 'attributes' && t.classList && t.classList.contains('mmphate-root')) {
        if (t.dataset.progress !== undefined) seen.push(Number(t.dataset.progress));
      }
      for (const n of r.addedNodes || []) {
        if (n.querySelector && (n.matches('.mmphate-progress') || n.querySelector('.mmphate-progress'))) {
          window.__mmphateProgressBar = true;
        }
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['data-progress']});
}"""


def test_two_million_points_load_in_chunks_and_scrub(lab_server, open_notebook):
    nb = open_notebook(lab_server, "large.ipynb", CELLS, run_all=False)
    page = nb.page
    page.evaluate(WATCH_PROGRESS)
    t0 = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    ex = ExplorerPage(page, nb)
    ex.wait_ready(timeout=120)
    load_s = time.monotonic() - t0
    assert nb.kernel.eval("w.chunked") is True
    n_chunks = nb.kernel.eval(
        "len(range(0, len(w._streamed['_positions']), w._chunked['chunk_bytes']))"
    )
    assert n_chunks >= 5
    assert page.evaluate("() => window.__mmphateProgressBar"), "no progress bar while loading"
    progress = page.evaluate("() => window.__mmphateProgress")
    steps = sorted({round(p, 3) for p in progress})
    assert steps[-1] == 1.0 and len([p for p in steps if 0 < p < 1]) >= 3, steps
    expect(page.locator(".mmphate-progress")).to_have_count(0)
    ex.wait_attr("points", str(N))
    assert ex.attr("loading") == "false"
    first = ex.stable_pixels(timeout=30)
    assert ink_mask(first).sum() > 2000, "the 2M-point canvas looks blank"
    # scrub: three epochs forward with the keyboard, GPU redraws, the kernel follows
    slider = ex.control("Epoch")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    ex.wait_attr("epoch", "4")
    assert nb.kernel.poll("w.epoch", lambda v: v == 4, timeout=20) == 4
    after = ex.wait_pixels_change(first, min_changed=500, timeout=30)
    assert changed_pixels(first, after) > 500
    print(f"\n2M points: notebook run to first frame {load_s:.1f} s, {n_chunks} chunks")
