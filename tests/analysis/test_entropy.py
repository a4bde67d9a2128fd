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
    df = intrastep_entropy(
        emb.reshape(-1, 2), (E, T, U), estimator="histogram", grid_range=None, bins=4
    )
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
    df = intrastep_entropy(emb[:, None], (E, T, U), estimator="histogram", grid_range=None, bins=B)
    np.testing.assert_allclose(df["entropy"], np.log2(B))


def test_half_and_half_is_one_bit_and_labels_are_real():
    rec = _rec(E=3, T=4, U=8)
    E, T, U = 3, 4, 8
    emb = np.zeros((E, T, U, 2))
    emb[..., : U // 2, 0] = 1.0  # half the units at x=1, half at x=0
    df = intrastep_entropy(emb.reshape(-1, 2), rec, estimator="histogram", grid_range=None, bins=5)
    np.testing.assert_allclose(df["entropy"], 1.0)
    assert df["epoch"].tolist() == list(np.repeat([10, 20, 30], T))
    assert df["timestep"].tolist() == [0, 2, 4, 6] * E


def test_interstep_groups_are_unit_trajectories_within_epoch():
    E, T, U = 2, 4, 3
    emb = np.zeros((E, T, U))
    # unit 0 never moves; unit 1 visits 4 distinct cells; unit 2 alternates between 2 cells
    emb[:, :, 1] = np.arange(T)[None, :]
    emb[:, :, 2] = (np.arange(T) % 2)[None, :] * 3
    df = interstep_entropy(
        emb.reshape(-1, 1), (E, T, U), estimator="histogram", grid_range=None, bins=4
    )
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
    df = intrastep_entropy(emb, (1, 2, U), estimator="histogram", grid_range=None, bins=4)
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

    df = interstep_entropy(Fitted.embedding_, Fitted(), estimator="histogram")
    assert isinstance(df, pd.DataFrame)
    assert set(df["unit"]) == {f"h{i}" for i in range(8)}
    assert (df["entropy"] >= 0).all() and (df["entropy"] <= np.log2(4) + 1e-12).all()
    assert df.attrs["estimator"] == "histogram" and df.attrs["bins"] == [6, 6]


def test_grid_range_options():
    U = 100
    emb = np.concatenate([np.linspace(0, 1, U), np.full(U, 0.5), np.full(U, 0.5)])
    emb[-1] = 1000.0  # one far outlier
    emb = emb[:, None]
    shape = (1, 3, U)
    hist = {"estimator": "histogram", "bins": 4}
    plain = intrastep_entropy(emb, shape, grid_range=None, **hist)["entropy"].to_numpy()
    robust = intrastep_entropy(emb, shape, grid_range="robust", **hist)["entropy"].to_numpy()
    # on the full extent the bulk [0, 1] falls into one cell; the robust grid resolves it
    assert plain[0] == pytest.approx(0.0)
    assert robust[0] > 1.5
    # explicit bounds, also per axis; points outside go to the edge cells
    same = intrastep_entropy(emb, shape, grid_range=(0.0, 1.0), **hist)["entropy"]
    assert same.iloc[0] == pytest.approx(2.0)
    assert 0 < same.iloc[2] < 0.1  # 99 units in one cell, the outlier in the edge cell
    two = np.column_stack([emb[:, 0], emb[:, 0]])
    per_axis = intrastep_entropy(two, shape, grid_range=[(0, 1), (0, 1)], **hist)["entropy"]
    np.testing.assert_allclose(per_axis, same)
    with pytest.raises(ValueError, match="low <= high"):
        intrastep_entropy(emb, shape, grid_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="grid_range must be"):
        intrastep_entropy(emb, shape, grid_range="wide")


# --------------------------------------------------------------------------- default estimator
def _groups(sample, n, G=40, seed=0):
    """G groups of n points each from one distribution, as an intra-step layout (1, G, n)."""
    rng = np.random.default_rng(seed)
    return sample(rng, G * n), (1, G, n)


_MIXTURE = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
_DISTRIBUTIONS = {
    "gaussian-2d": lambda rng, m: rng.normal(size=(m, 2)) * [1.0, 3.0],
    "gaussian-3d": lambda rng, m: rng.normal(size=(m, 3)),
    "uniform-2d": lambda rng, m: rng.uniform(size=(m, 2)),
    "mixture-2d": lambda rng, m: _MIXTURE[rng.integers(0, 3, m)] + 0.7 * rng.normal(size=(m, 2)),
}


@pytest.mark.parametrize("name", list(_DISTRIBUTIONS))
def test_default_estimate_does_not_depend_on_the_number_of_points(name):
    sample = _DISTRIBUTIONS[name]
    means = {}
    for estimator in ("coarse", "histogram"):
        for n in (16, 128):
            emb, shape = _groups(sample, n, seed=n)
            means[estimator, n] = intrastep_entropy(emb, shape, estimator=estimator)[
                "entropy"
            ].mean()
    move = abs(means["coarse", 16] - means["coarse", 128]) / means["coarse", 128]
    assert move <= 0.10, means
    # the plug-in histogram on the same grid is biased low for small groups
    assert means["histogram", 16] < 0.85 * means["histogram", 128]
    # and the default is not stuck at the histogram's ceiling of log2(16) bits
    assert means["coarse", 16] > np.log2(16) - 0.5


def test_intra_and_inter_step_entropy_compare_across_group_sizes():
    # every node drawn from one distribution: U = 16 units per slice, T = 128 steps per unit
    rng = np.random.default_rng(3)
    E, T, U = 2, 128, 16
    emb = rng.normal(size=(E * T * U, 2))
    intra = intrastep_entropy(emb, (E, T, U))["entropy"].mean()
    inter = interstep_entropy(emb, (E, T, U))["entropy"].mean()
    assert abs(intra - inter) <= 0.1 * inter
    hist_intra = intrastep_entropy(emb, (E, T, U), estimator="histogram")["entropy"].mean()
    hist_inter = interstep_entropy(emb, (E, T, U), estimator="histogram")["entropy"].mean()
    assert hist_intra < 0.85 * hist_inter


def _drifting_epochs(seed=0, E=20, T=10, U=32):
    rng = np.random.default_rng(seed)
    centres = np.column_stack([np.linspace(0, 6, E), np.sin(np.linspace(0, 3, E))])
    return centres[:, None, None, :] + rng.normal(size=(E, T, U, 2))


def _mean_of_later_epochs(emb, **kw):
    E, T, U, d = emb.shape
    df = intrastep_entropy(emb.reshape(-1, d), (E, T, U), **kw)
    return df.groupby("epoch")["entropy"].mean().to_numpy()[1:].mean()


def test_one_outlying_epoch_barely_moves_the_others():
    emb = _drifting_epochs()
    spread = emb.copy()
    centre = spread[0].reshape(-1, 2).mean(axis=0)
    spread[0] = centre + 3.0 * (spread[0] - centre)  # epoch 0 spread out 3x
    for kw, limit in (({}, 0.05), ({"estimator": "histogram"}, 0.05)):
        before, after = _mean_of_later_epochs(emb, **kw), _mean_of_later_epochs(spread, **kw)
        assert abs(after - before) <= limit * before, (kw, before, after)
    # on the minimum-to-maximum grid the same outlier squeezes every other epoch
    old = {"estimator": "histogram", "bins": 10, "grid_range": None}
    before, after = _mean_of_later_epochs(emb, **old), _mean_of_later_epochs(spread, **old)
    assert after < 0.8 * before


def test_default_is_stated_on_the_table_and_is_grid_relative():
    rng = np.random.default_rng(4)
    emb = rng.normal(size=(2 * 3 * 20, 2))
    df = intrastep_entropy(emb, (2, 3, 20))
    assert df.attrs["units"] == "bits" and df.attrs["estimator"] == "coarse"
    assert df.attrs["k"] == 2 and df.attrs["bins"] == [6, 6]
    assert np.asarray(df.attrs["grid"]).shape == (2, 2)
    # lengths are measured in grid cells: rescaling and shifting the embedding changes nothing
    moved = interstep_entropy(emb * 1000.0 + 5.0, (2, 3, 20))["entropy"]
    np.testing.assert_allclose(moved, interstep_entropy(emb, (2, 3, 20))["entropy"])
    assert (df["entropy"] > 0).all()


def test_default_on_collapsed_and_tiny_groups():
    E, T, U = 2, 3, 8
    emb = np.zeros((E, T, U, 2))
    emb += np.arange(E * T, dtype=float).reshape(E, T, 1, 1)  # each slice on its own point
    df = intrastep_entropy(emb.reshape(-1, 2), (E, T, U))
    np.testing.assert_allclose(df["entropy"], 0.0, atol=1e-12)
    # a tight slice has less entropy than a wide one on the same grid
    rng = np.random.default_rng(5)
    two = np.concatenate([rng.normal(size=(U, 2)) * 0.1, rng.normal(size=(U, 2)) * 3.0])
    h = intrastep_entropy(two, (1, 2, U))["entropy"]
    assert h.iloc[0] < h.iloc[1] - 2.0
    # groups smaller than k + 1 use k = n - 1; one point has no spread
    for T in (1, 2):
        out = interstep_entropy(rng.normal(size=(T * U, 2)), (1, T, U))["entropy"]
        assert np.isfinite(out).all() and (out >= 0).all()
    np.testing.assert_allclose(interstep_entropy(np.ones((U, 2)), (1, 1, U))["entropy"], 0.0)


@pytest.mark.parametrize("func", [intrastep_entropy, interstep_entropy])
def test_a_part_on_the_whole_grid_and_reference_gets_the_values_of_the_whole(func):
    from mmphate.analysis import default_reference

    rng = np.random.default_rng(3)
    E, T, U = 6, 5, 9
    emb = rng.normal(size=(E * T * U, 3)) * np.linspace(0.5, 2.0, E).repeat(T * U)[:, None]
    rec = Recording(rng.normal(size=(E, T, U, 2)), epochs=range(10, 10 + E))
    whole = func(emb, rec)
    # the default reference is default_reference(emb): passing it changes nothing
    again = func(emb, rec, reference=default_reference(emb))
    np.testing.assert_array_equal(again["entropy"], whole["entropy"])
    n_head = 4 * T * U
    part = func(
        emb[n_head:],
        rec.select(epochs=[14, 15]),
        grid_range=whole.attrs["grid"],
        reference=default_reference(emb),
    )
    np.testing.assert_allclose(part["entropy"], whole["entropy"].to_numpy()[-len(part) :])
    assert part["epoch"].tolist()[0] == 14
    # on its own grid and reference the part would come out differently
    alone = func(emb[n_head:], rec.select(epochs=[14, 15]))
    assert not np.allclose(alone["entropy"], part["entropy"])


def test_reference_errors_are_clear():
    emb = np.random.default_rng(0).normal(size=(2 * 3 * 4, 2))
    shape = (2, 3, 4)
    with pytest.raises(ValueError, match=r"reference must be .* shape \(n, 2\)"):
        intrastep_entropy(emb, shape, reference=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        intrastep_entropy(emb, shape, reference=np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="'coarse' estimator only"):
        intrastep_entropy(emb, shape, estimator="histogram", reference=emb)
