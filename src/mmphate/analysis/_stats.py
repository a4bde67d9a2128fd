"""Entropy against performance: correlations and the change point vs overfitting onset.

Our protocol (the paper reports the relation only qualitatively): for every
per-epoch entropy series and every per-epoch metric of the recording, Spearman
and Pearson correlations with their p-values, on the levels and on the first
differences (epoch-to-epoch changes, which remove a shared trend), on the epochs
the two have in common.  Alongside, each series' change point
(:func:`~mmphate.training_phases`) is compared with the epoch of minimum
validation loss (the onset of overfitting): they *coincide* when they are at
most ``tolerance`` epochs apart.  One call returns one table.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import (
    check_entropy_collection,
    check_int,
    check_numeric_column,
    check_text,
    describe,
    epoch_indexed,
)
from ._phases import epoch_curve, training_phases

__all__ = ["entropy_vs_performance"]

_COLUMNS = [
    "series",
    "metric",
    "transform",
    "n",
    "spearman_r",
    "spearman_p",
    "pearson_r",
    "pearson_p",
    "change_epoch",
    "val_loss_min_epoch",
    "within_tolerance",
]


def _series_name(table: Any, i: int) -> str:
    if isinstance(table, pd.DataFrame):
        kind = table.attrs.get("kind")
        if kind is None:
            kind = (
                "intrastep"
                if "timestep" in table.columns
                else "interstep"
                if "unit" in table.columns
                else f"entropy_{i}"
            )
        return f"{kind}_mean"
    if isinstance(table, pd.Series) and table.name not in (None, "entropy"):
        return str(table.name)
    return f"entropy_{i}"


def _as_curves(entropy: Any) -> dict[str, pd.Series]:
    if isinstance(entropy, Mapping):
        items = [(str(k), v) for k, v in entropy.items()]
    elif isinstance(entropy, pd.DataFrame | pd.Series) or (
        isinstance(entropy, np.ndarray) and entropy.ndim == 1
    ):
        items = [(_series_name(entropy, 0), entropy)]
    elif isinstance(entropy, Sequence):
        items = [(_series_name(t, i), t) for i, t in enumerate(entropy)]
    else:
        raise TypeError(
            "entropy must be an entropy table, a per-epoch Series, or a list/dict of them; "
            f"got {type(entropy).__name__}."
        )
    names = [k for k, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"entropy series names must be unique; got {names}. Pass a dict.")
    return {k: epoch_curve(v) for k, v in items}


def _flat(a: np.ndarray) -> bool:
    """Constant up to rounding (first differences of a straight line)."""
    return bool(np.ptp(a) <= 1e-9 * max(float(np.abs(a).max()), 1e-300))


def _corr(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    nan = float("nan")
    if len(a) < 3 or _flat(a) or _flat(b):
        return nan, nan, nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.NearConstantInputWarning)
        sr, sp = stats.spearmanr(a, b)
        pr, pp = stats.pearsonr(a, b)
    return float(sr), float(sp), float(pr), float(pp)


def entropy_vs_performance(
    entropy: Any,
    metrics: Any,
    *,
    tolerance: int = 2,
    val_loss: str = "val_loss",
    phases: Mapping[str, Any] | None = None,
    **phase_kwargs: Any,
) -> pd.DataFrame:
    """Correlate per-epoch entropy with every training metric; compare change point and overfitting.

    Parameters
    ----------
    entropy : DataFrame, Series, or list/dict of them
        Entropy tables from :func:`~mmphate.intrastep_entropy` /
        :func:`~mmphate.interstep_entropy` (averaged per epoch here; named
        ``"intrastep_mean"`` / ``"interstep_mean"``), per-epoch Series, or a
        dict ``name -> table or Series``.
    metrics : DataFrame or Recording
        Per-epoch metrics indexed by epoch (a Recording's ``metrics`` is used).
    tolerance : int
        Largest distance, in epochs, at which the entropy change point and the
        validation-loss minimum count as coinciding.
    val_loss : str
        The column holding validation loss.
    phases : dict, optional
        Precomputed :class:`~mmphate.analysis.PhaseResult` per series name;
        otherwise :func:`~mmphate.training_phases` is run (``phase_kwargs`` go to it).
    **phase_kwargs
        Keyword arguments of :func:`~mmphate.training_phases` (``min_segment``,
        ``alpha``, ``n_boot``, ``random_state``).

    Returns
    -------
    pandas.DataFrame
        One row per (series, metric, transform) with ``transform`` in
        ``{"level", "diff"}``, columns ``n``, ``spearman_r``, ``spearman_p``,
        ``pearson_r``, ``pearson_p``, and, repeated on each row of a series,
        ``change_epoch`` (None if no clear change point), ``val_loss_min_epoch``
        and ``within_tolerance`` (True/False, or None when either is missing).
        ``attrs["tolerance"]`` records the tolerance; ``attrs["phases"]`` the
        phase results.  Correlations are NaN with fewer than 3 common epochs or
        a constant series.

    Raises
    ------
    TypeError
        If an entropy input or the ``val_loss`` column is not numeric, or ``metrics`` is not a
        table.
    ValueError
        If ``metrics`` does not say which epoch each row is (an index named ``"epoch"`` or an
        ``epoch`` column; an unnamed index would match rows to epochs by chance), or its epochs
        are not whole numbers; or ``tolerance`` is invalid.
    """
    check_entropy_collection(entropy)
    metrics = epoch_indexed(metrics)
    tolerance = check_int(tolerance, "tolerance", minimum=0)
    val_loss = check_text(val_loss, "val_loss")
    check_numeric_column(metrics, val_loss, "metrics")
    if phases is not None and not isinstance(phases, Mapping):
        raise TypeError(
            f"phases must be a dict of PhaseResult by series name; got {describe(phases)}."
        )
    table = getattr(metrics, "metrics", metrics)
    if not isinstance(table, pd.DataFrame):
        table = pd.DataFrame(table)
    curves = _as_curves(entropy)
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    vmin = None
    if val_loss in table.columns and table[val_loss].notna().any():
        vmin = int(table[val_loss].astype(float).idxmin())
    phase_results = dict(phases or {})
    rows = []
    for name, curve in curves.items():
        if name not in phase_results:
            phase_results[name] = training_phases(curve, **phase_kwargs)
        change = phase_results[name].change_epoch
        coincide = None if change is None or vmin is None else bool(abs(change - vmin) <= tolerance)
        for col in numeric:
            joined = pd.concat([curve, table[col].astype(float)], axis=1, join="inner").dropna()
            joined = joined.sort_index()
            lv = joined.to_numpy()
            df = np.diff(lv, axis=0)
            for transform, arr in (("level", lv), ("diff", df)):
                rows.append(
                    [name, col, transform, len(arr), *_corr(arr[:, 0], arr[:, 1]), change, vmin]
                    + [coincide]
                )
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["n"] = out["n"].astype(int)
    out.attrs["tolerance"] = tolerance
    out.attrs["phases"] = phase_results
    return out
