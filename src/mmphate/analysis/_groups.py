"""Do groups of runs differ more than runs within a group?  A permutation test on a distance
matrix between runs (PERMANOVA, Anderson 2001), e.g. LSTM vs GRU vs RNN runs against
seed-to-seed variation.

The statistic is the pseudo-F ratio of the between-group to the within-group sums of squared
distances.  Under the null hypothesis that the group labels do not matter, every assignment of
the labels to the runs (with the observed group sizes) is equally likely, so the p-value is the
share of assignments whose statistic is at least the observed one.  When the assignments are
few they are all enumerated (an *exact* test); otherwise random assignments are drawn.  With
few runs per group the smallest attainable p-value is large (3 + 3 runs: 0.1), and the result
says so (``min_p``): a p-value at that floor means "cannot tell with this many runs", not "no".

Compute only; nothing here imports :mod:`mmphate.explorer`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_int, check_number, check_seed, describe
from ._stats import _holm

__all__ = ["GroupTestResult", "group_permutation_test", "pairwise_group_tests"]

_CHUNK = 20_000


@dataclass(frozen=True)
class GroupTestResult:
    """Result of :func:`group_permutation_test`.

    Attributes
    ----------
    statistic : float
        Pseudo-F of the observed labels.
    p_value : float
        Share of label assignments (exact) or ``(1 + hits) / (1 + draws)`` (Monte Carlo) with
        a statistic at least the observed one.
    min_p : float
        Smallest p-value this design can give: the share of assignments that produce the
        observed partition (exact) or ``1 / (1 + draws)``.
    exact : bool
        Every assignment was enumerated.
    n_assignments : int
        Assignments evaluated (all of them when exact, otherwise the draws).
    n_total : int
        Distinct assignments of the labels to the runs (a multinomial coefficient).
    groups : dict
        Group label -> number of runs.
    summary : str
        One sentence.
    """

    statistic: float
    p_value: float
    min_p: float
    exact: bool
    n_assignments: int
    n_total: int
    groups: dict[str, int]
    summary: str


def _check(distances: Any, groups: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    try:
        D = np.asarray(distances, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"distances must be a numeric (runs, runs) matrix; got {describe(distances)}."
        ) from None
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"distances must be a square (runs, runs) matrix; got shape {D.shape}.")
    if not np.isfinite(D).all() or (D < 0).any():
        raise ValueError("distances must be finite and non-negative.")
    if not np.allclose(D, D.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(D).max()))):
        raise ValueError("distances must be symmetric (D[i, j] == D[j, i]).")
    labels = np.asarray([str(g) for g in np.asarray(groups, dtype=object).ravel()])
    if len(labels) != len(D):
        raise ValueError(
            f"groups must give one label per run ({len(D)}); got {len(labels)} labels."
        )
    names = list(dict.fromkeys(labels.tolist()))
    if len(names) < 2:
        raise ValueError(f"groups must hold at least 2 distinct labels; got {names}.")
    if len(labels) <= len(names):
        raise ValueError(
            f"at least one group needs 2 or more runs (got {len(labels)} runs in "
            f"{len(names)} groups), otherwise there is no within-group variation."
        )
    codes = np.array([names.index(g) for g in labels])
    return (D + D.T) / 2, codes, names


def _pseudo_f(D2: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Pseudo-F of each row of ``codes`` (assignments x runs)."""
    n = D2.shape[0]
    ss_total = D2.sum() / (2 * n)
    onehot = codes[:, None, :] == np.arange(n_groups)[None, :, None]  # (m, g, n)
    onehot = onehot.astype(np.float64)
    sizes = onehot.sum(axis=2)
    quad = np.einsum("mgi,ij,mgj->mg", onehot, D2, onehot)
    ss_within = (quad / (2 * np.maximum(sizes, 1))).sum(axis=1)
    between = (ss_total - ss_within) / (n_groups - 1)
    within = ss_within / (n - n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(within > 0, between / np.where(within > 0, within, 1), np.inf)
    return np.where((within == 0) & (between <= 0), 0.0, f)


def _assignments(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Every distinct arrangement of the label vector ``codes``."""
    n = len(codes)
    sizes = np.bincount(codes, minlength=n_groups)
    out: list[np.ndarray] = []

    def fill(current: np.ndarray, free: tuple[int, ...], g: int) -> None:
        if g == n_groups - 1:
            row = current.copy()
            row[list(free)] = g
            out.append(row)
            return
        for chosen in itertools.combinations(free, int(sizes[g])):
            row = current.copy()
            row[list(chosen)] = g
            rest = tuple(i for i in free if i not in chosen)
            fill(row, rest, g + 1)

    fill(np.full(n, -1), tuple(range(n)), 0)
    return np.stack(out)


def _multinomial(sizes: np.ndarray) -> int:
    total, out = 0, 1
    for s in sizes:
        total += int(s)
        out *= math.comb(total, int(s))
    return out


def group_permutation_test(
    distances: Any,
    groups: Any,
    *,
    n_permutations: int = 9999,
    max_exact: int = 50_000,
    random_state: int | None = 0,
) -> GroupTestResult:
    """Permutation test (PERMANOVA pseudo-F) that runs differ more between groups than within.

    Parameters
    ----------
    distances : array of shape (runs, runs)
        A symmetric, non-negative distance between every pair of runs (any distance: between
        entropy curves, ``1 - CKA`` of representations, ...).
    groups : sequence of labels, one per run
        E.g. the architecture of each run.  Each run is one exchangeable unit under the null.
    n_permutations : int
        Random assignments to draw when the distinct assignments exceed ``max_exact``.
    max_exact : int
        Enumerate every assignment when there are at most this many.
    random_state : int or None
        Seed of the draws (unused by an exact test).

    Returns
    -------
    GroupTestResult
        ``statistic``, ``p_value``, ``min_p`` (the smallest p-value the design allows),
        ``exact``, ``n_assignments``, ``n_total``, ``groups`` and ``summary``.

    Raises
    ------
    TypeError
        If ``distances`` is not numeric.
    ValueError
        If it is not a square, symmetric, finite, non-negative matrix, ``groups`` does not
        give one label per run, there are fewer than 2 groups, or no group has 2 runs.
    InvalidParameterError
        If ``n_permutations``, ``max_exact`` or ``random_state`` is invalid.

    Notes
    -----
    The pseudo-F does not change when the group labels are renamed, so every assignment that
    gives the same partition of the runs gives the same value: with ``g`` groups of equal size
    the exact p-value cannot be below ``g! / n_total`` (3 + 3 runs: 2 / 20 = 0.1; 5 + 5: 2 /
    252 = 0.008; 3 x 3: 6 / 1680 = 0.0036).
    """
    D, codes, names = _check(distances, groups)
    n_permutations = check_int(n_permutations, "n_permutations", minimum=1, maximum=10_000_000)
    max_exact = check_int(max_exact, "max_exact", minimum=1, maximum=10_000_000)
    check_seed(random_state, "random_state", generator=False)
    g = len(names)
    D2 = D**2
    observed = float(_pseudo_f(D2, codes[None, :], g)[0])
    sizes = np.bincount(codes, minlength=g)
    n_total = _multinomial(sizes)
    same_partition = math.prod(math.factorial(c) for c in np.bincount(sizes)[1:])
    tol = 1e-9 * max(1.0, abs(observed)) if np.isfinite(observed) else 0.0
    if n_total <= max_exact:
        stats_all = np.concatenate(
            [
                _pseudo_f(D2, chunk, g)
                for chunk in np.array_split(_assignments(codes, g), max(1, n_total // _CHUNK + 1))
            ]
        )
        p = float(np.mean(stats_all >= observed - tol))
        exact, n_done, min_p = True, n_total, same_partition / n_total
    else:
        rng = np.random.default_rng(random_state)
        hits = 0
        for start in range(0, n_permutations, _CHUNK):
            m = min(_CHUNK, n_permutations - start)
            perms = np.stack([rng.permutation(codes) for _ in range(m)])
            hits += int(np.sum(_pseudo_f(D2, perms, g) >= observed - tol))
        p = (1 + hits) / (1 + n_permutations)
        exact, n_done, min_p = False, n_permutations, 1 / (1 + n_permutations)
    sizes_text = " + ".join(f"{int(s)} {name}" for name, s in zip(names, sizes, strict=True))
    how = (
        f"exact over all {n_total} assignments"
        if exact
        else f"{n_permutations} random assignments of {n_total}"
    )
    summary = (
        f"pseudo-F = {observed:.3g}, permutation p = {p:.3g} ({how}; runs: {sizes_text}; the "
        f"smallest attainable p is {min_p:.3g})."
    )
    return GroupTestResult(
        statistic=observed,
        p_value=p,
        min_p=min_p,
        exact=exact,
        n_assignments=n_done,
        n_total=n_total,
        groups={name: int(s) for name, s in zip(names, sizes, strict=True)},
        summary=summary,
    )


def pairwise_group_tests(
    distances: Any,
    groups: Any,
    *,
    alpha: float = 0.05,
    n_permutations: int = 9999,
    max_exact: int = 50_000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """:func:`group_permutation_test` for every pair of groups, Holm-adjusted over the pairs.

    Parameters
    ----------
    distances, groups, n_permutations, max_exact, random_state
        As in :func:`group_permutation_test`; each pair uses the runs of its two groups.
    alpha : float
        Level of the ``significant`` column.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_a``, ``group_b``, ``n_a``, ``n_b``, ``statistic``,
        ``p_value``, ``min_p``, ``exact``, ``p_adjusted`` (Holm), ``significant``
        (``p_adjusted < alpha``) and ``can_reach_alpha`` (whether the design's smallest
        p-value, times the Holm factor of the smallest p, is below ``alpha``: if not, "not
        significant" means "cannot tell with this many runs").

    Raises
    ------
    As :func:`group_permutation_test`; also if ``alpha`` is not in (0, 1) or a pair has a
    single run in each group.
    """
    D, codes, names = _check(distances, groups)
    alpha = check_number(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    rows = []
    for a, b in itertools.combinations(range(len(names)), 2):
        keep = np.flatnonzero((codes == a) | (codes == b))
        res = group_permutation_test(
            D[np.ix_(keep, keep)],
            [names[c] for c in codes[keep]],
            n_permutations=n_permutations,
            max_exact=max_exact,
            random_state=random_state,
        )
        rows.append(
            {
                "group_a": names[a],
                "group_b": names[b],
                "n_a": int(np.sum(codes == a)),
                "n_b": int(np.sum(codes == b)),
                "statistic": res.statistic,
                "p_value": res.p_value,
                "min_p": res.min_p,
                "exact": res.exact,
            }
        )
    out = pd.DataFrame(rows)
    out["p_adjusted"] = _holm(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["can_reach_alpha"] = out["min_p"] * len(out) < alpha
    return out
