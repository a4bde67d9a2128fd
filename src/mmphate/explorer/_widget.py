"""The explorer widget: an anywidget over a fitted MM-PHATE embedding (traits only; no numerics).

The front end (three.js, bundled into ``explorer/static/widget.js``) receives the embedding once as
binary float32 and does epoch scrubbing, timestep animation, colouring and selection on the
GPU / in JavaScript. Python and the browser share a handful of small traits:

``epoch``, ``timestep``, ``playing``, ``color_by``, ``selected_units``, ``view``.
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..record import Recording
from . import _page, _payload
from ._assets import BUNDLE, COLOR_MODES, VIEWS, bundle_path

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
        Height of the drawing area in pixels.
    **kwargs
        Passed to ``anywidget.AnyWidget`` (e.g. ``layout``).

    Attributes
    ----------
    recording : Recording
    embedding : numpy.ndarray of float32, shape (nodes, 2 | 3)

    Examples
    --------
    >>> ex = mmphate.Explorer(model, intrastep=h_intra, clusters=clusters)  # doctest: +SKIP
    >>> ex.epoch = 40; ex.color_by = "cluster"                               # doctest: +SKIP
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

    _shape = traitlets.List(traitlets.Int()).tag(sync=True)
    _n_components = traitlets.Int(3).tag(sync=True)
    _positions = traitlets.Bytes(b"").tag(sync=True)
    _node_class = traitlets.Bytes(b"").tag(sync=True)
    _clusters = traitlets.Bytes(b"").tag(sync=True)
    _intrastep = traitlets.Bytes(b"").tag(sync=True)
    _interstep = traitlets.Bytes(b"").tag(sync=True)
    _labels = traitlets.Dict().tag(sync=True)
    _metrics = traitlets.Dict().tag(sync=True)

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
        **kwargs: Any,
    ) -> None:
        bundle = bundle_path()
        if isinstance(type(self).__dict__.get("_esm"), pathlib.Path):
            # the bundle was built after this module was imported
            type(self)._esm = bundle.read_text(encoding="utf-8")
        embedding, rec = _payload.resolve_source(source, recording)
        self._recording = rec
        self._embedding = embedding
        self._unit_ids = [str(u) for u in rec.units]
        self._unit_pos = {u: i for i, u in enumerate(self._unit_ids)}
        payload = _payload.build_payload(
            embedding, rec, intrastep=intrastep, interstep=interstep, clusters=clusters
        )
        self._available = {mode: len(payload[trait]) > 0 for mode, (trait, _) in _NEEDS.items()} | {
            "epoch": True,
            "timestep": True,
            "unit": True,
        }
        if not payload["_labels"]["class_names"]:
            self._available["class"] = False
        if isinstance(selected_units, str):
            selected_units = [selected_units]
        super().__init__(
            **payload,
            epoch=int(rec.epochs[0]) if epoch is None else epoch,
            timestep=int(rec.timesteps[0]) if timestep is None else timestep,
            color_by=color_by,
            view=view,
            selected_units=list(selected_units),
            playing=playing,
            show_context=show_context,
            height=height,
            **kwargs,
        )

    # ------------------------------------------------------------------ validation
    @traitlets.validate("color_by")
    def _check_color_by(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in COLOR_MODES:
            raise traitlets.TraitError(
                f"color_by must be one of {', '.join(COLOR_MODES)}; got {value!r}."
            )
        if not self._available.get(value, False):
            raise traitlets.TraitError(f"color_by={value!r} needs {_NEEDS[value][1]}.")
        return value

    @traitlets.validate("view")
    def _check_view(self, proposal: Any) -> str:
        value = str(proposal["value"]).lower()
        if value not in VIEWS:
            raise traitlets.TraitError(f"view must be '2d' or '3d'; got {proposal['value']!r}.")
        return value

    @traitlets.validate("epoch")
    def _check_epoch(self, proposal: Any) -> int:
        value = int(proposal["value"])
        epochs = self._recording.epochs
        if value not in set(epochs.tolist()):
            raise traitlets.TraitError(
                f"epoch {value} is not in the recording; recorded epochs: {_short(epochs.tolist())}."
            )
        return value

    @traitlets.validate("timestep")
    def _check_timestep(self, proposal: Any) -> int:
        value = int(proposal["value"])
        steps = self._recording.timesteps
        if value not in set(steps.tolist()):
            raise traitlets.TraitError(
                f"timestep {value} is not in the recording; timesteps: {_short(steps.tolist())}."
            )
        return value

    @traitlets.validate("selected_units")
    def _check_selected(self, proposal: Any) -> list[str]:
        wanted = [str(u) for u in proposal["value"]]
        unknown = [u for u in wanted if u not in self._unit_pos]
        if unknown:
            raise traitlets.TraitError(
                f"selected_units has unknown unit ids {unknown[:10]}; "
                f"the recording's units are {_short(self._unit_ids)}."
            )
        # recording order, no duplicates
        return [self._unit_ids[i] for i in sorted({self._unit_pos[u] for u in wanted})]

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
        return sum(
            len(getattr(self, name))
            for name in ("_positions", "_node_class", "_clusters", "_intrastep", "_interstep")
        )

    def nodes(self) -> pd.DataFrame:
        """All nodes: ``node, epoch, timestep, unit, x, y(, z)`` (plus cluster / entropies if given)."""
        rec = self._recording
        df = rec.nodes() if callable(rec.nodes) else rec.nodes
        df = df.copy()
        df.insert(0, "node", np.arange(len(df)))
        for k, name in enumerate("xyz"[: self._embedding.shape[1]]):
            df[name] = self._embedding[:, k]
        E, T, U, _ = rec.shape
        if self._clusters:
            df["cluster"] = np.tile(np.frombuffer(self._clusters, dtype=np.int32), E * T)
        if self._intrastep:
            df["intrastep_entropy"] = np.repeat(np.frombuffer(self._intrastep, np.float32), U)
        if self._interstep:
            inter = np.frombuffer(self._interstep, np.float32).reshape(E, 1, U)
            df["interstep_entropy"] = np.broadcast_to(inter, (E, T, U)).ravel()
        return df

    def selected_nodes(self) -> pd.DataFrame:
        """The selected units' nodes (every epoch and timestep), in node order."""
        df = self.nodes()
        return df[df["unit"].isin(self.selected_units)].reset_index(drop=True)

    def selected_hidden(self) -> Recording:
        """The Recording restricted to the selected units (all epochs, timesteps, samples)."""
        if not self.selected_units:
            raise ValueError(
                "no units are selected; select some in the widget (box, lasso or click) "
                "or set explorer.selected_units."
            )
        return self._recording.select(units=list(self.selected_units))

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


def view(
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
) -> Explorer:
    """Show an embedding in the explorer widget: ``mmphate.view(model)``.

    Display the returned widget (or leave it as a cell's last expression) to drag, scrub
    epochs, play timesteps, colour and select; what you select comes back as
    ``selected_units`` and :meth:`Explorer.selected_nodes`.

    Parameters
    ----------
    source : fitted MMPHATE, array of shape (nodes, 2 | 3), or DataFrame with x, y(, z)
        A fitted estimator (its ``embedding_`` and ``recording_`` are used) or an embedding
        of the recording's nodes in slice-major order (``node = (e*T + t)*U + u``).
    recording : Recording, optional
        Required when ``source`` is an array; overrides the estimator's recording otherwise.
    intrastep : DataFrame [epoch, timestep, entropy] or array (E, T), optional
        Intra-step entropy per slice (:func:`mmphate.intrastep_entropy`): colour mode
        ``"intrastep_entropy"``, tooltip and metrics chart.
    interstep : DataFrame [epoch, unit, entropy] or array (E, U), optional
        Inter-step entropy per epoch and unit (:func:`mmphate.interstep_entropy`): colour mode
        ``"interstep_entropy"``.
    clusters : object with ``.labels`` or array (U,), optional
        Cluster label of each unit (:func:`mmphate.cluster_units`): colour mode ``"cluster"``;
        negative labels mean unassigned.
    color_by : str, default "epoch"
        One of ``"epoch"``, ``"timestep"``, ``"unit"``, ``"cluster"``,
        ``"intrastep_entropy"``, ``"interstep_entropy"``, ``"class"``. ``"class"`` colours
        each node by the sample class with the highest mean activation of that unit at that
        epoch and timestep (padded steps excluded); it needs ``recording.sample_labels``.
    view : {"3d", "2d"}, default "3d"
        Camera: orbit in 3-D, or a flat top view (2-D embeddings are always flat).
    epoch : int, optional
        Epoch number to show first (default: the first recorded epoch).
    timestep : int, optional
        Timestep label to emphasise first (default: the first).
    selected_units : sequence of unit ids, optional
        Units selected at start (the others are dimmed).
    playing : bool, default False
        Start the timestep animation.
    show_context : bool, default True
        Draw the other epochs as faint context.
    height : int, default 480
        Height of the drawing area in pixels.

    Returns
    -------
    Explorer
        The widget; its traits (``epoch``, ``timestep``, ``color_by``, ``selected_units``, ...)
        can be read and set from Python.

    See Also
    --------
    Explorer : the widget class, with its methods (``nodes``, ``selected_nodes``, ...).
    export_html : the same view as one offline HTML file.

    Examples
    --------
    >>> mm = mmphate.MMPHATE(random_state=0).fit(recording)  # doctest: +SKIP
    >>> w = mmphate.view(mm, color_by="timestep")            # doctest: +SKIP
    >>> w.epoch = 20; w.selected_units                       # doctest: +SKIP
    """
    return Explorer(
        source,
        recording,
        intrastep=intrastep,
        interstep=interstep,
        clusters=clusters,
        color_by=color_by,
        view=view,
        epoch=epoch,
        timestep=timestep,
        selected_units=selected_units,
        playing=playing,
        show_context=show_context,
        height=height,
    )
