"""Static figures for papers: small multiples of an embedding, one panel per chosen epoch.

The panels share their axis limits, one colour bar (continuous modes) or one legend (units,
clusters, classes) serves them all, and the colours are the explorer's own (``palette.json``,
through :func:`~mmphate.explorer.node_colors`). matplotlib's object API is used (no pyplot, no
global state); files are written atomically, in the format of their suffix (PDF, SVG, PNG, ...).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ._assets import VIRIDIS
from ._colors import categorical, hex_rgb, node_colors, value_range
from ._export import as_explorer

__all__ = ["small_multiples", "save_figure"]

_FADE = 0.82  # how far unselected points move toward the background (as in the widget)
_MAX_LEGEND = 20


def _default_epochs(epochs: np.ndarray, n: int = 6) -> list[int]:
    if len(epochs) <= n:
        return [int(e) for e in epochs]
    idx = np.unique(np.round(np.linspace(0, len(epochs) - 1, n)).astype(int))
    return [int(epochs[i]) for i in idx]


def _epoch_positions(explorer: Any, epochs: Any) -> list[int]:
    recorded = [int(e) for e in explorer.recording.epochs]
    if epochs is None:
        return [recorded.index(e) for e in _default_epochs(explorer.recording.epochs)]
    if isinstance(epochs, int | np.integer):
        epochs = [epochs]
    out = []
    for e in epochs:
        if int(e) not in recorded:
            raise ValueError(
                f"epoch {e} is not in the recording; recorded epochs: {recorded[:20]}"
                f"{', ...' if len(recorded) > 20 else ''}."
            )
        out.append(recorded.index(int(e)))
    if not out:
        raise ValueError(
            "epochs is empty; pass the epoch numbers to show, e.g. epochs=[1, 20, 40]."
        )
    return out


def _label_ticks(labels: np.ndarray, n: int = 6) -> list[int]:
    """Positions of the labels to tick on an index-based colour bar.

    Evenly spaced labels (e.g. timesteps 0..99) get round values (0, 20, 40, ...); unevenly
    spaced ones (epochs 1, 2, 4, 8, 16) get evenly spaced positions with their own labels.
    """
    from matplotlib.ticker import MaxNLocator

    values = np.asarray(labels, dtype=np.int64)
    if len(values) <= n:
        return list(range(len(values)))
    steps = np.diff(values)
    if np.all(steps == steps[0]) and steps[0] > 0:
        nice = MaxNLocator(n - 1, integer=True, steps=[1, 2, 5, 10]).tick_values(
            values[0], values[-1]
        )
        where = {int(v): i for i, v in enumerate(values)}
        picked = [where[int(v)] for v in nice if int(v) in where]
        if len(picked) >= 3:
            return picked
    return sorted({int(round(x)) for x in np.linspace(0, len(values) - 1, n)})


def _selection_mask(explorer: Any) -> np.ndarray | None:
    """Per node: selected (True) / not; None without a selection (nothing is dimmed)."""
    n = explorer.recording.n_nodes
    if explorer.selection_mode == "points":
        if not len(explorer.selected_points):
            return None
        mask = np.zeros(n, bool)
        mask[explorer.selected_points] = True
        return mask
    if not explorer.selected_units:
        return None
    U = explorer.recording.n_units
    units = np.zeros(U, bool)
    units[[explorer._unit_pos[u] for u in explorer.selected_units]] = True
    return np.tile(units, n // U)


def _legend_entries(explorer: Any, mode: str) -> list[tuple[np.ndarray, str]]:
    labels = explorer._labels
    if mode == "unit":
        units = list(explorer.selected_units) or labels["units"][:_MAX_LEGEND]
        pos = [explorer._unit_pos[u] for u in units]
        return [(categorical([p])[0], u) for p, u in zip(pos, units, strict=True)]
    if mode == "cluster":
        codes = np.unique(np.frombuffer(explorer._array("_clusters"), np.int32))
        names = labels.get("cluster_names") or []
        return [
            (
                categorical([k])[0],
                "unassigned" if k < 0 else (names[k] if k < len(names) else f"cluster {k}"),
            )
            for k in codes
        ]
    names = labels["class_names"]
    return [(categorical([k])[0], str(name)) for k, name in enumerate(names)]


def small_multiples(
    widget_or_source: Any,
    recording: Any = None,
    *,
    epochs: Any = None,
    color_by: str | None = None,
    ncols: int | None = None,
    panel_size: float = 2.6,
    point_size: float | None = None,
    view: str | None = None,
    trajectories: bool = True,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
    dpi: int = 200,
    **explorer_kwargs: Any,
) -> Any:
    """Small multiples of the embedding: one panel per chosen epoch, for a paper.

    Parameters
    ----------
    widget_or_source : Explorer, fitted MMPHATE, or embedding array
        An explorer (its colour mode, filters and selection are used) or anything
        :class:`~mmphate.Explorer` accepts.
    recording : Recording, optional
        With an embedding array, the recording it was computed from.
    epochs : sequence of int, optional
        Epoch numbers, one panel each (default: up to 6 evenly spaced recorded epochs).
    color_by : str, optional
        Colour mode (default: the explorer's); the colours are the widget's.
    ncols : int, optional
        Panels per row (default: all in one row up to 4, else 3 per row).
    panel_size : float
        Width and height of one panel in inches.
    point_size : float, optional
        Marker area in points^2 (default: from the number of points per panel).
    view : {"2d", "3d"}, optional
        3-D embeddings in 3-D axes (the widget's default camera angle) or their first two
        coordinates; default: the explorer's view.
    trajectories : bool
        Draw the selected units' paths through the timesteps (units mode), darkening along time
        with an arrowhead at the last step.
    title : str, optional
        Figure title (default: the explorer's ``title``, else none).
    path : path-like, optional
        Also save the figure there, atomically; the suffix picks the format (``.pdf``,
        ``.svg``, ``.png``).
    dpi : int
        Resolution of raster output.
    **explorer_kwargs
        Further :class:`~mmphate.Explorer` arguments when ``widget_or_source`` is not one.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Points outside the explorer's ``timestep_range`` are left out; unselected points are
    faded toward white when there is a selection, as in the widget. The limits are shared by
    every panel and cover all of their points with a 5% margin.

    Examples
    --------
    >>> fig = mmphate.explorer.small_multiples(w, epochs=[1, 10, 20, 40], path="fig.pdf")  # doctest: +SKIP
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    explorer = as_explorer(widget_or_source, recording, explorer_kwargs)
    rec = explorer.recording
    E, T, U, _ = rec.shape
    mode = explorer.color_by if color_by is None else color_by
    colors = node_colors(explorer, mode)
    emb = explorer.embedding
    d = emb.shape[1]
    view = (explorer.view if view is None else str(view).lower()) if d == 3 else "2d"
    if view not in ("2d", "3d"):
        raise ValueError(f"view must be '2d' or '3d'; got {view!r}.")
    positions = _epoch_positions(explorer, epochs)
    lo_t, hi_t = explorer.timestep_range
    t_keep = (rec.timesteps >= lo_t) & (rec.timesteps <= hi_t)
    selected = _selection_mask(explorer)
    if selected is not None:
        colors = np.where(selected[:, None], colors, colors + (1 - colors) * _FADE)

    blocks = []
    for e in positions:
        nodes = (e * T + np.flatnonzero(t_keep)[:, None]) * U + np.arange(U)[None, :]
        nodes = nodes.ravel()
        if selected is not None:  # selected points on top
            nodes = nodes[np.argsort(selected[nodes], kind="stable")]
        blocks.append(nodes)
    shown = np.concatenate(blocks)
    xyz = emb[:, [0, 2, 1]] if view == "3d" else emb[:, :2]
    lo, hi = xyz[shown].min(axis=0), xyz[shown].max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad, hi + pad

    n = len(positions)
    ncols = int(ncols) if ncols else (n if n <= 4 else 3)
    nrows = int(np.ceil(n / ncols))
    continuous = mode in ("epoch", "timestep", "intrastep_entropy", "interstep_entropy")
    extra = 1.1 if continuous else 1.6
    fig = Figure(figsize=(panel_size * ncols + extra, panel_size * nrows + 0.6), dpi=dpi)
    kw = {"projection": "3d"} if view == "3d" else {}
    axes = [fig.add_subplot(nrows, ncols, k + 1, **kw) for k in range(n)]
    size = point_size if point_size else float(np.clip(3000 / max(len(blocks[0]), 1), 0.3, 12))
    sel_units = (
        [explorer._unit_pos[u] for u in explorer.selected_units]
        if trajectories and explorer.selection_mode == "units"
        else []
    )
    steps = np.flatnonzero(t_keep)
    for ax, e, nodes in zip(axes, positions, blocks, strict=True):
        p = xyz[nodes]
        if view == "3d":
            ax.scatter(
                p[:, 0], p[:, 1], p[:, 2], c=colors[nodes], s=size, linewidths=0, depthshade=False
            )
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_zlim(lo[2], hi[2])
            ax.view_init(elev=21.5, azim=61)
            ax.set_box_aspect(tuple(hi - lo))
            for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
                axis.set_ticklabels([])
        else:
            ax.scatter(
                p[:, 0],
                p[:, 1],
                c=colors[nodes],
                s=size,
                linewidths=0,
                rasterized=len(nodes) > 20_000,
            )
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_aspect("equal", adjustable="box")
            ax.set_xticks([])
            ax.set_yticks([])
            if len(steps) > 1:
                for u in sel_units:
                    path_nodes = (e * T + steps) * U + u
                    pts = xyz[path_nodes]
                    segs = np.stack([pts[:-1], pts[1:]], axis=1)
                    ramp = np.linspace(0.25, 1.0, len(segs))
                    shade = np.stack([1 - 0.88 * ramp] * 3, axis=1)
                    ax.add_collection(LineCollection(segs, colors=shade, linewidths=0.8))
                    ax.annotate(
                        "",
                        xy=pts[-1],
                        xytext=pts[-2],
                        arrowprops={"arrowstyle": "-|>", "color": "0.12", "lw": 0.8},
                    )
        ax.set_title(f"epoch {int(rec.epochs[e])}", fontsize=10)

    if continuous:
        cmap = ListedColormap(hex_rgb(VIRIDIS))
        if mode in ("epoch", "timestep"):
            labels = rec.epochs if mode == "epoch" else rec.timesteps
            count = len(labels)
            sm = ScalarMappable(norm=Normalize(0, max(count - 1, 1)), cmap=cmap)
            bar = fig.colorbar(sm, ax=axes, fraction=0.04, pad=0.03)
            ticks = _label_ticks(labels)
            bar.set_ticks(ticks)
            bar.set_ticklabels([str(int(labels[i])) for i in ticks])
            bar.set_label(mode)
        else:
            table = np.frombuffer(
                explorer._array("_intrastep" if mode == "intrastep_entropy" else "_interstep"),
                np.float32,
            )
            vlo, vhi = value_range(table)
            sm = ScalarMappable(norm=Normalize(vlo, vhi), cmap=cmap)
            bar = fig.colorbar(sm, ax=axes, fraction=0.04, pad=0.03)
            bar.set_label(
                ("intra" if mode == "intrastep_entropy" else "inter") + "-step entropy (bits)"
            )
    else:
        entries = _legend_entries(explorer, mode)
        more = max(0, len(entries) - _MAX_LEGEND)
        handles = [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markersize=5,
                markerfacecolor=c,
                markeredgewidth=0,
                label=lab,
            )
            for c, lab in entries[:_MAX_LEGEND]
        ]
        if more:
            handles.append(Line2D([], [], ls="", label=f"+ {more} more"))
        titles = {"unit": "unit", "cluster": "unit cluster", "class": "sample class"}
        fig.legend(
            handles=handles, title=titles[mode], loc="center right", fontsize=8, frameon=False
        )
        fig.subplots_adjust(right=1 - extra / fig.get_figwidth())
    heading = explorer.title if title is None else title
    if heading:
        fig.suptitle(heading, fontsize=12)
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int | None = None) -> Any:
    """Save a matplotlib figure atomically; the suffix picks the format (pdf, svg, png, ...).

    The figure is written to a temporary file in the target folder and renamed over ``path``,
    so a failure part-way leaves any previous file untouched.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. from :func:`small_multiples`.
    path : path-like
        Output file; its suffix (``.pdf``, ``.svg``, ``.png``, ...) picks the format.
    dpi : int, optional
        Resolution of raster formats (default: the figure's).

    Returns
    -------
    path : the path written.
    """
    target = os.fspath(path)
    fmt = os.path.splitext(target)[1].lstrip(".").lower()
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot save a figure as {fmt or 'a file without a suffix'!r}: {target}; "
            f"use one of {', '.join(sorted(supported))} (e.g. figure.pdf)."
        )
    atomic_write(
        target, lambda fh: fig.savefig(fh, format=fmt, dpi=dpi or fig.dpi, bbox_inches="tight")
    )
    return path
