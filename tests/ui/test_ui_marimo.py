"""The explorer in marimo (``marimo run``, headless, on 127.0.0.1, no token, no network):
scrubbing epochs and selecting in the page come back to Python, whose cell prints them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uitools import (
    GRID_EPOCHS,
    GRID_STEP_E,
    GRID_STEP_T,
    GRID_TIMESTEPS,
    PAGE_ERROR_WHITELIST,
    GridPage,
    _die_with_parent,
    _free_port,
    grid_nodes,
)

try:
    import marimo  # noqa: F401  (the test extra installs it)
except ImportError:  # pragma: no cover
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        raise
    pytest.skip("marimo is not installed (pip install -e '.[test]')", allow_module_level=True)

NOTEBOOK = f"""\
import marimo

app = marimo.App()


@app.cell
def _():
    import json

    import marimo as mo
    import numpy as np

    import mmphate

    return json, mmphate, mo, np


@app.cell
def _(mmphate, mo, np):
    E, T, U, S = 3, 4, 16, 4
    e, t, u = np.meshgrid(np.arange(E), np.arange(T), np.arange(U), indexing="ij")
    x = u % 4 + {GRID_STEP_T} * t + {GRID_STEP_E} * e
    y = u // 4 + {GRID_STEP_T} * t + {GRID_STEP_E} * e
    rec = mmphate.Recording(
        np.random.default_rng(0).standard_normal((E, T, U, S)).astype(np.float32),
        epochs={GRID_EPOCHS},
        timesteps={GRID_TIMESTEPS},
        units=[str(i) for i in range(U)],
    )
    ex = mmphate.Explorer(
        np.stack([x.ravel(), y.ravel()], axis=1), recording=rec, view="2d", color_by="unit",
        chunk_bytes=1024,
    )
    widget = mo.ui.anywidget(ex)
    widget
    return ex, widget


@app.cell
def _(ex, json, mo, widget):
    widget.value  # this cell runs again whenever the page changes the widget
    mo.plain_text("STATE " + json.dumps({{
        "epoch": ex.epoch,
        "selection_mode": ex.selection_mode,
        "selected_units": ex.selected_units,
        "selected_points": ex.selected_points.tolist(),
    }}))
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.fixture(scope="module")
def marimo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("marimo")
    nb = base / "explorer_app.py"
    nb.write_text(NOTEBOOK)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        MARIMO_SKIP_UPDATE_CHECK="1",
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_STATE_HOME=str(base / "state"),
        XDG_CACHE_HOME=str(base / "cache"),
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
    )
    log = (base / "marimo.log").open("wb")
    cmd = [sys.executable, "-m", "marimo", "run", str(nb), "--headless", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-token", "--no-sandbox", "--no-check"]
    proc = subprocess.Popen(
        cmd,
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"marimo exited: {(base / 'marimo.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("marimo did not answer within 60 s") from None
                time.sleep(0.3)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        print((base / "marimo.log").read_text(errors="replace")[-1500:])


def _state(page: Any, pred, timeout: float = 20.0) -> dict:
    """The Python cell's printout, polled until ``pred`` holds."""
    out = page.locator("pre", has_text="STATE ").first
    deadline = time.monotonic() + timeout
    value: dict = {}
    while time.monotonic() < deadline:
        try:
            value = json.loads(out.inner_text(timeout=2000).split("STATE ", 1)[1])
        except Exception:  # noqa: BLE001 - the cell may be re-running
            value = {}
        if value and pred(value):
            return value
        time.sleep(0.2)
    return value


def test_marimo_scrub_and_select_round_trip(browser, marimo_app: str, ui_artifacts: Path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(marimo_app, wait_until="domcontentloaded")
        ex = GridPage(page)
        ex.wait_ready(timeout=90)
        ex.assert_points_drawn()
        assert _state(page, lambda v: v["epoch"] == 1)["epoch"] == 1
        # scrub the epoch with the keyboard: the kernel follows
        slider = ex.control("Epoch")
        slider.focus()
        page.keyboard.press("ArrowRight")
        ex.wait_attr("epoch", "5")
        assert _state(page, lambda v: v["epoch"] == 5)["epoch"] == 5
        # a box around block A selects its units, and Python reads them back
        ex.use_tool("Box select")
        ex.box_drag(*ex.frac(-0.3, 1.5), *ex.frac(1.5, -0.3))
        got = _state(page, lambda v: v["selected_units"] == ["0", "1", "4", "5"])
        assert got["selected_units"] == ["0", "1", "4", "5"]
        # points mode: the same box, the other epochs hidden, gives the current epoch's points
        ex.control("Selection mode").select_option("points")
        ex.control("Show other epochs").uncheck()
        expect(ex.root).to_have_attribute("data-points", str(len(GRID_TIMESTEPS) * 16))
        ex.box_drag(*ex.frac(-0.3, 1.5), *ex.frac(1.5, -0.3))
        want = grid_nodes([1], range(len(GRID_TIMESTEPS)), [0, 1, 4, 5])
        got = _state(page, lambda v: v["selected_points"] == want)
        assert got["selection_mode"] == "points" and got["selected_points"] == want
        network = [u for u in requests if not u.startswith((marimo_app, "data:", "blob:"))]
        assert network == [], f"the page reached outside the server: {network[:5]}"
        bad = [e for e in errors if not any(w in e for w in PAGE_ERROR_WHITELIST)]
        assert not bad, "page errors:\n" + "\n".join(bad)
    except Exception:
        shot = ui_artifacts / "test_marimo.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}\nerrors: {errors}")
        raise
    finally:
        context.close()
