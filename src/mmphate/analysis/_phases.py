"""Training phases from a per-epoch entropy curve.

Our definition (the paper describes the phases only qualitatively): the
per-epoch mean of the intra-step entropy is fitted by a *continuous* piecewise
linear curve (a line plus hinges ``max(x - c, 0)`` at change epochs ``c``), with
each segment at least ``min_segment`` epochs long.  A continuous fit is used
because entropy changes gradually; a jump would show as two steep slopes around
it.

Training curves are autocorrelated (the residuals of real BasicMotions entropy
curves have lag-1 autocorrelation 0.4-0.6), and a test that treats residuals as
independent mistakes a slow wander for a change point (with residual AR(1)
coefficient 0.8 an i.i.d. residual bootstrap declares one on 68% of change-free
curves).  Change points are therefore found by a sequential search, each step
tested against an autocorrelated null:

1. **Test** (sup-F with an AR-sieve bootstrap): given the current model (at
   first one straight line), the statistic is the largest F of adding one more
   hinge, over every admissible epoch (so the search is accounted for).  Its
   null distribution comes from ``n_boot`` bootstrap curves: the current fit
   plus an AR(1) process driven by the resampled, centred innovations.  The AR
   coefficient is estimated on the residuals of the most flexible alternative
   (the current fit plus as many hinges as may still be accepted; the null fit's residuals would turn a real change of slope into
   an AR coefficient near 1 and leave no power) and calibrated by simulation:
   the observed estimate is mapped back through the 10% quantile of its
   simulated distribution, an upper 90% confidence bound, because the search
   absorbs persistence and an underestimated coefficient over-rejects.
2. **Accept** the hinge when ``p < alpha`` (and, for the first change point,
   when the two-segment model also has the lower BIC), refine all change
   epochs jointly (each re-searched with the others held), and go back to 1;
   stop at the first step that is not significant or after ``max_changes``.

The level of this procedure was checked by simulation (``tests/analysis/
test_phases.py``): on change-free AR(1) curves of 51 epochs it declares a
change point at most 8% of the time at ``alpha = 0.05`` for AR coefficients up
to 0.9.  The price of holding the level is power: a break that the
independent-residual test found in strongly autocorrelated noise may now be
reported as "no clear change point", and so may a curve with several changes
and little noise, whose greedy flexible fit leaves a wave in the residuals.

Each segment is then called ``"processing"`` when its slope is significantly
positive, ``"compression"`` when significantly negative, and ``"flat"``
otherwise; the slope tests use standard errors for AR(1) residuals
(conditional on the change epochs).  The paper's hypothesis, entropy rising and
then falling, is ``rise_then_fall``: a processing segment followed, later, by a
compression segment.  This is a hypothesis the tool helps test, not a law.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import signal, stats

from .._validate import (
    check_entropy_input,
    check_int,
    check_probability,
    check_seed,
)

__all__ = ["training_phases", "PhaseResult", "Segment", "epoch_curve"]


@dataclass
class Segment:
    """One linear piece of the fitted curve.

    Attributes
    ----------
    phase : {"processing", "compression", "flat"}
        Significantly rising, significantly falling, or neither.
    start_epoch, end_epoch : int
        Epoch labels where the piece starts and ends.
    slope : float
        Entropy units (bits) per epoch.
    p_value : float
        Two-sided t-test of ``slope == 0`` with standard errors for AR(1) residuals.
    """

    phase: str  # "processing" | "compression" | "flat"
    start_epoch: int
    end_epoch: int
    slope: float  # entropy units (bits) per epoch
    p_value: float  # two-sided t-test of slope == 0


@dataclass
class PhaseResult:
    """Result of :func:`training_phases`.

    Attributes
    ----------
    change_epoch : int or None
        Epoch label of the strongest break (the first one the search accepted), or ``None``
        when there is no clear change point.
    segments : list of Segment
        ``len(change_epochs) + 1`` segments in epoch order (one, the single line, when no
        change point was found).
    slopes : tuple of float
        Slopes of the segments (bits per epoch).
    p_value : float
        AR-bootstrap p-value of the sup-F test of two segments against one line (the first
        step of the search).
    bic_line, bic_two_segment : float
        BIC of the line and of the best two-segment model (Gaussian errors).
    rise_then_fall : bool
        A significant rise ("processing") followed, later, by a significant fall
        ("compression").
    reason : str
        Plain-language account of the decision.
    curve, fitted : pandas.Series
        The per-epoch curve and the chosen model's fit, indexed by epoch.
    change_epochs : list of int
        Every accepted change epoch, in epoch order (empty when none).
    p_values : tuple of float
        The p-value of each step of the sequential search (``j`` change points against
        ``j + 1``), including the last, non-significant one.
    ar_coefficient : float
        Bias-corrected lag-1 autocorrelation of the chosen model's residuals (what the
        slope tests assume).
    method : str
        The test, in words.
    """

    change_epoch: int | None
    segments: list[Segment]
    slopes: tuple[float, ...]
    p_value: float
    bic_line: float
    bic_two_segment: float
    rise_then_fall: bool
    reason: str
    curve: pd.Series = field(repr=False)
    fitted: pd.Series = field(repr=False)
    change_epochs: list[int] = field(default_factory=list)
    p_values: tuple[float, ...] = ()
    ar_coefficient: float = float("nan")
    method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The segments as a DataFrame."""
        return pd.DataFrame([s.__dict__ for s in self.segments])


def epoch_curve(entropy: Any, epochs: Any = None) -> pd.Series:
    """Per-epoch mean of an entropy table or series, indexed by epoch.

    Accepts the tables of :func:`~mmphate.intrastep_entropy` /
    :func:`~mmphate.interstep_entropy` (any DataFrame with ``epoch`` and
    ``entropy`` columns), a Series indexed by epoch, or a 1-D array (with
    ``epochs`` labels, default ``0..n-1``).
    """
    if isinstance(entropy, pd.DataFrame):
        if not {"epoch", "entropy"} <= set(entropy.columns):
            raise ValueError(
                "an entropy table needs 'epoch' and 'entropy' columns; got "
                f"{list(entropy.columns)}."
            )
        curve = entropy.groupby("epoch", sort=True)["entropy"].mean()
    elif isinstance(entropy, pd.Series):
        curve = entropy.sort_index().astype(float)
    else:
        arr = np.asarray(entropy, dtype=float)
        if arr.ndim != 1:
            raise ValueError(
                f"an entropy curve must be 1-D (one value per epoch); got {arr.shape}."
            )
        idx = np.arange(len(arr)) if epochs is None else np.asarray(epochs)
        if len(idx) != len(arr):
            raise ValueError(f"epochs has {len(idx)} labels for {len(arr)} values.")
        curve = pd.Series(arr, index=idx).sort_index()
    curve.index = pd.Index(np.asarray(curve.index), name="epoch")
    curve.name = "entropy"
    if not np.isfinite(curve.to_numpy()).all():
        raise ValueError("the entropy curve contains NaN or infinite values.")
    return curve


# Largest AR coefficient the bootstrap and the slope tests use: closer to 1 the curve is a
# random walk, for which "change point" has no meaning the data could support.
_MAX_PHI = 0.98
# bootstrap AR series start this many steps before the curve (forgets the zero start)
_BURN = 50
# simulated paths per grid point when calibrating the AR estimate (see _calibrated_ar1)
_CALIBRATION = 200
_PHI_GRID = np.linspace(-0.5, _MAX_PHI, 25)
_CALIBRATION_CACHE: dict[tuple[Any, ...], np.ndarray] = {}
# the observed estimate is mapped through this quantile of its simulated distribution: an
# upper 90% confidence bound on the AR coefficient (the mean alone over-rejected: 0.15 at
# phi = 0.9, n = 51), so the test errs on the side of "no change point"
_QUANTILE = 0.1


def _design(x: np.ndarray, knots: list[int]) -> np.ndarray:
    """Line plus one hinge ``max(x - x[i], 0)`` per knot index: continuous piecewise linear."""
    cols = [np.ones_like(x), x] + [np.maximum(x - x[i], 0.0) for i in knots]
    return np.column_stack(cols)


def _bic(rss: float, n: int, k: int) -> float:
    return n * np.log(max(rss, 1e-300) / n) + k * np.log(n)


def _ar1(r: np.ndarray) -> float:
    den = float(r[:-1] @ r[:-1])
    return float(r[1:] @ r[:-1]) / den if den > 0 else 0.0


def _bias_corrected_ar1(r: np.ndarray, k: int) -> float:
    """Lag-1 AR coefficient of regression residuals, corrected for its first-order bias.

    Least squares on residuals after fitting ``k`` regressors underestimates the AR
    coefficient by about ``(k + (k + 2) phi) / n`` (``(2 + 4 phi) / n`` for a trend, the
    classical result for a mean being ``(1 + 3 phi) / n``).  Uncorrected, the bootstrap is
    less persistent than the data and the test over-rejects (measured: 0.13 instead of 0.05
    at phi = 0.9, n = 51).
    """
    n = len(r)
    phi = _ar1(r)
    return float(np.clip(phi + (k + (k + 2) * phi) / n, -_MAX_PHI, _MAX_PHI))


def _admissible(n: int, knots: list[int], m: int) -> np.ndarray:
    """Knot indices that keep every segment at least ``m`` epochs long (ends shared)."""
    cand = np.arange(m - 1, n - m + 1)
    for j in knots:
        cand = cand[np.abs(cand - j) >= m - 1]
    return cand


def _sup_f(Y: np.ndarray, D: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest F statistic of adding one column of ``Z`` to ``D``, for every row of ``Y``.

    Adding column ``z`` lowers the residual sum of squares by ``(r . z~)^2 / |z~|^2``
    (``r``, ``z~``: residuals of ``y`` and ``z`` on ``D``), so all candidates of all
    bootstrap curves are two matrix products, not one regression each.
    """
    n, k = D.shape
    Q, _ = np.linalg.qr(D)
    R = Y - (Y @ Q) @ Q.T
    Zt = Z - Q @ (Q.T @ Z)
    zz = (Zt**2).sum(axis=0)
    ok = zz > 1e-12 * max(float(zz.max()), 1e-300)
    gain = (R @ Zt) ** 2 / np.where(ok, zz, 1.0)
    gain[:, ~ok] = 0.0
    rss0 = (R**2).sum(axis=1)[:, None]
    dof = max(n - k - 1, 1)
    F = gain / np.maximum((rss0 - gain) / dof, 1e-300 * np.maximum(rss0, 1e-300))
    return F.max(axis=1), F.argmax(axis=1)


def _alt_ar1(
    Y: np.ndarray, D: np.ndarray, Z: np.ndarray, extra: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lag-1 AR coefficient of each row's residuals after ``D`` plus ``extra`` columns of ``Z``.

    Returns the coefficients and the residuals.
    The columns are chosen greedily per row (orthogonal matching pursuit), so the
    residuals are those of a flexible alternative fit.
    """
    Q, _ = np.linalg.qr(D)
    R = Y - (Y @ Q) @ Q.T
    Zt = np.repeat((Z - Q @ (Q.T @ Z))[None], len(Y), axis=0)
    rows = np.arange(len(Y))
    for _ in range(extra):
        zz = (Zt**2).sum(axis=1)
        dot = np.einsum("bn,bnc->bc", R, Zt)
        # columns already (nearly) spanned carry only round-off: never pick them
        live = zz > 1e-9 * zz.max(axis=1, keepdims=True)
        j = np.where(live, dot**2 / np.where(live, zz, 1.0), -1.0).argmax(axis=1)
        q = Zt[rows, :, j] / np.sqrt(np.maximum(zz[rows, j], 1e-300))[:, None]
        R = R - (R * q).sum(axis=1)[:, None] * q
        Zt = Zt - q[:, :, None] * np.einsum("bn,bnc->bc", q, Zt)[:, None, :]
    num = (R[:, 1:] * R[:, :-1]).sum(axis=1)
    den = np.maximum((R[:, :-1] ** 2).sum(axis=1), 1e-300)
    return num / den, R


def _calibration_curve(x: np.ndarray, knots: list[int], m: int, extra: int) -> np.ndarray:
    """Simulated ``_QUANTILE`` of the flexible fit's AR estimate at each ``_PHI_GRID`` value.

    Depends only on the design (epochs, accepted knots, segment length, hinges still
    allowed), so it is computed once per design with fixed random numbers (a numerical
    integral, not part of the bootstrap's randomness) and cached.
    """
    key = (x.tobytes(), tuple(knots), m, extra)
    hit = _CALIBRATION_CACHE.get(key)
    if hit is not None:
        return hit
    n = len(x)
    D = _design(x, sorted(knots))
    cand = _admissible(n, knots, m)
    Z = np.column_stack([np.maximum(x - x[c], 0.0) for c in cand])
    E = np.random.default_rng(20200).standard_normal((_CALIBRATION, n + _BURN))
    curve = np.array(
        [
            np.quantile(
                _alt_ar1(signal.lfilter([1.0], [1.0, -g], E, axis=1)[:, _BURN:], D, Z, extra)[0],
                _QUANTILE,
            )
            for g in _PHI_GRID
        ]
    )
    curve = np.maximum.accumulate(curve)  # monotone for the inversion
    if len(_CALIBRATION_CACHE) >= 64:
        _CALIBRATION_CACHE.pop(next(iter(_CALIBRATION_CACHE)))
    _CALIBRATION_CACHE[key] = curve
    return curve


def _calibrated_ar1(
    y: np.ndarray, x: np.ndarray, knots: list[int], m: int, extra: int
) -> tuple[float, np.ndarray]:
    """AR coefficient of the noise, estimated from the residuals of the *alternative* fit.

    Residuals of the null fit (a line) would carry any real change of slope as a slow
    wave, which reads as an AR coefficient near 1 and leaves the test no power; residuals
    after the best ``extra`` hinges (as many as the search may still accept, chosen
    greedily) do not, but that search absorbs some persistence, so their AR coefficient is
    biased low by more than the regression formula says.  The bias is removed by indirect
    inference: the estimate's distribution is simulated (``_CALIBRATION`` AR(1) paths) on
    a grid of true coefficients, and the observed estimate is mapped back through its
    ``_QUANTILE`` curve, which gives an upper confidence bound on the coefficient.
    Returns the coefficient and the flexible fit's residuals.
    """
    D = _design(x, sorted(knots))
    cand = _admissible(len(x), knots, m)
    Z = np.column_stack([np.maximum(x - x[c], 0.0) for c in cand])
    phis, res = _alt_ar1(y[None, :], D, Z, extra)
    curve = _calibration_curve(x, knots, m, extra)
    phi = float(np.interp(float(phis[0]), curve, _PHI_GRID))
    return float(np.clip(phi, -_MAX_PHI, _MAX_PHI)), res[0]


def _ar_bootstrap(
    fit: np.ndarray, resid: np.ndarray, phi: float, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """``fit`` plus AR(1) noise driven by the resampled, centred innovations of ``resid``."""
    n = len(resid)
    e = resid[1:] - phi * resid[:-1]
    e = e - e.mean()
    E = rng.choice(e, size=(n_boot, n + _BURN), replace=True)
    U = signal.lfilter([1.0], [1.0, -phi], E, axis=1)
    return fit[None, :] + U[:, _BURN:]


def _refine(x: np.ndarray, y: np.ndarray, knots: list[int], m: int) -> list[int]:
    """Coordinate descent on the knots: re-search each with the others held (two passes)."""
    knots = sorted(knots)
    for _ in range(2):
        changed = False
        for i in range(len(knots)):
            others = knots[:i] + knots[i + 1 :]
            cand = _admissible(len(x), others, m)
            D = _design(x, others)
            Z = np.column_stack([np.maximum(x - x[c], 0.0) for c in cand])
            _, j = _sup_f(y[None, :], D, Z)
            best = int(cand[j[0]])
            if best != knots[i]:
                knots[i], changed = best, True
        knots = sorted(knots)
        if not changed:
            break
    return knots


def _segment_tests(
    x: np.ndarray, y: np.ndarray, knots: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Segment slopes with two-sided p-values for AR(1) residuals.

    Returns slopes, p-values, the fit, the bias-corrected AR coefficient and ``beta``.
    The covariance of the least-squares coefficients is ``A S A'`` (``A`` the
    pseudo-inverse of the design, ``S = s2 * phi^|i-j|``), with ``s2`` estimated
    without bias under that model (``rss / (n - tr(H R))``).
    """
    D = _design(x, knots)
    n, k = D.shape
    A = np.linalg.pinv(D)
    beta = A @ y
    fit = D @ beta
    resid = y - fit
    phi = _bias_corrected_ar1(resid, k) if n > k + 2 else 0.0
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    Rm = phi**lag
    H = D @ A
    dof = n - k
    s2 = float(resid @ resid) / max(n - float(np.trace(H @ Rm)), 1e-12)
    cov = s2 * (A @ Rm @ A.T)
    # slope of segment s = beta[1] + sum of the first s hinge coefficients
    C = np.zeros((len(knots) + 1, k))
    C[:, 1] = 1.0
    for s in range(1, len(knots) + 1):
        C[s, 2 : 2 + s] = 1.0
    slopes = C @ beta
    se = np.sqrt(np.maximum(np.einsum("sk,kl,sl->s", C, cov, C), 0.0))
    p = np.empty(len(slopes))
    for s in range(len(slopes)):
        if dof <= 0:
            p[s] = np.nan
        elif se[s] == 0.0:
            p[s] = 0.0 if slopes[s] != 0 else 1.0
        else:
            p[s] = 2 * stats.t.sf(abs(slopes[s]) / se[s], dof)
    return slopes, p, fit, phi, beta


_METHOD = "sequential sup-F, AR(1)-sieve bootstrap (AR coefficient calibrated by simulation)"


def training_phases(
    entropy: Any,
    *,
    epochs: Any = None,
    min_segment: int = 3,
    alpha: float = 0.05,
    n_boot: int = 499,
    random_state: int | None = 0,
    max_changes: int = 3,
) -> PhaseResult:
    """Find the change points of a per-epoch entropy curve ("processing", "compression").

    Parameters
    ----------
    entropy : DataFrame, Series or array
        The intra-step entropy table (averaged per epoch here), a per-epoch
        Series indexed by epoch, or a 1-D array (labels from ``epochs``).
    epochs : array-like, optional
        Epoch labels for an array input.
    min_segment : int
        Fewest epochs in each segment (a change epoch counts for both of its segments).
    alpha : float
        Significance level of every step of the search and of the slopes.
    n_boot : int
        Bootstrap resamples per step (the smallest p-value is ``1 / (n_boot + 1)``).
    random_state : int or None
        Seed of the bootstrap.
    max_changes : int
        Most change points the sequential search may accept (1 gives the single-break
        fit of earlier versions, with the autocorrelation-robust test).

    Returns
    -------
    PhaseResult
        ``change_epoch`` is ``None`` (with the reason) when the curve is too
        short, or two segments do not beat one line both by the bootstrap test
        and by BIC.  ``change_epochs`` lists every accepted change point.

    Raises
    ------
    TypeError
        If the entropy values or epoch labels are not numbers.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``min_segment``, ``alpha`` (in (0, 1)),
        ``n_boot`` (1..100,000), ``max_changes`` or ``random_state`` is invalid.
    ValueError
        If the curve has NaN or infinite values, or epoch labels that are not whole numbers.

    Notes
    -----
    See the module docstring: continuous piecewise linear fit, sequential sup-F tests whose
    null distribution comes from an AR(1)-sieve bootstrap with a bias-corrected
    coefficient (so the level holds under autocorrelated residuals), BIC as a second guard
    on the first change point, slope tests with AR(1) standard errors.  Our definition; the
    paper gives none.
    """
    check_entropy_input(entropy, epochs)
    min_segment = check_int(min_segment, "min_segment", minimum=1)
    alpha = check_probability(alpha, "alpha")
    n_boot = check_int(n_boot, "n_boot", minimum=1, maximum=100_000)
    max_changes = check_int(max_changes, "max_changes", minimum=1, maximum=100)
    random_state = check_seed(random_state)
    curve = epoch_curve(entropy, epochs)
    x = curve.index.to_numpy().astype(float)
    y = curve.to_numpy()
    n = len(y)
    labels = [int(v) for v in curve.index]

    def result(
        knots: list[int], p_values: list[float], bic1: float, bic2: float, reason: str
    ) -> PhaseResult:
        order = sorted(knots)
        if n > 2:
            slopes, ps, fit, phi, _ = _segment_tests(x, y, order)
        else:
            slopes, ps, fit, phi = np.array([np.nan]), np.array([np.nan]), y.copy(), np.nan
        bounds = [labels[0], *(labels[i] for i in order), labels[-1]] if n else [0, 0]
        segs = [
            Segment(_phase(float(s), float(p), alpha), bounds[i], bounds[i + 1], float(s), float(p))
            for i, (s, p) in enumerate(zip(slopes, ps, strict=True))
        ]
        phases = [s.phase for s in segs]
        rise_fall = any(
            a == "processing" and "compression" in phases[i + 1 :] for i, a in enumerate(phases)
        )
        if knots:
            pattern = " then ".join(
                f"{s.phase} ({s.slope:+.3g}/epoch)"
                if i
                else f"{s.phase} (slope {s.slope:+.3g}/epoch)"
                for i, s in enumerate(segs)
            )
            where = (
                f"change point at epoch {labels[knots[0]]}"
                if len(knots) == 1
                else "change points at epochs " + ", ".join(str(labels[i]) for i in order)
            )
            reason = (
                f"{where}: {pattern}; AR-bootstrap sup-F p = "
                + ", ".join(f"{p:.3g}" for p in p_values[: len(knots)])
                + f" (residual AR(1) {phi:.2f}), BIC {bic2:.2f} vs {bic1:.2f} for one line."
            )
            if not rise_fall:
                reason += " Not the rise-then-fall pattern (processing then compression)."
        first = p_values[0] if p_values else (1.0 if "straight line" in reason else float("nan"))
        return PhaseResult(
            labels[knots[0]] if knots else None,
            segs,
            tuple(float(s) for s in slopes),
            float(first),
            bic1,
            bic2,
            bool(rise_fall),
            reason,
            curve,
            pd.Series(fit, index=curve.index, name="fitted"),
            change_epochs=[labels[i] for i in order],
            p_values=tuple(float(p) for p in p_values),
            ar_coefficient=float(phi),
            method=_METHOD,
        )

    nan = float("nan")
    m = max(int(min_segment), 2)
    if n < 5 or len(_admissible(n, [], m)) == 0:
        return result(
            [],
            [],
            nan,
            nan,
            f"too few epochs ({n}) for a two-segment fit with min_segment={min_segment}; "
            f"need at least {max(5, 2 * m - 1)}.",
        )
    X1 = _design(x, [])
    fit1 = X1 @ np.linalg.lstsq(X1, y, rcond=None)[0]
    rss1 = float(((y - fit1) ** 2).sum())
    bic1 = _bic(rss1, n, 3)  # + error variance
    scale = max(1.0, float((y**2).sum()))
    if rss1 <= 1e-20 * scale:
        return result([], [], bic1, nan, "the curve is exactly a straight line: no change point.")

    rng = np.random.default_rng(random_state)
    knots: list[int] = []  # in the order accepted; the first is the strongest
    p_values: list[float] = []
    bic2 = nan
    stop = ""
    while len(knots) < max_changes:
        cand = _admissible(n, knots, m)
        if len(cand) == 0:
            break
        D = _design(x, sorted(knots))
        fit = D @ np.linalg.lstsq(D, y, rcond=None)[0]
        resid = y - fit
        if float(resid @ resid) <= 1e-20 * scale:
            break  # the curve is exactly piecewise linear: nothing left to find
        Z = np.column_stack([np.maximum(x - x[c], 0.0) for c in cand])
        F_obs, j = _sup_f(y[None, :], D, Z)
        # the F statistic does not depend on the noise's scale, only on its dependence and
        # shape: innovations come from the flexible fit's residuals, free of a missed break
        phi, alt_resid = _calibrated_ar1(y, x, knots, m, max_changes - len(knots))
        Yb = _ar_bootstrap(fit, alt_resid, phi, n_boot, rng)
        F_b, _ = _sup_f(Yb, D, Z)
        f = float(F_obs[0])
        p = float((1 + np.sum(F_b >= f - 1e-12 * abs(f))) / (n_boot + 1))
        p_values.append(p)
        new = int(cand[j[0]])
        if not knots:
            D2 = _design(x, [new])
            rss2 = float(((y - D2 @ np.linalg.lstsq(D2, y, rcond=None)[0]) ** 2).sum())
            bic2 = _bic(rss2, n, 5)  # + error variance; + break location
        if p >= alpha:
            if not knots:
                stop = (
                    "no clear change point: two segments do not fit significantly better than "
                    f"one line (AR-bootstrap sup-F p = {p:.3g} >= {alpha}; residual AR(1) "
                    f"{phi:.2f})."
                )
            break
        if not knots and bic2 >= bic1:
            stop = (
                f"no clear change point: the two-segment fit has the higher BIC "
                f"({bic2:.2f} vs {bic1:.2f} for one line), although p = {p:.3g}."
            )
            break
        # keep the strongest first; refine positions jointly but keep the order of acceptance
        refined = _refine(x, y, [*knots, new], m)
        first = min(refined, key=lambda v: abs(v - knots[0])) if knots else refined[0]
        knots = [first, *[v for v in refined if v != first]]
    return result(knots, p_values, bic1, bic2, stop)


def _phase(slope: float, p: float, alpha: float) -> str:
    if np.isfinite(p) and p < alpha:
        return "processing" if slope > 0 else "compression"
    return "flat"
