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


# ---------------------------------------------------------------- calibration under autocorrelation
def _ar1(phi, n, rng):
    from scipy import signal

    e = rng.normal(size=n + 200)
    return signal.lfilter([1.0], [1.0, -phi], e)[200:]


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8, 0.9])
def test_change_free_ar1_curves_hold_the_level(phi):
    """Seeded null simulation: 51 epochs, a trend plus AR(1) noise, no change point."""
    rng = np.random.default_rng(int(phi * 10) + 11)
    x = np.arange(51)
    reps, found, rise_fall = 80, 0, 0
    for i in range(reps):
        y = 3.0 + 0.01 * x + 0.1 * _ar1(phi, 51, rng)
        res = training_phases(y, n_boot=199, random_state=i)
        found += res.change_epoch is not None
        rise_fall += res.rise_then_fall
    # measured with 100 curves per phi: 0.02 / 0.01 / 0.03 / 0.01 (0.07 at phi = 0.95);
    # the independent-residual bootstrap gave 0.04 / 0.26 / 0.68 / 0.86
    assert found / reps <= 0.08
    assert rise_fall / reps <= 0.05


def test_power_on_a_real_break_in_autocorrelated_noise():
    """A rise then fall (peak at epoch 20) in AR(1) noise: found, near the peak, called so."""
    rng = np.random.default_rng(7)
    x = np.arange(51)
    tent = np.where(x <= 20, x / 20, 1 - (x - 20) / 30)
    rates = {}
    for phi in (0.0, 0.5):
        found = near = 0
        for i in range(40):
            noise = 0.1 * np.sqrt(1 - phi**2) * _ar1(phi, 51, rng)  # marginal sd 0.1
            res = training_phases(3.0 + 0.5 * tent + noise, n_boot=199, random_state=i)
            found += res.rise_then_fall
            near += res.change_epoch is not None and abs(res.change_epoch - 20) <= 3
        rates[phi] = (found / 40, near / 40)
    # measured with 200 curves: amplitude 5 sd: 0.995 (phi 0), 0.60 (phi 0.5), 0.535 (phi 0.8);
    # amplitude 10 sd: 1.0 at every phi up to 0.8
    assert rates[0.0][0] >= 0.9 and rates[0.0][1] >= 0.85
    assert rates[0.5][0] >= 0.4


def test_more_than_one_change_point_when_the_data_support_it():
    x = np.arange(51)
    y = np.interp(x, [0, 12, 30, 50], [0.0, 2.0, 1.0, 1.5])  # rise, fall, rise
    y = y + np.random.default_rng(1).normal(scale=0.1, size=51)
    res = training_phases(y)
    assert len(res.change_epochs) == 2
    assert abs(res.change_epochs[0] - 12) <= 2 and abs(res.change_epochs[1] - 30) <= 2
    assert len(res.segments) == 3 and len(res.p_values) >= 2
    assert res.change_epoch in res.change_epochs
    assert [s.phase for s in res.segments] == ["processing", "compression", "processing"]
    assert res.rise_then_fall
    assert "change points at epochs" in res.reason
    one = training_phases(y, max_changes=1)
    assert len(one.change_epochs) <= 1 and len(one.segments) == len(one.change_epochs) + 1
