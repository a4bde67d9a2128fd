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
