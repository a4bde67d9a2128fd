"""Checks of a recording's fields: axis labels, ids, masks, class indices, metadata, the
float32 range of activations, and the warning for degenerate data."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._scalars import DegenerateDataWarning, _check_chars, _is_int, describe, printable


def _as_1d(values: Any, n: int | None, name: str, what: str) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of {what}, not a single string; got {values!r}."
        )
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        raise TypeError(
            f"{name} must be a flat sequence of {what}; got {describe(values)}."
        ) from None
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        want = f"one entry per {what[:-1] if what.endswith('s') else what}"
        count = "" if n is None else f" ({n})"
        raise ValueError(f"{name} must be 1-D with {want}{count}; got shape {arr.shape}.")
    return arr


def check_int_labels(
    values: Any, n: int | None, name: str, *, increasing: bool = True, unique: bool = True
) -> np.ndarray:
    """Axis labels as int64: whole numbers (``2.0`` is accepted, ``0.1`` is not), unique and, with
    ``increasing``, in strictly increasing order.

    Epochs and timesteps must increase because the temporal edges of the kernel join
    neighbours in storage order; an unordered axis would link the wrong slices.
    """
    arr = _as_1d(values, n, name, "integers")
    kind = arr.dtype.kind
    if kind not in "iuf":
        raise TypeError(f"{name} must be integers; got dtype {arr.dtype} ({describe(values)}).")
    if kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr) > 2**53)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} must be whole numbers; got {arr[i].item()!r} at position {i}. Labels are "
                "integers (epoch numbers, timestep indices) and are never rounded."
            )
    if kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} must fit in int64; got {arr.max()}.")
    out = arr.astype(np.int64)
    if out.size > 1 and (unique or increasing):
        uniq, counts = np.unique(out, return_counts=True)
        if (counts > 1).any():
            raise ValueError(
                f"{name} labels must be unique; got {int(uniq[counts > 1][0])} "
                f"{int(counts.max())} times."
            )
        if increasing:
            step = np.diff(out)
            if (step <= 0).any():
                i = int(np.flatnonzero(step <= 0)[0]) + 1
                raise ValueError(
                    f"{name} must be strictly increasing (temporal edges join neighbouring "
                    f"{name} in storage order); got {int(out[i])} after {int(out[i - 1])} at "
                    f"position {i}. Order the tensor along this axis first."
                )
    return out


def check_str_labels(values: Any, n: int | None, name: str) -> np.ndarray:
    """Ids (strings, or integers written as strings) as a NumPy string array: unique, no NUL,
    encodable as UTF-8."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of ids, not a single string; got {values!r}.")
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one id each); got shape {values.shape}.")
        items = values.tolist()
    elif isinstance(values, Iterable):
        items = list(values)
    else:
        raise TypeError(f"{name} must be a sequence of ids; got {describe(values)}.")
    if n is not None and len(items) != n:
        raise ValueError(f"{name} must have one id per entry ({n}); got {len(items)}.")
    ids = []
    for i, v in enumerate(items):
        if isinstance(v, (str, np.str_)):
            s = str(v)
        elif _is_int(v):
            s = str(int(v))
        else:
            raise TypeError(
                f"{name} must be strings or integers; got {describe(v)} at position {i}."
            )
        _check_chars(s, f"{name}[{i}]")
        ids.append(s)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(s for s in ids if s in seen or seen.add(s))  # type: ignore[func-returns-value]
        raise ValueError(f"{name} must be unique; {printable(repr(dup))} appears more than once.")
    return np.array(ids, dtype=str) if ids else np.array([], dtype="<U1")


def check_mask(valid: Any, shape: tuple[int, int], name: str = "valid") -> np.ndarray:
    """A boolean mask of ``shape``: bools, or 0/1 numbers (any other value is refused)."""
    try:
        arr = np.asarray(valid)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be a boolean array; got {describe(valid)}.") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape (timesteps, samples) = {shape}; got {arr.shape}.")
    if arr.dtype.kind == "b":
        return arr.astype(bool, copy=True)
    if arr.dtype.kind in "iuf" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    raise TypeError(
        f"{name} must be a boolean array (True where the step is real); got dtype {arr.dtype}"
        + (" with values other than 0 and 1" if arr.dtype.kind in "iuf" else "")
        + "."
    )


def check_class_indices(labels: Any, n: int, class_names: Sequence[str] | None) -> np.ndarray:
    """Sample class indices: non-negative integers, one per sample, indexing ``class_names``."""
    arr = _as_1d(labels, n, "sample_labels", "classes")
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"sample_labels must be integer class indices; got dtype {arr.dtype}. Map class "
            "names to 0..K-1 first (and pass the names as class_names)."
        )
    if arr.size and arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"sample_labels must fit in int64; got {arr.max()}.")
    out = arr.astype(np.int64)
    if out.size and out.min() < 0:
        raise ValueError(f"sample_labels must be >= 0 (class indices); got {int(out.min())}.")
    if class_names is not None and out.size and out.max() >= len(class_names):
        raise ValueError(
            f"sample_labels must index class_names (0..{len(class_names) - 1}); got values in "
            f"[{int(out.min())}, {int(out.max())}]."
        )
    return out


def _check_json_tree(obj: Any, where: str) -> None:
    if isinstance(obj, str):
        _check_chars(obj, where)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(
                    f"{where} keys must be strings (JSON); got {describe(k)}. Use str(key)."
                )
            _check_chars(k, f"{where} key")
            _check_json_tree(v, f"{where}[{printable(repr(k))}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_json_tree(v, f"{where}[{i}]")


def check_metadata(metadata: Any) -> dict[str, Any]:
    """Free-form metadata: a mapping with string keys that JSON can store exactly."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping (dict); got {describe(metadata)}.")
    _check_json_tree(metadata, "metadata")
    try:
        json.dumps(metadata, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"metadata must be JSON-serialisable (numbers, strings, lists, dicts): {exc}."
        ) from None
    return dict(metadata)


_F32 = np.finfo(np.float32)


def check_float32_range(arr: np.ndarray, name: str) -> None:
    """Refuse finite values that float32 (the storage type of activations) cannot represent."""
    if arr.dtype.kind != "f" or arr.dtype.itemsize <= 4 or arr.size == 0:
        return
    top = max(float(arr.max()), -float(arr.min()))
    if top > float(_F32.max):
        raise ValueError(
            f"{name} holds values up to {top:.3g} in magnitude, beyond float32's range "
            f"(+-{float(_F32.max):.3g}) in which mmphate stores activations; they would become "
            f"infinite. Rescale it first, e.g. {name} / np.abs({name}).max()."
        )
    if 0 < top < float(_F32.tiny):
        raise ValueError(
            f"{name} holds values at most {top:.3g} in magnitude, below float32's smallest normal "
            f"number ({float(_F32.tiny):.3g}); stored as float32 they would lose their precision or "
            f"become 0. Rescale it first, e.g. {name} / np.abs({name}).max()."
        )


def warn_degenerate(
    hidden: np.ndarray, units: Any = None, epochs: Any = None, stacklevel: int = 3
) -> None:
    """One :class:`DegenerateDataWarning` when nodes are constant over the trace samples."""
    E, T, U, S = hidden.shape
    if S == 1:
        warnings.warn(
            "the recording has a single trace sample: z-scored over one sample, every node's "
            "features are 0, so the embedding reflects the graph's structure only, not the "
            "activations. Record the layer on more trace samples.",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )
        return
    const = np.empty((E, T, U), dtype=bool)
    for e in range(E):  # one epoch at a time: no full-size temporary
        const[e] = hidden[e].max(axis=-1) == hidden[e].min(axis=-1)
    n = int(const.sum())
    if not n:
        return
    N = const.size
    if n == N:
        msg = (
            "every node has the same activation on all trace samples (the tensor is constant "
            "over samples): there is nothing to embed, and the embedding shows only the graph's "
            "structure."
        )
    else:
        e, t, u = (int(i) for i in np.argwhere(const)[0])
        uname = units[u] if units is not None else u
        ename = epochs[e] if epochs is not None else e
        dead = int(const.all(axis=(0, 1)).sum())
        msg = (
            f"{n:,} of {N:,} nodes ({100 * n / N:.1f}%) have the same activation on every trace "
            f"sample (first: unit {printable(repr(str(uname)))} at epoch {ename}, timestep "
            f"position {t}); their z-scored features are all 0, so they sit together in feature "
            "space"
            + (f"; {dead} unit(s) are constant throughout (dead or saturated)" if dead else "")
            + "."
        )
    warnings.warn(msg, DegenerateDataWarning, stacklevel=stacklevel)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")
