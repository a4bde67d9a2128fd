"""Invariants of the multislice kernel (exact and scalable)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from mmphate.kernel import build_kernel, multislice_kernel, normalize_nodes


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
    K, info = build_kernel(X, interstep_knn=4)
    K = K.tocsr()
    rng = np.random.default_rng(0)
    for _ in range(50):
        e, t, u = rng.integers(E - 1), rng.integers(T - 1), rng.integers(U)
        a = _node(e, t, u, T, U)
        assert K[a, _node(e, t + 1, u, T, U)] > 0
        assert K[a, _node(e + 1, t, u, T, U)] > 0
    # interstep part: about (interstep_knn + 4 temporal) per node, both directions,
    # never the (slices x slices) block of the exact kernel
    assert info.nnz_interstep <= K.shape[0] * 2 * (4 + 4)
    K_exact, info_exact = build_kernel(X, interstep="exact")
    assert info.nnz_interstep < info_exact.nnz_interstep / 5
    # no self loops from the interstep part: diagonal is the intrastep 1
    np.testing.assert_array_equal(K.diagonal(), 1.0)


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
