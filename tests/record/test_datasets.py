"""mmphate.record.datasets: offline UEA loaders and the synthetic recording with ground truth."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from mmphate.record import Recording, datasets
from mmphate.record.datasets import (
    load_basic_motions,
    load_dataset,
    load_japanese_vowels,
    synthetic_recording,
)


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a network connection, and drop cached data."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    datasets._load_uea.cache_clear()
    yield
    datasets._load_uea.cache_clear()


def test_basic_motions_offline(no_network):
    ds = load_basic_motions()
    assert ds.X_train.shape == (40, 100, 6) and ds.X_test.shape == (40, 100, 6)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.class_names == ["badminton", "running", "standing", "walking"]
    assert np.bincount(ds.y_train).tolist() == [10, 10, 10, 10]
    assert np.bincount(ds.y_test).tolist() == [10, 10, 10, 10]
    assert (ds.lengths_train == 100).all() and (ds.lengths_test == 100).all()
    assert ds.equal_length and ds.n_channels == 6 and ds.n_classes == 4 and ds.n_timesteps == 100
    assert np.isfinite(ds.X_train).all()
    # activities differ: running moves far more than standing
    energy = [np.abs(np.diff(ds.X_train[ds.y_train == c], axis=1)).mean() for c in range(4)]
    assert energy[1] > 3 * energy[2]


def test_japanese_vowels_offline_unequal_lengths(no_network):
    ds = load_japanese_vowels()
    assert ds.X_train.shape == (270, 29, 12) and ds.X_test.shape == (370, 29, 12)
    assert ds.class_names == [str(i) for i in range(1, 10)]
    assert np.bincount(ds.y_train).tolist() == [30] * 9
    assert ds.lengths_train.min() == 7 and ds.lengths_test.max() == 29
    assert not ds.equal_length
    for X, L in ((ds.X_train, ds.lengths_train), (ds.X_test, ds.lengths_test)):
        t = np.arange(X.shape[1])[None, :]
        assert not X[t >= L[:, None]].any()  # zero padding after the end
        assert (np.abs(X[t < L[:, None]]).sum(axis=-1) > 0).all()  # real steps are not empty


def test_loaders_return_independent_copies_and_names():
    a = load_basic_motions()
    a.X_train[:] = 0
    b = load_dataset("BasicMotions")
    assert b.X_train.any()
    assert load_dataset("japanese-vowels").name == "japanese_vowels"
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("mnist")


def test_synthetic_recording_shapes_and_truth():
    state = np.random.get_state()  # noqa: NPY002
    rec, truth = synthetic_recording(
        n_epochs=6, n_timesteps=8, n_units=9, n_samples=30, n_groups=3, seed=1
    )
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002 (untouched)
    assert isinstance(rec, Recording)
    assert rec.shape == (6, 8, 9, 30)
    assert truth.latent.shape == (rec.n_nodes, 3)
    assert truth.unit_groups.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert rec.units.tolist()[:4] == ["g0.u0", "g0.u1", "g0.u2", "g1.u3"]
    assert list(rec.metrics.columns) == ["train_loss", "val_loss", "train_accuracy", "val_accuracy"]
    assert rec.metrics["val_loss"].is_monotonic_decreasing
    # node order: latent third coordinate grows with the epoch
    z = truth.latent.reshape(6, 8, 9, 3)
    nodes = rec.nodes()
    assert nodes.loc[8 * 9 - 1, "epoch"] == 0 and nodes.loc[8 * 9, "epoch"] == 1
    np.testing.assert_allclose(z[:, :, :, 2].mean(axis=(1, 2)), 2.0 * truth.progress, atol=0.2)
    # deterministic per seed
    again, _ = synthetic_recording(
        n_epochs=6, n_timesteps=8, n_units=9, n_samples=30, n_groups=3, seed=1
    )
    other, _ = synthetic_recording(
        n_epochs=6, n_timesteps=8, n_units=9, n_samples=30, n_groups=3, seed=2
    )
    assert again.equals(rec) and not other.equals(rec)


def test_synthetic_activations_follow_the_latent_geometry():
    rec, truth = synthetic_recording(n_epochs=5, n_timesteps=10, n_units=12, n_samples=60, seed=0)
    feats = rec.hidden.reshape(-1, rec.n_samples)
    feats = (feats - feats.mean(1, keepdims=True)) / feats.std(1, keepdims=True)
    rng = np.random.default_rng(0)
    idx = rng.choice(rec.n_nodes, 300, replace=False)
    rho = spearmanr(pdist(feats[idx]), pdist(truth.latent[idx])).statistic
    assert rho > 0.7
    # units of a group share dynamics: closer to each other than to other groups
    z = truth.latent.reshape(5, 10, 12, 3)
    groups = truth.unit_groups
    last = z[-1].transpose(1, 0, 2).reshape(12, -1)  # per-unit trajectory at the last epoch
    d = np.linalg.norm(last[:, None] - last[None], axis=-1)
    same = d[(groups[:, None] == groups[None]) & ~np.eye(12, dtype=bool)].mean()
    diff = d[groups[:, None] != groups[None]].mean()
    assert same < 0.5 * diff


def test_synthetic_recording_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_units"):
        synthetic_recording(n_units=0)
    with pytest.raises(ValueError, match="n_groups"):
        synthetic_recording(n_units=2, n_groups=3)
