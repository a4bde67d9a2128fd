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
        If ``hidden`` is not numeric.
    ValueError
        If it is not 4-D, is empty, or holds NaN or infinite values.
    """
    arr = np.asarray(hidden)
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
    if mode not in PADDING_MODES:
        raise ValueError(f"padding must be one of {PADDING_MODES}; got {mode!r}.")
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


def _labels(values: Any, n: int, name: str, default: np.ndarray) -> np.ndarray:
    if values is None:
        return default
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have one label per entry ({n}); got shape {arr.shape}.")
    if len(np.unique(arr)) != n:
        raise ValueError(f"{name} labels must be unique; got duplicates in {arr.tolist()[:20]}.")
    return arr


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
        Per-epoch metrics indexed by epoch number (conventional columns:
        ``train_loss``, ``val_loss``, ``train_accuracy``, ``val_accuracy``).
    metadata : mapping, optional
        JSON-serialisable free-form information (model kind, layer, dataset).
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
        self.epochs: np.ndarray = _labels(epochs, E, "epochs", np.arange(E)).astype(np.int64)
        self.timesteps: np.ndarray = _labels(timesteps, T, "timesteps", np.arange(T)).astype(
            np.int64
        )
        self.units: np.ndarray = _labels(
            None if units is None else [str(u) for u in units],
            U,
            "units",
            np.array([str(u) for u in range(U)]),
        ).astype(str)
        if valid is not None:
            valid = np.asarray(valid, dtype=bool)
            if valid.shape != (T, S):
                raise ValueError(
                    f"valid must have shape (timesteps, samples) = {(T, S)}; got {valid.shape}."
                )
            if not valid.any(axis=0).all():
                empty = np.flatnonzero(~valid.any(axis=0)).tolist()
                raise ValueError(
                    f"every sample needs at least one valid step; samples {empty} have none."
                )
        self.valid: np.ndarray | None = valid
        if sample_labels is not None:
            sample_labels = np.asarray(sample_labels)
            if sample_labels.shape != (S,):
                raise ValueError(
                    f"sample_labels must have one class per sample ({S}); got shape {sample_labels.shape}."
                )
            if not np.issubdtype(sample_labels.dtype, np.integer):
                raise TypeError(
                    f"sample_labels must be integer class indices; got dtype {sample_labels.dtype}."
                )
            sample_labels = sample_labels.astype(np.int64)
        self.sample_labels: np.ndarray | None = sample_labels
        self.class_names: list[str] | None = (
            None if class_names is None else [str(c) for c in class_names]
        )
        if self.class_names is not None and sample_labels is not None and len(sample_labels):
            if sample_labels.min() < 0 or sample_labels.max() >= len(self.class_names):
                raise ValueError(
                    f"sample_labels must index class_names (0..{len(self.class_names) - 1}); "
                    f"got values in [{sample_labels.min()}, {sample_labels.max()}]."
                )
        self.metrics: pd.DataFrame = self._check_metrics(metrics)
        self.metadata: dict[str, Any] = dict(metadata or {})

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
        indices, unit ids), in the order given; ``None`` keeps an axis whole.

        ``samples`` selects trace samples by position (samples carry no ids);
        their ``valid`` columns and ``sample_labels`` follow.
        """
        e = self._positions(self.epochs, epochs, "epochs")
        t = self._positions(self.timesteps, timesteps, "timesteps")
        u = self._positions(self.units, None if units is None else [str(x) for x in units], "units")
        s = self._positions(np.arange(self.n_samples), samples, "samples")
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
            if w not in lookup:
                raise ValueError(
                    f"{name} has no label {w!r}; available: {labels.tolist()[:20]}"
                    + (" ..." if len(labels) > 20 else "")
                )
            pos.append(lookup[w])
        if not pos:
            raise ValueError(f"select needs at least one of the {name}; got an empty selection.")
        return np.asarray(pos)

    def _check_metrics(self, metrics: Any) -> pd.DataFrame:
        if metrics is None:
            return pd.DataFrame(index=pd.Index(self.epochs, name="epoch"))
        df = pd.DataFrame(metrics).copy()
        if not isinstance(metrics, pd.DataFrame) or df.index.name != "epoch":
            if "epoch" in df.columns:
                df = df.set_index("epoch")
            elif len(df) == len(self.epochs):
                df.index = pd.Index(self.epochs)
        df.index = pd.Index(np.asarray(df.index, dtype=np.int64), name="epoch")
        unknown = set(df.index.tolist()) - set(self.epochs.tolist())
        if unknown:
            raise ValueError(
                f"metrics are indexed by epoch number; epochs {sorted(unknown)[:10]} are not in "
                f"this recording's epochs {self.epochs.tolist()[:10]}."
            )
        return df

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
        atomically: a failed save never leaves a partial file behind.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination.
        compress : bool, default False
            Deflate the arrays (smaller file, slower save/load; activations
            rarely compress much).

        Raises
        ------
        TypeError
            If the metadata is not JSON-serialisable or a metrics column has a
            dtype that cannot be stored without pickling (e.g. arbitrary objects).
        """
        save_recording(self, path, compress=compress)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[bytes]) -> Recording:
        """Read a recording written by :meth:`save`.

        Loading uses ``numpy.load(..., allow_pickle=False)`` and JSON only:
        nothing in the file is executed.

        Raises
        ------
        FileNotFoundError
            If the path does not exist.
        ValueError
            If the file is not an mmphate recording (foreign, truncated or
            corrupt) or was written by a newer, incompatible version.  No
            partially loaded object is ever returned.
        """
        fields = load_recording(path)
        try:
            return cls(**fields)
        except (TypeError, ValueError) as exc:
            name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
            raise ValueError(f"{name!r} is not a valid mmphate recording: {exc}") from exc


_COMPONENTS = ("x", "y", "z")


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
    """
    emb = np.asarray(embedding)
    if emb.ndim != 2 or emb.shape[0] != recording.n_nodes or emb.shape[1] < 1:
        raise ValueError(
            f"embedding must have shape (nodes={recording.n_nodes}, components); got {emb.shape}."
        )
    frame = recording.nodes()
    for j in range(emb.shape[1]):
        frame[_COMPONENTS[j] if j < len(_COMPONENTS) else f"c{j}"] = emb[:, j]
    return frame
