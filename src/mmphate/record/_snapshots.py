"""What every recorder shares, whatever framework runs the model.

:class:`SnapshotRecorder` keeps the validated trace-sample fields (``lengths``,
``sample_labels``, ``class_names``, ``metadata``), the metrics logged at every
:meth:`~SnapshotRecorder.record` call, the snapshots taken every ``every`` epochs and the
subscribers told about each new snapshot, and turns them into a :class:`~mmphate.Recording`.
A framework's recorder (:mod:`mmphate.record.torch`, :mod:`mmphate.record.keras`) adds only
how one layer's states are captured: :meth:`~SnapshotRecorder.capture` runs the model on the
trace inputs and hands a ``(batch, time, features)`` NumPy array to :func:`finish_states`,
which checks it the same way for every framework.

No framework is imported here.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import (
    check_bool,
    check_class_indices,
    check_int,
    check_metadata,
    check_str_labels,
    describe,
)
from ._recording import Recording

__all__ = ["SnapshotRecorder", "check_lengths", "finish_states"]

_F32_MAX = float(np.finfo(np.float32).max)


def check_lengths(lengths: Any) -> np.ndarray:
    """Real length of each trace sample: a 1-D array of integers >= 1 (as int64)."""
    if isinstance(lengths, (str, bytes)):
        raise TypeError(f"lengths must be integers (one per trace sample); got {lengths!r}.")
    try:
        arr = np.asarray(lengths)
    except (TypeError, ValueError):
        raise TypeError(
            f"lengths must be a 1-D array of integers; got {describe(lengths)}."
        ) from None
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"lengths must be a 1-D array of integers (one per trace sample); got "
            f"shape {arr.shape}, dtype {arr.dtype}."
        )
    if (arr < 1).any():
        raise ValueError(f"lengths must be >= 1; got minimum {arr.min()}.")
    return arr.astype(np.int64)


def finish_states(
    seq: np.ndarray,
    layer_name: str,
    units: list[str],
    *,
    lengths: np.ndarray | None = None,
    sample_labels: np.ndarray | None = None,
    received: np.ndarray | None = None,
    received_what: str = "PackedSequence",
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Check one capture of a layer and put it in the recording's layout.

    Parameters
    ----------
    seq : array of shape (batch, time, features)
        The layer's states as computed (any real floating dtype).
    layer_name : str
        The layer, for messages.
    units : list of str
        Unit ids, one per feature.
    lengths : int array, optional
        The lengths the recorder was given (one per trace sample).
    sample_labels : int array, optional
        The classes the recorder was given (one per trace sample).
    received : bool array of shape (time, batch), optional
        Which steps the layer itself was told are real (a PackedSequence's lengths, a Keras
        mask); it must agree with ``lengths`` and is the validity mask if ``lengths`` is None.
    received_what : str
        What ``received`` came from, for messages.

    Returns
    -------
    hidden : float32 array of shape (timesteps, units, samples)
    valid : bool array of shape (timesteps, samples), or None when every step is real
    units : list of str
    """
    if np.iscomplexobj(seq):
        raise TypeError(
            f"layer {layer_name!r} produced complex states; record a real-valued layer."
        )
    B, T, F = seq.shape
    if len(units) != F:  # pragma: no cover - defensive
        raise RuntimeError(f"expected {len(units)} features, got {F}")
    if seq.dtype.itemsize > 4:
        finite = np.isfinite(seq)
        top = float(np.abs(seq[finite]).max()) if finite.any() else 0.0
        if top > _F32_MAX:
            raise ValueError(
                f"hidden states of layer {layer_name!r} reach {top:.3g}, beyond float32's "
                "range (+-3.4e38) in which mmphate stores activations; the model has diverged "
                "or needs rescaling."
            )
    hidden = np.ascontiguousarray(seq.astype(np.float32, copy=False).transpose(1, 2, 0))
    if lengths is not None and len(lengths) != B:
        raise ValueError(
            f"lengths has {len(lengths)} entries but layer {layer_name!r} saw a batch "
            f"of {B} trace samples; give one length per trace sample."
        )
    if sample_labels is not None and len(sample_labels) != B:
        raise ValueError(
            f"sample_labels has {len(sample_labels)} entries but layer "
            f"{layer_name!r} saw a batch of {B} trace samples."
        )
    valid = None
    if lengths is not None:
        if lengths.max() > T:
            raise ValueError(
                f"lengths go up to {lengths.max()} but the layer's output has only {T} "
                "timesteps; lengths must not exceed the sequence length."
            )
        valid = np.arange(T)[:, None] < lengths[None, :]
    if received is not None:
        received = np.asarray(received, dtype=bool)
        if valid is not None and not np.array_equal(valid, received):
            bad = np.flatnonzero((valid != received).any(axis=0))[:5]
            raise ValueError(
                f"lengths do not match the {received_what} the layer received (samples "
                f"{bad.tolist()}: given {lengths[bad].tolist()}, "
                f"{received_what} {received[:, bad].sum(axis=0).tolist()} real steps)."
            )
        valid = received
    if valid is not None:
        if not valid.any(axis=0).all():
            empty = np.flatnonzero(~valid.any(axis=0))[:5].tolist()
            raise ValueError(
                f"trace samples {empty} have no real step in the {received_what} the layer "
                "received; give every trace sample at least one."
            )
        if valid.all():
            valid = None

    ok = np.isfinite(hidden)
    if valid is not None:
        bad = ~ok & valid[:, None, :]
        hidden = np.where(valid[:, None, :], hidden, np.where(ok, hidden, 0)).astype(
            np.float32, copy=False
        )
    else:
        bad = ~ok
    if bad.any():
        t, u, s = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"hidden states of layer {layer_name!r} contain NaN or infinite values "
            f"(first at timestep {t}, unit {units[u]!r}, sample {s}); the model has diverged "
            "or the trace inputs contain NaN."
        )
    return hidden, valid, units


def metric_value(key: str, value: Any) -> numbers.Real:
    """One logged metric as a plain Python number (NumPy scalars and 0-d arrays accepted)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"metric {key!r} must be a real number (float or int; NaN for missing); got "
            f"{describe(value)}."
        )
    return value


class SnapshotRecorder:
    """Snapshots of one layer and the metrics logged with them, epoch by epoch.

    Subclasses set ``layer_name`` and implement :meth:`capture` and :meth:`_layer_info`;
    they may override :meth:`_metric` to accept their framework's scalars.

    Parameters
    ----------
    lengths : sequence of int, optional
        Real length of each trace sample.
    sample_labels : sequence of int, optional
        Class of each trace sample.
    class_names : sequence of str, optional
        Names of the classes.
    every : int, default 1
        Take a snapshot at epochs whose number is a multiple of ``every``.
    metadata : mapping, optional
        Extra metadata for the recording (JSON-serialisable).
    """

    layer_name: str

    def __init__(
        self,
        *,
        lengths: Any = None,
        sample_labels: Any = None,
        class_names: Sequence[str] | None = None,
        every: int = 1,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.every = check_int(every, "every", minimum=1)
        self.lengths = None if lengths is None else check_lengths(lengths)
        self.class_names = (
            None
            if class_names is None
            else check_str_labels(class_names, None, "class_names").tolist()
        )
        self.sample_labels = (
            None
            if sample_labels is None
            else check_class_indices(sample_labels, None, self.class_names)
        )
        self.metadata = check_metadata(metadata)
        self._snapshots: list[np.ndarray] = []
        self._snapshot_epochs: list[int] = []
        self._history: list[dict[str, Any]] = []
        self._units: list[str] | None = None
        self._valid: np.ndarray | None = None
        self._timesteps: int | None = None
        self._subscribers: list[Callable[[int], Any]] = []

    # ------------------------------------------------------- for subclasses
    def capture(self) -> tuple[np.ndarray, np.ndarray | None, list[str]]:  # pragma: no cover
        """Run the model once on the trace inputs and return the layer's states."""
        raise NotImplementedError

    def _layer_info(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _metric(self, key: str, value: Any) -> numbers.Real:
        return metric_value(key, value)

    # ---------------------------------------------------------------- record
    @property
    def last_epoch(self) -> int | None:
        """The epoch of the latest :meth:`record` call (None before the first)."""
        return self._history[-1]["epoch"] if self._history else None

    def record(self, epoch: int | None = None, *, force: bool = False, **metrics: Any) -> bool:
        """Log ``metrics`` for ``epoch`` and, every ``every`` epochs, snapshot the layer.

        Parameters
        ----------
        epoch : int, optional
            Epoch number (strictly increasing over calls).  Default: one more
            than the previous call's, starting at 0.
        force : bool, default False
            Snapshot even if ``epoch`` is not a multiple of ``every``.
        **metrics
            Scalars to log (floats, ints, 0-d tensors), e.g. ``val_loss=0.3``.

        Returns
        -------
        bool
            Whether a snapshot was taken.

        Raises
        ------
        TypeError
            If ``epoch`` is not an integer or a metric is not one real number (text such as
            ``val_loss="high"`` is refused here, not later).
        ValueError
            If epochs do not increase, or the model fails on the trace inputs or produces
            states that are not finite or beyond float32 (one line, with the inputs' shape).
        """
        return self._record(epoch, force, metrics)

    def _record(self, epoch: Any, force: Any, metrics: Mapping[str, Any]) -> bool:
        last = self.last_epoch
        if epoch is None:
            epoch = 0 if last is None else last + 1
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
            raise TypeError(f"epoch must be an integer; got {describe(epoch)}.")
        epoch = int(epoch)
        if last is not None and epoch <= last:
            raise ValueError(f"epochs must increase: got {epoch} after {last}.")
        force = check_bool(force, "force")
        row: dict[str, Any] = {"epoch": epoch}
        for key, value in metrics.items():
            row[key] = self._metric(key, value)
        take = force or epoch % self.every == 0
        if take:
            hidden, valid, units = self.capture()
            if self._units is None:
                self._units, self._valid, self._timesteps = units, valid, hidden.shape[0]
            else:
                if hidden.shape[0] != self._timesteps or units != self._units:
                    raise ValueError(
                        f"the layer's output changed shape between epochs ({self._timesteps} "
                        f"timesteps x {len(self._units)} units before, {hidden.shape[0]} x "
                        f"{len(units)} now); keep the trace inputs fixed."
                    )
                same_valid = (valid is None and self._valid is None) or (
                    valid is not None
                    and self._valid is not None
                    and np.array_equal(valid, self._valid)
                )
                if not same_valid:
                    raise ValueError("the trace samples' lengths changed between epochs.")
            self._snapshots.append(hidden)
            self._snapshot_epochs.append(epoch)
        self._history.append(row)
        if take:
            self._notify(epoch)
        return take

    # ------------------------------------------------------------ subscribe
    def subscribe(self, callback: Callable[[int], Any]) -> Callable[[], None]:
        """Call ``callback(epoch)`` after each snapshot, once it is part of :meth:`to_recording`.

        Subscribers run in the training loop's thread, in the order they subscribed, so they
        should be quick (a live view hands the work to another thread).  One that raises does
        not stop training: its error becomes a ``RuntimeWarning`` and recording goes on.

        Parameters
        ----------
        callback : callable
            Called with the epoch number of the new snapshot.

        Returns
        -------
        callable
            Call it (no arguments) to unsubscribe; calling it again does nothing.

        Raises
        ------
        TypeError
            If ``callback`` is not callable.
        """
        if not callable(callback):
            raise TypeError(
                f"callback must be callable (it is called with the epoch); got {describe(callback)}."
            )
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            # by identity: two equal bound methods are different subscriptions here
            for i, cb in enumerate(self._subscribers):
                if cb is callback:
                    del self._subscribers[i]
                    return

        return unsubscribe

    def _notify(self, epoch: int) -> None:
        for callback in list(self._subscribers):
            try:
                callback(epoch)
            except Exception as exc:  # noqa: BLE001 - a subscriber must not end training
                name = getattr(callback, "__qualname__", type(callback).__name__)
                warnings.warn(
                    f"subscriber {name} failed at epoch {epoch} ({type(exc).__name__}: {exc}); "
                    "recording goes on.",
                    RuntimeWarning,
                    stacklevel=3,
                )

    # ---------------------------------------------------------------- results
    @property
    def n_snapshots(self) -> int:
        """Number of snapshots taken so far."""
        return len(self._snapshots)

    @property
    def history(self) -> pd.DataFrame:
        """All logged metrics (every :meth:`record` call), indexed by epoch."""
        if not self._history:
            return pd.DataFrame(index=pd.Index([], dtype=np.int64, name="epoch"))
        return pd.DataFrame(self._history).set_index("epoch")

    def to_recording(
        self, metadata: Mapping[str, Any] | None = None, *, since: int | None = None
    ) -> Recording:
        """The snapshots so far as a :class:`~mmphate.Recording`.

        Parameters
        ----------
        metadata : mapping, optional
            More metadata, added to what the recorder describes of the layer and what was
            passed to its constructor.
        since : int, optional
            Only the snapshots at epochs ``>= since`` (a live view takes each new epoch this
            way, without copying the earlier ones).

        Returns
        -------
        Recording
            Metrics are those logged at the snapshot epochs.  Its metadata holds what the
            recorder knows of the layer (``layer``, ``layer_type``, ``kind`` such as
            ``"lstm"``, ``layer_index`` and, for recurrent layers, ``bidirectional`` and
            ``hidden_size``; the Keras recorder adds ``framework`` and ``backend``), then the
            constructor's ``metadata`` and this call's.

        Raises
        ------
        ValueError
            If no snapshot was taken yet (at or after ``since``).
        """
        if not self._snapshots:
            raise ValueError(
                "nothing recorded yet: call record(epoch, ...) at least once "
                f"(snapshots are taken at epochs that are multiples of every={self.every})."
            )
        n = len(self._snapshot_epochs)
        first = 0
        if since is not None:
            since = check_int(since, "since")
            first = int(np.searchsorted(np.asarray(self._snapshot_epochs[:n]), since))
            if first >= n:
                raise ValueError(
                    f"no snapshot at or after epoch {since}; the last was at epoch "
                    f"{self._snapshot_epochs[n - 1]}."
                )
        epochs = self._snapshot_epochs[first:n]
        hidden = np.stack(self._snapshots[first:n], axis=0)
        history = self.history
        metrics = history.loc[history.index.isin(epochs)]
        info = self._layer_info()
        info.update(self.metadata)
        info.update(check_metadata(metadata))
        return Recording(
            hidden,
            epochs=epochs,
            units=self._units,
            valid=self._valid,
            sample_labels=self.sample_labels,
            class_names=self.class_names,
            metrics=metrics,
            metadata=info,
        )
