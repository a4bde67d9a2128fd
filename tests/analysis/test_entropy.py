import numpy as np
import pandas as pd
import pytest

from mmphate import Recording, interstep_entropy, intrastep_entropy


def _rec(E=3, T=4, U=8, S=5):
    rng = np.random.default_rng(0)
    return Recording(
        rng.normal(size=(E, T, U, S)),
        epochs=[10, 20, 30][:E],
        timesteps=np.arange(T) * 2,
        units=[f"h{i}" for i in range(U)],
    )


def test_all_units_at_one_point_has_zero_intrastep_entropy():
    E, T, U = 3, 4, 8
    emb = np.zeros((E, T, U, 2))
    # each slice collapsed onto its own point; slices spread out so the grid is not trivial
    emb += np.arange(E * T, dtype=float).reshape(E, T, 1, 1)
    df = intrastep_entropy(emb.reshape(-1, 2), (E, T, U), bins=4)
    assert list(df.columns) == ["epoch", "timestep", "entropy"]
    assert len(df) == E * T
    np.testing.assert_allclose(df["entropy"], 0.0, atol=1e-12)
    assert df.attrs["units"] == "bits"


def test_uniform_spread_over_B_bins_hits_log2_B():
    E, T, U, B = 2, 3, 8, 8
    # 1-D embedding: in every slice the 8 units sit at cell centres 0.5..7.5 of an 8-cell grid
    x = np.arange(U) + 0.5
    emb = np.tile(x, E * T)
    emb = np.concatenate([[0.0], emb[1:-1], [8.0]])  # grid spans exactly [0, 8]
    df = intrastep_entropy(emb[:, None], (E, T, U), bins=B)
    np.testing.assert_allclose(df["entropy"], np.log2(B))


def test_half_and_half_is_one_bit_and_labels_are_real():
    rec = _rec(E=3, T=4, U=8)
    E, T, U = 3, 4, 8
    emb = np.zeros((E, T, U, 2))
    emb[..., : U // 2, 0] = 1.0  # half the units at x=1, half at x=0
    df = intrastep_entropy(emb.reshape(-1, 2), rec, bins=5)
    np.testing.assert_allclose(df["entropy"], 1.0)
    assert df["epoch"].tolist() == list(np.repeat([10, 20, 30], T))
    assert df["timestep"].tolist() == [0, 2, 4, 6] * E


def test_interstep_groups_are_unit_trajectories_within_epoch():
    E, T, U = 2, 4, 3
    emb = np.zeros((E, T, U))
    # unit 0 never moves; unit 1 visits 4 distinct cells; unit 2 alternates between 2 cells
    emb[:, :, 1] = np.arange(T)[None, :]
    emb[:, :, 2] = (np.arange(T) % 2)[None, :] * 3
    df = interstep_entropy(emb.reshape(-1, 1), (E, T, U), bins=4)
    assert list(df.columns) == ["epoch", "unit", "entropy"]
    wide = df.pivot(index="epoch", columns="unit", values="entropy")
    np.testing.assert_allclose(wide["0"], 0.0, atol=1e-12)
    np.testing.assert_allclose(wide["1"], 2.0)
    np.testing.assert_allclose(wide["2"], 1.0)


def test_grid_is_fixed_over_the_whole_embedding():
    # slice 0 is spread over a tiny range, slice 1 over a huge one: on one shared grid the
    # tiny slice falls into a single cell (0 bits) rather than being rescaled to look uniform
    U = 4
    emb = np.concatenate([np.linspace(0, 1e-3, U), np.linspace(0, 100, U)])[:, None]
    df = intrastep_entropy(emb, (1, 2, U), bins=4)
    assert df["entropy"].iloc[0] == pytest.approx(0.0)
    assert df["entropy"].iloc[1] == pytest.approx(2.0)


def test_knn_estimator_matches_gaussian_entropy():
    rng = np.random.default_rng(1)
    E, T, U, d = 1, 2, 4000, 2
    sigma = np.array([1.0, 4.0])
    emb = rng.normal(size=(E * T * U, d)) * np.tile(sigma, (E * T * U, 1))
    df = intrastep_entropy(emb, (E, T, U), estimator="knn", k=4)
    # differential entropy of N(0, diag(sigma^2)) in bits
    expected = 0.5 * np.log2((2 * np.pi * np.e) ** d * np.prod(sigma**2))
    np.testing.assert_allclose(df["entropy"], expected, atol=0.1)


def test_knn_is_differential_and_can_be_negative():
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(2 * 3 * 50, 2)) * 1e-3
    df = intrastep_entropy(emb, (2, 3, 50), estimator="knn", k=3)
    assert (df["entropy"] < 0).all()
    # collapsed groups stay finite (distance floor)
    emb0 = np.zeros((2 * 3 * 50, 2))
    emb0[:50] = 1.0
    df0 = interstep_entropy(emb0, (2, 3, 50), estimator="knn", k=1)
    assert np.isfinite(df0["entropy"]).all()


def test_knn_validates_k():
    with pytest.raises(ValueError, match="k must be between 1"):
        intrastep_entropy(np.zeros((24, 2)), (2, 3, 4), estimator="knn", k=4)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="24 nodes"):
        intrastep_entropy(np.zeros((20, 2)), (2, 3, 4))
    with pytest.raises(ValueError, match="estimator must be one of"):
        intrastep_entropy(np.zeros((24, 2)), (2, 3, 4), estimator="kde")
    with pytest.raises(TypeError, match="recording must be"):
        intrastep_entropy(np.zeros((24, 2)), "shape")


def test_accepts_fitted_estimator_like_object():
    rec = _rec()

    class Fitted:
        recording_ = rec
        embedding_ = np.random.default_rng(0).normal(size=(rec.n_nodes, 2))

    df = interstep_entropy(Fitted.embedding_, Fitted())
    assert isinstance(df, pd.DataFrame)
    assert set(df["unit"]) == {f"h{i}" for i in range(8)}
    assert (df["entropy"] >= 0).all() and (df["entropy"] <= np.log2(4) + 1e-12).all()


def test_grid_range_options():
    U = 100
    emb = np.concatenate([np.linspace(0, 1, U), np.full(U, 0.5), np.full(U, 0.5)])
    emb[-1] = 1000.0  # one far outlier
    emb = emb[:, None]
    shape = (1, 3, U)
    plain = intrastep_entropy(emb, shape, bins=4)["entropy"].to_numpy()
    robust = intrastep_entropy(emb, shape, bins=4, grid_range="robust")["entropy"].to_numpy()
    # on the full extent the bulk [0, 1] falls into one cell; the robust grid resolves it
    assert plain[0] == pytest.approx(0.0)
    assert robust[0] == pytest.approx(2.0, abs=0.01)
    # explicit bounds, also per axis; points outside go to the edge cells
    same = intrastep_entropy(emb, shape, bins=4, grid_range=(0.0, 1.0))["entropy"]
    assert same.iloc[0] == pytest.approx(2.0)
    assert 0 < same.iloc[2] < 0.1  # 99 units in one cell, the outlier in the edge cell
    two = np.column_stack([emb[:, 0], emb[:, 0]])
    per_axis = intrastep_entropy(two, shape, bins=4, grid_range=[(0, 1), (0, 1)])["entropy"]
    np.testing.assert_allclose(per_axis, same)
    with pytest.raises(ValueError, match="low <= high"):
        intrastep_entropy(emb, shape, grid_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="grid_range must be"):
        intrastep_entropy(emb, shape, grid_range="wide")
