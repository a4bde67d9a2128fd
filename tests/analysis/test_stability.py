import numpy as np
import pytest
from scipy.stats import ortho_group

from mmphate._validate import InvalidParameterError
from mmphate.analysis import (
    StabilityResult,
    demap_within,
    embed_baseline,
    node_features,
    temporal_stability,
    variance_partition,
)
from mmphate.record.datasets import synthetic_recording


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_recording(n_epochs=6, n_timesteps=8, n_units=9, n_samples=20, seed=0)


# ------------------------------------------------------------------ variance_partition
def _known_points():
    """2 epochs x 3 timesteps x 4 units, 1-D: x = m[unit] + d[slice], both centred."""
    m = np.array([-3.0, -1.0, 1.0, 3.0])
    d = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    return (d[:, None] + m[None, :]).reshape(-1, 1), (2, 3, 4)


def test_variance_partition_known_shares():
    X, shape = _known_points()
    # between units: 6 slices * sum(m^2) = 120; within: 24 nodes * 1 = 24
    out = variance_partition(X, shape)
    assert out["between"] == pytest.approx(120 / 144)
    assert out["within"] == pytest.approx(24 / 144)
    assert out["total"] == pytest.approx(144)
    assert variance_partition(X, shape, by="slice")["between"] == pytest.approx(24 / 144)
    # units {0, 1} and {2, 3}: group means -2 and 2, 12 nodes each
    assert variance_partition(X, shape, by=[0, 0, 1, 1])["between"] == pytest.approx(96 / 144)
    # epoch means of d: +1/3 and -1/3, 12 nodes each
    assert variance_partition(X, shape, by="epoch")["between"] == pytest.approx((24 / 9) / 144)


def test_variance_partition_of_features_and_truth(synthetic):
    rec, truth = synthetic
    feats = variance_partition(rec, rec)
    latent = variance_partition(truth, rec)
    for out in (feats, latent):
        assert 0 < out["between"] < 1
        assert out["between"] + out["within"] == pytest.approx(1.0)
    # the same as passing the arrays themselves
    assert variance_partition(truth.latent, rec)["between"] == pytest.approx(latent["between"])
    assert variance_partition(node_features(rec), rec)["between"] == pytest.approx(
        feats["between"], rel=1e-5
    )


def test_variance_partition_errors():
    X, shape = _known_points()
    with pytest.raises(ValueError, match="no variance"):
        variance_partition(np.ones_like(X), shape)
    with pytest.raises(ValueError, match="rows"):
        variance_partition(X[:-1], shape)
    with pytest.raises(InvalidParameterError, match="by must be"):
        variance_partition(X, shape, by="units")
    with pytest.raises(ValueError, match="one label per unit"):
        variance_partition(X, shape, by=[0, 1])


# ------------------------------------------------------------------ demap_within
def test_demap_within_high_for_the_reference_low_for_shuffled(synthetic):
    rec, truth = synthetic
    F = node_features(rec)
    assert demap_within(F, rec) > 0.9  # reference: the features
    assert demap_within(truth.latent, rec, truth) > 0.9
    shuffled = F[np.random.default_rng(0).permutation(len(F))]
    assert abs(demap_within(shuffled, rec)) < 0.15
    per_unit = demap_within(F, rec, per_group=True)
    assert list(per_unit.index) == list(rec.units)
    per_group = demap_within(F, rec, truth, groups=truth.unit_groups, per_group=True)
    assert list(per_group.index) == sorted(set(truth.unit_groups))


def test_units_kept_apart_but_flattened_inside_score_low_within(synthetic):
    """An embedding that only separates the units: variance all between, no geometry inside."""
    rec, truth = synthetic
    pca = embed_baseline("pca", rec)
    U = rec.n_units
    means = pca.reshape(-1, U, 2).mean(axis=0)
    collapsed = np.tile(means, (rec.n_nodes // U, 1))
    collapsed += np.random.default_rng(1).normal(scale=1e-3, size=collapsed.shape)
    assert variance_partition(collapsed, rec)["between"] > 0.99
    assert variance_partition(pca, rec)["between"] < 0.9
    assert demap_within(collapsed, rec, truth) < 0.2
    assert demap_within(pca, rec, truth) > 0.5


def test_demap_within_errors(synthetic):
    rec, truth = synthetic
    F = node_features(rec)
    with pytest.raises(ValueError, match="one label per unit"):
        demap_within(F, rec, groups=[0, 1])
    with pytest.raises(TypeError, match="needs a Recording"):
        demap_within(F, rec.shape)
    with pytest.raises(ValueError, match="rows"):
        demap_within(F, rec, truth.latent[:-1])
    with pytest.raises(InvalidParameterError, match="per_group"):
        demap_within(F, rec, per_group="yes")


# ------------------------------------------------------------------ temporal_stability
def test_stability_of_a_similarity_transform_is_perfect(synthetic):
    rec, _ = synthetic
    E, T, U, S = rec.shape
    F = node_features(rec).astype(np.float64).reshape(E, T * U, S)
    rng = np.random.default_rng(0)
    # a different rotation and translation in every epoch, one scale for all
    emb = np.concatenate(
        [3.7 * F[e] @ ortho_group.rvs(S, random_state=e) + rng.normal(size=S) for e in range(E)]
    )
    res = temporal_stability(emb, rec)
    assert isinstance(res, StabilityResult)
    assert res.spearman == pytest.approx(1.0)
    assert res.stress == pytest.approx(0.0, abs=1e-9)
    assert len(res.pairs) == E - 1
    assert res.pairs["epoch"].tolist() == list(rec.epochs[:-1])
    assert res.pairs["next_epoch"].tolist() == list(rec.epochs[1:])
    assert res.n_nodes == min(200, T * U)


def test_stability_of_random_and_static_embeddings(synthetic):
    rec, _ = synthetic
    noise = np.random.default_rng(0).normal(size=(rec.n_nodes, 2))
    res = temporal_stability(noise, rec)
    assert abs(res.spearman) < 0.1
    assert res.stress > 1
    # an embedding that does not move between epochs: its changes are all zero
    E = rec.shape[0]
    static = np.tile(noise[: rec.n_nodes // E], (E, 1))
    res = temporal_stability(static, rec)
    assert res.stress == pytest.approx(1.0)
    assert np.isnan(res.spearman)
    # a linear projection of the features sits in between, near the perfect end
    pca = temporal_stability(embed_baseline("pca", rec), rec)
    assert 0.5 < pca.spearman < 1 and 0 < pca.stress < 1


def test_stability_errors(synthetic):
    rec, _ = synthetic
    one_epoch = rec.select(epochs=rec.epochs[:1])
    with pytest.raises(ValueError, match="at least 2 epochs"):
        temporal_stability(np.zeros((one_epoch.n_nodes, 2)), one_epoch)
    with pytest.raises(TypeError, match="needs a Recording"):
        temporal_stability(np.zeros((rec.n_nodes, 2)), rec.shape[:3])
    with pytest.raises(ValueError, match="same position"):
        temporal_stability(np.zeros((rec.n_nodes, 2)), rec)
    with pytest.raises(ValueError, match="rows"):
        temporal_stability(np.zeros((rec.n_nodes - 1, 2)), rec)
    with pytest.raises(InvalidParameterError, match="max_nodes"):
        temporal_stability(np.zeros((rec.n_nodes, 2)), rec, max_nodes=2)
