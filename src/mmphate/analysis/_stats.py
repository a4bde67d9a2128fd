"""Entropy against performance: correlations and the change point vs overfitting onset.

Our protocol (the paper reports the relation only qualitatively): for every
per-epoch entropy series and every per-epoch metric of the recording, Spearman
and Pearson correlations with their p-values, on the levels and on the first
differences (epoch-to-epoch changes, which remove a shared trend), on the epochs
the two have in common.

Inference that holds for training curves:

- Two autocorrelated series correlate by chance: the *levels* of independent AR(1)
  series with coefficient 0.9 give naive p < 0.05 almost half of the time.  Every
  p-value here uses an effective sample size, ``n_eff = n (1 - r_a r_b) / (1 + r_a r_b)``
  (``r``: the lag-1 autocorrelations of the two series; Bretherton et al. 1999), in a
  t-test with ``n_eff - 2`` degrees of freedom (at least 1).  Differences are the primary
  inference (``inference == "differences"``); level rows are ``"levels (descriptive,
  ESS-adjusted)"``: a trend shared by two curves makes their levels correlate whatever
  the ESS.
- One call tests many pairs (series x metrics x {level, diff} x {Spearman, Pearson}).
  ``p_adjusted`` is the row's smaller p-value after a Holm (default) or
  Benjamini-Hochberg adjustment over *all* the call's tests, and ``significant`` is
  ``p_adjusted < alpha``; by default only difference rows can be significant
  (``significant_levels=True`` lets level rows count too, in the same adjustment).  Alongside, each series' change point
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
    check_bool,
    check_choice,
    check_entropy_collection,
    check_int,
    check_numeric_column,
    check_probability,
    check_text,
    describe,
    epoch_indexed,
)
from ._phases import epoch_curve, training_phases

__all__ = ["entropy_vs_performance"]

_LEVELS = "levels (descriptive, ESS-adjusted)"

_COLUMNS = [
    "series",
    "metric",
    "transform",
    "n",
    "spearman_r",
    "spearman_p",
    "pearson_r",
    "pearson_p",
    "n_effective",
    "inference",
    "spearman_p_adjusted",
    "pearson_p_adjusted",
    "p_adjusted",
    "significant",
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


def _lag1(a: np.ndarray) -> float:
    a = a - a.mean()
    den = float(a @ a)
    return float(a[1:] @ a[:-1]) / den if den > 0 else 0.0


def _p_from_r(r: float, n_eff: float) -> float:
    """Two-sided p-value of a correlation ``r`` with ``n_eff`` effective samples (t-test)."""
    dof = max(n_eff - 2.0, 1.0)
    if abs(r) >= 1.0:
        return 0.0
    t = abs(r) * np.sqrt(dof / max(1.0 - r * r, 1e-300))
    return float(2 * stats.t.sf(t, dof))


def _corr(a: np.ndarray, b: np.ndarray) -> tuple[float, ...]:
    nan = float("nan")
    if len(a) < 3 or _flat(a) or _flat(b):
        return nan, nan, nan, nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.NearConstantInputWarning)
        sr = float(stats.spearmanr(a, b)[0])
        pr = float(stats.pearsonr(a, b)[0])
    n = len(a)
    rho = max(_lag1(a), 0.0) * max(_lag1(b), 0.0)  # negative products would inflate n
    n_eff = float(np.clip(n * (1 - rho) / (1 + rho), 3.0, n))
    return sr, _p_from_r(sr, n_eff), pr, _p_from_r(pr, n_eff), n_eff


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Holm or Benjamini-Hochberg adjusted p-values; NaN entries stay NaN and do not count."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = (
            stats.false_discovery_control(p[ok], method="bh") if method == "bh" else (_holm(p[ok]))
        )
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def entropy_vs_performance(
    entropy: Any,
    metrics: Any,
    *,
    tolerance: int = 2,
    val_loss: str = "val_loss",
    phases: Mapping[str, Any] | None = None,
    alpha: float = 0.05,
    adjust: str = "holm",
    significant_levels: bool = False,
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
    alpha : float
        Level of the ``significant`` column (and of the phase search, unless
        ``phase_kwargs`` sets it otherwise).
    adjust : {"holm", "bh"}
        Adjustment over all the call's tests: Holm (family-wise error) or
        Benjamini-Hochberg (false discovery rate).
    significant_levels : bool
        Let level rows be ``significant`` too (they always enter the adjustment).
    **phase_kwargs
        Keyword arguments of :func:`~mmphate.training_phases` (``min_segment``,
        ``n_boot``, ``random_state``, ``max_changes``).

    Returns
    -------
    pandas.DataFrame
        One row per (series, metric, transform) with ``transform`` in
        ``{"level", "diff"}``, columns ``n``, ``spearman_r``, ``spearman_p``,
        ``pearson_r``, ``pearson_p`` (two-sided, with the effective sample size
        ``n_effective``), ``inference`` (``"differences"`` or ``"levels (descriptive,
        ESS-adjusted)"``), ``spearman_p_adjusted``, ``pearson_p_adjusted``,
        ``p_adjusted`` (the smaller of the two) and ``significant``
        (``p_adjusted < alpha``; False on level rows unless ``significant_levels``), and,
        repeated on each row of a series,
        ``change_epoch`` (None if no clear change point), ``val_loss_min_epoch``
        and ``within_tolerance`` (True/False, or None when either is missing).
        ``attrs`` records ``tolerance``, ``alpha``, ``adjust``, ``n_tests`` and the
        ``phases`` results.  Correlations are NaN with fewer than 3 common epochs or
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
    alpha = check_probability(alpha, "alpha")
    adjust = check_choice(adjust, "adjust", ("holm", "bh"))
    significant_levels = check_bool(significant_levels, "significant_levels")
    phase_kwargs.setdefault("alpha", alpha)
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
                kind = "differences" if transform == "diff" else _LEVELS
                r = _corr(arr[:, 0], arr[:, 1])
                rows.append([name, col, transform, len(arr), *r, kind, 0, 0, 0, False])
                rows[-1] += [change, vmin, coincide]
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["n"] = out["n"].astype(int)
    adjusted = _adjust(
        np.concatenate([out["spearman_p"].to_numpy(float), out["pearson_p"].to_numpy(float)]),
        adjust,
    )
    out["spearman_p_adjusted"] = adjusted[: len(out)]
    out["pearson_p_adjusted"] = adjusted[len(out) :]
    out["p_adjusted"] = out[["spearman_p_adjusted", "pearson_p_adjusted"]].min(axis=1)
    can = np.ones(len(out), bool) if significant_levels else (out["transform"] == "diff")
    out["significant"] = (can & (out["p_adjusted"] < alpha)).astype(bool)
    out.attrs["tolerance"] = tolerance
    out.attrs["alpha"] = alpha
    out.attrs["adjust"] = adjust
    out.attrs["n_tests"] = int(np.isfinite(adjusted).sum())
    out.attrs["phases"] = phase_results
    return out
