"""``mmphate.view``: one entry point that shows a fitted embedding (:class:`Explorer`) or, given a
recorder during training, a view that grows with each epoch (:class:`LiveExplorer`)."""

from __future__ import annotations

from typing import Any

from ..record import Recording, SnapshotRecorder
from ._checks import ExplorerError
from ._live import LiveExplorer
from ._widget import Explorer

__all__ = ["view"]


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
    selection_mode: str = "units",
    selected_points: Any = None,
    epoch_range: Any = None,
    timestep_range: Any = None,
    title: str = "",
    chunk_bytes: int | None = None,
    model: Any = None,
    follow_latest: bool | None = None,
    entropy: bool | None = None,
) -> Explorer:
    """Show an embedding in the explorer widget: ``mmphate.view(model)``.

    Display the returned widget (or leave it as a cell's last expression) to drag, scrub
    epochs, play timesteps, colour and select; what you select comes back as
    ``selected_units`` and :meth:`Explorer.selected_nodes`.

    Parameters
    ----------
    source : fitted MMPHATE, recorder, array of shape (nodes, 2 | 3), or DataFrame with x, y(, z)
        A fitted estimator (its ``embedding_`` and ``recording_`` are used), an embedding
        of the recording's nodes in slice-major order (``node = (e*T + t)*U + u``), or a
        recorder (:class:`~mmphate.HiddenStateRecorder`, the Keras callback) during training:
        then the view is live (:class:`~mmphate.explorer.LiveExplorer`) and grows with each
        recorded epoch.
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
        Height of the drawing area in pixels (100 to 10,000).
    selection_mode : {"units", "points"}, default "units"
        What box, lasso and click select: whole units or single points (``selected_points``).
    selected_points : node indices or boolean mask, optional
        Points selected at start.
    epoch_range, timestep_range : (first, last), optional
        Filters (inclusive): nodes outside them are not drawn and cannot be selected.
    title : str, default ""
        Title of saved figures.
    chunk_bytes : int, optional
        Stream binary payloads larger than this in chunks of this size (default: above 10 MB,
        in chunks of 4 MiB).
    model : MMPHATE, optional
        Live views only: the unfitted estimator that embeds the recorder's epochs (default
        ``MMPHATE(n_components=3, random_state=0, verbose=0)``).
    follow_latest : bool, optional
        Live views only: move the epoch slider to each new epoch (default True; a toggle in
        the view).
    entropy : bool, optional
        Live views only: compute the intra-step entropy of each update (default True).

    Returns
    -------
    Explorer
        The widget; its traits (``epoch``, ``timestep``, ``color_by``, ``selected_units``, ...)
        can be read and set from Python.

    Raises
    ------
    The errors of :class:`Explorer` (an unfitted estimator, a mismatched embedding, invalid
    arguments), each with a one-line message.

    See Also
    --------
    Explorer : the widget class, with its methods (``nodes``, ``selected_nodes``, ...).
    export_html : the same view as one offline HTML file.

    Examples
    --------
    >>> mm = mmphate.MMPHATE(random_state=0).fit(recording)  # doctest: +SKIP
    >>> w = mmphate.view(mm, color_by="timestep")            # doctest: +SKIP
    >>> w.epoch = 20; w.selected_units                       # doctest: +SKIP
    >>> live = mmphate.view(recorder)  # a HiddenStateRecorder; grows as it records  # doctest: +SKIP
    """
    live_only = {"model": model, "follow_latest": follow_latest, "entropy": entropy}
    if isinstance(source, SnapshotRecorder):
        fixed = {
            "recording": recording,
            "intrastep": intrastep,
            "interstep": interstep,
            "clusters": clusters,
            "epoch": epoch,
            "timestep": timestep,
            "selected_points": selected_points,
            "epoch_range": epoch_range,
            "timestep_range": timestep_range,
        }
        given = [k for k, v in fixed.items() if v is not None] + (["playing"] if playing else [])
        if given:
            raise ExplorerError(
                f"a live view (source is a recorder) does not take {', '.join(given)}: its data "
                "grow while training; set them on the returned widget once epochs are shown."
            )
        return LiveExplorer(
            source,
            **{k: v for k, v in live_only.items() if v is not None},
            color_by=color_by,
            view=view,
            selected_units=selected_units,
            show_context=show_context,
            height=height,
            selection_mode=selection_mode,
            title=title,
            chunk_bytes=chunk_bytes,
        )
    given = [k for k, v in live_only.items() if v is not None]
    if given:
        raise ExplorerError(
            f"{', '.join(given)} apply only to a live view (source a recorder); "
            f"got a {type(source).__name__} source."
        )
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
        selection_mode=selection_mode,
        selected_points=selected_points,
        epoch_range=epoch_range,
        timestep_range=timestep_range,
        title=title,
        chunk_bytes=chunk_bytes,
    )
