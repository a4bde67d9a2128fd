"""Exports of the explorer: a standalone offline HTML page and a pythreejs scene.

The standalone page inlines the widget's bundled ES module (three.js included) and the binary
data (base64), and mounts the same ``render`` function as the notebook widget through a small
model shim (``get`` / ``set`` / ``on`` / ``off`` / ``save_changes``). It needs no server, no
network and no CDN: it works when opened from ``file://``.
"""

from __future__ import annotations

import base64
import html
import json
import os
from typing import Any

import numpy as np

from .widget import COLOR_MODES, Explorer, _bundle_path

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
)

PALETTE = (
    "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf "
    "#aec7e8 #ffbb78 #98df8a #ff9896 #c5b0d5 #c49c94 #f7b6d2 #c7c7c7 #dbdb8d #9edae5"
).split()

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


def _as_explorer(widget_or_source: Any, recording: Any, kwargs: dict[str, Any]) -> Explorer:
    if isinstance(widget_or_source, Explorer):
        if recording is not None or kwargs:
            raise TypeError(
                "pass either an Explorer, or a source with Explorer arguments; "
                f"got an Explorer plus {sorted(kwargs) + (['recording'] if recording is not None else [])}."
            )
        return widget_or_source
    return Explorer(widget_or_source, recording, **kwargs)


def standalone_html(explorer: Explorer, *, title: str | None = None) -> str:
    """The standalone page of an Explorer as a string (see :func:`export_html`)."""
    state: dict[str, Any] = {}
    for name in _STATE_TRAITS:
        value = getattr(explorer, name)
        if isinstance(value, bytes | bytearray | memoryview):
            value = {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
        elif isinstance(value, tuple):
            value = list(value)
        state[name] = value
    bundle = base64.b64encode(_bundle_path().read_bytes()).decode("ascii")
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


def export_html(
    widget_or_source: Any,
    path: str | os.PathLike[str],
    recording: Any = None,
    *,
    title: str | None = None,
    **explorer_kwargs: Any,
) -> os.PathLike[str] | str:
    """Write the explorer as one standalone HTML file that works offline (also from ``file://``).

    Parameters
    ----------
    widget_or_source : Explorer, fitted MMPHATE, or embedding array
        An existing widget (its current epoch, colour mode and selection are kept) or anything
        :class:`~mmphate.Explorer` accepts.
    path : path-like
        Output file (``.html``).
    recording : Recording, optional
        With an embedding array, the recording it was computed from.
    title : str, optional
        Page title (shown as text; never interpreted as HTML).
    **explorer_kwargs
        Further :class:`~mmphate.Explorer` arguments (``intrastep``, ``clusters``, ``color_by``,
        ...) when ``widget_or_source`` is not an Explorer.

    Returns
    -------
    path : the path written.
    """
    explorer = _as_explorer(widget_or_source, recording, explorer_kwargs)
    page = standalone_html(explorer, title=title)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


# ---------------------------------------------------------------------- colours for pythreejs
def _hex_rgb(hexes: list[str]) -> np.ndarray:
    return np.array([[int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes], np.float32)


def _viridis(t: np.ndarray) -> np.ndarray:
    from matplotlib import colormaps

    t = np.clip(np.nan_to_num(t, nan=0.5), 0, 1)
    return colormaps["viridis"](t)[:, :3].astype(np.float32)


def _unit_hue(u: np.ndarray) -> np.ndarray:
    import colorsys

    hues = (u * 0.618033988749895) % 1.0
    return np.array([colorsys.hls_to_rgb(h, 0.5, 0.65) for h in hues], np.float32)


def node_colors(explorer: Explorer, color_by: str | None = None) -> np.ndarray:
    """RGB colour (float32, nodes x 3, in [0, 1]) of every node for a colour mode."""
    mode = explorer.color_by if color_by is None else color_by
    if mode not in COLOR_MODES:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {mode!r}.")
    if not explorer._available.get(mode, False):
        raise ValueError(f"color_by={mode!r} has no data in this explorer.")
    E, T, U, _ = explorer.recording.shape
    node = np.arange(E * T * U)
    e, t, u = node // (T * U), (node // U) % T, node % U
    pal = _hex_rgb(PALETTE)
    grey = np.float32(0.6)
    if mode == "epoch":
        return _viridis(e / max(E - 1, 1))
    if mode == "timestep":
        return _viridis(t / max(T - 1, 1))
    if mode == "unit":
        return _unit_hue(np.arange(U))[u]
    if mode == "cluster":
        k = np.frombuffer(explorer._clusters, np.int32)[u]
        out = pal[np.mod(k, len(pal))]
        out[k < 0] = grey
        return out
    if mode == "class":
        k = np.frombuffer(explorer._node_class, np.uint8).astype(np.int64)
        out = pal[np.mod(k, len(pal))]
        out[k == 255] = grey
        return out
    if mode == "intrastep_entropy":
        vals = np.frombuffer(explorer._intrastep, np.float32)[e * T + t]
    else:
        vals = np.frombuffer(explorer._interstep, np.float32)[e * U + u]
    finite = np.isfinite(vals)
    lo, hi = (vals[finite].min(), vals[finite].max()) if finite.any() else (0.0, 1.0)
    out = _viridis((vals - lo) / (hi - lo if hi > lo else 1.0))
    out[~finite] = grey
    return out


def to_pythreejs(
    widget_or_source: Any,
    recording: Any = None,
    *,
    color_by: str | None = None,
    epoch: int | None = None,
    point_size: float = 3.0,
    background: str = "white",
    **explorer_kwargs: Any,
) -> Any:
    """The embedding as a ``pythreejs.Scene`` (a ``Points`` object with a ``BufferGeometry``).

    Parameters
    ----------
    widget_or_source : Explorer, fitted MMPHATE, or embedding array
    recording : Recording, optional
        With an embedding array.
    color_by : str, optional
        Colour mode (default: the explorer's).
    epoch : int, optional
        Only this epoch's nodes (epoch number); default all nodes.
    point_size : float
        Point size in pixels.
    background : str
        Scene background colour.

    Returns
    -------
    pythreejs.Scene
        Children: the ``Points`` (named ``"mmphate-points"``) and an ambient light. 2-D
        embeddings get ``z = 0``.
    """
    try:
        import pythreejs as p3
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("to_pythreejs needs pythreejs: pip install 'mmphate[pythreejs]'") from err
    explorer = _as_explorer(widget_or_source, recording, explorer_kwargs)
    emb = explorer.embedding
    pos = np.zeros((emb.shape[0], 3), np.float32)
    pos[:, : emb.shape[1]] = emb
    colors = node_colors(explorer, color_by)
    if epoch is not None:
        epochs = explorer.recording.epochs.tolist()
        if int(epoch) not in epochs:
            raise ValueError(
                f"epoch {epoch} is not in the recording; recorded epochs: {epochs[:20]}"
            )
        E, T, U, _ = explorer.recording.shape
        i = epochs.index(int(epoch))
        sl = slice(i * T * U, (i + 1) * T * U)
        pos, colors = pos[sl], colors[sl]
    geometry = p3.BufferGeometry(
        attributes={
            "position": p3.BufferAttribute(array=np.ascontiguousarray(pos), normalized=False),
            "color": p3.BufferAttribute(array=np.ascontiguousarray(colors), normalized=False),
        }
    )
    material = p3.PointsMaterial(
        vertexColors="VertexColors", size=point_size, sizeAttenuation=False
    )
    points = p3.Points(geometry=geometry, material=material, name="mmphate-points")
    return p3.Scene(children=[points, p3.AmbientLight(intensity=1.0)], background=background)
