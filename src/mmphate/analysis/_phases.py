"""Training phases from a per-epoch entropy curve.

Our definition (the paper describes the phases only qualitatively): the
per-epoch mean of the intra-step entropy is fitted by a *continuous* two-segment
(hinge) line, ``y = a + b1 * min(x - c, 0) + b2 * max(x - c, 0)``, with the
break ``c`` searched over the observed epochs (each segment keeps at least
``min_segment`` epochs).  A continuous fit is used because entropy changes
gradually; a jump would show as two steep slopes around it.

The two-segment model is kept only if it is clearly better than one straight
line:

1. a sup-F test against the single line whose p-value comes from a residual
   bootstrap under the line (``n_boot`` resamples, seeded), which accounts for
   the break having been searched for (the plain F distribution would not); and
2. the two-segment model must also have the lower BIC.

Each segment is then called ``"processing"`` when its slope is significantly
positive, ``"compression"`` when significantly negative, and ``"flat"``
otherwise (t-tests on the hinge coefficients, conditional on the break).  The
paper's hypothesis, entropy rising and then falling, is ``rise_then_fall``.
This is a hypothesis the tool helps test, not a law.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
        Two-sided t-test of ``slope == 0``.
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
        Epoch label of the break, or ``None`` when there is no clear change point.
    segments : list of Segment
        Two segments when a change point was found, else one (the single line).
    slopes : tuple of float
        Slopes of the segments (bits per epoch).
    p_value : float
        Bootstrap p-value of the sup-F test of two segments against one line.
    bic_line, bic_two_segment : float
        BIC of both models (Gaussian errors).
    rise_then_fall : bool
        A significant rise ("processing") followed by a significant fall ("compression").
    reason : str
        Plain-language account of the decision.
    curve, fitted : pandas.Series
        The per-epoch curve and the chosen model's fit, indexed by epoch.
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


def _hinge_design(x: np.ndarray, c: float) -> np.ndarray:
    return np.column_stack([np.ones_like(x), np.minimum(x - c, 0.0), np.maximum(x - c, 0.0)])


def _bic(rss: float, n: int, k: int) -> float:
    return n * np.log(max(rss, 1e-300) / n) + k * np.log(n)


def training_phases(
    entropy: Any,
    *,
    epochs: Any = None,
    min_segment: int = 3,
    alpha: float = 0.05,
    n_boot: int = 499,
    random_state: int | None = 0,
) -> PhaseResult:
    """Find the change point of a per-epoch entropy curve ("processing" then "compression").

    Parameters
    ----------
    entropy : DataFrame, Series or array
        The intra-step entropy table (averaged per epoch here), a per-epoch
        Series indexed by epoch, or a 1-D array (labels from ``epochs``).
    epochs : array-like, optional
        Epoch labels for an array input.
    min_segment : int
        Fewest epochs on each side of the break (the break epoch counts for both).
    alpha : float
        Significance level for the change point and the slopes.
    n_boot : int
        Bootstrap resamples for the p-value of the change point.
    random_state : int or None
        Seed of the bootstrap.

    Returns
    -------
    PhaseResult
        ``change_epoch`` is ``None`` (with the reason) when the curve is too
        short, or two segments do not beat one line both by the bootstrap test
        and by BIC.

    Raises
    ------
    TypeError
        If the entropy values or epoch labels are not numbers.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``min_segment``, ``alpha`` (in (0, 1)),
        ``n_boot`` (1..100,000) or ``random_state`` is invalid.
    ValueError
        If the curve has NaN or infinite values, or epoch labels that are not whole numbers.

    Notes
    -----
    See the module docstring: continuous hinge fit, sup-F test with a residual
    bootstrap under the single-line null, BIC as a second guard.  Our
    definition; the paper gives none.
    """
    check_entropy_input(entropy, epochs)
    min_segment = check_int(min_segment, "min_segment", minimum=1)
    alpha = check_probability(alpha, "alpha")
    n_boot = check_int(n_boot, "n_boot", minimum=1, maximum=100_000)
    random_state = check_seed(random_state)
    curve = epoch_curve(entropy, epochs)
    x = curve.index.to_numpy().astype(float)
    y = curve.to_numpy()
    n = len(y)
    X1 = np.column_stack([np.ones(n), x])
    beta1, *_ = np.linalg.lstsq(X1, y, rcond=None)
    fit1 = X1 @ beta1
    rss1 = float(((y - fit1) ** 2).sum())
    line_p = _slope_p(X1, y, beta1, 1) if n > 2 else float("nan")
    line_seg = [
        Segment(
            _phase(float(beta1[1]), line_p, alpha),
            int(curve.index[0]),
            int(curve.index[-1]),
            float(beta1[1]),
            line_p,
        )
    ]

    def no_change(reason: str, p: float = float("nan"), bic2: float = float("nan")) -> PhaseResult:
        return PhaseResult(
            None,
            line_seg,
            (float(beta1[1]),),
            p,
            _bic(rss1, n, 3) if n > 0 else float("nan"),
            bic2,
            False,
            reason,
            curve,
            pd.Series(fit1, index=curve.index, name="fitted"),
        )

    min_segment = max(int(min_segment), 2)
    candidates = np.arange(min_segment - 1, n - min_segment + 1)
    if n < 5 or len(candidates) == 0:
        return no_change(
            f"too few epochs ({n}) for a two-segment fit with min_segment={min_segment}; "
            f"need at least {max(5, 2 * min_segment - 1)}."
        )
    if rss1 <= 1e-20 * max(1.0, float((y**2).sum())):
        return no_change("the curve is exactly a straight line: no change point.", 1.0)

    # hat matrices of every candidate hinge model: (C, n, n)
    hats = []
    for i in candidates:
        D = _hinge_design(x, x[i])
        hats.append(D @ np.linalg.pinv(D))
    H = np.stack(hats)

    def rss_two(Y: np.ndarray) -> np.ndarray:  # Y: (B, n) -> (B, C)
        fitted = np.einsum("cij,bj->bci", H, Y)
        return ((Y[:, None, :] - fitted) ** 2).sum(axis=2)

    def sup_f(Y: np.ndarray, rss_line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r2 = rss_two(Y)
        best = r2.argmin(axis=1)
        r2min = r2[np.arange(len(Y)), best]
        f = (rss_line - r2min) / np.maximum(r2min / max(n - 4, 1), 1e-300)
        return f, best

    F_obs, best = sup_f(y[None, :], np.array([rss1]))
    ib = int(candidates[best[0]])
    rng = np.random.default_rng(random_state)
    resid = y - fit1
    Yb = fit1[None, :] + rng.choice(resid, size=(n_boot, n), replace=True)
    P1 = X1 @ np.linalg.pinv(X1)
    rss1_b = ((Yb - Yb @ P1.T) ** 2).sum(axis=1)
    F_b, _ = sup_f(Yb, rss1_b)
    p_value = float((1 + np.sum(F_b >= F_obs[0] - 1e-12 * abs(F_obs[0]))) / (n_boot + 1))

    D = _hinge_design(x, x[ib])
    beta2, *_ = np.linalg.lstsq(D, y, rcond=None)
    fit2 = D @ beta2
    rss2 = float(((y - fit2) ** 2).sum())
    bic1, bic2 = _bic(rss1, n, 3), _bic(rss2, n, 5)  # + error variance; + break location
    if p_value >= alpha:
        return no_change(
            f"no clear change point: two segments do not fit significantly better than one line "
            f"(bootstrap sup-F p = {p_value:.3g} >= {alpha}).",
            p_value,
            bic2,
        )
    if bic2 >= bic1:
        return no_change(
            f"no clear change point: the two-segment fit has the higher BIC "
            f"({bic2:.2f} vs {bic1:.2f} for one line), although p = {p_value:.3g}.",
            p_value,
            bic2,
        )
    s1, s2 = float(beta2[1]), float(beta2[2])
    p1, p2 = _slope_p(D, y, beta2, 1), _slope_p(D, y, beta2, 2)
    change = int(curve.index[ib])
    segs = [
        Segment(_phase(s1, p1, alpha), int(curve.index[0]), change, s1, p1),
        Segment(_phase(s2, p2, alpha), change, int(curve.index[-1]), s2, p2),
    ]
    rise_fall = segs[0].phase == "processing" and segs[1].phase == "compression"
    pattern = f"{segs[0].phase} (slope {s1:+.3g}/epoch) then {segs[1].phase} ({s2:+.3g}/epoch)"
    reason = (
        f"change point at epoch {change}: {pattern}; bootstrap sup-F p = {p_value:.3g}, "
        f"BIC {bic2:.2f} vs {bic1:.2f} for one line."
    )
    if not rise_fall:
        reason += " Not the rise-then-fall pattern (processing then compression)."
    return PhaseResult(
        change,
        segs,
        (s1, s2),
        p_value,
        bic1,
        bic2,
        rise_fall,
        reason,
        curve,
        pd.Series(fit2, index=curve.index, name="fitted"),
    )


def _slope_p(D: np.ndarray, y: np.ndarray, beta: np.ndarray, j: int) -> float:
    n, p = D.shape
    dof = n - p
    if dof <= 0:
        return float("nan")
    resid = y - D @ beta
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.pinv(D.T @ D)
    se = float(np.sqrt(max(cov[j, j], 0.0)))
    if se == 0.0:
        return 0.0 if beta[j] != 0 else 1.0
    t = float(beta[j]) / se
    return float(2 * stats.t.sf(abs(t), dof))


def _phase(slope: float, p: float, alpha: float) -> str:
    if np.isfinite(p) and p < alpha:
        return "processing" if slope > 0 else "compression"
    return "flat"
