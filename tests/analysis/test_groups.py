"""mmphate.analysis group_permutation_test / pairwise_group_tests (PERMANOVA on runs)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mmphate.analysis import group_permutation_test, pairwise_group_tests


def _distances(points):
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    return np.linalg.norm(points[:, None] - points[None], axis=2)


def _pseudo_f(D, labels):
    """PERMANOVA pseudo-F written out directly (Anderson 2001)."""
    labels = np.asarray(labels)
    n, groups = len(labels), sorted(set(labels))
    sst = sum(D[i, j] ** 2 for i, j in itertools.combinations(range(n), 2)) / n
    ssw = 0.0
    for g in groups:
        idx = np.flatnonzero(labels == g)
        ssw += sum(D[i, j] ** 2 for i, j in itertools.combinations(idx, 2)) / len(idx)
    return ((sst - ssw) / (len(groups) - 1)) / (ssw / (n - len(groups)))


def test_statistic_and_exact_p_match_brute_force():
    rng = np.random.default_rng(0)
    D = _distances(rng.normal(size=(7, 2)))
    labels = ["a", "a", "a", "b", "b", "c", "c"]
    res = group_permutation_test(D, labels)
    assert res.statistic == pytest.approx(_pseudo_f(D, labels))
    perms = set(itertools.permutations(labels))
    assert res.exact and res.n_total == len(perms) == 210
    stats = np.array([_pseudo_f(D, p) for p in perms])
    assert res.p_value == pytest.approx(np.mean(stats >= res.statistic - 1e-12))
    # two groups of size 2 can swap labels: 2 assignments per partition
    assert res.min_p == pytest.approx(2 / 210)


def test_separated_groups_reach_the_floor_and_the_floor_is_stated():
    labels = ["lstm"] * 3 + ["gru"] * 3
    D = _distances([0, 0.1, 0.2, 10, 10.1, 10.2])
    res = group_permutation_test(D, labels)
    assert res.n_total == 20 and res.min_p == pytest.approx(0.1)
    assert res.p_value == pytest.approx(0.1)
    assert "smallest attainable p is 0.1" in res.summary
    big = group_permutation_test(
        _distances([0, 0.1, 0.2, 0.3, 0.4, 10, 10.1, 10.2, 10.3, 10.4]), ["a"] * 5 + ["b"] * 5
    )
    assert big.p_value == pytest.approx(2 / 252) and big.p_value < 0.01


def test_null_holds_its_level():
    rng = np.random.default_rng(1)
    labels = ["a"] * 4 + ["b"] * 4 + ["c"] * 4
    pvals = []
    for _ in range(200):
        D = _distances(rng.normal(size=(12, 3)))
        pvals.append(group_permutation_test(D, labels, n_permutations=199, max_exact=1).p_value)
    pvals = np.array(pvals)
    assert 0.02 < np.mean(pvals < 0.1) < 0.18  # about 10 %
    assert np.mean(pvals < 0.05) < 0.1


def test_monte_carlo_is_seeded_and_agrees_with_exact():
    rng = np.random.default_rng(2)
    D = _distances(rng.normal(size=(9, 2)) + np.repeat([[0, 0], [1, 0], [0, 1]], 3, axis=0))
    labels = np.repeat(["x", "y", "z"], 3)
    exact = group_permutation_test(D, labels)
    mc = group_permutation_test(D, labels, n_permutations=4999, max_exact=10, random_state=3)
    assert not mc.exact and mc.min_p == pytest.approx(1 / 5000)
    assert mc.p_value == pytest.approx(exact.p_value, abs=0.02)
    again = group_permutation_test(D, labels, n_permutations=4999, max_exact=10, random_state=3)
    assert again.p_value == mc.p_value


def test_pairwise_holm_and_reachability():
    D = _distances([0, 0.1, 0.2, 5, 5.1, 5.2, 10, 10.1, 10.2])
    labels = np.repeat(["lstm", "gru", "rnn"], 3)
    table = pairwise_group_tests(D, labels)
    assert list(zip(table.group_a, table.group_b, strict=True)) == [
        ("lstm", "gru"),
        ("lstm", "rnn"),
        ("gru", "rnn"),
    ]
    np.testing.assert_allclose(table.p_value, 0.1)
    np.testing.assert_allclose(table.p_adjusted, 0.3)
    assert not table.significant.any() and not table.can_reach_alpha.any()


def test_errors_are_one_clear_line():
    D = _distances([0, 1, 2, 3])
    with pytest.raises(ValueError, match="one label per run"):
        group_permutation_test(D, ["a", "b"])
    with pytest.raises(ValueError, match="at least 2 distinct"):
        group_permutation_test(D, ["a"] * 4)
    with pytest.raises(ValueError, match="2 or more runs"):
        group_permutation_test(D[:2, :2], ["a", "b"])
    with pytest.raises(ValueError, match="symmetric"):
        group_permutation_test(np.triu(D), ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="square"):
        group_permutation_test(np.ones((2, 3)), ["a", "b"])
    with pytest.raises(TypeError, match="numeric"):
        group_permutation_test([["x"]], ["a"])
