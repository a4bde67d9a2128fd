import numpy as np
import pytest

from mmphate import Recording, embed_baseline
from mmphate.analysis import node_features


def _rec(E=3, T=4, U=6, S=10, seed=0):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(E, T, U, S)).astype(np.float32)
    hidden[0, 0, 0] = 2.5  # a constant node: std 0 counts as 1
    return Recording(hidden)


def test_node_features_are_zscored_rows_in_node_order():
    rec = _rec()
    F = node_features(rec)
    E, T, U, S = rec.shape
    assert F.shape == (E * T * U, S) and F.dtype == np.float32
    np.testing.assert_allclose(F[0], 0.0, atol=1e-6)  # constant node, merely centred
    x = rec.hidden[1, 2, 3].astype(np.float64)
    node = (1 * T + 2) * U + 3
    np.testing.assert_allclose(F[node], (x - x.mean()) / x.std(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(node_features(rec.hidden), F)


def test_node_features_fill_padding_first():
    rng = np.random.default_rng(1)
    hidden = rng.normal(size=(1, 3, 2, 4))
    valid = np.ones((3, 4), dtype=bool)
    valid[2, 0] = False  # sample 0 has 2 steps
    rec = Recording(hidden, valid=valid)
    F = node_features(rec).reshape(1, 3, 2, 4)
    F_carry = node_features(Recording(rec.filled("carry"))).reshape(1, 3, 2, 4)
    np.testing.assert_allclose(F, F_carry)


@pytest.mark.parametrize("method", ["pca", "tsne", "isomap", "umap"])
def test_every_baseline_returns_node_ordered_array(method):
    rec = _rec(E=3, T=4, U=6, S=10)
    out = embed_baseline(method, rec, n_components=2, random_state=0)
    assert out.shape == (rec.n_nodes, 2)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.std(axis=0).min() > 0
    again = embed_baseline(method, rec, n_components=2, random_state=0)
    np.testing.assert_allclose(out, again, rtol=1e-4, atol=1e-4)


def test_pca_matches_direct_pca_on_features():
    from sklearn.decomposition import PCA

    rec = _rec()
    out = embed_baseline("pca", rec, n_components=3)
    ref = PCA(3, random_state=0).fit_transform(node_features(rec))
    np.testing.assert_allclose(np.abs(out), np.abs(ref), rtol=1e-4, atol=1e-5)


def test_tsne_3d_and_features_input():
    rec = _rec()
    out = embed_baseline("tsne", node_features(rec), n_components=3, random_state=1)
    assert out.shape == (rec.n_nodes, 3)


def test_isomap_subsamples_large_inputs():
    rec = _rec(E=4, T=5, U=6, S=8)
    with pytest.warns(UserWarning, match="random subset of 60 nodes"):
        out = embed_baseline("isomap", rec, max_isomap_nodes=60, random_state=0)
    assert out.shape == (rec.n_nodes, 2) and np.isfinite(out).all()


def test_errors():
    with pytest.raises(ValueError, match="method must be one of"):
        embed_baseline("mds", _rec())
    with pytest.raises(ValueError, match="4-D"):
        embed_baseline("pca", np.zeros((2, 3, 4)))
