"""The interstep affinity summed per landmark: what the scalable operator represents."""

from __future__ import annotations

import numpy as np
import pytest

from mmphate.engine import MMPHATE
from mmphate.engine._interstep import global_bandwidth, landmark_affinity
from mmphate.engine._kernel import normalize_nodes
from mmphate.engine._landmarks import indicator, unit_clusters


def _smooth(E, T, U, S, seed=0, noise=0.2):
    """Smooth latent trajectories read through random projections (like the benchmark family)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, T)[None, :, None, None]
    e = np.linspace(0, 1, E)[:, None, None, None]
    freq = rng.uniform(0.5, 3, size=(1, 1, U, 3))
    z = np.sin(2 * np.pi * freq * (t + 0.5 * e) + rng.uniform(0, 6, size=(1, 1, U, 3)))
    proj = rng.normal(size=(3, S))
    X = (1 + e) * (z @ proj) + noise * rng.normal(size=(E, T, U, S))
    return np.tanh(X).astype(np.float32)


def _exact_inter_at_c(Z, clusters, bandwidth, thresh):
    """The exact kernel's interstep part times the indicator, by dense per-unit matrices."""
    n, U, _ = Z.shape
    N = n * U
    K = np.zeros((N, N))
    for u in range(U):
        x = Z[:, u, :].astype(np.float64)
        g = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / bandwidth**2)
        np.fill_diagonal(g, 0)
        g[g < thresh] = 0
        nodes = np.arange(n) * U + u
        K[np.ix_(nodes, nodes)] = g
    return K @ indicator(clusters).toarray()


@pytest.mark.parametrize("noise", [0.2, 1.0])
def test_exact_streaming_equals_exact_kernel_times_indicator(noise):
    X = _smooth(6, 20, 5, 12, noise=noise)
    Z = normalize_nodes(X, np.float32)
    bw = global_bandwidth(Z, 10)
    cl = unit_clusters(Z, 40, random_state=0)
    A, mass = landmark_affinity(Z, cl, bw, 1e-4)
    expected = _exact_inter_at_c(Z, cl, bw, 1e-4)
    np.testing.assert_allclose(A.toarray(), expected, rtol=2e-4, atol=2e-5)
    assert mass["exact"] and mass["median"] == mass["p01"] == 1.0


def test_exact_streaming_without_landmarks_is_the_interstep_kernel():
    X = _smooth(4, 8, 4, 10)
    Z = normalize_nodes(X, np.float32)
    bw = global_bandwidth(Z, 5)
    A, _ = landmark_affinity(Z, None, bw, 1e-4)
    N = Z.shape[0] * Z.shape[1]
    expected = _exact_inter_at_c(Z, np.arange(N), bw, 1e-4)
    np.testing.assert_allclose(A.toarray(), expected, rtol=2e-4, atol=2e-5)


def _far_field_against_exact(X, mass_sample):
    """Exact and near/far-field affinities of ``X`` (units above 500 slices take the far field)."""
    Z = normalize_nodes(X, np.float32)
    bw = global_bandwidth(Z, 25, random_state=0)
    cl = unit_clusters(Z, 60, random_state=0)
    exact, _ = landmark_affinity(Z, cl, bw, 1e-4)
    A, mass = landmark_affinity(
        Z,
        cl,
        bw,
        1e-4,
        exact_below=500,
        max_candidates=256,
        mass_sample=mass_sample,
        random_state=0,
    )
    tot = np.asarray(exact.sum(axis=1)).ravel()
    has = tot > 0
    true = np.asarray(A.sum(axis=1)).ravel()[has] / tot[has]  # fraction of each row's mass
    return exact, A, mass, true, has, tot


def test_near_and_far_field_represent_the_mass_of_large_units():
    # units with more slices than exact_below: exact near field + Gaussian-blob far field
    X = _smooth(30, 100, 3, 16, noise=0.3)
    exact, A, mass, true, has, tot = _far_field_against_exact(X, 300)
    assert not mass["exact"] and mass["nodes"] == 300
    assert np.median(true) >= 0.97 and np.percentile(true, 1) >= 0.9
    assert abs(mass["median"] - np.median(true)) < 0.02
    # mass lands on the right landmarks: rows agree with the exact ones
    err = abs(A - exact).sum(axis=1).A1[has] / tot[has]
    assert np.median(err) < 0.05
    # seeded: the same twice
    _, A2, mass2, *_ = _far_field_against_exact(X, 300)
    assert (A != A2).nnz == 0 and mass == mass2


def test_scalable_operator_equals_exact_operator_on_small_units():
    # at most 256 slices: the same bandwidth in both modes; every unit streamed exactly
    X = _smooth(8, 20, 6, 12)
    ops = {}
    for mode in ("knn", "exact"):
        m = MMPHATE(interstep=mode, n_landmark=60, random_state=0, verbose=0).fit(X)
        ops[mode] = m
        assert m.interstep_mass_["median"] == 1.0 and m.interstep_mass_["exact"]
    a, b = ops["knn"].operator_, ops["exact"].operator_
    assert abs(a.transitions - b.transitions).max() < 1e-5
    np.testing.assert_allclose(a.dense(), b.dense(), atol=1e-5)
    assert ops["knn"].t_ == ops["exact"].t_


def test_results_do_not_depend_on_n_jobs():
    X = _smooth(10, 30, 6, 12)
    fits = [MMPHATE(n_landmark=60, random_state=0, verbose=0, n_jobs=j).fit(X) for j in (1, 2)]
    assert (fits[0].kernel_ != fits[1].kernel_).nnz == 0
    np.testing.assert_array_equal(fits[0].embedding_, fits[1].embedding_)
    # large units (approximate search, blob far field) too
    Z = normalize_nodes(_smooth(20, 60, 4, 10), np.float32)
    cl = unit_clusters(Z, 40, random_state=0)
    runs = [
        landmark_affinity(Z, cl, 1.0, 1e-4, exact_below=300, random_state=3, n_jobs=j)
        for j in (1, 2)
    ]
    assert (runs[0][0] != runs[1][0]).nnz == 0 and runs[0][1] == runs[1][1]


def test_split_gram_equals_one_product():
    from scipy import sparse

    from mmphate.engine._embedding import _split_gram, same_slice

    Z = normalize_nodes(_smooth(6, 30, 5, 8), np.float32)
    cl = unit_clusters(Z, 40, random_state=0)
    bw = global_bandwidth(Z, 5, random_state=0)
    A, _ = landmark_affinity(Z, cl, bw, 1e-4, random_state=0)
    m = MMPHATE(n_landmark=40, random_state=0, verbose=0).fit(_smooth(6, 30, 5, 8))
    intra = (same_slice(m.kernel_, 5) @ indicator(cl, dtype=np.float32)).tocsr()
    B = (intra + A).tocsr()
    d = np.asarray(B.sum(axis=1)).ravel()
    want = (B.T @ sparse.diags(1 / d) @ B).toarray()
    assert intra.nnz and A.nnz
    got = _split_gram(intra, A.astype(np.float32), 1 / d, cl, 5, same_slice(m.kernel_, 5))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 * abs(want).max())
    np.testing.assert_allclose(got, got.T, atol=1e-6 * abs(want).max())


@pytest.mark.parametrize("S, rank", [(6, 8), (12, 4)])
def test_blob_form_is_the_summed_affinity_of_a_gaussian_cell(S, rank):
    # the closed form (full covariance, or top directions plus an isotropic rest) against the
    # direct sum over many members drawn from one Gaussian
    from mmphate.engine._interstep import _blob_affinity, _blob_cells, _blobs

    rng = np.random.default_rng(0)
    m = 200_000
    scales = np.r_[np.linspace(0.9, 0.5, min(rank, S)), np.full(S - min(rank, S), 0.3)]
    R, _ = np.linalg.qr(rng.normal(size=(S, S)))
    y = (rng.normal(size=(m, S)) * scales) @ R.T + 0.5
    y = y.astype(np.float32)
    order = np.arange(m)
    blob = _blobs(y, order, np.array([0, m]), np.array([m]), np.zeros(m, int), 1, rank)
    p = (0.5 + rng.normal(size=(5, S)) * 0.7).astype(np.float32)
    got = _blob_affinity(p, np.einsum("ms,ms->m", p, p), _blob_cells(blob, np.array([0])))[:, 0]
    direct = np.exp(-((p[:, None, :].astype(np.float64) - y[None]) ** 2).sum(-1)).sum(1)
    np.testing.assert_allclose(got, direct, rtol=0.03)


def test_far_field_holds_the_mass_with_few_samples_per_slice():
    # few samples per slice (as in the paper's HAR runs, 6): the Gaussian is wide against the
    # cells, most of a node's mass lies beyond its near field, and the blobs must carry it
    true = _far_field_against_exact(_smooth(40, 100, 2, 6, noise=0.3), 200)[3]
    assert np.median(true) >= 0.97 and np.percentile(true, 1) >= 0.9, np.percentile(true, [1, 50])
    assert np.percentile(true, 99) <= 1.1
