import numpy as np
import pandas as pd
import pytest

from mmphate import Recording, entropy_vs_performance


def _setup(E=30, peak=12, vmin=13):
    epochs = np.arange(E) + 1
    x = np.arange(E)
    ent = np.where(x <= peak, 1.0 + 0.2 * x, 1.0 + 0.2 * peak - 0.1 * (x - peak))
    metrics = pd.DataFrame(
        {
            "train_loss": 3.0 - 0.09 * x,  # strictly decreasing
            "val_loss": (x - vmin) ** 2 / 50.0 + 1.0,  # minimum at position vmin
            "val_accuracy": 0.5 + 0.01 * x,
        },
        index=pd.Index(epochs, name="epoch"),
    )
    rng = np.random.default_rng(0)
    rec = Recording(rng.normal(size=(E, 2, 4, 3)), epochs=epochs, metrics=metrics)
    intra = pd.DataFrame(
        {
            "epoch": np.repeat(epochs, 2),
            "timestep": np.tile([0, 1], E),
            "entropy": np.repeat(ent, 2),
        }
    )
    inter = pd.DataFrame(
        {
            "epoch": np.repeat(epochs, 4),
            "unit": np.tile(list("abcd"), E),
            "entropy": np.repeat(-x, 4),
        }
    )
    return rec, intra, inter, epochs


def test_one_table_with_correlations_on_levels_and_differences():
    rec, intra, inter, epochs = _setup()
    df = entropy_vs_performance([intra, inter], rec, tolerance=2)
    assert set(df["series"]) == {"intrastep_mean", "interstep_mean"}
    assert set(df["metric"]) == {"train_loss", "val_loss", "val_accuracy"}
    assert set(df["transform"]) == {"level", "diff"}
    assert len(df) == 2 * 3 * 2
    row = df.query("series == 'interstep_mean' and metric == 'train_loss' and transform == 'level'")
    # inter = -x, train_loss decreasing linearly in x: perfect positive correlation
    assert row["spearman_r"].item() == pytest.approx(1.0)
    assert row["pearson_r"].item() == pytest.approx(1.0)
    assert row["spearman_p"].item() < 1e-6
    assert row["n"].item() == 30
    dif = df.query("series == 'interstep_mean' and metric == 'train_loss' and transform == 'diff'")
    assert dif["n"].item() == 29
    assert np.isnan(dif["spearman_r"].item())  # both differences are constant


def test_change_point_against_validation_minimum():
    rec, intra, inter, epochs = _setup(peak=12, vmin=13)
    df = entropy_vs_performance({"intra": intra}, rec, tolerance=1)
    assert (df["change_epoch"] == epochs[12]).all()
    assert (df["val_loss_min_epoch"] == epochs[13]).all()
    assert df["within_tolerance"].all()
    df = entropy_vs_performance({"intra": intra}, rec.metrics, tolerance=0)
    assert not df["within_tolerance"].any()
    assert df.attrs["tolerance"] == 0
    assert df.attrs["phases"]["intra"].change_epoch == epochs[12]


def test_no_change_point_gives_none():
    rec, intra, inter, epochs = _setup()
    df = entropy_vs_performance(inter, rec)
    assert df["change_epoch"].isna().all()
    assert df["within_tolerance"].isna().all()


def test_only_common_epochs_are_used():
    rec, intra, inter, epochs = _setup()
    curve = intra.groupby("epoch")["entropy"].mean().iloc[5:]
    df = entropy_vs_performance({"late": curve}, rec)
    assert (df.query("transform == 'level'")["n"] == 25).all()


def test_bad_input():
    rec, *_ = _setup()
    with pytest.raises(TypeError, match="entropy must be"):
        entropy_vs_performance(42, rec)


def _ar1(phi, n, rng):
    from scipy import signal

    return signal.lfilter([1.0], [1.0, -phi], rng.normal(size=n + 200))[200:]


@pytest.mark.parametrize("kind", ["ar0.9", "random_walk"])
def test_independent_series_rarely_give_a_significant_row(kind):
    """Seeded null simulation: 2 entropy series x 4 metrics x {level, diff}, all independent."""
    rng = np.random.default_rng(3 if kind == "ar0.9" else 4)
    E, calls, any_sig, naive = 51, 40, 0, 0
    epochs = pd.Index(np.arange(E), name="epoch")

    def series():
        return _ar1(0.9, E, rng) if kind == "ar0.9" else np.cumsum(rng.normal(size=E))

    for _ in range(calls):
        ent = {f"s{i}": pd.Series(series(), index=epochs) for i in range(2)}
        metrics = pd.DataFrame({f"m{i}": series() for i in range(3)}, index=epochs)
        metrics["val_loss"] = series()
        df = entropy_vs_performance(ent, metrics, n_boot=19)
        assert len(df) == 16 and df.attrs["n_tests"] == 32
        any_sig += bool(df["significant"].any())
        # the naive test on levels, for comparison
        lv = df[df["transform"] == "level"]
        naive += bool(
            (lv["spearman_r"].abs() * np.sqrt((E - 2) / (1 - lv["spearman_r"] ** 2)) > 2.01).any()
        )
    print(f"{kind}: any significant row {any_sig / calls:.3f}, naive levels {naive / calls:.3f}")
    assert any_sig / calls <= 0.08
    assert naive / calls >= 0.5  # what the uncorrected level p-values would have claimed


def test_adjusted_p_values_and_significance():
    rec, intra, inter, epochs = _setup()
    df = entropy_vs_performance([intra, inter], rec, alpha=0.05)
    assert (df["p_adjusted"].dropna() >= df[["spearman_p", "pearson_p"]].min(axis=1).dropna()).all()
    assert not df.loc[df["transform"] == "level", "significant"].any()
    assert set(df["inference"]) == {"differences", "levels (descriptive, ESS-adjusted)"}
    bh = entropy_vs_performance([intra, inter], rec, adjust="bh")
    assert (bh["p_adjusted"].dropna() <= df["p_adjusted"].dropna() + 1e-12).all()
    lv = entropy_vs_performance([intra, inter], rec, significant_levels=True)
    assert lv["significant"].sum() >= df["significant"].sum()
    with pytest.raises(ValueError, match="adjust"):
        entropy_vs_performance([intra], rec, adjust="bonferroni")
