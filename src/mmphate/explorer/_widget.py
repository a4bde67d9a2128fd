"""The explorer widget: an anywidget over a fitted MM-PHATE embedding (traits only; no numerics).

The front end (three.js, bundled into ``explorer/static/widget.js``) receives the embedding once as
binary float32 and does epoch scrubbing, timestep animation, colouring and selection on the
GPU / in JavaScript. Python and the browser share a handful of small traits:

``epoch``, ``timestep``, ``playing``, ``color_by``, ``view``, ``show_context``,
``selection_mode``, ``selected_units``, ``selected_points``, ``epoch_range``, ``timestep_range``
and ``title``. Payloads above about 10 MB are streamed to the front end in chunks
(:mod:`._transfer`).
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from .._validate import printable
from ..record import Recording
from . import _page, _payload, _transfer
from ._assets import BUNDLE, COLOR_MODES, VIEWS, bundle_path
from ._checks import (
    ExplorerError,
    check_arguments,
    check_entropy_table,
    check_extra_arguments,
    check_height,
    check_source,
)
from ._selection import SELECTION_MODES, LabelRange, NodeIndices

_NEEDS = {
    "cluster": ("_clusters", "clusters= (a cluster_units result or one label per unit)"),
    "intrastep_entropy": ("_intrastep", "intrastep= (an intrastep_entropy table)"),
    "interstep_entropy": ("_interstep", "interstep= (an interstep_entropy table)"),
    "class": ("_node_class", "a recording with sample_labels"),
}


class Explorer(anywidget.AnyWidget):
    """Interactive view of an MM-PHATE embedding of a recording, for Jupyter.

    Parameters
    ----------
    source : fitted MMPHATE, array of shape (nodes, 2 | 3), or DataFrame with x, y(, z)
        A fitted estimator (its ``embedding_`` and ``recording_`` are used) or an embedding
        of the recording's nodes in slice-major order (``node = (e*T + t)*U + u``).
    recording : Recording, optional
        Required when ``source`` is an array; overrides the estimator's recording otherwise.
    intrastep : DataFrame [epoch, timestep, entropy] or array (E, T), optional
        Intra-step entropy per slice (colour mode ``"intrastep_entropy"``, tooltip, chart).
    interstep : DataFrame [epoch, unit, entropy] or array (E, U), optional
        Inter-step entropy per epoch and unit (colour mode ``"interstep_entropy"``).
    clusters : object with ``.labels`` or array (U,), optional
        Cluster label of each unit (colour mode ``"cluster"``; negative = unassigned).
    color_by : str, default "epoch"
        One of ``"epoch"``, ``"timestep"``, ``"unit"``, ``"cluster"``,
        ``"intrastep_entropy"``, ``"interstep_entropy"``, ``"class"``. ``"class"`` colours
        each node by the sample class with the highest mean activation of that unit at that
        epoch and timestep (padded steps excluded); it needs ``recording.sample_labels``.
    view : {"3d", "2d"}, default "3d"
    epoch : int, optional
        Epoch number to show first (default: the first recorded epoch).
    timestep : int, optional
        Timestep label to emphasise first (default: the first).
    selected_units : sequence of unit ids, optional
    playing : bool, default False
    show_context : bool, default True
        Draw the other epochs as faint context.
    height : int, default 480
        Height of the drawing area in pixels (100 to 10,000).
    selection_mode : {"units", "points"}, default "units"
        What box, lasso and click select: whole units (``selected_units``; a unit is hit when
        one of its current-epoch points is) or single points (``selected_points``: the drawn
        points inside the shape, i.e. the current epoch's plus, with ``show_context``, the
        other epochs').
    selected_points : node indices or boolean mask, optional
        Points selected at start (slice-major node indices ``(e*T + t)*U + u``).
    epoch_range, timestep_range : (first, last), optional
        Filters (inclusive, in epoch numbers / timestep labels): nodes outside them are not
        drawn and cannot be selected; default: everything.
    title : str, default ""
        Title of saved figures (default: the layer and colour mode).
    chunk_bytes : int, optional
        Stream binary payloads larger than this in chunks of this size (default: above
        10 MB, in chunks of 4 MiB), for hosts that cap message sizes.
    **kwargs
        Passed to ``anywidget.AnyWidget`` (e.g. ``layout``).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``source`` is an estimator that has not been fitted.
    TypeError
        If ``source`` is not an embedding or a fitted estimator, or ``recording`` is not a
        Recording.
    ValueError
        If the embedding does not match the recording (rows, 2 or 3 columns, finite values) or
        an entropy table or clusters do not fit it.
    ExplorerError
        (a ``traitlets.TraitError``, ``ValueError`` and ``TypeError``) If an argument or a
        later trait assignment is invalid: an unknown colour mode or one without data, an
        epoch, timestep or unit id not in the recording, a non-boolean ``playing``, a
        ``height`` outside 100..10,000.

    Attributes
    ----------
    recording : Recording
    embedding : numpy.ndarray of float32, shape (nodes, 2 | 3)

    Notes
    -----
    Gestures are judged by the path they draw: a press that stays within 6 px is a click
    (wherever it is released), anything larger a box (press to release corner) or a lasso (the
    whole path, closed along its chord). Shift adds and alt subtracts, relative to the
    selection as it is when the drag ends (Python may change it meanwhile); a drag may leave the
    canvas. "Save PNG" composes a figure (plot cropped to the points, legend or colour bar,
    epoch label, ``title``) at the chosen scale; :func:`~mmphate.explorer.small_multiples`
    draws static panels with the same colours. The widget runs in JupyterLab, Notebook 7,
    VS Code, Colab and marimo (``mo.ui.anywidget(explorer)``). Its root element carries its
    state as ``data-*`` attributes (``data-ready``, ``data-epoch``, ``data-timestep``,
    ``data-selection-mode``, ``data-selected-count``, ``data-points``, ...) and every control an
    ``aria-label``.

    Examples
    --------
    >>> ex = mmphate.Explorer(model, intrastep=h_intra, clusters=clusters)  # doctest: +SKIP
    >>> ex.epoch = 40; ex.color_by = "cluster"                               # doctest: +SKIP
    >>> ex.selection_mode = "points"; ex.epoch_range = (20, 30)              # doctest: +SKIP
    >>> ex.selected_nodes()                # the points lassoed in epochs 20-30  # doctest: +SKIP
    >>> ex.selected_hidden()                                                 # doctest: +SKIP
    """

    _esm = BUNDLE

    epoch = traitlets.Int(0).tag(sync=True)
    timestep = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    color_by = traitlets.Unicode("epoch").tag(sync=True)
    selected_units = traitlets.List(traitlets.Any()).tag(sync=True)
    view = traitlets.Unicode("3d").tag(sync=True)
    show_context = traitlets.Bool(True).tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    selection_mode = traitlets.Unicode("units").tag(sync=True)
    selected_points = NodeIndices()
    epoch_range = LabelRange("epochs")
    timestep_range = LabelRange("timesteps")
    title = traitlets.Unicode("").tag(sync=True)

    _shape = traitlets.List(traitlets.Int()).tag(sync=True)
    _n_components = traitlets.Int(3).tag(sync=True)
    _positions = traitlets.Bytes(b"").tag(sync=True)
    _node_class = traitlets.Bytes(b"").tag(sync=True)
    _clusters = traitlets.Bytes(b"").tag(sync=True)
    _intrastep = traitlets.Bytes(b"").tag(sync=True)
    _interstep = traitlets.Bytes(b"").tag(sync=True)
    _labels = traitlets.Dict().tag(sync=True)
    _metrics = traitlets.Dict().tag(sync=True)
    _chunked = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        source: Any,
        recording: Recording | None = None,
        *,
        intrastep: Any = None,
        interstep: Any = None,
        clusters: Any = None,
        color_by: str = "epoch",
        view: str = "3d",
        epoch: int | None = None,
        timestep: int | None = None,
        selected_units: Any = (),
        playing: bool = False,
        show_context: bool = True,
        height: int = 480,
        selection_mode: str = "units",
        selected_points: Any = None,
        epoch_range: Any = None,
        timestep_range: Any = None,
        title: str = "",
        chunk_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_source(source, recording)
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
        check_entropy_table(intrastep, "timestep", "intrastep")
        check_entropy_table(interstep, "unit", "interstep")
        check_extra_arguments(type(self), kwargs)
        bundle = bundle_path()
        if isinstance(type(self).__dict__.get("_esm"), pathlib.Path):
            # the bundle was built after this module was imported
            type(self)._esm = bundle.read_text(encoding="utf-8")
        embedding, rec = _payload.resolve_source(source, recording)
        payload, manifest = self._prepare(
            embedding, rec, intrastep, interstep, clusters, chunk_bytes
        )
        if isinstance(selected_units, str):
            selected_units = [selected_units]
        super().__init__(
            **payload,
            _chunked=manifest,
            epoch=int(rec.epochs[0]) if epoch is None else int(epoch),
            timestep=int(rec.timesteps[0]) if timestep is None else int(timestep),
            color_by=color_by,
            view=view,
            selected_units=[u if isinstance(u, str) else str(u) for u in selected_units],
            playing=bool(playing),
            show_context=bool(show_context),
            height=int(height),
            selection_mode=selection_mode,
            selected_points=selected_points,
            epoch_range=epoch_range,
            timestep_range=timestep_range,
            title=title,
            **kwargs,
        )
        self.on_msg(self._on_front_end_message)

    def _prepare(
        self,
        embedding: np.ndarray,
        rec: Recording,
        intrastep: Any,
        interstep: Any,
        clusters: Any,
        chunk_bytes: int | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Take ``embedding`` and ``rec`` as the data shown: (data traits, chunk manifest)."""
        payload = _payload.build_payload(
            embedding, rec, intrastep=intrastep, interstep=interstep, clusters=clusters
        )
        binary = {k: v for k, v in payload.items() if isinstance(v, bytes)}
        payload, manifest, streamed = _transfer.plan(payload, chunk_bytes)
        available = {mode: len(binary[trait]) > 0 for mode, (trait, _) in _NEEDS.items()} | {
            "epoch": True,
            "timestep": True,
            "unit": True,
        }
        if not payload["_labels"]["class_names"]:
            available["class"] = False
        self._recording = rec
        self._embedding = embedding
        self._unit_ids = [str(u) for u in rec.units]
        self._unit_pos = {u: i for i, u in enumerate(self._unit_ids)}
        self._n_nodes = int(rec.n_nodes)
        self._binary, self._streamed, self._available = binary, streamed, available
        return payload, manifest

    def _on_front_end_message(self, widget: Any, content: Any, buffers: Any) -> None:
        _transfer.send_chunks(self, content, buffers)

    # ------------------------------------------------------------------ validation
    @traitlets.validate("color_by")
    def _check_color_by(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in COLOR_MODES:
            raise ExplorerError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {value!r}.")
        if not self._available.get(value, False):
            raise ExplorerError(f"color_by={value!r} needs {_NEEDS[value][1]}.")
        return value

    @traitlets.validate("view")
    def _check_view(self, proposal: Any) -> str:
        value = str(proposal["value"]).lower()
        if value not in VIEWS:
            raise ExplorerError(f"view must be '2d' or '3d'; got {proposal['value']!r}.")
        return value

    @traitlets.validate("epoch")
    def _check_epoch(self, proposal: Any) -> int:
        value = int(proposal["value"])
        epochs = self.recording.epochs
        if value not in set(epochs.tolist()):
            raise ExplorerError(
                f"epoch {value} is not in the recording; recorded epochs: {_short(epochs.tolist())}."
            )
        return value

    @traitlets.validate("timestep")
    def _check_timestep(self, proposal: Any) -> int:
        value = int(proposal["value"])
        steps = self.recording.timesteps
        if value not in set(steps.tolist()):
            raise ExplorerError(
                f"timestep {value} is not in the recording; timesteps: {_short(steps.tolist())}."
            )
        return value

    @traitlets.validate("selection_mode")
    def _check_selection_mode(self, proposal: Any) -> str:
        value = str(proposal["value"]).lower()
        if value not in SELECTION_MODES:
            raise traitlets.TraitError(
                f"selection_mode must be 'units' or 'points'; got {proposal['value']!r}."
            )
        return value

    @traitlets.validate("selected_units")
    def _check_selected(self, proposal: Any) -> list[str]:
        wanted = [str(u) for u in proposal["value"]]
        if wanted:
            self.recording  # noqa: B018 - a live view without data refuses with a clear error
        unknown = [u for u in wanted if u not in self._unit_pos]
        if unknown:
            raise ExplorerError(
                f"selected_units has unknown unit ids {printable(unknown[:10])}; "
                f"the recording's units are {printable(_short(self._unit_ids))}."
            )
        # recording order, no duplicates
        return [self._unit_ids[i] for i in sorted({self._unit_pos[u] for u in wanted})]

    @traitlets.validate("height")
    def _check_height(self, proposal: Any) -> int:
        return check_height(proposal["value"])

    # ------------------------------------------------------------------ data access
    @property
    def recording(self) -> Recording:
        """The Recording shown."""
        return self._recording

    @property
    def embedding(self) -> np.ndarray:
        """The embedding shown (float32, nodes x 2|3, slice-major node order)."""
        return self._embedding

    @property
    def payload_bytes(self) -> int:
        """Bytes of binary data sent to the browser (positions, codes, entropies)."""
        return sum(len(v) for v in self._binary.values())

    @property
    def chunked(self) -> bool:
        """Whether the payload is streamed to the front end in chunks (see ``chunk_bytes``)."""
        return bool(self._chunked)

    def _array(self, name: str) -> bytes:
        """A binary array of the payload, whether it travels in its trait or in chunks."""
        return self._binary.get(name, b"")

    def nodes(self) -> pd.DataFrame:
        """All nodes: ``node, epoch, timestep, unit, x, y(, z)`` (plus cluster / entropies if given)."""
        return _payload.node_table(
            self._recording,
            self._embedding,
            clusters=self._clusters,
            intrastep=self._intrastep,
            interstep=self._interstep,
        )

    def filter_mask(self) -> np.ndarray:
        """Boolean mask over the nodes: inside ``epoch_range`` and ``timestep_range``."""
        rec = self._recording
        E, T, U, _ = rec.shape
        lo, hi = self.epoch_range
        e_in = (rec.epochs >= lo) & (rec.epochs <= hi)
        lo, hi = self.timestep_range
        t_in = (rec.timesteps >= lo) & (rec.timesteps <= hi)
        return np.broadcast_to((e_in[:, None] & t_in[None, :])[:, :, None], (E, T, U)).ravel()

    def selected_nodes(self) -> pd.DataFrame:
        """The selected nodes, in node order (see :meth:`nodes` for the columns).

        In ``selection_mode="points"``: exactly the nodes in ``selected_points``. In
        ``"units"`` mode: every node of the selected units that passes the epoch and timestep
        filters (``epoch_range``, ``timestep_range``).
        """
        df = self.nodes()
        if self.selection_mode == "points":
            return df.iloc[self.selected_points].reset_index(drop=True)
        keep = df["unit"].isin(self.selected_units).to_numpy() & self.filter_mask()
        return df[keep].reset_index(drop=True)

    def _selected_unit_ids(self) -> list[str]:
        if self.selection_mode == "points":
            units = np.unique(self.selected_points % self._recording.n_units)
            return [self._unit_ids[i] for i in units]
        return list(self.selected_units)

    def selected_hidden(self) -> Recording:
        """The Recording restricted to the selected units (all epochs, timesteps, samples).

        In ``selection_mode="points"`` the units are those of the selected points.
        """
        units = self._selected_unit_ids()
        if not units:
            raise ValueError(
                "nothing is selected; select some units or points in the widget (box, lasso or "
                "click) or set explorer.selected_units / explorer.selected_points."
            )
        return self._recording.select(units=units)

    def save_html(self, path: Any, *, title: str | None = None) -> Any:
        """Write this view as a standalone offline HTML page (see :func:`mmphate.export_html`)."""
        return _page.write_html(self, path, title=title)

    def __repr__(self) -> str:
        E, T, U, S = self._recording.shape
        return (
            f"Explorer({E} epochs x {T} timesteps x {U} units, "
            f"{self._embedding.shape[1]}-D, color_by={self.color_by!r}, epoch={self.epoch})"
        )


def _short(values: list[Any], n: int = 20) -> str:
    head = ", ".join(str(v) for v in values[:n])
    return f"[{head}{', ...' if len(values) > n else ''}]"
