"""mmphate.analysis linear CKA, epoch similarity and epoch distances."""

from __future__ import annotations

import numpy as np
import pytest

from mmphate.analysis import epoch_distances, epoch_similarity, linear_cka
from mmphate.record import Recording


def _direct_cka(X, Y):
    """CKA through centred Gram matrices (HSIC form), a different route from the feature form."""
    n = len(X)
    H = np.eye(n) - 1 / n
    K, L = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    return np.sum(K * L) / np.sqrt(np.sum(K * K) * np.sum(L * L))


def test_cka_identity_invariances_and_direct_formula():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 7))
    Q, _ = np.linalg.qr(rng.normal(size=(7, 7)))
    assert linear_cka(X, X) == pytest.approx(1.0)
    assert linear_cka(X, 3.5 * X @ Q + 2.0) == pytest.approx(1.0)  # rotation, scale, shift
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + 0.5 * rng.normal(size=(60, 4))
    assert linear_cka(X, Y) == pytest.approx(_direct_cka(X, Y), rel=1e-10)
    assert linear_cka(X, Y) == pytest.approx(linear_cka(Y, X))
    # not invariant to a non-isotropic rescaling of the features
    S = np.diag([10.0, 1, 1, 1, 1, 1, 0.1])
    assert linear_cka(X, X @ S) < 0.9
    # independent representations: low
    assert linear_cka(X, rng.normal(size=(60, 7))) < 0.3


def test_cka_errors_and_constant():
    with pytest.raises(ValueError, match="same examples"):
        linear_cka(np.ones((5, 2)), np.ones((6, 2)))
    with pytest.raises(ValueError, match="NaN"):
        linear_cka(np.full((5, 2), np.nan), np.ones((5, 2)))
    with pytest.raises(TypeError, match="numeric"):
        linear_cka([["a", "b"]] * 3, np.ones((3, 2)))
    assert np.isnan(linear_cka(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2))))


def _recording(E=4, T=5, U=6, S=8, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(T, U, S))
    drift = rng.normal(size=(T, U, S))
    hidden = np.stack([base + 0.4 * e * drift for e in range(E)]).astype(np.float32)
    return Recording(hidden, epochs=np.arange(E) * 2)


def test_epoch_similarity_matches_pairwise_cka():
    rec = _recording()
    sim = epoch_similarity(rec)
    assert sim.shape == (4, 4)
    assert list(sim.index) == [0, 2, 4, 6]
    np.testing.assert_allclose(np.diag(sim), 1.0)
    np.testing.assert_allclose(sim.to_numpy(), sim.to_numpy().T)
    h = rec.hidden.astype(np.float64)
    rows = lambda e: np.transpose(h[e], (0, 2, 1)).reshape(-1, h.shape[2])  # noqa: E731
    assert sim.iloc[1, 3] == pytest.approx(linear_cka(rows(1), rows(3)), rel=1e-6)
    # drift grows with the epoch gap, so similarity falls with it
    assert sim.iloc[0, 1] > sim.iloc[0, 2] > sim.iloc[0, 3]


def test_epoch_similarity_drops_padded_steps():
    rec = _recording()
    valid = np.ones((5, 8), bool)
    valid[3:, :4] = False  # the first 4 samples end after 3 steps
    hidden = rec.hidden.copy()
    hidden[:, 3:, :, :4] = 1e3  # garbage in the padding
    padded = Recording(hidden, epochs=rec.epochs, valid=valid)
    sim = epoch_similarity(padded)
    h = hidden.astype(np.float64)
    rows = lambda e: np.transpose(h[e], (0, 2, 1))[valid]  # noqa: E731
    assert sim.iloc[0, 2] == pytest.approx(linear_cka(rows(0), rows(2)), rel=1e-6)


def test_epoch_distances_definition():
    E, T, U = 3, 2, 4
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(E * T * U, 2))
    rec = Recording(np.zeros((E, T, U, 3), np.float32) + rng.normal(size=(E, T, U, 3)))
    D = epoch_distances(Y, rec)
    Z = Y.reshape(E, T * U, 2)
    assert D.iloc[0, 2] == pytest.approx(np.linalg.norm(Z[0] - Z[2], axis=1).mean())
    np.testing.assert_allclose(np.diag(D), 0.0)
    np.testing.assert_allclose(D.to_numpy(), D.to_numpy().T)
    # moving every node of epoch 1 by (3, 4) puts it at distance 5 from an identical epoch 0
    Z = np.repeat(Z[:1], E, axis=0)
    Z[1] += [3.0, 4.0]
    assert epoch_distances(Z.reshape(-1, 2), rec).iloc[0, 1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="one row per node"):
        epoch_distances(Y[:-1], rec)
    with pytest.raises(TypeError, match="Recording"):
        epoch_distances(Y, "not a recording")
