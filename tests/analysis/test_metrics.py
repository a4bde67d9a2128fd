import numpy as np
import pytest

from mmphate.analysis import _metrics as metrics
from mmphate.analysis import node_features


def _features(E=3, T=4, U=8, S=6, seed=0):
    return np.random.default_rng(seed).normal(size=(E * T * U, S)).astype(np.float32)


def test_within_slice_perfect_for_features_and_low_for_shuffled():
    shape = (3, 4, 8)
    F = _features()
    assert metrics.neighborhood_preservation_within(F, shape, features=F, k=3) == 1.0
    # a rotation/scaling keeps every neighbourhood
    R = np.linalg.qr(np.random.default_rng(1).normal(size=(6, 6)))[0]
    assert metrics.neighborhood_preservation_within(3 * F @ R, shape, features=F, k=3) == 1.0
    # a random embedding keeps about k/(U-1) of neighbours by chance
    rnd = np.random.default_rng(2).normal(size=(F.shape[0], 2))
    score = metrics.neighborhood_preservation_within(rnd, shape, features=F, k=3)
    assert 0.1 < score < 0.75


def test_within_slice_only_looks_inside_slices():
    # units of one slice shifted far away from the rest: scores inside slices unaffected
    shape = (2, 2, 6)
    F = _features(2, 2, 6, 4)
    emb = F[:, :2].copy()
    emb[:6] += 1000.0
    a = metrics.neighborhood_preservation_within(emb, shape, features=F, k=2)
    b = metrics.neighborhood_preservation_within(F[:, :2], shape, features=F, k=2)
    assert a == pytest.approx(b)


def test_within_slice_rejects_trivial_k():
    F = _features(U=5)
    with pytest.raises(ValueError, match="trivially 1"):
        metrics.neighborhood_preservation_within(F, (3, 4, 5), features=F, k=4)


def test_between_slices():
    shape = (4, 5, 3)
    F = _features(4, 5, 3, 6)
    assert metrics.neighborhood_preservation_between(F, shape, features=F, k=4) == 1.0
    # shuffling each unit's slices in the embedding breaks the between-slice neighbourhoods
    emb = F.reshape(20, 3, 6)[np.random.default_rng(0).permutation(20)].reshape(-1, 6)
    assert metrics.neighborhood_preservation_between(emb, shape, features=F, k=4) < 0.6
    with pytest.raises(ValueError, match="slices - 1"):
        metrics.neighborhood_preservation_between(F, shape, features=F, k=19)


def test_features_default_to_zscored_recording():
    from mmphate import Recording

    rec = Recording(np.random.default_rng(0).normal(size=(2, 3, 6, 5)))
    F = node_features(rec)
    a = metrics.neighborhood_preservation_within(F, rec, k=2)
    assert a == 1.0


def test_trustworthiness_continuity():
    F = _features(4, 5, 8, 5)
    t, c = metrics.trustworthiness_continuity(F, F, n_neighbors=5)
    assert t == pytest.approx(1.0) and c == pytest.approx(1.0)
    # project onto 1 axis: neighbours in the embedding are often not true neighbours
    t2, c2 = metrics.trustworthiness_continuity(F[:, :1], F, n_neighbors=5)
    assert t2 < 0.95 and c2 < 0.95
    # subsampling is seeded
    assert metrics.trustworthiness_continuity(F[:, :1], F, max_samples=50) == (
        metrics.trustworthiness_continuity(F[:, :1], F, max_samples=50)
    )


def test_demap_rewards_unrolling_a_curve():
    # ground truth: a spiral (1-D manifold). Arc length is the geodesic distance.
    s = np.linspace(0, 4 * np.pi, 300)
    Z = np.column_stack([s * np.cos(s), s * np.sin(s)])
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(Z, axis=0), axis=1))])
    unrolled = arc[:, None]  # embeds geodesic distance exactly
    assert metrics.demap(unrolled, Z, n_neighbors=5) > 0.99
    assert metrics.demap(Z, Z, n_neighbors=5) < metrics.demap(unrolled, Z, n_neighbors=5)

    class Truth:
        latent = Z

    assert metrics.demap(unrolled, Truth(), n_neighbors=5, max_samples=100) > 0.99


def test_demap_warns_on_disconnected_graph():
    Z = np.concatenate([np.zeros((10, 2)), np.ones((10, 2)) * 100]) + np.arange(20)[:, None] * 1e-3
    with pytest.warns(UserWarning, match="different components"):
        metrics.demap(Z, Z, n_neighbors=3)


def test_kernel_fidelity():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 2))
    theta = 0.7
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    fid = metrics.kernel_fidelity(5 * A @ R + 3, A, k=5)
    assert fid["knn_overlap"] == pytest.approx(1.0)
    assert fid["procrustes_disparity"] == pytest.approx(0.0, abs=1e-12)
    bad = metrics.kernel_fidelity(rng.normal(size=(200, 2)), A, k=5)
    assert bad["knn_overlap"] < 0.2 and bad["procrustes_disparity"] > 0.8
    with pytest.raises(ValueError, match="same shape"):
        metrics.kernel_fidelity(A, A[:10])
