"""The command line round-trips a recording file into an explorer page that renders in Chromium."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from uitools import ExplorerPage, ink_mask

import mmphate


def _mmphate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmphate", "-q", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_recording_to_html_renders(browser, tmp_path: Path) -> None:
    E, T, U, S = 5, 6, 10, 16
    rng = np.random.default_rng(1)
    hidden = rng.standard_normal((E, T, U, S)) + np.linspace(0, 2, E)[:, None, None, None]
    rec = mmphate.Recording(
        hidden.astype(np.float32),
        epochs=[1, 2, 3, 4, 5],
        units=[f"unit-{i}" for i in range(U)],
        metrics=pd.DataFrame({"val_loss": [1.0, 0.8, 0.7, 0.75, 0.9]}, index=[1, 2, 3, 4, 5]),
    )
    rec_path = tmp_path / "run.npz"
    rec.save(rec_path)

    embedded = _mmphate("embed", str(rec_path), "-o", str(tmp_path / "result"))
    assert embedded.returncode == 0, embedded.stderr
    html = tmp_path / "run.html"
    exported = _mmphate(
        "export", str(tmp_path / "result"), "-o", str(html), "--color-by", "cluster"
    )
    assert exported.returncode == 0, exported.stderr

    bad = _mmphate("export", str(tmp_path / "missing"), "-o", str(tmp_path / "x.html"))
    assert bad.returncode == 2 and "error" in bad.stderr

    page = browser.new_page(viewport={"width": 1100, "height": 800})
    try:
        page.goto(html.as_uri(), wait_until="load")
        ex = ExplorerPage(page)
        ex.wait_ready(timeout=30)
        assert ex.attr("color-by") == "cluster"
        assert ex.attr("epoch") == "1"
        assert int(ex.attr("points") or 0) == E * T * U
        assert ink_mask(ex.stable_pixels()).sum() > 100, "the exported explorer looks blank"
    finally:
        page.close()
