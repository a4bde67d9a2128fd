"""Live view: an explorer that grows while a network trains (``mmphate.view(recorder)``).

A :class:`LiveExplorer` subscribes to a recorder (:class:`~mmphate.HiddenStateRecorder` or the
Keras callback). After each snapshot, the recorder's subscriber (in the training thread) only
copies the new epoch out of the recorder (:meth:`~mmphate.record.SnapshotRecorder.to_recording`
with ``since=``) and queues it, so training waits no longer than the recording itself. A worker
thread embeds it (:meth:`mmphate.MMPHATE.fit` for the first epoch, then
:meth:`~mmphate.MMPHATE.partial_fit`; epochs that queued up meanwhile are taken together), computes
the intra-step entropy for the metrics chart, and replaces the widget's data in one message; the
front end redraws on the new ``_revision``, keeping its camera. With ``follow_latest`` (a toggle in
the view) the epoch slider moves to each new epoch.

Widget messages are sent from the worker thread (ipykernel's IOPub socket is thread-safe), so the
view updates while a training cell is still running; what the browser sends back (a slider move, a
selection) reaches Python when the kernel is free again.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import traitlets

from .._validate import check_bool, check_number, describe
from ..record import Recording, SnapshotRecorder, concat_epochs
from ._checks import ExplorerError, check_arguments, check_extra_arguments, check_height
from ._widget import Explorer

__all__ = ["LiveExplorer"]

_STOP = object()
#: Seconds between checks for a finished background refit while no epoch comes.
_IDLE_POLL = 0.5


def _default_model() -> Any:
    from ..engine import MMPHATE

    return MMPHATE(n_components=3, random_state=0, verbose=0)


class LiveExplorer(Explorer):
    """An :class:`Explorer` fed by a recorder while the network trains.

    Parameters
    ----------
    recorder : SnapshotRecorder
        A :class:`~mmphate.HiddenStateRecorder` or
        :class:`~mmphate.record.keras.HiddenStateCallback`; epochs it already holds are shown
        at once.
    model : MMPHATE, optional
        The (unfitted) estimator to embed with; default ``MMPHATE(n_components=3,
        random_state=0, verbose=0)``. The first epoch is embedded with ``fit``, later ones with
        ``partial_fit``.
    entropy : bool, default True
        Compute the intra-step entropy of each update (colour mode and metrics chart).
    follow_latest : bool, default True
        Move the epoch slider to each new epoch (a toggle in the view).
    color_by, view, selected_units, show_context, height, selection_mode, title, chunk_bytes
        As for :class:`Explorer`.
    **kwargs
        Other public traits of the widget (``layout``, ...), as for :class:`Explorer`; an
        unknown name is a one-line error.

    Attributes
    ----------
    model : MMPHATE
        The estimator, fitted on everything shown so far.
    latency : DataFrame
        One row per update: ``epoch`` (the newest epoch shown), ``epochs`` (how many),
        ``seconds`` (from the recorder's snapshot to the new data leaving the kernel) and
        ``refit`` (whether the update swapped in a background refit).
    error : Exception or None
        The last failed update's error (also in ``live_status``); later epochs still come.
    """

    follow_latest = traitlets.Bool(True).tag(sync=True)
    live_status = traitlets.Unicode("").tag(sync=True)
    _live = traitlets.Bool(True).tag(sync=True)
    _revision = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        recorder: Any,
        *,
        model: Any = None,
        entropy: bool = True,
        follow_latest: bool = True,
        color_by: str = "epoch",
        view: str = "3d",
        selected_units: Any = (),
        show_context: bool = True,
        height: int = 480,
        selection_mode: str = "units",
        title: str = "",
        chunk_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(recorder, SnapshotRecorder):
            raise ExplorerError(
                "a live view needs a recorder (mmphate.HiddenStateRecorder or "
                f"mmphate.record.keras.HiddenStateCallback); got {describe(recorder)}."
            )
        if model is None:
            model = _default_model()
        elif not (hasattr(model, "fit") and hasattr(model, "partial_fit")):
            raise ExplorerError(
                f"model must be an MMPHATE estimator (with fit and partial_fit); got {describe(model)}."
            )
        elif getattr(model, "recording_", None) is not None:
            raise ExplorerError(
                "model is already fitted; a live view fits it on the recorder's epochs: pass an "
                "unfitted MMPHATE (e.g. mmphate.MMPHATE(n_components=3, random_state=0))."
            )
        check_arguments(
            color_by=color_by,
            view=view,
            epoch=None,
            timestep=None,
            selected_units=(),
            playing=False,
            show_context=show_context,
            height=height,
        )
        check_extra_arguments(type(self), kwargs)
        self._entropy = check_bool(entropy, "entropy")
        self._chunk_bytes = chunk_bytes
        self._recording = None
        self._embedding = np.zeros((0, 3), dtype=np.float32)
        self._intra_table: pd.DataFrame | None = None
        self._intra_reference: np.ndarray | None = None
        self._unit_ids, self._unit_pos, self._n_nodes = [], {}, 0
        self._binary, self._streamed = {}, {}
        self._available = {"epoch": True, "timestep": True, "unit": True}
        self._wanted_units = [
            str(u)
            for u in ([selected_units] if isinstance(selected_units, str) else selected_units)
        ]
        self._wanted_color = color_by
        self.model = model
        self._unsubscribe = None
        self.error: Exception | None = None
        self._latency: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        # anywidget.AnyWidget.__init__ directly: there is no data until the first epoch
        super(Explorer, self).__init__(
            view=view,
            show_context=bool(show_context),
            height=check_height(height),
            selection_mode=selection_mode,
            title=title,
            follow_latest=check_bool(follow_latest, "follow_latest"),
            live_status="waiting for the first recorded epoch",
            **kwargs,
        )
        self.on_msg(self._on_front_end_message)
        self._recorder = recorder
        self._thread = threading.Thread(target=self._run, name="mmphate-live", daemon=True)
        self._thread.start()
        if recorder.n_snapshots:
            self._enqueue(recorder.to_recording())
        self._unsubscribe = recorder.subscribe(self._on_snapshot)

    # ------------------------------------------------------------------ training thread
    def _on_snapshot(self, epoch: int) -> None:
        self._enqueue(self._recorder.to_recording(since=epoch))

    def _enqueue(self, rec: Recording) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put((rec, time.perf_counter()))

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=_IDLE_POLL)
            except queue.Empty:
                self._swap_refit()
                continue
            batch = [item]
            while True:  # take every epoch that queued up meanwhile
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(b is _STOP for b in batch)
            batch = [b for b in batch if b is not _STOP]
            if batch:
                try:
                    self._update(batch)
                except Exception as exc:  # noqa: BLE001 - the view must survive a failed update
                    self._failed(exc, int(batch[0][0].epochs[0]))
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()
            if stop:
                return

    def _failed(self, exc: Exception, epoch: int | None) -> None:
        self.error = exc
        where = "" if epoch is None else f" at epoch {epoch}"
        self.live_status = f"update failed{where}: {exc}"
        warnings.warn(
            f"live view: the update{' with epoch ' + str(epoch) if epoch is not None else ''} "
            f"failed ({type(exc).__name__}: {exc}); later epochs will still be shown.",
            RuntimeWarning,
            stacklevel=1,
        )

    def _swap_refit(self) -> None:
        """While no epoch comes, show a background refit as soon as it is done."""
        model = self.model
        info = getattr(model, "partial_info_", None) or {}
        if not info.get("refit_pending") or not hasattr(model, "wait_refit"):
            return
        t0 = time.perf_counter()
        try:
            if not model.wait_refit(timeout=0):
                return
        except TimeoutError:
            return
        except Exception as exc:  # noqa: BLE001 - the view must survive a failed refit
            self._failed(exc, None)
            return
        try:
            self._publish(model, [(None, t0)], refitted=True)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc, None)

    def _update(self, batch: list[tuple[Recording, float]]) -> None:
        model = self.model
        refitted = False
        # the epochs that queued up while the last update ran are embedded in one call: one
        # partial_fit per epoch would cost its fixed part (landmark transitions, the drift
        # check, a refit launch) each time and fall further behind a fast training loop
        rec = functools.reduce(concat_epochs, [r for r, _ in batch])
        if getattr(model, "recording_", None) is None:
            model.fit(rec)
        else:
            model.partial_fit(rec)
            info = getattr(model, "partial_info_", None) or {}
            refitted = bool(info.get("refitted"))
        self._publish(model, batch, refitted)

    def _publish(self, model: Any, batch: list[tuple[Any, float]], refitted: bool) -> None:
        shown = model.recording_
        embedding = np.asarray(model.embedding_)
        intra = self._entropy_of(embedding, shown) if self._entropy else None
        self._show(embedding, shown, intra)
        now = time.perf_counter()
        last = int(shown.epochs[-1])
        seconds = max(now - t0 for _, t0 in batch)
        self._latency.append(
            {"epoch": last, "epochs": int(shown.n_epochs), "seconds": seconds, "refit": refitted}
        )
        self.live_status = f"{shown.n_epochs} epochs (last {last}); updated in {seconds:.2f} s" + (
            "; refitted" if refitted else ""
        )

    def _entropy_of(self, embedding: np.ndarray, rec: Recording) -> pd.DataFrame:
        """Intra-step entropy of every slice shown, computed only for the epochs that are new.

        ``partial_fit`` leaves the fitted nodes where they were, so while the nodes shown before
        keep their coordinates only the appended epochs are computed, on the grid and density
        reference of the last computation over all nodes (as that computation would have given
        them: :func:`~mmphate.analysis.default_reference`); after a fit or a swapped-in refit
        moved them, every slice is computed again on a new robust grid. Over all nodes the cost
        grows with the epochs shown (about 3 s at 131,000 nodes), for one epoch it stays ~0.05 s.
        """
        from ..analysis import default_reference, intrastep_entropy

        old, prev = self._recording, self._intra_table
        n_old = 0 if old is None else int(old.n_nodes)
        kept = (
            prev is not None
            and old.n_epochs < rec.n_epochs
            and np.array_equal(rec.epochs[: old.n_epochs], old.epochs)
            and np.array_equal(embedding[:n_old], self._embedding)
        )
        if not kept:
            self._intra_reference = default_reference(embedding)
            prev = intrastep_entropy(embedding, rec, reference=self._intra_reference)
            self._intra_table = prev
            return prev
        new = rec.epochs[old.n_epochs :]
        part = intrastep_entropy(
            embedding[n_old:],
            rec.select(epochs=new),
            grid_range=prev.attrs["grid"],
            reference=self._intra_reference,
        )
        out = pd.concat([prev, part], ignore_index=True)
        out.attrs = dict(prev.attrs)
        self._intra_table = out
        return out

    def _show(self, embedding: np.ndarray, rec: Recording, intra: Any) -> None:
        old = self._recording
        first = old is None
        # a filter over every epoch so far keeps covering every epoch
        whole = first or tuple(self.epoch_range) == (int(old.epochs.min()), int(old.epochs.max()))
        payload, manifest = self._prepare(embedding, rec, intra, None, None, self._chunk_bytes)
        last = int(rec.epochs[-1])
        with self._lock, self.hold_sync():
            for name, value in payload.items():
                setattr(self, name, value)
            self._chunked = manifest
            if first:
                self.timestep = int(rec.timesteps[0])
                self.epoch = last if self.follow_latest else int(rec.epochs[0])
                known = [u for u in self._wanted_units if u in self._unit_pos]
                self.selected_units = known
                if self._available.get(self._wanted_color, False):
                    self.color_by = self._wanted_color
            elif self.follow_latest:
                self.epoch = last
            if whole:
                self.epoch_range = None
            if first:
                self.timestep_range = None
            self._revision += 1

    # ------------------------------------------------------------------ control
    @traitlets.observe("follow_latest")
    def _follow(self, change: Any) -> None:
        if change["new"] and self._recording is not None:
            self.epoch = int(self._recording.epochs[-1])

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every epoch recorded so far is shown; False if ``timeout`` passed first."""
        if timeout is not None:
            timeout = check_number(timeout, "timeout", low=0)
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        """Stop following the recorder (what is shown stays); pending epochs are still shown."""
        unsubscribe = getattr(self, "_unsubscribe", None)  # None too if __init__ failed early
        if unsubscribe is not None:
            unsubscribe()
            self._unsubscribe = None
            self._queue.put(_STOP)

    def close(self) -> None:
        """Stop following the recorder and close the widget."""
        self.stop()
        super().close()

    @property
    def latency(self) -> pd.DataFrame:
        """Seconds from each snapshot to its update leaving the kernel (see the class docs)."""
        return pd.DataFrame(self._latency, columns=["epoch", "epochs", "seconds", "refit"])

    @property
    def recording(self) -> Recording:
        """The Recording shown so far."""
        return self._require()

    def _require(self) -> Recording:
        if self._recording is None:
            raise ValueError(
                "no epoch is shown yet: the live view fills once the recorder takes its first "
                "snapshot (recorder.record(epoch, ...)); live.wait() blocks until it is shown."
            )
        return self._recording

    def nodes(self) -> pd.DataFrame:
        """As :meth:`Explorer.nodes`, on the epochs shown so far (an error before the first)."""
        self._require()
        return super().nodes()

    def filter_mask(self) -> np.ndarray:
        """As :meth:`Explorer.filter_mask`, on the epochs shown so far (an error before the first)."""
        self._require()
        return super().filter_mask()

    def selected_hidden(self) -> Recording:
        """As :meth:`Explorer.selected_hidden`, on the epochs shown so far (an error before the first)."""
        self._require()
        return super().selected_hidden()

    def save_html(self, path: Any, *, title: str | None = None) -> Any:
        """As :meth:`Explorer.save_html`: the epochs shown so far, as one offline HTML file."""
        self._require()
        return super().save_html(path, title=title)

    def __repr__(self) -> str:
        if self._recording is None:
            return "LiveExplorer(waiting for the first epoch)"
        E, T, U, _ = self._recording.shape
        return f"LiveExplorer({E} epochs x {T} timesteps x {U} units, epoch={self.epoch})"
