"""Invariants of the multislice kernel (exact and scalable)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from mmphate.engine._kernel import build_kernel, multislice_kernel, normalize_nodes


def _tensor(E=4, T=6, U=7, S=12, seed=0):
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.normal(scale=0.4, size=(E, T, U, S)), axis=1)
    return (rng.normal(size=(1, 1, U, S)) + drift).astype(np.float32)


def _node(e, t, u, T, U):
    return (e * T + t) * U + u


@pytest.mark.parametrize("mode", ["knn", "exact"])
def test_shape_symmetry_diagonal(mode):
    X = _tensor()
    E, T, U, _ = X.shape
    K = multislice_kernel(X, interstep=mode)
    N = E * T * U
    assert sparse.isspmatrix_csr(K) or isinstance(K, sparse.csr_array)
    assert K.shape == (N, N)
    assert abs(K - K.T).max() == 0
    np.testing.assert_array_equal(K.diagonal(), 1.0)
    assert K.data.min() >= 1e-4 / 2 and K.data.max() <= 1.0


def test_edges_only_within_slice_or_within_unit():
    X = _tensor()
    E, T, U, _ = X.shape
    K = multislice_kernel(X).tocoo()
    same_slice = K.row // U == K.col // U
    same_unit = K.row % U == K.col % U
    assert np.all(same_slice | same_unit)


def test_scalable_has_temporal_neighbours_and_no_dense_blocks():
    E, T, U, S = 6, 30, 5, 10
    X = _tensor(E, T, U, S, seed=3)
    K, info = build_kernel(X, interstep_neighbors=4)
    K = K.tocsr()
    rng = np.random.default_rng(0)
    for _ in range(50):
        e, t, u = rng.integers(E - 1), rng.integers(T - 1), rng.integers(U)
        a = _node(e, t, u, T, U)
        assert K[a, _node(e, t + 1, u, T, U)] > 0
        assert K[a, _node(e + 1, t, u, T, U)] > 0
    # interstep part: at most (interstep_neighbors + 4 temporal) per node, both directions,
    # never the (slices x slices) block of the exact kernel
    assert info.interstep_neighbors == 4
    assert info.nnz_interstep <= K.shape[0] * 2 * (4 + 4)
    K_exact, info_exact = build_kernel(X, interstep="exact")
    assert info.nnz_interstep < info_exact.nnz_interstep / 5
    # no self loops from the interstep part: diagonal is the intrastep 1
    np.testing.assert_array_equal(K.diagonal(), 1.0)


def test_zero_neighbours_keeps_only_temporal_edges():
    E, T, U, S = 3, 7, 4, 5
    K, info = build_kernel(_tensor(E, T, U, S, seed=1), interstep_neighbors=0)
    assert info.interstep_neighbors == 0
    assert info.nnz_interstep == 2 * U * (E * (T - 1) + (E - 1) * T)
    with pytest.raises(ValueError, match="interstep_neighbors must be a non-negative integer"):
        build_kernel(_tensor(), interstep_neighbors=-2)


def _true_knn(Z, k):
    """Exact k nearest other slices of every (slice, unit): (units, slices, k) slice ids."""
    n, U, _ = Z.shape
    out = np.empty((U, n, k), dtype=np.int64)
    for u in range(U):
        D = ((Z[:, None, u].astype(np.float64) - Z[None, :, u]) ** 2).sum(-1)
        np.fill_diagonal(D, np.inf)
        out[u] = np.argsort(D, axis=1)[:, :k]
    return out


def _recall(graphs, truth):
    """Fraction of the true neighbours present in each unit's slice graph."""
    U, n, k = truth.shape
    hits = 0
    for u, (indptr, indices, _) in enumerate(graphs):
        for a in range(n):
            row = set(indices[indptr[a] : indptr[a + 1]].tolist())
            hits += len(row.intersection(truth[u, a].tolist()))
    return hits / truth.size


def test_scalable_links_true_nearest_slices_over_all_slices():
    """Brute-force mode: each node's interstep edges contain its k nearest slices among
    *all* slices of its unit (not only those sharing its epoch or timestep)."""
    E, T, U, S, k = 6, 40, 5, 10, 8
    X = _tensor(E, T, U, S, seed=11)
    K, info = build_kernel(X, interstep_neighbors=k, thresh=0)
    Z = normalize_nodes(X)
    truth = _true_knn(Z, k)
    K = K.tocsr()
    n = E * T
    far = 0
    for u in range(U):
        for a in range(n):
            row = set(K.indices[K.indptr[a * U + u] : K.indptr[a * U + u + 1]].tolist())
            want = {b * U + u for b in truth[u, a]}
            assert want <= row, f"node {(a, u)} misses true neighbours {want - row}"
            ea, ta = divmod(a, T)
            far += sum((b // T != ea) and (b % T != ta) for b in truth[u, a])
    assert far > 0, "the test data should have neighbours off the node's epoch and timestep"
    # weights are the exact Gaussian of the distance
    u, a = 2, 17
    b = truth[u, a, 0]
    d = np.linalg.norm(Z[a, u] - Z[b, u])
    assert K[a * U + u, b * U + u] == pytest.approx(np.exp(-((d / info.bandwidth) ** 2)), rel=1e-4)


def test_approximate_search_recall():
    """The inverted-file search (forced on) finds >= 90% of the true nearest slices, is
    deterministic given random_state, and weights its edges with the exact Gaussian."""
    from mmphate.engine._interstep import interstep_knn_graphs

    E, T, U, S, k = 8, 150, 3, 8, 10
    X = _tensor(E, T, U, S, seed=4)
    Z = normalize_nodes(X, np.float32)
    truth = _true_knn(Z, k)
    g1, bw = interstep_knn_graphs(Z, (E, T), k, 0.0, exact_below=0, random_state=0)
    g2, _ = interstep_knn_graphs(Z, (E, T), k, 0.0, exact_below=0, random_state=0)
    assert _recall(g1, truth) >= 0.95
    for a, b in zip(g1, g2, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    gb, bw_b = interstep_knn_graphs(Z, (E, T), k, 0.0, random_state=0)
    assert _recall(gb, truth) == 1.0
    assert bw == bw_b
    indptr, indices, data = g1[1]
    for a in (0, 77, 600):
        cols = indices[indptr[a] : indptr[a + 1]].astype(np.int64)
        d = np.linalg.norm(Z[cols, 1].astype(np.float64) - Z[a, 1], axis=1)
        w = np.maximum(np.exp(-((d / bw) ** 2)), 0)
        np.testing.assert_allclose(data[indptr[a] : indptr[a + 1]], w, rtol=1e-4, atol=1e-6)


def test_intrastep_part_identical_in_both_modes():
    X = _tensor(seed=5)
    E, T, U, _ = X.shape
    Kk = multislice_kernel(X).tocoo()
    Ke = multislice_kernel(X, interstep="exact").tocoo()

    def intra(K):
        m = K.row // U == K.col // U
        return sparse.coo_matrix((K.data[m], (K.row[m], K.col[m])), shape=K.shape).toarray()

    np.testing.assert_allclose(intra(Kk), intra(Ke), atol=1e-5)


def test_same_global_bandwidth_when_all_slices_are_queried():
    X = _tensor(3, 5, 6, 9, seed=2)
    _, info_k = build_kernel(X, interstep_knn=5)
    _, info_e = build_kernel(X, interstep="exact", interstep_knn=5)
    assert info_k.bandwidth == pytest.approx(info_e.bandwidth, rel=1e-5)


def test_normalize_matches_reference_definition():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 3, 4, 5))
    X[0, 0, 0] = 2.0  # constant node: std 0 -> only centred
    Z = normalize_nodes(X)
    R = X.reshape(6, 4, 5)
    R = R - R.mean(axis=2, keepdims=True)
    std = R.std(axis=2, keepdims=True)
    np.testing.assert_allclose(Z, R / np.where(std > 0, std, 1))
    assert np.all(Z[0, 0] == 0)


def test_exact_kernel_small_hand_check():
    """Interstep weights are exp(-(d / sigma)^2) between every pair of slices of a unit."""
    X = _tensor(1, 4, 3, 6, seed=7).astype(np.float64)
    K, info = build_kernel(X, interstep="exact", interstep_knn=2, thresh=0)
    Z = normalize_nodes(X)
    for u in range(3):
        for a in range(4):
            for b in range(4):
                if a == b:
                    continue
                d = np.linalg.norm(Z[a, u] - Z[b, u])
                assert K[a * 3 + u, b * 3 + u] == pytest.approx(
                    np.exp(-((d / info.bandwidth) ** 2)), rel=1e-9
                )


def test_knn_is_deterministic():
    X = _tensor(5, 40, 4, 8, seed=9)
    K1 = multislice_kernel(X, random_state=0)
    K2 = multislice_kernel(X, random_state=0)
    assert (K1 != K2).nnz == 0


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"interstep": "dense"}, ValueError, "interstep must be one of"),
        ({"intrastep_knn": 0}, ValueError, "intrastep_knn must be a positive integer"),
        ({"decay": -1}, ValueError, "decay must be a positive number"),
        ({"thresh": 2}, ValueError, "thresh must be a number in"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        multislice_kernel(_tensor(), **kwargs)


@pytest.mark.parametrize("shape", [(1, 5, 4, 3), (5, 1, 4, 3), (2, 2, 3, 3), (3, 3, 3, 2)])
def test_small_and_degenerate_grids(shape):
    X = np.random.default_rng(0).normal(size=shape)
    E, T, U, _ = shape
    for mode in ("knn", "exact"):
        K = multislice_kernel(X, interstep=mode)
        assert K.shape == (E * T * U,) * 2
        assert abs(K - K.T).max() == 0
        assert np.isfinite(K.data).all()


def test_normalize_nodes_in_chunks_of_slices_does_not_depend_on_n_jobs():
    from mmphate.engine._kernel import normalize_nodes

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(20, 300, 16, 40)) * rng.uniform(0.1, 5, size=(1, 1, 16, 1)) + 2).astype(
        np.float32
    )
    X[3, 7, 2] = 1.5  # a constant node: centred only
    Z1 = normalize_nodes(X, np.float32, 1)
    Z2 = normalize_nodes(X, np.float32, 2)  # 6,000 slices: several chunks
    np.testing.assert_array_equal(Z1, Z2)
    np.testing.assert_allclose(Z1.mean(axis=2), 0, atol=1e-5)
    std = Z1.std(axis=2)
    assert np.allclose(np.delete(std.ravel(), 3 * 300 * 16 + 7 * 16 + 2), 1, atol=1e-4)
    assert (Z1[3 * 300 + 7, 2] == 0).all()
