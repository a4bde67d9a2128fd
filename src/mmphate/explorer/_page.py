"""The standalone offline page of an explorer.

The page inlines the widget's bundled ES module (three.js included) and the binary data
(base64, never chunked), and mounts the same ``render`` function as the notebook widget through a small model
shim (``get`` / ``set`` / ``on`` / ``off`` / ``save_changes``). It needs no server, no network
and no CDN: it works when opened from ``file://``.
"""

from __future__ import annotations

import base64
import html
import json
import os
from typing import Any

import numpy as np

from .._atomic import atomic_write_text, target_path
from .._validate import check_text, describe
from ._assets import bundle_path

__all__ = ["standalone_html", "write_html"]

_STATE_TRAITS = (
    "_shape",
    "_n_components",
    "_positions",
    "_node_class",
    "_clusters",
    "_intrastep",
    "_interstep",
    "_labels",
    "_metrics",
    "epoch",
    "timestep",
    "playing",
    "color_by",
    "selected_units",
    "view",
    "show_context",
    "height",
    "selection_mode",
    "selected_points",
    "epoch_range",
    "timestep_range",
    "title",
)
_BINARY = ("_positions", "_node_class", "_clusters", "_intrastep", "_interstep")

_LOADER = r"""
const fromB64 = (s) => {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};
class Model {
  constructor(state) { this.state = state; this.listeners = new Map(); }
  get(name) { return this.state[name]; }
  set(name, value) {
    const old = this.state[name];
    this.state[name] = value;
    if (old !== value) for (const cb of this.listeners.get("change:" + name) || []) cb();
  }
  on(name, cb) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
  }
  off(name, cb) { if (this.listeners.has(name)) this.listeners.get(name).delete(cb); }
  save_changes() {}
  send() {}
}
const app = document.getElementById("mmphate-app");
try {
  const raw = JSON.parse(document.getElementById("mmphate-state").textContent);
  const state = {};
  for (const [k, v] of Object.entries(raw)) {
    state[k] = v && typeof v === "object" && "$b64" in v ? new DataView(fromB64(v.$b64).buffer) : v;
  }
  const code = new TextDecoder().decode(fromB64(document.getElementById("mmphate-esm").textContent.trim()));
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const mod = await import(url);
  URL.revokeObjectURL(url);
  const model = new Model(state);
  const cleanup = mod.default.render({ model, el: app });
  window.mmphate = { model, cleanup };
} catch (err) {
  const box = document.createElement("div");
  box.setAttribute("role", "alert");
  box.className = "mmphate-load-error";
  box.textContent = "The explorer could not start: " + (err && err.message ? err.message : String(err));
  app.appendChild(box);
  throw err;
}
"""


def _json_for_script(obj: Any) -> str:
    """JSON that is safe inside a <script> element (no '<', '>', '&' literally)."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def standalone_html(explorer: Any, *, title: str | None = None) -> str:
    """The standalone page of an Explorer as a string (see :func:`export_html`).

    Parameters
    ----------
    explorer : Explorer
        The view to write; its current state (epoch, colours, selection) is kept.
    title : str, optional
        Page title (default: the layer and the recording's shape).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    TypeError
        If ``explorer`` is not an Explorer or ``title`` is not text.
    """
    if not all(hasattr(explorer, name) for name in _STATE_TRAITS):
        raise TypeError(
            f"standalone_html needs an Explorer (mmphate.view(...)); got {describe(explorer)}."
        )
    title = check_text(title, "title", optional=True)
    state: dict[str, Any] = {}
    for name in _STATE_TRAITS:
        value = explorer._array(name) if name in _BINARY else getattr(explorer, name)
        if name == "selected_points":
            value = np.ascontiguousarray(value, dtype=np.uint32).tobytes()
        if isinstance(value, bytes | bytearray | memoryview):
            value = {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
        elif isinstance(value, tuple):
            value = list(value)
        state[name] = value
    if title is not None and not state.get("title"):
        state["title"] = title  # saved figures carry the page's title
    bundle = base64.b64encode(bundle_path().read_bytes()).decode("ascii")
    rec = explorer.recording
    if title is None:
        layer = explorer._labels.get("layer") or ""
        E, T, U, _ = rec.shape
        title = f"mmphate explorer{' - ' + layer if layer else ''} ({E} epochs, {T} timesteps, {U} units)"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{margin:0;padding:8px;background:#fff;font-family:system-ui,sans-serif}"
        "h1{font-size:14px;font-weight:600;margin:0 0 6px}"
        ".mmphate-load-error{color:#b00020;padding:12px}</style>\n"
        "</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        '<div id="mmphate-app"></div>\n'
        f'<script type="application/json" id="mmphate-state">{_json_for_script(state)}</script>\n'
        f'<script type="text/plain" id="mmphate-esm">{bundle}</script>\n'
        f'<script type="module">{_LOADER}</script>\n'
        "</body>\n</html>\n"
    )


def write_html(explorer: Any, path: str | os.PathLike[str], *, title: str | None = None) -> Any:
    """Write the standalone page of ``explorer`` to ``path`` atomically; returns ``path``.

    The page is built and encoded in full first, then written to a temporary file in the
    target's folder that replaces ``path`` in one step (see :mod:`mmphate._atomic`): a failure
    part-way (full disk, a character UTF-8 cannot encode) leaves any previous file untouched.
    """
    target_path(path)  # refuse a missing folder, a folder or a FIFO before building the page
    title = check_text(title, "title", optional=True)
    atomic_write_text(path, standalone_html(explorer, title=title))
    return path
