"""Linked comparison of several embeddings: one widget, one panel per model, shared controls.

:class:`CompareView` sends each model's explorer payload (the same arrays as
:class:`~mmphate.explorer.Explorer`) in one trait, ``_panels``; the front end mounts one
explorer scene per panel under one control bar and links them in JavaScript (epoch, timestep,
play, cameras, unit selection, colour mode), so scrubbing needs no kernel round trip.

Epochs and timesteps
    The shared slider runs over the union of the models' epoch numbers (and timestep labels).
    A model without the current epoch shows its nearest earlier epoch; when it has none (the
    current epoch precedes its first), it shows its first epoch and its panel says it has none
    at or before the current one. :meth:`CompareView.panel_state` gives the same answer in
    Python.

Unit selection
    ``selected_units`` is one list of unit ids; each panel highlights the ids it has. Selecting
    in a panel replaces that panel's ids in the list and keeps ids that only other panels have.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets
from sklearn.exceptions import NotFittedError

from .._validate import describe, is_estimator, not_fitted, printable
from ..record import Recording
from . import _payload
from ._assets import BUNDLE, COLOR_MODES, VIEWS, bundle_path
from ._checks import (
    ExplorerError,
    check_arguments,
    check_entropy_table,
    check_extra_arguments,
    check_height,
    check_source,
)

__all__ = ["CompareView", "ComparePanel", "compare_view", "MAX_PANELS"]

#: Most panels one comparison shows (each panel is one WebGL context; browsers allow ~16).
MAX_PANELS = 8


def _nearest_at_or_before(labels: Sequence[int], value: int) -> tuple[int, bool]:
    """The label a panel shows for ``value``: its last label <= value (or its first, False)."""
    earlier = [v for v in labels if v <= value]
    return (max(earlier), True) if earlier else (min(labels), False)


class ComparePanel:
    """One model of a :class:`CompareView` (read-only; the view owns the shared state).

    Made by the view (``view.panels``, ``view.panel(name)``), not by hand.

    Parameters
    ----------
    view : CompareView
        The view whose shared epoch, timestep and selection this panel follows.
    index : int
        Position of the panel in the view.
    name : str
        The model's name.
    embedding : numpy.ndarray of float32, shape (nodes, 2 | 3)
        The model's embedding, slice-major node order.
    rec : Recording
        The model's recording.

    Attributes
    ----------
    name : str
    recording : Recording
    embedding : numpy.ndarray of float32, shape (nodes, 2 | 3)
    unit_ids : list of str
    """

    def __init__(
        self, view: CompareView, index: int, name: str, embedding: np.ndarray, rec: Recording
    ) -> None:
        self._view = view
        self.index = index
        self.name = name
        self.embedding = embedding
        self.recording = rec
        self.unit_ids = [str(u) for u in rec.units]
        self._unit_set = set(self.unit_ids)
        self._binary: dict[str, bytes] = {}

    @property
    def epoch(self) -> int:
        """The epoch this panel draws for the view's current epoch (see the module notes)."""
        return _nearest_at_or_before(self.recording.epochs.tolist(), self._view.epoch)[0]

    @property
    def has_epoch(self) -> bool:
        """Whether the model has an epoch at or before the view's current epoch."""
        return _nearest_at_or_before(self.recording.epochs.tolist(), self._view.epoch)[1]

    @property
    def timestep(self) -> int:
        """The timestep this panel draws for the view's current timestep."""
        return _nearest_at_or_before(self.recording.timesteps.tolist(), self._view.timestep)[0]

    @property
    def selected_units(self) -> list[str]:
        """The view's selected unit ids that this model has, in recording order."""
        chosen = set(self._view.selected_units)
        return [u for u in self.unit_ids if u in chosen]

    def nodes(self) -> pd.DataFrame:
        """All nodes of this model (the columns of :meth:`Explorer.nodes`)."""
        return _payload.node_table(
            self.recording,
            self.embedding,
            clusters=self._binary.get("_clusters", b""),
            intrastep=self._binary.get("_intrastep", b""),
            interstep=self._binary.get("_interstep", b""),
        )

    def selected_nodes(self) -> pd.DataFrame:
        """Every node (all epochs and timesteps) of this model's selected units, in node order."""
        df = self.nodes()
        return df[df["unit"].isin(self.selected_units)].reset_index(drop=True)

    def selected_hidden(self) -> Recording:
        """This model's Recording restricted to its selected units.

        Raises
        ------
        ValueError
            If none of the selected unit ids belongs to this model.
        """
        units = self.selected_units
        if not units:
            raise ValueError(
                f"no unit of model {printable(self.name)!r} is selected; select some in the "
                "widget or set view.selected_units."
            )
        return self.recording.select(units=units)

    def __repr__(self) -> str:
        E, T, U, _ = self.recording.shape
        return f"ComparePanel({self.name!r}: {E} epochs x {T} timesteps x {U} units)"


def _split_source(item: Any, i: int) -> tuple[Any, Any]:
    """(source, recording) of one entry of ``models``: a fitted MMPHATE or a pair."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and not hasattr(item, "embedding_"):
        source, rec = item
        if not isinstance(rec, Recording | np.ndarray):
            raise TypeError(
                f"models[{i}] must be a fitted MMPHATE or an (embedding, Recording) pair; got a "
                f"pair whose second item is {describe(rec)}."
            )
        return source, rec
    if hasattr(item, "embedding_"):
        return item, None
    if is_estimator(item):
        raise not_fitted(item, f"models[{i}]")
    raise TypeError(
        f"models[{i}] must be a fitted MMPHATE or an (embedding, Recording) pair; got "
        f"{describe(item)}."
    )


def _per_model(value: Any, n: int, name: str) -> list[Any]:
    """One entry per model (``None`` for none at all)."""
    if value is None:
        return [None] * n
    if isinstance(value, (str, bytes, dict, pd.DataFrame, np.ndarray)) or not isinstance(
        value, Sequence
    ):
        raise ExplorerError(
            f"{name} must be a list with one entry per model ({n}; None where a model has "
            f"none); got {describe(value)}."
        )
    if len(value) != n:
        raise ExplorerError(
            f"{name} must have one entry per model ({n}); got {len(value)}. Use None for a "
            "model without one."
        )
    return list(value)


def _default_names(recs: list[Recording]) -> list[str]:
    names = []
    for rec in recs:
        meta = rec.metadata or {}
        names.append(str(meta.get("model") or meta.get("layer") or ""))
    if all(names) and len(set(names)) == len(names):
        return names
    return [f"model {i + 1}" for i in range(len(recs))]


def _check_names(names: Any, n: int) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ExplorerError(f"names must be a list of {n} strings; got {describe(names)}.")
    names = list(names)
    if len(names) != n:
        raise ExplorerError(f"names must give one name per model ({n}); got {len(names)}.")
    for v in names:
        if not isinstance(v, str) or not v.strip():
            raise ExplorerError(f"names must be non-empty strings; got {printable(describe(v))}.")
    dup = sorted({v for v in names if names.count(v) > 1})
    if dup:
        raise ExplorerError(f"names must be distinct; {printable(dup[0])!r} appears twice.")
    return names


def _shared_range(values: list[bytes]) -> list[float] | None:
    """Common [lo, hi] of float32 arrays (the front end's finiteRange over all of them)."""
    parts = [np.frombuffer(v, np.float32) for v in values if v]
    if not parts:
        return None
    allv = np.concatenate(parts)
    allv = allv[np.isfinite(allv)]
    if not allv.size:
        return None
    lo, hi = float(allv.min()), float(allv.max())
    return [lo, hi if hi > lo else lo + 1e-6]


class CompareView(anywidget.AnyWidget):
    """Several embeddings side by side, linked: one epoch slider, one timestep / play control,
    linked cameras and linked unit selection.

    Parameters
    ----------
    models : sequence of fitted MMPHATE or (embedding, Recording) pairs
        What :func:`mmphate.view` accepts, one entry per panel (1 to 8). The recordings may
        differ in epochs, timesteps, units and everything else.
    names : sequence of str, optional
        One distinct name per model (default: each recording's ``metadata["model"]`` or
        ``["layer"]`` when those are distinct, else ``"model 1"``, ``"model 2"``, ...).
    intrastep, interstep, clusters : sequence, optional
        One entry per model (``None`` where a model has none), as for :class:`Explorer`.
    share_colors : bool, default False
        Give the entropy colour modes one colour scale over all panels (the same colour means
        the same entropy in every panel); by default each panel scales to its own values.
    color_by : str, default "epoch"
        Colour mode of every panel; a panel without the data for it (no clusters, ...) shows
        epoch colours.
    view : {"3d", "2d"}, default "3d"
    epoch : int, optional
        Shared epoch (one of the union of the models' epochs; default the first).
    timestep : int, optional
        Shared timestep (one of the union of the timestep labels; default the first).
    selected_units : sequence of unit ids, optional
        Selected ids; each panel highlights those it has.
    playing : bool, default False
    show_context : bool, default True
    link_cameras : bool, default True
        Orbiting, panning or zooming one panel moves the others the same way (relative to
        each panel's own data: same direction, distance in units of the data's radius).
    height : int, default 400
        Height of each panel's drawing area in pixels.
    **kwargs
        Passed to ``anywidget.AnyWidget`` (e.g. ``layout``).

    Raises
    ------
    ExplorerError
        (a ``traitlets.TraitError``, ``ValueError`` and ``TypeError``) If an argument or a
        later trait assignment is invalid: not a list of models, too many, names of the wrong
        number or repeated, an epoch or timestep in no model, a unit id in no model.
    sklearn.exceptions.NotFittedError
        If a model has not been fitted.
    TypeError, ValueError
        If an embedding does not fit its recording (the message names the model).

    Attributes
    ----------
    panels : tuple of ComparePanel
        One per model, in order: ``panels[i].selected_nodes()``, ``.epoch`` (the epoch it
        draws), ``.recording``, ...

    Notes
    -----
    A model without the current epoch shows its nearest earlier epoch; when it has none, it
    shows its first epoch and its panel says so (``data-has-epoch="false"`` on the panel).
    The same rule applies to timesteps. The whole payload travels in the widget's traits (no
    chunked streaming as in :class:`Explorer`), so keep the total below the host's message
    limit (10 MiB in Jupyter by default: about 800,000 3-D nodes over all models).

    Examples
    --------
    >>> cv = mmphate.compare_view([lstm_fit, gru_fit], names=["LSTM", "GRU"])  # doctest: +SKIP
    >>> cv.epoch = 20; cv.selected_units = ["3", "7"]                         # doctest: +SKIP
    >>> cv.selected_nodes()             # both models' nodes of units 3 and 7  # doctest: +SKIP
    """

    _esm = BUNDLE

    epoch = traitlets.Int(0).tag(sync=True)
    timestep = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    selected_units = traitlets.List(traitlets.Any()).tag(sync=True)
    color_by = traitlets.Unicode("epoch").tag(sync=True)
    view = traitlets.Unicode("3d").tag(sync=True)
    show_context = traitlets.Bool(True).tag(sync=True)
    link_cameras = traitlets.Bool(True).tag(sync=True)
    height = traitlets.Int(400).tag(sync=True)
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)

    _panels = traitlets.List(traitlets.Dict()).tag(sync=True)
    _epochs = traitlets.List(traitlets.Int()).tag(sync=True)
    _timesteps = traitlets.List(traitlets.Int()).tag(sync=True)
    _units = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(
        self,
        models: Sequence[Any],
        names: Sequence[str] | None = None,
        *,
        intrastep: Any = None,
        interstep: Any = None,
        clusters: Any = None,
        share_colors: bool = False,
        color_by: str = "epoch",
        view: str = "3d",
        epoch: int | None = None,
        timestep: int | None = None,
        selected_units: Any = (),
        playing: bool = False,
        show_context: bool = True,
        link_cameras: bool = True,
        height: int = 400,
        **kwargs: Any,
    ) -> None:
        single = hasattr(models, "embedding_") or (
            isinstance(models, tuple) and len(models) == 2 and isinstance(models[1], Recording)
        )
        if single or isinstance(models, (str, bytes, dict)) or not isinstance(models, Sequence):
            raise ExplorerError(
                "compare_view needs a list of models (fitted MMPHATE or (embedding, Recording) "
                f"pairs); got {describe(models)}. For one model use mmphate.view."
            )
        n = len(models)
        if not 1 <= n <= MAX_PANELS:
            raise ExplorerError(f"compare_view shows 1 to {MAX_PANELS} models; got {n}.")
        check_arguments(
            color_by=color_by,
            view=view,
            epoch=epoch,
            timestep=timestep,
            selected_units=selected_units,
            playing=playing,
            show_context=show_context,
            height=height,
        )
        for flag, label in ((share_colors, "share_colors"), (link_cameras, "link_cameras")):
            if not isinstance(flag, (bool, np.bool_)):
                raise ExplorerError(f"{label} must be True or False; got {describe(flag)}.")
        check_extra_arguments(type(self), kwargs, ("share_colors", "models", "names"))
        intra_l = _per_model(intrastep, n, "intrastep")
        inter_l = _per_model(interstep, n, "interstep")
        clus_l = _per_model(clusters, n, "clusters")
        resolved = []
        for i, item in enumerate(models):
            source, rec = _split_source(item, i)
            try:
                check_source(source, rec)
                resolved.append(_payload.resolve_source(source, rec))
            except NotFittedError:
                raise
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"models[{i}]: {exc}") from None
        recs = [rec for _, rec in resolved]
        names = _default_names(recs) if names is None else _check_names(names, n)
        bundle = bundle_path()
        if isinstance(type(self).__dict__.get("_esm"), pathlib.Path):
            type(self)._esm = bundle.read_text(encoding="utf-8")

        self._share_colors = bool(share_colors)
        self._panel_objs: list[ComparePanel] = []
        payloads = []
        for i, ((emb, rec), name) in enumerate(zip(resolved, names, strict=True)):
            try:
                check_entropy_table(intra_l[i], "timestep", "intrastep")
                check_entropy_table(inter_l[i], "unit", "interstep")
                payload = _payload.build_payload(
                    emb, rec, intrastep=intra_l[i], interstep=inter_l[i], clusters=clus_l[i]
                )
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"model {printable(name)!r}: {exc}") from None
            panel = ComparePanel(self, i, name, emb, rec)
            panel._binary = {k: v for k, v in payload.items() if isinstance(v, bytes)}
            self._panel_objs.append(panel)
            payloads.append(payload)
        if self._share_colors:
            for key, mode in (
                ("_intrastep", "intrastep_entropy"),
                ("_interstep", "interstep_entropy"),
            ):
                shared = _shared_range([p[key] for p in payloads])
                if shared is not None:
                    for p in payloads:
                        p.setdefault("ranges", {})[mode] = shared
        self._available = [
            {
                "epoch": True,
                "timestep": True,
                "unit": True,
                "cluster": bool(p["_clusters"]),
                "intrastep_entropy": bool(p["_intrastep"]),
                "interstep_entropy": bool(p["_interstep"]),
                "class": bool(p["_node_class"]) and bool(p["_labels"]["class_names"]),
            }
            for p in payloads
        ]
        self._union_epochs = sorted({int(e) for r in recs for e in r.epochs})
        self._union_steps = sorted({int(t) for r in recs for t in r.timesteps})
        units: dict[str, None] = {}
        for panel in self._panel_objs:
            units.update(dict.fromkeys(panel.unit_ids))
        self._union_units = list(units)
        self._unit_order = {u: i for i, u in enumerate(self._union_units)}
        if isinstance(selected_units, str):
            selected_units = [selected_units]
        super().__init__(
            _panels=[dict(p, name=name) for p, name in zip(payloads, names, strict=True)],
            _epochs=self._union_epochs,
            _timesteps=self._union_steps,
            _units=self._union_units,
            names=names,
            epoch=self._union_epochs[0] if epoch is None else int(epoch),
            timestep=self._union_steps[0] if timestep is None else int(timestep),
            selected_units=[str(u) for u in selected_units],
            color_by=color_by,
            view=view,
            playing=bool(playing),
            show_context=bool(show_context),
            link_cameras=bool(link_cameras),
            height=int(height),
            **kwargs,
        )

    # ------------------------------------------------------------------ validation
    @traitlets.validate("epoch")
    def _check_epoch(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value not in self._union_epochs:
            raise ExplorerError(
                f"epoch {value} is in none of the models; their epochs: "
                f"{_short(self._union_epochs)}."
            )
        return value

    @traitlets.validate("timestep")
    def _check_timestep(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value not in self._union_steps:
            raise ExplorerError(
                f"timestep {value} is in none of the models; their timesteps: "
                f"{_short(self._union_steps)}."
            )
        return value

    @traitlets.validate("selected_units")
    def _check_selected(self, proposal: Any) -> list[str]:
        wanted = [str(u) for u in proposal["value"]]
        unknown = [u for u in wanted if u not in self._unit_order]
        if unknown:
            raise ExplorerError(
                f"selected_units has unit ids that no model has: {printable(unknown[:10])}; "
                f"the models' units are {printable(_short(self._union_units))}."
            )
        return [self._union_units[i] for i in sorted({self._unit_order[u] for u in wanted})]

    @traitlets.validate("color_by")
    def _check_color_by(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in COLOR_MODES:
            raise ExplorerError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {value!r}.")
        if not any(a[value] for a in self._available):
            raise ExplorerError(
                f"color_by={value!r} needs data that no model was given (clusters=, "
                "intrastep=, interstep= or sample labels, one entry per model)."
            )
        return value

    @traitlets.validate("view")
    def _check_view(self, proposal: Any) -> str:
        value = str(proposal["value"]).lower()
        if value not in VIEWS:
            raise ExplorerError(f"view must be '2d' or '3d'; got {proposal['value']!r}.")
        return value

    @traitlets.validate("height")
    def _check_height(self, proposal: Any) -> int:
        return check_height(proposal["value"])

    @traitlets.validate("names")
    def _check_names_trait(self, proposal: Any) -> list[str]:
        return _check_names(proposal["value"], len(self._panel_objs))

    @traitlets.observe("names")
    def _rename(self, change: Any) -> None:
        for panel, name in zip(self._panel_objs, change["new"], strict=True):
            panel.name = name

    # ------------------------------------------------------------------ data access
    @property
    def panels(self) -> tuple[ComparePanel, ...]:
        """One :class:`ComparePanel` per model, in order."""
        return tuple(self._panel_objs)

    @property
    def share_colors(self) -> bool:
        """Whether the panels share one colour scale for the entropy colour modes."""
        return self._share_colors

    @property
    def epochs(self) -> list[int]:
        """The shared slider's epochs: the union of the models' epoch numbers."""
        return list(self._union_epochs)

    @property
    def timesteps(self) -> list[int]:
        """The shared timestep labels: the union of the models' timestep labels."""
        return list(self._union_steps)

    def panel(self, which: int | str) -> ComparePanel:
        """A panel by position or by name.

        Raises
        ------
        ExplorerError
            If there is no such panel.
        """
        if isinstance(which, str):
            for p in self._panel_objs:
                if p.name == which:
                    return p
            raise ExplorerError(
                f"no model is named {printable(which)!r}; names: {printable(self.names)}."
            )
        if isinstance(which, (int, np.integer)) and not isinstance(which, bool):
            if -len(self._panel_objs) <= int(which) < len(self._panel_objs):
                return self._panel_objs[int(which)]
        raise ExplorerError(
            f"panel must be a model name or a position 0..{len(self._panel_objs) - 1}; got "
            f"{printable(describe(which))}."
        )

    def panel_state(self) -> pd.DataFrame:
        """What each panel draws now: ``model, epoch, has_epoch, timestep, selected``."""
        return pd.DataFrame(
            {
                "model": [p.name for p in self._panel_objs],
                "epoch": [p.epoch for p in self._panel_objs],
                "has_epoch": [p.has_epoch for p in self._panel_objs],
                "timestep": [p.timestep for p in self._panel_objs],
                "selected": [len(p.selected_units) for p in self._panel_objs],
            }
        )

    def selected_nodes(self, which: int | str | None = None) -> pd.DataFrame:
        """Nodes of the selected units: of one panel (``which``: name or position), or of all
        panels with a leading ``model`` column."""
        if which is not None:
            return self.panel(which).selected_nodes()
        frames = [p.selected_nodes().assign(model=p.name) for p in self._panel_objs]
        df = pd.concat(frames, ignore_index=True)
        return df[["model", *[c for c in df.columns if c != "model"]]]

    def __repr__(self) -> str:
        return (
            f"CompareView({len(self._panel_objs)} models: {', '.join(self.names)}; "
            f"epoch={self.epoch}, color_by={self.color_by!r})"
        )


def _short(values: list[Any], n: int = 20) -> str:
    head = ", ".join(str(v) for v in values[:n])
    return f"[{head}{', ...' if len(values) > n else ''}]"


def compare_view(
    models: Sequence[Any],
    names: Sequence[str] | None = None,
    *,
    intrastep: Any = None,
    interstep: Any = None,
    clusters: Any = None,
    share_colors: bool = False,
    color_by: str = "epoch",
    view: str = "3d",
    epoch: int | None = None,
    timestep: int | None = None,
    selected_units: Any = (),
    playing: bool = False,
    show_context: bool = True,
    link_cameras: bool = True,
    height: int = 400,
) -> CompareView:
    """Show several models side by side, linked: ``mmphate.compare_view([a, b], names=[...])``.

    One epoch slider (over the union of the models' epochs), one timestep / play control,
    linked cameras and linked unit selection (where unit ids match) drive every panel; each
    panel keeps its own colour scale unless ``share_colors=True``.

    Parameters
    ----------
    models : sequence of fitted MMPHATE or (embedding, Recording) pairs
        One entry per panel (1 to 8), each what :func:`mmphate.view` accepts.
    names : sequence of str, optional
        Distinct panel names (default from the recordings' metadata, else "model 1", ...).
    intrastep, interstep, clusters : sequence, optional
        One entry per model (``None`` where a model has none), as for :func:`mmphate.view`.
    share_colors : bool, default False
        One colour scale for the entropy colour modes over all panels.
    color_by : str, default "epoch"
    view : {"3d", "2d"}, default "3d"
    epoch, timestep : int, optional
        Shared epoch / timestep to show first (from the union of the models' labels).
    selected_units : sequence of unit ids, optional
    playing : bool, default False
    show_context : bool, default True
    link_cameras : bool, default True
    height : int, default 400
        Height of each panel's drawing area in pixels.

    Returns
    -------
    CompareView
        The widget; ``epoch``, ``timestep``, ``playing``, ``selected_units``, ``color_by``
        and ``view`` can be read and set from Python; ``panels`` gives each model's view.

    Raises
    ------
    The errors of :class:`CompareView`, each with a one-line message.

    Examples
    --------
    >>> cv = mmphate.compare_view([lstm, gru], names=["LSTM", "GRU"])  # doctest: +SKIP
    >>> cv.panel("GRU").selected_nodes()                                # doctest: +SKIP
    """
    return CompareView(
        models,
        names,
        intrastep=intrastep,
        interstep=interstep,
        clusters=clusters,
        share_colors=share_colors,
        color_by=color_by,
        view=view,
        epoch=epoch,
        timestep=timestep,
        selected_units=selected_units,
        playing=playing,
        show_context=show_context,
        link_cameras=link_cameras,
        height=height,
    )
