"""RGB colours of every node for a colour mode, exactly as the front end's shader draws them.

Both sides read the same definitions (``palette.json``) and follow the same rules: continuous
modes index the 256-entry viridis table at ``floor(t * 255 + 0.5)`` with ``t`` clipped to
[0, 1]; categorical modes take palette entry ``code % len(palette)``; missing values are grey.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import describe
from ._assets import COLOR_MODES, MISSING, PALETTE, VIRIDIS

__all__ = ["node_colors", "viridis", "categorical", "hex_rgb", "value_range"]


def hex_rgb(hexes: Any) -> np.ndarray:
    """ "#rrggbb" strings to float32 RGB in [0, 1] (n x 3)."""
    return np.array([[int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes], np.float32)


_VIRIDIS = hex_rgb(VIRIDIS)
_PALETTE = hex_rgb(PALETTE)
_MISSING = hex_rgb([MISSING])[0]


def viridis(t: Any) -> np.ndarray:
    """The explorer's viridis for values in [0, 1] (clipped); NaN gives the missing grey."""
    t = np.asarray(t, dtype=np.float64)
    finite = np.isfinite(t)
    idx = np.minimum(255, np.floor(np.clip(np.where(finite, t, 0.0), 0, 1) * 255 + 0.5))
    out = _VIRIDIS[idx.astype(np.int64)]
    out[~finite] = _MISSING
    return out


def categorical(codes: Any) -> np.ndarray:
    """Palette colour of integer codes (negative: missing grey)."""
    k = np.asarray(codes, dtype=np.int64)
    out = _PALETTE[np.mod(k, len(_PALETTE))]
    out[k < 0] = _MISSING
    return out


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The finite [lo, hi] of a continuous colour mode (as the front end computes it)."""
    finite = np.isfinite(values)
    if not finite.any():
        return 0.0, 1.0
    lo, hi = float(values[finite].min()), float(values[finite].max())
    return (lo, hi) if hi > lo else (lo, lo + 1e-6)


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

    Raises
    ------
    TypeError, ValueError
        If ``explorer`` is not an Explorer or ``color_by`` is not an available mode.
    """
    if not hasattr(explorer, "_available") or not hasattr(explorer, "recording"):
        raise TypeError(
            f"node_colors needs an Explorer (mmphate.view(...)); got {describe(explorer)}."
        )
    mode = explorer.color_by if color_by is None else color_by
    if not isinstance(mode, str):
        raise TypeError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {describe(mode)}.")
    if mode not in COLOR_MODES:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {mode!r}.")
    if not explorer._available.get(mode, False):
        raise ValueError(f"color_by={mode!r} has no data in this explorer.")
    E, T, U, _ = explorer.recording.shape
    node = np.arange(E * T * U)
    e, t, u = node // (T * U), (node // U) % T, node % U
    if mode == "epoch":
        return viridis(e / (E - 1) if E > 1 else np.full(e.shape, 0.5))
    if mode == "timestep":
        return viridis(t / (T - 1) if T > 1 else np.full(t.shape, 0.5))
    if mode == "unit":
        return categorical(u)
    if mode == "cluster":
        return categorical(np.frombuffer(explorer._array("_clusters"), np.int32)[u])
    if mode == "class":
        k = np.frombuffer(explorer._array("_node_class"), np.uint8).astype(np.int64)
        return categorical(np.where(k == 255, -1, k))
    if mode == "intrastep_entropy":
        table = np.frombuffer(explorer._array("_intrastep"), np.float32)
        vals = table[e * T + t]
    else:
        table = np.frombuffer(explorer._array("_interstep"), np.float32)
        vals = table[e * U + u]
    lo, hi = value_range(table)
    vals = vals.astype(np.float64)
    return viridis((vals - lo) / (hi - lo if hi > lo else 1.0))
