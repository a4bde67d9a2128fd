"""Helpers for the real-browser tests: Jupyter servers, kernel access, notebook pages, pixels."""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

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

# Errors the front ends log on every page load and that say nothing about the widget.
PAGE_ERROR_WHITELIST = (
    # Notebook 7.6 logs this on every notebook it opens.
    "Cannot read properties of undefined (reading 'schema')",
)

SERVER_START_TIMEOUT = 90.0
KERNEL_READY_TIMEOUT = 90.0
RUN_ALL_TIMEOUT = 120.0


# --------------------------------------------------------------------------------------
# Jupyter servers
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JupyterServer:
    """A running Jupyter server started by the tests."""

    app: str  # "lab" or "notebook"
    url: str
    root: Path
    runtime_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    keep: set[str] = field(default_factory=set)  # kernels of notebooks shared across tests

    def api(self, method: str, path: str) -> Any:
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def notebook_url(self, name: str) -> str:
        if self.app == "lab":
            return f"{self.url}/lab/tree/{name}?reset"
        return f"{self.url}/notebooks/{name}"

    def shutdown_kernels(self) -> None:
        """Shut down every kernel (but the shared ones) so that old ones do not compete for the CPUs."""
        try:
            for k in self.api("GET", "/api/kernels"):
                if k["id"] in self.keep:
                    continue
                try:
                    self.api("DELETE", f"/api/kernels/{k['id']}")
                except urllib.error.URLError:
                    pass
        except (urllib.error.URLError, OSError):
            pass

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def _kernel_python_check(env: dict[str, str]) -> None:
    """Make sure the ``python3`` kernelspec launches this interpreter.

    jupyter_client replaces an argv[0] of ``python``/``python3`` with the server's
    ``sys.executable``; any other absolute interpreter would run a different
    environment, so in that case a kernelspec for this interpreter is installed
    into a temporary data dir that takes precedence.
    """
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    spec = json.loads(out.stdout)["kernelspecs"].get("python3")
    argv0 = spec["spec"]["argv"][0] if spec else None
    ok = argv0 in {"python", "python3", f"python3.{sys.version_info[1]}"} or (
        argv0 is not None and os.path.realpath(argv0) == os.path.realpath(sys.executable)
    )
    if not ok:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ipykernel",
                "install",
                "--name",
                "python3",
                "--prefix",
                env["JUPYTER_DATA_DIR"].removesuffix("/share/jupyter"),
            ],
            env=env,
            capture_output=True,
            check=True,
        )


if sys.platform.startswith("linux"):
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
else:  # pragma: no cover
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, however it dies (Linux)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def launch_server(app: str, base: Path) -> JupyterServer:
    """Start ``jupyter lab|notebook`` in the background (see :func:`wait_server`)."""
    root = base / "root"
    runtime = base / "runtime"
    data = base / "data" / "share" / "jupyter"
    for d in (root, runtime, base / "workspaces", base / "config", data):
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(data),
        JUPYTER_PATH=str(data),
        PYTHONUNBUFFERED="1",
        # keep the kernel from oversubscribing the two cores
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
    )
    _kernel_python_check(env)
    # no "get notified about Jupyter news?" toast over the page
    settings = base / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = _free_port()
    log_path = base / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.token=",
        "--ServerApp.password=",
        # the tests shut kernels down through the REST API without a browser session
        "--ServerApp.disable_check_xsrf=True",
        "--ServerApp.ip=127.0.0.1",
        "--allow-root",
        "--expose-app-in-browser",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if app == "notebook":
        cmd = [c for c in cmd if not c.startswith("--LabApp.")]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = JupyterServer(
        app=app,
        url=f"http://127.0.0.1:{port}",
        root=root,
        runtime_dir=runtime,
        proc=proc,
        log_path=log_path,
    )
    return server


def wait_server(server: JupyterServer, timeout: float = SERVER_START_TIMEOUT) -> JupyterServer:
    """Wait until a launched server answers its REST API (stop it and raise if it does not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"jupyter {server.app} exited with {server.proc.returncode}:\n{server.log_tail()}"
            )
        try:
            server.api("GET", "/api/status")
            return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    stop_server(server)
    raise RuntimeError(f"jupyter {server.app} did not answer within {timeout} s")


def stop_server(server: JupyterServer) -> None:
    """Shut the kernels down, then end the server's process group."""
    if server.proc.poll() is not None:
        return
    server.shutdown_kernels()
    try:
        pgid = os.getpgid(server.proc.pid)
    except ProcessLookupError:
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)  # kernels started by the server, if still alive
        except ProcessLookupError:
            pass
        server.proc.wait(timeout=10)


# --------------------------------------------------------------------------------------
# Kernel access from the test process
# --------------------------------------------------------------------------------------


class KernelError(RuntimeError):
    pass


class Kernel:
    """A second client on the notebook's kernel (same namespace as the cells)."""

    def __init__(self, connection_file: Path) -> None:
        from jupyter_client import BlockingKernelClient

        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=30)

    def _execute(self, code: str, user_expressions: dict[str, str] | None = None) -> dict:
        msg_id = self.client.execute(
            code, silent=False, store_history=False, user_expressions=user_expressions or {}
        )
        deadline = time.monotonic() + 60
        while True:
            reply = self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelError(
                f"{content.get('ename')}: {content.get('evalue')}\n"
                + "\n".join(content.get("traceback", []))
            )
        return content

    def exec(self, code: str) -> None:
        """Run statements in the notebook's namespace."""
        self._execute(code)

    def eval(self, expr: str) -> Any:
        """Evaluate ``expr`` in the notebook's namespace; the value must be JSON-serialisable."""
        content = self._execute("", {"v": f"__import__('json').dumps({expr})"})
        res = content["user_expressions"]["v"]
        if res["status"] != "ok":
            raise KernelError(f"{expr!r}: {res.get('ename')}: {res.get('evalue')}")
        return json.loads(ast.literal_eval(res["data"]["text/plain"]))

    def poll(
        self, expr: str, pred: Callable[[Any], bool], timeout: float = 15.0, interval: float = 0.2
    ) -> Any:
        """Evaluate ``expr`` until ``pred(value)`` holds; return the last value either way."""
        deadline = time.monotonic() + timeout
        value = self.eval(expr)
        while not pred(value) and time.monotonic() < deadline:
            time.sleep(interval)
            value = self.eval(expr)
        return value

    def close(self) -> None:
        self.client.stop_channels()


# --------------------------------------------------------------------------------------
# Opening a notebook
# --------------------------------------------------------------------------------------

_JS_CURRENT_PANEL = """
() => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  let w = app.shell.currentWidget;
  if ((!w || !w.sessionContext) && app.shell.widgets) {
    for (const x of app.shell.widgets('main')) { if (x.sessionContext) { w = x; break; } }
  }
  return w && w.sessionContext ? w : null;
}
"""

JS_KERNEL_STATE = f"""
() => {{
  const panel = ({_JS_CURRENT_PANEL})();
  if (!panel) return null;
  const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!k) return null;
  return {{id: k.id, connection: k.connectionStatus, status: k.status}};
}}
"""

JS_CELLS = f"""
() => {{
  const panel = ({_JS_CURRENT_PANEL})();
  if (!panel) return null;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {{
    const c = model.cells.get(i);
    if (c.type !== 'code') continue;
    const outs = c.outputs.toJSON();
    const err = outs.find(o => o.output_type === 'error');
    cells.push({{count: c.executionCount, error: err ? (err.ename + ': ' + err.evalue + '\\n'
      + (err.traceback || []).join('\\n')) : null}});
  }}
  return cells;
}}
"""


@dataclass
class NotebookSession:
    """An open notebook: its page, its server, and a client on its kernel."""

    page: Any
    server: JupyterServer
    name: str
    kernel_id: str
    kernel: Kernel
    errors: list[str] = field(default_factory=list)

    def run_cell(self, source: str, timeout: float = 30.0) -> None:
        """Add a code cell after the last one holding ``source``; run it with Control+Enter."""
        page = self.page
        n_before = len(page.evaluate(JS_CELLS))
        page.evaluate(
            f"""async (src) => {{
              const panel = ({_JS_CURRENT_PANEL})();
              const nb = panel.content;
              nb.activeCellIndex = nb.widgets.length - 1;
              await window.jupyterapp.commands.execute('notebook:insert-cell-below');
              nb.activeCell.model.sharedModel.setSource(src);
              nb.activeCell.editor.focus();
            }}""",
            source,
        )
        page.keyboard.press("Control+Enter")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cells = page.evaluate(JS_CELLS)
            if len(cells) > n_before and cells[-1]["count"]:
                if cells[-1]["error"]:
                    raise KernelError(cells[-1]["error"])
                return
            time.sleep(0.1)
        raise TimeoutError(f"cell did not finish within {timeout} s: {source!r}")

    def check_errors(self) -> None:
        bad = [e for e in self.errors if not any(w in e for w in PAGE_ERROR_WHITELIST)]
        assert not bad, "page errors:\n" + "\n".join(bad)


def wait_kernel_settled(page: Any, timeout: float) -> str:
    """Wait until one kernel id has been connected and idle for a full second."""
    deadline = time.monotonic() + timeout
    stable_id, since = None, 0.0
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(JS_KERNEL_STATE)
        now = time.monotonic()
        if state and state["connection"] == "connected" and state["status"] == "idle":
            if state["id"] != stable_id:
                stable_id, since = state["id"], now
            elif now - since >= 1.0:
                return stable_id
        else:
            stable_id = None
        time.sleep(0.1)
    raise TimeoutError(f"kernel not connected+idle within {timeout} s (last state: {state})")


def run_all_cells(page: Any, timeout: float) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout
    cells = None
    while time.monotonic() < deadline:
        cells = page.evaluate(JS_CELLS)
        if cells:
            for c in cells:
                if c["error"]:
                    raise KernelError("a notebook cell failed:\n" + c["error"])
            if all(c["count"] for c in cells):
                return
        time.sleep(0.2)
    raise TimeoutError(f"run-all did not finish within {timeout} s: {cells}")


def rerun_all_cells(page: Any, n_cells: int, timeout: float) -> None:
    """Drop the cells after the first ``n_cells``, clear outputs and run everything again.

    Waits until the old outputs are gone and every cell has a new execution count, so that a
    locator cannot find the previous run's widget.
    """
    before = page.evaluate(
        f"""(n) => {{
          const panel = ({_JS_CURRENT_PANEL})();
          const nb = panel.content;
          const shared = nb.model.sharedModel;
          if (shared.cells.length > n) shared.deleteCellRange(n, shared.cells.length);
          const counts = [];
          for (let i = 0; i < nb.model.cells.length; i++) {{
            const c = nb.model.cells.get(i);
            if (c.type === 'code') {{ counts.push(c.executionCount || 0); c.outputs.clear(); }}
          }}
          return Math.max(0, ...counts);
        }}""",
        n_cells,
    )
    page.wait_for_function("() => !document.querySelector('.mmphate-root')", timeout=30_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout
    cells = None
    while time.monotonic() < deadline:
        cells = page.evaluate(JS_CELLS)
        if cells:
            for c in cells:
                if c["error"]:
                    raise KernelError("a notebook cell failed:\n" + c["error"])
            if all(c["count"] and c["count"] > before for c in cells):
                return
        time.sleep(0.1)
    raise TimeoutError(f"re-running the notebook did not finish within {timeout} s: {cells}")


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, str(path))


# --------------------------------------------------------------------------------------
# The explorer widget in a notebook
# --------------------------------------------------------------------------------------

# A synthetic recording whose 2-D embedding has a known layout: units "0".."5" always lie at
# x in [-1, -0.6], units "6".."11" at x in [0.6, 1]; every epoch moves the points (x and y).
EPOCHS = [1, 5, 10]
TIMESTEPS = [10, 20, 30, 40, 50]
LEFT_UNITS = [str(u) for u in range(6)]
RIGHT_UNITS = [str(u) for u in range(6, 12)]

DATA_CELL = """\
import json
import numpy as np
import pandas as pd
import mmphate

E, T, U, S = 3, 5, 12, 4
UNITS = {units}
metrics = pd.DataFrame(
    {{{loss!r}: [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.4]}},
    index=pd.Index({epochs}, name="epoch"),
)
rec = mmphate.Recording(
    np.random.default_rng(0).standard_normal((E, T, U, S)).astype(np.float32),
    epochs={epochs},
    timesteps={timesteps},
    units=UNITS,
    metrics=metrics,
)
emb = np.zeros((E, T, U, 2))
for e in range(E):
    for t in range(T):
        for u in range(U):
            side = -1.0 if u < 6 else 1.0
            emb[e, t, u, 0] = side * (0.6 + 0.1 * ((t + 2 * e) % 5))
            emb[e, t, u, 1] = -0.45 + 0.15 * (u % 6) + 0.03 * t + 0.05 * e
emb = emb.reshape(-1, 2)  # slice-major: node = (e*T + t)*U + u
"""

WIDGET_CELL = """\
w = mmphate.Explorer(emb, recording=rec, view="2d", color_by="unit")
w
"""


def explorer_cells(units: list[str] | None = None, loss_name: str = "train_loss") -> list[str]:
    """The explorer notebook; ``units`` and ``loss_name`` label the units and a metric column."""
    units = units or [str(u) for u in range(12)]
    return [
        DATA_CELL.format(units=repr(units), epochs=EPOCHS, timesteps=TIMESTEPS, loss=loss_name),
        WIDGET_CELL,
    ]


def decode_png(png: bytes) -> Any:
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def background(px: Any) -> Any:
    """The most common colour of an image (the canvas background)."""
    import numpy as np

    flat = px.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return colours[counts.argmax()]


def ink_mask(px: Any, tol: int = 40) -> Any:
    """Pixels that differ visibly from the background."""
    return (abs(px - background(px)) > tol).any(axis=-1)


def ink(px: Any) -> float:
    """Total colour distance from the background (how much is drawn, and how strongly)."""
    return float(abs(px - background(px)).sum())


def ink_bbox(px: Any) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) of the drawn pixels, in canvas pixels."""
    import numpy as np

    ys, xs = np.nonzero(ink_mask(px))
    assert xs.size, "nothing drawn"
    return int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())


def save_png(px: Any, path: Path) -> None:
    import numpy as np
    from PIL import Image

    Image.fromarray(px.clip(0, 255).astype(np.uint8)).save(path)


def changed_pixels(a: Any, b: Any, tol: int = 40) -> int:
    return int((abs(a - b) > tol).any(axis=-1).sum())


CANVAS_ONLY_CSS = """
.mmphate-root *:not(canvas) { visibility: hidden !important; }
.mmphate-root canvas { visibility: visible !important; }
.mmphate-tooltip { visibility: hidden !important; }
"""


class ExplorerPage:
    """The explorer widget inside an open notebook (or a standalone HTML page)."""

    def __init__(self, page: Any, nb: NotebookSession | None = None) -> None:
        self.page = page
        self.nb = nb
        self.kernel = nb.kernel if nb is not None else None
        self.root = page.locator(".mmphate-root").first
        self.canvas = self.root.locator("canvas").first

    # --- state ---------------------------------------------------------------------
    def attr(self, name: str) -> str | None:
        return self.root.get_attribute(f"data-{name}")

    def wait_attr(self, name: str, value: str, timeout: float = 15.0) -> None:
        from playwright.sync_api import expect

        expect(self.root).to_have_attribute(f"data-{name}", value, timeout=timeout * 1000)

    def wait_ready(self, timeout: float = 60.0) -> None:
        self.root.wait_for(state="attached", timeout=timeout * 1000)
        self.root.scroll_into_view_if_needed()
        handle = self.root.element_handle()
        self.page.wait_for_function(
            "r => r.dataset.ready === 'true' || r.hasAttribute('data-error')",
            arg=handle,
            timeout=timeout * 1000,
        )
        error = self.attr("error")
        assert error is None, f"the explorer shows an error: {error}"
        self.canvas.scroll_into_view_if_needed()

    def control(self, label: str) -> Any:
        return self.root.get_by_label(label, exact=True).first

    # --- pixels --------------------------------------------------------------------
    def pixels(self) -> Any:
        """What the canvas shows (DOM overlays such as the legend and tooltip are hidden)."""
        return decode_png(self.canvas.screenshot(animations="disabled", style=CANVAS_ONLY_CSS))

    def stable_pixels(self, timeout: float = 10.0) -> Any:
        """Screenshot once two consecutive ones agree (the frame has settled)."""
        deadline = time.monotonic() + timeout
        prev = self.pixels()
        while True:
            time.sleep(0.25)
            cur = self.pixels()
            if prev.shape == cur.shape and changed_pixels(prev, cur, tol=8) == 0:
                return cur
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"canvas never settles: {changed_pixels(prev, cur, tol=8)} pixels keep changing"
                )
            prev = cur

    def wait_pixels_change(self, before: Any, min_changed: int = 30, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            cur = self.pixels()
            n = changed_pixels(before, cur) if cur.shape == before.shape else cur.size
            if n >= min_changed:
                return self.stable_pixels()
            if time.monotonic() > deadline:
                raise AssertionError(f"drawn pixels did not change ({n} changed pixels)")
            time.sleep(0.2)

    # --- gestures ------------------------------------------------------------------
    def to_page(self, fx: float, fy: float) -> tuple[float, float]:
        """Canvas fractions (0..1, from the top-left) to page coordinates."""
        box = self.canvas.bounding_box()
        assert box is not None, "canvas has no bounding box (not displayed?)"
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    def drag(self, path: list[tuple[float, float]], modifier: str | None = None) -> None:
        """Press at path[0], move through the points (in canvas fractions), release."""
        mouse, kb = self.page.mouse, self.page.keyboard
        self.canvas.scroll_into_view_if_needed()
        if modifier:
            kb.down(modifier)
        try:
            x, y = self.to_page(*path[0])
            mouse.move(x, y)
            mouse.down()
            for fx, fy in path[1:]:
                x, y = self.to_page(fx, fy)
                mouse.move(x, y, steps=8)
            mouse.up()
        finally:
            if modifier:
                kb.up(modifier)

    def box_drag(
        self, x0: float, y0: float, x1: float, y1: float, modifier: str | None = None
    ) -> None:
        self.drag([(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)], modifier)

    def use_tool(self, label: str) -> None:
        button = self.control(label)
        button.click()
        from playwright.sync_api import expect

        expect(button).to_have_attribute("aria-pressed", "true")

    def selected_units(self) -> list[str]:
        assert self.kernel is not None
        return self.kernel.eval("list(w.selected_units)")

    def poll_selected(self, expected: list[str], timeout: float = 10.0) -> list[str]:
        assert self.kernel is not None
        want = sorted(expected)
        return sorted(
            self.kernel.poll("sorted(w.selected_units)", lambda v: v == want, timeout=timeout)
        )


# --------------------------------------------------------------------------------------
# The "grid" explorer: units on a 4 x 4 grid with wide gaps, so that gestures drawn in data
# coordinates have exact expected selections
# --------------------------------------------------------------------------------------

GRID_EPOCHS = [1, 5, 10]
GRID_TIMESTEPS = [0, 10, 20, 30]
GRID_U = 16
# unit u sits at column u % 4, row u // 4; each timestep moves it by 0.06 and each epoch by 0.03
GRID_STEP_T = 0.06
GRID_STEP_E = 0.03
GRID_MAX = 3 + GRID_STEP_T * (len(GRID_TIMESTEPS) - 1) + GRID_STEP_E * (len(GRID_EPOCHS) - 1)

GRID_CELL = """\
import json
import numpy as np
import pandas as pd
import mmphate

E, T, U, S = 3, 4, 16, 4
e, t, u = np.meshgrid(np.arange(E), np.arange(T), np.arange(U), indexing="ij")
x = u % 4 + {st} * t + {se} * e
y = u // 4 + {st} * t + {se} * e
emb = np.stack([x.ravel(), y.ravel()], axis=1)  # slice-major: node = (e*T + t)*U + u
rec = mmphate.Recording(
    np.random.default_rng(0).standard_normal((E, T, U, S)).astype(np.float32),
    epochs={epochs},
    timesteps={timesteps},
    units=[str(i) for i in range(U)],
    metrics=pd.DataFrame(
        {{"train_loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.6], "val_accuracy": [0.4, 0.7, 0.9]}},
        index=pd.Index({epochs}, name="epoch"),
    ),
)
# chunk_bytes: stream the positions in chunks even at this size (the large-payload path)
w = mmphate.Explorer(emb, recording=rec, view="2d", color_by="unit", chunk_bytes=1024, title="grid")
w
"""


def grid_cells() -> list[str]:
    return [
        GRID_CELL.format(
            st=GRID_STEP_T, se=GRID_STEP_E, epochs=GRID_EPOCHS, timesteps=GRID_TIMESTEPS
        )
    ]


def grid_node(e: int, t: int, u: int) -> int:
    return (e * len(GRID_TIMESTEPS) + t) * GRID_U + u


def grid_nodes(epochs, timesteps, units) -> list[int]:
    """Sorted node indices of the given epoch / timestep positions and units."""
    return sorted(grid_node(e, t, u) for e in epochs for t in timesteps for u in units)


class GridPage(ExplorerPage):
    """The grid explorer: data coordinates to canvas fractions (the 2-D view's framing rule:
    the x/y box of every point, 10% margin, widened to the canvas's aspect ratio)."""

    def frac(self, x: float, y: float) -> tuple[float, float]:
        box = self.canvas.bounding_box()
        aspect = box["width"] / box["height"]
        c = GRID_MAX / 2
        hw = hh = c * 1.1
        if hw / hh > aspect:
            hh = hw / aspect
        else:
            hw = hh * aspect
        return 0.5 + (x - c) / (2 * hw), 0.5 - (y - c) / (2 * hh)

    def path(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [self.frac(x, y) for x, y in points]

    def assert_points_drawn(self, epoch_index: int = 0) -> None:
        """The canvas shows the current epoch's points where the framing rule puts them."""
        import numpy as np

        px = self.stable_pixels()
        mask = ink_mask(px)
        h, w = mask.shape
        for u in (0, 5, 10, 15):
            for t in (0, len(GRID_TIMESTEPS) - 1):
                fx, fy = self.frac(
                    u % 4 + GRID_STEP_T * t + GRID_STEP_E * epoch_index,
                    u // 4 + GRID_STEP_T * t + GRID_STEP_E * epoch_index,
                )
                x, y = int(fx * w), int(fy * h)
                near = mask[max(0, y - 3) : y + 4, max(0, x - 3) : x + 4]
                assert np.any(near), f"no point drawn for unit {u}, timestep {t} at ({x}, {y})"
        assert mask.sum() < 0.2 * mask.size, "the canvas is covered, not drawn with points"

    def reset(self) -> None:
        """Back to the state the notebook made (selections, filters, mode, epoch, tool)."""
        self.kernel.exec(
            "w.selection_mode = 'units'; w.selected_units = []; w.selected_points = []\n"
            "w.epoch_range = None; w.timestep_range = None; w.show_context = True\n"
            "w.epoch = 1; w.color_by = 'unit'"
        )
        from playwright.sync_api import expect

        for name, value in (
            ("selection-mode", "units"),
            ("selected-count", "0"),
            ("selected-points", "0"),
            ("epoch", "1"),
            ("epoch-range", "1,10"),
            ("timestep-range", "0,30"),
            ("color-by", "unit"),
        ):
            self.wait_attr(name, value)
        expect(self.control("Show other epochs")).to_be_checked()
        self.page.mouse.move(0, 0)
