import numpy as np
import pandas as pd
import pytest

from mmphate import training_phases
from mmphate.analysis._phases import epoch_curve


def _tent(n=30, peak=12, noise=0.0, seed=0):
    x = np.arange(n)
    y = np.where(x <= peak, 1.0 + 0.2 * x, 1.0 + 0.2 * peak - 0.1 * (x - peak))
    return y + np.random.default_rng(seed).normal(scale=noise, size=n)


def test_clean_tent_finds_the_peak_with_rise_then_fall():
    epochs = np.arange(30) * 2 + 1  # real labels, not positions
    res = training_phases(_tent(), epochs=epochs)
    assert res.change_epoch == epochs[12]
    assert res.rise_then_fall
    assert [s.phase for s in res.segments] == ["processing", "compression"]
    assert res.slopes[0] == pytest.approx(0.1, rel=1e-6)  # 0.2 per position = 0.1 per epoch
    assert res.slopes[1] == pytest.approx(-0.05, rel=1e-6)
    assert res.p_value < 0.05
    assert "change point at epoch" in res.reason


def test_noisy_tent_is_still_found_near_the_peak():
    res = training_phases(_tent(n=40, peak=15, noise=0.3, seed=3))
    assert res.change_epoch is not None
    assert abs(res.change_epoch - 15) <= 3
    assert res.rise_then_fall


def test_straight_noisy_line_has_no_clear_change_point():
    rng = np.random.default_rng(5)
    y = 2.0 + 0.05 * np.arange(40) + rng.normal(scale=0.3, size=40)
    res = training_phases(y)
    assert res.change_epoch is None
    assert "no clear change point" in res.reason
    assert len(res.segments) == 1


def test_pure_noise_has_no_change_point_most_of_the_time():
    found = 0
    for seed in range(10):
        y = np.random.default_rng(100 + seed).normal(size=30)
        found += training_phases(y, n_boot=199).change_epoch is not None
    assert found <= 3  # alpha = 0.05 plus a margin for 10 draws


def test_monotone_kink_is_not_called_rise_then_fall():
    x = np.arange(30)
    y = np.where(x < 10, 0.5 * x, 5 + 0.05 * (x - 10))  # rises fast, then slowly
    res = training_phases(y)
    assert res.change_epoch == 10
    assert not res.rise_then_fall
    assert "Not the rise-then-fall" in res.reason


def test_short_curve_and_straight_line_are_reported():
    res = training_phases([1.0, 2.0, 1.0])
    assert res.change_epoch is None and "too few epochs" in res.reason
    res = training_phases(np.arange(10.0))
    assert res.change_epoch is None and "straight line" in res.reason


def test_accepts_intrastep_table_and_series():
    E, T = 20, 3
    curve = _tent(n=E, peak=8)
    table = pd.DataFrame(
        {
            "epoch": np.repeat(np.arange(E) + 100, T),
            "timestep": np.tile(np.arange(T), E),
            "entropy": np.repeat(curve, T) + np.tile([-0.1, 0.0, 0.1], E),
        }
    )
    s = epoch_curve(table)
    np.testing.assert_allclose(s.to_numpy(), curve)
    assert s.index[0] == 100
    res = training_phases(table)
    assert res.change_epoch == 108
    res2 = training_phases(pd.Series(curve, index=np.arange(E) + 100))
    assert res2.change_epoch == res.change_epoch
    assert len(res.to_frame()) == 2
    assert res.fitted.index.equals(res.curve.index)


def test_bad_inputs():
    with pytest.raises(ValueError, match="'epoch' and 'entropy'"):
        training_phases(pd.DataFrame({"x": [1, 2]}))
    with pytest.raises(ValueError, match="1-D"):
        training_phases(np.zeros((3, 3)))
