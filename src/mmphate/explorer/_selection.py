"""Point selection and filters of the explorer: the ``selected_points`` trait (node indices,
slice-major order, crossing as binary uint32 both ways) and the range checks of
``epoch_range`` / ``timestep_range``."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

__all__ = ["NodeIndices", "LabelRange", "check_range", "SELECTION_MODES"]

SELECTION_MODES = ("units", "points")


def _empty() -> np.ndarray:
    out = np.zeros(0, dtype=np.int64)
    out.flags.writeable = False
    return out


def points_to_json(value: np.ndarray, widget: Any) -> memoryview:
    return memoryview(np.ascontiguousarray(value, dtype=np.uint32))


def points_from_json(value: Any, widget: Any) -> np.ndarray:
    if value is None:
        return _empty()
    if isinstance(value, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(value), dtype=np.uint32).astype(np.int64)
    return np.asarray(list(value), dtype=np.int64)


class NodeIndices(traitlets.TraitType):
    """Sorted unique node indices (int64, read-only array); accepts indices or a boolean mask.

    The owner must have an ``_n_nodes`` attribute (the number of nodes).
    """

    info_text = "node indices (integers in [0, nodes)) or a boolean mask over the nodes"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_value=_empty(), **kwargs)
        self.tag(sync=True, to_json=points_to_json, from_json=points_from_json)

    def make_dynamic_default(self) -> np.ndarray:
        return _empty()

    def validate(self, obj: Any, value: Any) -> np.ndarray:
        n = int(getattr(obj, "_n_nodes", 0))
        if value is None:
            return _empty()
        arr = np.asarray(value)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise traitlets.TraitError(
                    f"selected_points as a boolean mask needs one value per node ({n}); "
                    f"got shape {arr.shape}."
                )
            arr = np.flatnonzero(arr)
        arr = arr.ravel()
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise traitlets.TraitError(
                    f"selected_points must be node indices (integers); got dtype {arr.dtype}."
                )
        arr = np.unique(arr.astype(np.int64))
        if arr.size and (arr[0] < 0 or arr[-1] >= n):
            bad = arr[(arr < 0) | (arr >= n)]
            raise traitlets.TraitError(
                f"selected_points has node indices outside [0, {n}): {bad[:10].tolist()}; "
                "nodes are numbered (e*T + t)*U + u."
            )
        arr.flags.writeable = False
        return arr

    def set(self, obj: Any, value: Any) -> None:
        new = self._validate(obj, value)
        old = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new
        if not np.array_equal(old, new):
            obj._notify_trait(self.name, old, new)


def check_range(value: Any, labels: np.ndarray, name: str, what: str) -> tuple[int, int]:
    """A filter range (lo, hi) of labels, inclusive; ``None`` means every label."""
    values = [int(v) for v in np.asarray(labels).tolist()]
    if value is None:
        return (min(values), max(values))
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise traitlets.TraitError(
            f"{name} must be a pair (first, last) of {what}s; got {value!r}."
        ) from None
    if lo > hi:
        raise traitlets.TraitError(f"{name} must have first <= last; got ({lo}, {hi}).")
    if not any(lo <= v <= hi for v in values):
        raise traitlets.TraitError(
            f"{name} ({lo}, {hi}) contains no recorded {what} "
            f"(recorded: {min(values)} to {max(values)})."
        )
    return (lo, hi)


class LabelRange(traitlets.TraitType):
    """An inclusive (first, last) range of the recording's epoch numbers or timestep labels.

    ``None`` (or ``()``) stands for every label. The owner's ``_recording`` gives the labels.
    """

    info_text = "a pair (first, last) of labels, or None for all"

    def __init__(self, axis: str, **kwargs: Any) -> None:
        self.axis = axis  # "epochs" or "timesteps"
        super().__init__(default_value=None, allow_none=False, **kwargs)
        self.tag(sync=True)

    def validate(self, obj: Any, value: Any) -> tuple[int, int]:
        if obj._recording is None:  # a live view before its first epoch: nothing to filter
            return (0, -1)
        labels = getattr(obj._recording, self.axis)
        if value is not None and len(value) == 0:
            value = None
        what = "epoch" if self.axis == "epochs" else "timestep"
        return check_range(value, labels, f"{what}_range", what)

    def _validate(self, obj: Any, value: Any) -> Any:
        # None means "everything": resolved here, so it never reaches the front end as null
        value = self.validate(obj, value)
        if obj._cross_validation_lock is False:
            value = self._cross_validate(obj, value)
        return value
