"""The :class:`Recording` container: hidden states of a recurrent layer through training.

A recording is a 4-way tensor ``hidden[e, t, u, s]`` (epochs x timesteps x
units x trace samples) plus everything needed to read it: real axis labels,
an optional validity mask for variable-length sequences, the class of each
trace sample, per-epoch metrics and free-form metadata.

Graph nodes are the ``(epoch, timestep, unit)`` triples in slice-major order,
``node = (e * T + t) * U + u``; :meth:`Recording.nodes` lists them.

Files
-----
:meth:`Recording.save` writes one portable file: a NumPy ``.npz`` archive of
plain arrays (``hidden`` float32, ``epochs``, ``timesteps``, ``valid``,
``sample_labels``, one array per metrics column) and JSON strings (format
marker and version, unit ids, class names, metrics column names and dtypes,
metadata).  :meth:`Recording.load` reads it with ``allow_pickle=False``, so a
file can never run code; a foreign, truncated or corrupt file raises
``ValueError`` ("... is not an mmphate recording ...").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

import numpy as np
import pandas as pd

from .._validate import (
    as_embedding,
    check_choice,
    check_class_indices,
    check_float32_range,
    check_int_labels,
    check_mask,
    check_metadata,
    check_metrics,
    check_str_labels,
    describe,
    printable,
)
from ._format import (
    RECORDING_FORMAT,
    RECORDING_VERSION,
    json_default,
    json_dumps,
    load_recording,
    save_recording,
)

__all__ = [
    "Recording",
    "fill_padding",
    "check_hidden",
    "embedding_frame",
    "concat_epochs",
    "PADDING_MODES",
    "RECORDING_FORMAT",
    "RECORDING_VERSION",
]

#: How padded steps of variable-length sequences are filled (see :func:`fill_padding`).
PADDING_MODES = ("carry", "zero")


def check_hidden(hidden: Any, name: str = "X") -> np.ndarray:
    """Validate a 4-way hidden-state tensor and return it as a float array.

    Parameters
    ----------
    hidden : array-like of shape (epochs, timesteps, units, samples)
        The activations.
    name : str
        What to call the array in error messages.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        If ``hidden`` is not numeric (or is a ragged nest of lists).
    ValueError
        If it is not 4-D, is empty, holds NaN or infinite values, or holds finite values that
        float32 (the type activations are stored in) cannot represent (beyond +-3.4e38, or all
        below 1.2e-38 in magnitude).
    """
    if type(hidden).__module__.partition(".")[0] == "torch":
        raise TypeError(
            f"{name} is a torch tensor; pass {name}.detach().cpu().numpy() (or record it with "
            "mmphate.record.torch.HiddenStateRecorder)."
        )
    try:
        arr = np.asarray(hidden)
    except (ValueError, TypeError):
        raise TypeError(
            f"{name} must be a numeric array (epochs, timesteps, units, samples); got "
            f"{describe(hidden)} that does not form a regular array."
        ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(
            f"{name} must be a numeric array (float or int); got dtype {arr.dtype}. "
            "Convert it with np.asarray(X, dtype=np.float32)."
        )
    if arr.ndim != 4:
        raise ValueError(
            f"{name} must be 4-D (epochs, timesteps, units, samples); got shape {arr.shape}."
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.floating) or arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)} "
            "as (epoch, timestep, unit, sample)). Remove or impute them before fitting."
        )
    check_float32_range(arr, name)
    return arr


def fill_padding(hidden: np.ndarray, valid: np.ndarray | None, mode: str = "carry") -> np.ndarray:
    """Return ``hidden`` with padded steps (``valid[t, s] == False``) filled in.

    Parameters
    ----------
    hidden : array of shape (epochs, timesteps, units, samples)
    valid : bool array of shape (timesteps, samples), or None
        ``True`` where sample ``s`` has a real step ``t``.  ``None`` means all valid.
    mode : {"carry", "zero"}
        ``"carry"`` (our default) repeats each sample's last valid hidden state
        forward, which is what the network ends with; a padded step before the
        first valid one takes the first valid state.  ``"zero"`` writes zeros,
        as the reference implementation does (useful for parity).

    Returns
    -------
    numpy.ndarray
        A new array if anything was filled, else ``hidden`` itself.
    """
    check_choice(mode, "padding", PADDING_MODES)
    if not isinstance(hidden, np.ndarray) or hidden.ndim != 4:
        hidden = check_hidden(hidden, "hidden")
    if valid is not None:
        valid = check_mask(valid, (hidden.shape[1], hidden.shape[3]))
    if valid is None or valid.all():
        return hidden
    if mode == "zero":
        return np.where(valid[None, :, None, :], hidden, 0).astype(hidden.dtype, copy=False)
    T = valid.shape[0]
    # index of the last valid step at or before t (forward fill), per sample
    idx = np.where(valid, np.arange(T)[:, None], -1)
    idx = np.maximum.accumulate(idx, axis=0)
    # steps before the first valid one take the first valid step
    first = np.argmax(valid, axis=0)
    idx = np.where(idx < 0, first[None, :], idx)
    return _gather_time(hidden, idx)


def _gather_time(hidden: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """out[e, t, u, s] = hidden[e, idx[t, s], u, s]."""
    E, T, U, S = hidden.shape
    t_idx = idx[None, :, None, :]  # (1, T, 1, S)
    return np.take_along_axis(hidden, np.broadcast_to(t_idx, (E, T, U, S)), axis=1)


class Recording:
    """Hidden states of one recurrent layer on fixed trace inputs at every checkpoint.

    Parameters
    ----------
    hidden : array of shape (epochs, timesteps, units, samples)
        Activations; stored as float32.
    epochs : sequence of int, optional
        Epoch number of each checkpoint as trained (default ``0..E-1``).
    timesteps : sequence of int, optional
        Index of each timestep (default ``0..T-1``).
    units : sequence of str, optional
        Unit ids (default ``"0".."U-1"``).
    valid : bool array of shape (timesteps, samples), optional
        ``True`` where sample ``s`` has a real step ``t`` (variable lengths).
    sample_labels : sequence of int, optional
        Class index of each trace sample.
    class_names : sequence of str, optional
        Name of each class index used in ``sample_labels``.
    metrics : pandas.DataFrame or mapping, optional
        Per-epoch metrics (conventional columns: ``train_loss``, ``val_loss``,
        ``train_accuracy``, ``val_accuracy``, which must hold numbers).  A DataFrame says which
        epoch each row is with an index named ``"epoch"`` or an ``epoch`` column (an unnamed
        index is accepted only if it equals ``epochs``); a mapping of columns without an
        ``"epoch"`` entry must have one value per epoch, in order.
    metadata : mapping, optional
        JSON-serialisable free-form information (model kind, layer, dataset), string keys.

    Raises
    ------
    TypeError
        If a field has the wrong kind of values: non-numeric ``hidden``, non-integer labels or
        class indices, unit ids that are not strings or integers, a non-boolean ``valid``,
        metrics columns mixing numbers and text, metadata JSON cannot store.
    ValueError
        If a field has wrong values: ``hidden`` not 4-D, empty, non-finite or beyond float32's
        range; labels of the wrong length, duplicated, non-whole (``0.1``) or, for epochs and
        timesteps, not strictly increasing (the kernel's temporal edges follow storage order);
        ids with a NUL character or a lone surrogate; metrics whose rows cannot be matched to
        epochs; a sample without any valid step.

    Notes
    -----
    Nothing is coerced in a way that changes meaning: float epochs are accepted only when they
    are whole numbers, a 0/1 array only as a mask, unit ids only as given.
    """

    def __init__(
        self,
        hidden: Any,
        *,
        epochs: Sequence[int] | None = None,
        timesteps: Sequence[int] | None = None,
        units: Sequence[Any] | None = None,
        valid: Any = None,
        sample_labels: Sequence[int] | None = None,
        class_names: Sequence[str] | None = None,
        metrics: pd.DataFrame | Mapping[str, Sequence[float]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        arr = check_hidden(hidden, "hidden")
        self.hidden: np.ndarray = np.ascontiguousarray(arr, dtype=np.float32)
        E, T, U, S = self.hidden.shape
        self.epochs: np.ndarray = (
            np.arange(E, dtype=np.int64)
            if epochs is None
            else check_int_labels(epochs, E, "epochs")
        )
        self.timesteps: np.ndarray = (
            np.arange(T, dtype=np.int64)
            if timesteps is None
            else check_int_labels(timesteps, T, "timesteps")
        )
        self.units: np.ndarray = (
            np.array([str(u) for u in range(U)])
            if units is None
            else check_str_labels(units, U, "units")
        )
        if valid is not None:
            valid = check_mask(valid, (T, S))
            if not valid.any(axis=0).all():
                empty = np.flatnonzero(~valid.any(axis=0)).tolist()
                raise ValueError(
                    f"every sample needs at least one valid step; samples {empty[:20]} have none."
                )
        self.valid: np.ndarray | None = valid
        self.class_names: list[str] | None = (
            None
            if class_names is None
            else check_str_labels(class_names, None, "class_names").tolist()
        )
        self.sample_labels: np.ndarray | None = (
            None
            if sample_labels is None
            else check_class_indices(sample_labels, S, self.class_names)
        )
        self.metrics: pd.DataFrame = check_metrics(metrics, self.epochs)
        self.metadata: dict[str, Any] = check_metadata(metadata)

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(epochs, timesteps, units, samples)``."""
        return self.hidden.shape  # type: ignore[return-value]

    @property
    def n_epochs(self) -> int:
        """Number of epochs (checkpoints)."""
        return self.hidden.shape[0]

    @property
    def n_timesteps(self) -> int:
        """Number of timesteps."""
        return self.hidden.shape[1]

    @property
    def n_units(self) -> int:
        """Number of hidden units."""
        return self.hidden.shape[2]

    @property
    def n_samples(self) -> int:
        """Number of trace samples."""
        return self.hidden.shape[3]

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes, ``epochs * timesteps * units``."""
        E, T, U, _ = self.hidden.shape
        return E * T * U

    def __repr__(self) -> str:
        E, T, U, S = self.shape
        extra = []
        if self.valid is not None:
            extra.append("variable lengths")
        if len(self.metrics.columns):
            extra.append("metrics: " + ", ".join(map(str, self.metrics.columns)))
        tail = f"; {'; '.join(extra)}" if extra else ""
        return f"Recording(epochs={E}, timesteps={T}, units={U}, samples={S}{tail})"

    # ------------------------------------------------------------------ views
    def nodes(self) -> pd.DataFrame:
        """One row per graph node in slice-major order: ``epoch``, ``timestep``, ``unit``."""
        E, T, U, _ = self.shape
        return pd.DataFrame(
            {
                "epoch": np.repeat(self.epochs, T * U),
                "timestep": np.tile(np.repeat(self.timesteps, U), E),
                "unit": np.tile(self.units, E * T),
            }
        )

    def filled(self, padding: str = "carry") -> np.ndarray:
        """The hidden tensor with padded steps filled (see :func:`fill_padding`)."""
        return fill_padding(self.hidden, self.valid, padding)

    def select(
        self,
        epochs: Sequence[int] | None = None,
        timesteps: Sequence[int] | None = None,
        units: Sequence[Any] | None = None,
        samples: Sequence[int] | None = None,
    ) -> Recording:
        """A new Recording restricted to the given labels (epoch numbers, timestep
        indices, unit ids); ``None`` keeps an axis whole.

        Epochs and timesteps must be given in increasing order (the recording's order: the
        kernel's temporal edges join neighbours in storage order); units and ``samples`` (trace
        samples by position; samples carry no ids) come in the order given, and the samples'
        ``valid`` columns and ``sample_labels`` follow.

        Raises
        ------
        ValueError
            If a label is not in the recording, a selection is empty or, for epochs and
            timesteps, not increasing, or the kept timesteps leave a sample no valid step.
        """
        if isinstance(units, str):
            units = [units]
        e = self._positions(self.epochs, epochs, "epochs")
        t = self._positions(self.timesteps, timesteps, "timesteps")
        u = self._positions(self.units, None if units is None else [str(x) for x in units], "units")
        s = self._positions(np.arange(self.n_samples), samples, "samples")
        for name, pos, labels in (("epochs", e, self.epochs), ("timesteps", t, self.timesteps)):
            if (np.diff(pos) <= 0).any():
                raise ValueError(
                    f"select keeps {name} in increasing order (temporal edges follow storage "
                    f"order); got {labels[pos].tolist()[:20]}. Pass them sorted."
                )
        hidden = self.hidden[np.ix_(e, t, u, s)]
        logged = set(self.metrics.index.tolist())
        metrics = self.metrics.loc[[ep for ep in self.epochs[e].tolist() if ep in logged]]
        valid = None if self.valid is None else self.valid[np.ix_(t, s)]
        if valid is not None and not valid.any(axis=0).all():
            raise ValueError(
                "the selected timesteps leave some samples without any valid step; "
                "keep at least one valid step per sample or select fewer samples."
            )
        return Recording(
            hidden,
            epochs=self.epochs[e],
            timesteps=self.timesteps[t],
            units=self.units[u],
            valid=valid,
            sample_labels=None if self.sample_labels is None else self.sample_labels[s],
            class_names=self.class_names,
            metrics=metrics.copy(),
            metadata=dict(self.metadata),
        )

    @staticmethod
    def _positions(labels: np.ndarray, wanted: Sequence[Any] | None, name: str) -> np.ndarray:
        if wanted is None:
            return np.arange(len(labels))
        lookup = {v.item() if hasattr(v, "item") else v: i for i, v in enumerate(labels)}
        pos = []
        for w in np.atleast_1d(np.asarray(wanted)).tolist():
            if isinstance(w, bool) or w not in lookup:
                raise ValueError(
                    f"{name} has no label {w!r}; available: {labels.tolist()[:20]}"
                    + (" ..." if len(labels) > 20 else "")
                )
            pos.append(lookup[w])
        if not pos:
            raise ValueError(f"select needs at least one of the {name}; got an empty selection.")
        return np.asarray(pos)

    # ------------------------------------------------------------ comparison
    def copy(self) -> Recording:
        """A deep copy (arrays, metrics and metadata are not shared)."""
        return Recording(
            self.hidden.copy(),
            epochs=self.epochs.copy(),
            timesteps=self.timesteps.copy(),
            units=self.units.copy(),
            valid=None if self.valid is None else self.valid.copy(),
            sample_labels=None if self.sample_labels is None else self.sample_labels.copy(),
            class_names=None if self.class_names is None else list(self.class_names),
            metrics=self.metrics.copy(deep=True),
            metadata=json.loads(json.dumps(self.metadata, default=json_default)),
        )

    def equals(self, other: object) -> bool:
        """``True`` if ``other`` is a Recording with identical contents.

        Compares the hidden tensor bit for bit (NaN-free by construction), every
        label array, the validity mask, sample labels, class names, the metrics
        table (values, column names, dtypes and index) and the metadata.
        """
        if not isinstance(other, Recording):
            return False
        if self.shape != other.shape:
            return False
        for a, b in (
            (self.hidden, other.hidden),
            (self.epochs, other.epochs),
            (self.timesteps, other.timesteps),
            (self.units, other.units),
        ):
            if a.dtype.kind != b.dtype.kind or not np.array_equal(a, b):
                return False
        for a, b in ((self.valid, other.valid), (self.sample_labels, other.sample_labels)):
            if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
                return False
        if self.class_names != other.class_names:
            return False
        if not self.metrics.equals(other.metrics) or not (
            list(self.metrics.columns) == list(other.metrics.columns)
            and list(self.metrics.dtypes.astype(str)) == list(other.metrics.dtypes.astype(str))
            and self.metrics.index.equals(other.metrics.index)
            and self.metrics.index.name == other.metrics.index.name
        ):
            return False
        return json_dumps(self.metadata) == json_dumps(other.metadata)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str] | IO[bytes], *, compress: bool = False) -> None:
        """Write the recording to one portable file.

        The file is a NumPy ``.npz`` archive holding plain arrays and JSON
        strings only (no pickled objects), so :meth:`load` never executes code
        from a file.  It carries a format marker and version.  The path is used
        exactly as given (no ``.npz`` is appended) and the file is written
        atomically (see :mod:`mmphate._atomic`): the data go to a temporary file
        in the same folder that then replaces ``path`` in one step, so a failed
        save (full disk, interrupt) leaves the previous file intact and no
        partial file behind.  Saving onto a symbolic link updates its target; a
        new file gets the umask's mode, a replaced one keeps its mode.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination.  Its folder must exist.
        compress : bool, default False
            Deflate the arrays (smaller file, slower save/load; activations
            rarely compress much).

        Raises
        ------
        TypeError
            If the metadata is not JSON-serialisable or a metrics column has a
            dtype that cannot be stored without pickling (e.g. arbitrary objects).
        FileNotFoundError, NotADirectoryError
            If the folder of ``path`` does not exist or is not a folder (named in the message).
        IsADirectoryError
            If ``path`` is a folder.
        ValueError
            If ``path`` is not a regular file (a FIFO, a device such as ``/dev/full``), or the
            hidden tensor was made non-finite after construction.
        OSError
            If writing fails (e.g. no space left); the previous file is unchanged.
        """
        save_recording(self, path, compress=compress)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[bytes]) -> Recording:
        """Read a recording written by :meth:`save`.

        Loading uses ``numpy.load(..., allow_pickle=False)`` and JSON only:
        nothing in the file is executed.  Only a regular file is read (a FIFO is
        refused at once instead of blocking), and before any array is inflated each
        member of the archive is checked against the layout and the shape in its
        header, so a small file cannot expand into a large allocation.

        Raises
        ------
        FileNotFoundError
            If the path does not exist.
        IsADirectoryError
            If the path is a folder.
        ValueError
            If the path is not a regular file, or the file is not an mmphate
            recording (foreign, truncated or corrupt, an unexpected or oversized
            member) or was written by a newer, incompatible version.  No
            partially loaded object is ever returned.
        """
        fields = load_recording(path)
        try:
            return cls(**fields)
        except (TypeError, ValueError) as exc:
            name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
            raise ValueError(
                f"{printable(repr(name))} is not a valid mmphate recording: {exc}"
            ) from exc


_COMPONENTS = ("x", "y", "z")


def concat_epochs(first: Recording, second: Recording) -> Recording:
    """``first`` followed by the epochs of ``second``: one Recording over both.

    The two must share the timesteps, unit ids, trace samples (count, ``valid`` mask,
    ``sample_labels``, ``class_names``), and every epoch of ``second`` must come after the
    last of ``first`` (epochs stay strictly increasing).  Metrics rows are concatenated
    (columns missing on one side are NaN there); metadata is ``first``'s, updated by
    ``second``'s.

    Parameters
    ----------
    first : Recording
        The earlier epochs.
    second : Recording
        The epochs to append.

    Returns
    -------
    Recording

    Raises
    ------
    ValueError
        Naming the first axis or field on which the two differ.
    """
    a, b = first, second
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(
            f"the appended epochs must have shape (epochs, {a.n_timesteps}, {a.n_units}, "
            f"{a.n_samples}) like the recording; got {b.shape}."
        )
    for name in ("timesteps", "units"):
        if not np.array_equal(getattr(a, name), getattr(b, name)):
            raise ValueError(
                f"the appended epochs have other {name} than the recording: "
                f"{getattr(b, name).tolist()[:10]} vs {getattr(a, name).tolist()[:10]}."
            )
    same_valid = (a.valid is None and b.valid is None) or (
        a.valid is not None and b.valid is not None and np.array_equal(a.valid, b.valid)
    )
    same_labels = (a.sample_labels is None and b.sample_labels is None) or (
        a.sample_labels is not None
        and b.sample_labels is not None
        and np.array_equal(a.sample_labels, b.sample_labels)
    )
    if not (same_valid and same_labels and a.class_names == b.class_names):
        raise ValueError(
            "the appended epochs must be recorded on the same trace samples (same valid mask, "
            "sample_labels and class_names) as the recording."
        )
    if b.epochs[0] <= a.epochs[-1]:
        raise ValueError(
            f"the appended epochs must come after the recording's last epoch {int(a.epochs[-1])}; "
            f"got epochs starting at {int(b.epochs[0])}."
        )
    metrics = pd.concat([a.metrics, b.metrics]) if len(b.metrics.columns) else a.metrics
    return Recording(
        np.concatenate([a.hidden, b.hidden]),
        epochs=np.concatenate([a.epochs, b.epochs]),
        timesteps=a.timesteps,
        units=a.units,
        valid=a.valid,
        sample_labels=a.sample_labels,
        class_names=a.class_names,
        metrics=metrics.reindex(
            pd.Index(np.concatenate([a.epochs, b.epochs]), name="epoch")
        ).dropna(how="all")
        if len(metrics.columns)
        else None,
        metadata={**a.metadata, **b.metadata},
    )


def embedding_frame(embedding: Any, recording: Recording) -> pd.DataFrame:
    """Tidy frame of a node embedding: ``epoch``, ``timestep``, ``unit``, then ``x``, ``y``
    (, ``z``; further components are ``c3``, ``c4``, ...), one row per node in slice-major order.

    Parameters
    ----------
    embedding : array of shape (nodes, components)
        Node coordinates in slice-major order.
    recording : Recording
        The recording embedded (its labels name the rows).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    TypeError, ValueError
        If ``recording`` is not a Recording, or ``embedding`` is not a finite numeric
        array with one row per node.
    """
    if not isinstance(recording, Recording):
        raise TypeError(f"recording must be an mmphate.Recording; got {describe(recording)}.")
    dtype = getattr(getattr(embedding, "embedding_", embedding), "dtype", None)
    emb = as_embedding(embedding)  # numeric, finite, 2-D
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        emb = emb.astype(dtype)  # keep float32 coordinates float32 (as written to CSV)
    if emb.ndim != 2 or emb.shape[0] != recording.n_nodes or emb.shape[1] < 1:
        raise ValueError(
            f"embedding must have shape (nodes={recording.n_nodes}, components); got {emb.shape}."
        )
    frame = recording.nodes()
    for j in range(emb.shape[1]):
        frame[_COMPONENTS[j] if j < len(_COMPONENTS) else f"c{j}"] = emb[:, j]
    return frame
