"""Checks of the analyses' inputs: embeddings, node layouts, histogram bins, reference
features, and the arguments of the ablation test."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._labels import check_str_labels
from ._scalars import (
    _SHORT,
    InvalidParameterError,
    _is_int,
    check_bool,
    check_int,
    check_probability,
    check_seed,
    describe,
    printable,
)
from ._tables import check_numeric_column


def not_fitted(obj: Any, what: str = "source") -> Exception:
    """The error for an estimator that has not been fitted."""
    from sklearn.exceptions import NotFittedError

    return NotFittedError(
        f"{what} is an unfitted {type(obj).__name__}; call .fit(recording) first (or pass its "
        "embedding_ array with the recording)."
    )


def is_estimator(obj: Any) -> bool:
    return hasattr(obj, "fit") and hasattr(obj, "get_params")


def as_embedding(obj: Any, name: str = "embedding") -> np.ndarray:
    """A node embedding as a finite float64 ``(N, d)`` array.

    Accepts an array, a fitted estimator (its ``embedding_``) or a tidy DataFrame with ``x``,
    ``y`` (, ``z``, ``c3``, ...) columns; a 1-D array is one column.
    """
    import pandas as pd

    if hasattr(obj, "embedding_"):
        obj = obj.embedding_
    elif is_estimator(obj):
        raise not_fitted(obj, name)
    if isinstance(obj, pd.DataFrame):
        comps = [c for c in obj.columns if c in ("x", "y", "z") or str(c).startswith("c")]
        comps = [c for c in comps if c in ("x", "y", "z") or str(c)[1:].isdigit()]
        if comps:
            obj = obj[comps]
        nonnum = [c for c in obj.columns if not pd.api.types.is_numeric_dtype(obj[c])]
        if nonnum:
            raise TypeError(
                f"{name} columns must be numeric; {printable(_SHORT.repr(nonnum))} are not."
            )
        obj = obj.to_numpy()
    try:
        arr = np.asarray(obj)
    except (ValueError, TypeError):
        raise TypeError(
            f"{name} must be a numeric (nodes, d) array; got {describe(obj)}."
        ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric (nodes, d) array; got dtype {arr.dtype}.")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be 2-D (nodes, dimensions); got shape {arr.shape}.")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinite values (first in row {i}).")
    return arr


def check_node_source(recording: Any, name: str = "recording") -> Any:
    """What gives the node layout: a Recording, a fitted estimator, or a shape of positive ints."""
    if hasattr(recording, "recording_") or (
        hasattr(recording, "hidden") and hasattr(recording, "epochs")
    ):
        return recording
    if is_estimator(recording):
        raise not_fitted(recording, name)
    if isinstance(recording, (tuple, list, np.ndarray)) and not (
        isinstance(recording, np.ndarray) and recording.ndim != 1
    ):
        shape = list(recording)
        if len(shape) not in (3, 4) or not all(_is_int(v) and v >= 1 for v in shape):
            raise InvalidParameterError(
                f"{name} as a shape must be 3 or 4 positive integers (epochs, timesteps, units"
                f"[, samples]); got {describe(recording)}."
            )
        return tuple(int(v) for v in shape)
    raise TypeError(
        f"{name} must be a Recording, a fitted MMPHATE, or a shape (epochs, timesteps, units); "
        f"got {describe(recording)}."
    )


def check_bins(bins: Any, name: str = "bins") -> Any:
    """Histogram cells per axis: a positive int, or a sequence of them (at most 100,000 each)."""
    if isinstance(bins, (list, tuple, np.ndarray)) and not isinstance(bins, str):
        values = (
            list(np.asarray(bins).ravel().tolist()) if isinstance(bins, np.ndarray) else list(bins)
        )
        if not values:
            raise InvalidParameterError(
                f"{name} must be a positive integer or one per axis; got []."
            )
        return [check_int(v, f"{name} entries", minimum=1, maximum=100_000) for v in values]
    return check_int(bins, name, minimum=1, maximum=100_000)


def check_grid_range(grid_range: Any) -> Any:
    """None, ``"robust"``, or finite numeric bounds (their shape is checked by the caller)."""
    if grid_range is None or (isinstance(grid_range, str) and grid_range == "robust"):
        return grid_range
    try:
        arr = np.asarray(grid_range)
    except (TypeError, ValueError):
        arr = np.asarray([], dtype=object)
    if isinstance(grid_range, str) or arr.dtype.kind not in "iuf" or arr.size == 0:
        raise InvalidParameterError(
            f"grid_range must be None, 'robust' or bounds (low, high); got {describe(grid_range)}."
        )
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"grid_range bounds must be finite; got {arr.tolist()}.")
    return grid_range


def check_cells(bins: Any, d: int, n: int) -> None:
    """``bins`` fits a ``d``-dimensional embedding of ``n`` points: one value or one per axis, and
    few enough cells that cell ids of all groups fit in int64."""
    per_axis = bins if isinstance(bins, list) else [bins]
    if len(per_axis) not in (1, d):
        raise InvalidParameterError(
            f"bins must be one integer or one per embedding axis ({d}); got {len(per_axis)} values."
        )
    cells = float(np.prod([float(b) for b in per_axis])) ** (d if len(per_axis) == 1 else 1)
    if cells * max(n, 1) >= 2.0**62:
        raise InvalidParameterError(
            f"bins={bins} gives {cells:.3g} histogram cells over {d} axes, too many to count; "
            "use fewer bins (or an embedding with fewer dimensions)."
        )


def check_features(features: Any, name: str = "features") -> None:
    """Reference features: None, a Recording, or a numeric array of 2 or 4 dimensions."""
    if features is None or hasattr(features, "hidden"):
        return
    try:
        arr = np.asarray(features)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array; got {describe(features)}.") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}.")
    if arr.ndim not in (2, 4):
        raise ValueError(f"{name} must be (N, S) or (E, T, U, S); got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values.")


def _layer_width(layer: Any) -> int | None:
    """Features a recurrent layer outputs per step (both directions), or None if unknown."""
    hidden = getattr(layer, "hidden_size", None)
    if not _is_int(hidden):
        return None
    width = getattr(layer, "proj_size", 0) or hidden
    return int(width) * (2 if getattr(layer, "bidirectional", False) else 1)


def _as_array(a: Any, what: str) -> np.ndarray:
    if type(a).__module__.partition(".")[0] == "torch" and hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an array or a tensor; got {describe(a)}.") from None


def check_model_data(model: Any, X: Any, y: Any, lengths: Any, unit_mask: Any = None) -> None:
    """A torch model and its evaluation data: numeric X (one row per sample), integer y and
    lengths of the same length, an optional numeric unit mask (PyTorch is imported lazily)."""
    from .._optional import require

    torch = require("torch", "torch", "evaluating a model")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {describe(model)}.")
    Xa = _as_array(X, "X")
    if Xa.dtype.kind not in "biuf" or Xa.ndim < 1:
        raise TypeError(
            f"X must be a numeric array or tensor (samples, timesteps, features); got "
            f"{describe(Xa)}."
        )
    if Xa.shape[0] == 0 or not np.isfinite(Xa).all():
        raise ValueError("X must hold at least one sample and only finite values.")
    ya = _as_array(y, "y")
    if ya.ndim != 1 or ya.dtype.kind not in "iu" or len(ya) != len(Xa):
        raise ValueError(
            f"y must be integer class labels, one entry per sequence of X ({len(Xa)}); got "
            f"{describe(ya)}."
        )
    if lengths is not None:
        la = _as_array(lengths, "lengths")
        if la.ndim != 1 or la.dtype.kind not in "iu" or len(la) != len(Xa):
            raise ValueError(
                f"lengths must be integers, one entry per sequence of X ({len(Xa)}); got "
                f"{describe(la)}."
            )
        if len(la) and Xa.ndim >= 2 and (la.min() < 1 or la.max() > Xa.shape[1]):
            raise ValueError(
                f"lengths must be between 1 and the {Xa.shape[1]} timesteps of X; got "
                f"{int(la.min())}..{int(la.max())}."
            )
    if unit_mask is not None:
        ma = _as_array(unit_mask, "unit_mask")
        if ma.dtype.kind not in "biuf" or ma.ndim != 1 or not np.isfinite(ma).all():
            raise TypeError(
                f"unit_mask must be a finite numeric vector (one factor per hidden unit); got "
                f"{describe(ma)}."
            )


def check_ablation(
    model: Any,
    X: Any,
    y: Any,
    lengths: Any,
    unit_entropy: Any,
    *,
    k: Any,
    n_random: Any,
    seed: Any,
    units: Any,
    module: Any,
    evaluate: Any,
    single_unit: Any,
    alpha: Any,
) -> None:
    """The arguments of :func:`~mmphate.ablation_test` (PyTorch is imported here, lazily)."""
    import pandas as pd

    from .._optional import require

    torch = require("torch", "torch", "ablation_test")
    check_model_data(model, X, y, lengths)
    if module is not None and not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module or None; got {describe(module)}.")
    if evaluate is not None and not callable(evaluate):
        raise TypeError(f"evaluate must be a callable or None; got {describe(evaluate)}.")
    check_int(k, "k", minimum=1)
    check_int(n_random, "n_random", minimum=0, maximum=1_000_000)
    check_seed(seed, "seed")
    check_bool(single_unit, "single_unit")
    check_probability(alpha, "alpha")
    if unit_entropy is None:
        raise ValueError("unit_entropy is required: pass rank_units(...) or per-unit scores.")
    if isinstance(unit_entropy, pd.Series):
        if not pd.api.types.is_numeric_dtype(unit_entropy):
            raise TypeError(f"unit_entropy must hold numbers; got dtype {unit_entropy.dtype}.")
        values = unit_entropy.to_numpy(dtype=float)
        if unit_entropy.index.astype(str).duplicated().any():
            raise ValueError("unit_entropy has a unit id more than once.")
    elif isinstance(unit_entropy, pd.DataFrame):
        col = "mean_entropy" if "mean_entropy" in unit_entropy.columns else "entropy"
        if col not in unit_entropy.columns or "unit" not in unit_entropy.columns:
            raise ValueError(
                "unit_entropy as a table must be rank_units(...) or an inter-step entropy table "
                f"(columns unit, entropy); got {printable(list(unit_entropy.columns)[:10])}."
            )
        check_numeric_column(unit_entropy, col, "unit_entropy")
        values = unit_entropy[col].to_numpy(dtype=float)
        n_scores = int(unit_entropy["unit"].astype(str).nunique())
    else:
        ua = _as_array(unit_entropy, "unit_entropy")
        if ua.dtype.kind not in "iuf" or ua.ndim != 1:
            raise TypeError(f"unit_entropy must be one number per unit; got {describe(ua)}.")
        values = ua.astype(float)
    if not len(values):
        raise ValueError("unit_entropy is empty; give one score per unit.")
    if not np.isfinite(values).all():
        raise ValueError("unit_entropy contains NaN or infinite scores.")
    if not isinstance(unit_entropy, pd.DataFrame):
        n_scores = len(values)
    layer = module
    if layer is None:
        layer = next((m for m in model.modules() if isinstance(m, torch.nn.RNNBase)), None)
    width = _layer_width(layer) if layer is not None else None
    if units is not None:
        ids = check_str_labels(units, None, "units")
        if width is not None and len(ids) != width:
            raise ValueError(
                f"units has {len(ids)} ids but the recurrent layer ({type(layer).__name__}) has "
                f"{width} hidden units; pass the ids of that layer in hidden-state order "
                "(recording.units of its recording)."
            )
    if width is not None and n_scores > width:
        raise ValueError(
            f"unit_entropy scores {n_scores} units but the recurrent layer "
            f"({type(layer).__name__}) has {width}; score the units of that layer."
        )


def check_diffusion(P_t: np.ndarray, t: int, tolerance: float = 0.01) -> None:
    """Refuse a diffused operator that rounding has made meaningless.

    ``P_t`` is a power of a row-stochastic matrix, so its rows sum to 1.  Computed from an
    eigen-decomposition, the error grows about linearly with ``t`` (a top eigenvalue off by
    1e-7 loses ``t * 1e-7`` of each row's mass): fine for the usual t (1 to a few thousand),
    garbage for t of a million (or a blow-up to 1e100 for larger t).
    """
    drift = float(np.max(np.abs(P_t.sum(axis=1) - 1))) if P_t.size else 0.0
    if not np.isfinite(P_t).all() or drift > tolerance:
        raise ValueError(
            f"t={t} is too large to diffuse accurately: rounding changes the diffused "
            f"operator's row sums by {drift:.2g} (they should be 1). Use a smaller t (the "
            "knee of t='auto' is usually below 100)."
        )


def check_kernel_arg(kernel: Any, n: int) -> None:
    """An optional N x N kernel: None, a scipy sparse matrix or a numeric 2-D array."""
    if kernel is None:
        return
    import scipy.sparse as sp

    if sp.issparse(kernel):
        dtype, shape = kernel.dtype, kernel.shape
    else:
        try:
            arr = np.asarray(kernel)
        except (TypeError, ValueError):
            raise TypeError(
                f"kernel must be a sparse matrix or an array; got {describe(kernel)}."
            ) from None
        dtype, shape = arr.dtype, arr.shape
    if dtype.kind not in "biuf" or len(shape) != 2:
        raise TypeError(
            f"kernel must be a numeric (nodes, nodes) matrix (e.g. MMPHATE().kernel_); got "
            f"{describe(kernel)}."
        )
    if shape != (n, n):
        raise ValueError(f"kernel must be N x N = ({n}, {n}) (nodes x nodes); got {shape}.")


def check_baseline(method: str, X: Any, n_components: int) -> None:
    """What a baseline can embed: PCA has at most min(nodes, samples) components."""
    rec = getattr(X, "recording_", X)
    shape = getattr(rec, "shape", None)
    if shape is None or not isinstance(shape, tuple):
        return
    if len(shape) == 4:
        n, s = int(np.prod(shape[:3])), shape[3]
    elif len(shape) == 2:
        n, s = shape
    else:
        return
    if method.lower() == "pca" and n_components > min(n, s):
        raise InvalidParameterError(
            f"PCA gives at most min(nodes, samples) = {min(n, s)} components; got "
            f"n_components={n_components}."
        )
