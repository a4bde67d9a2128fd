"""RGB colours of every node for a colour mode (the static exports' counterpart of the front end)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._assets import COLOR_MODES, PALETTE

__all__ = ["node_colors"]


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


def node_colors(explorer: Any, color_by: str | None = None) -> np.ndarray:
    """RGB colour (float32, nodes x 3, in [0, 1]) of every node for a colour mode.

    Parameters
    ----------
    explorer : Explorer
        The view whose data is coloured.
    color_by : str, optional
        One of :data:`COLOR_MODES` (default: the explorer's ``color_by``).

    Returns
    -------
    numpy.ndarray of float32, shape (nodes, 3)
    """
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
