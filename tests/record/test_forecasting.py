"""mmphate.record.forecasting: a recorded recurrent forecaster on real sequences."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmphate.record import Recording  # noqa: E402
from mmphate.record.forecasting import (  # noqa: E402
    SequenceForecaster,
    forecast_mse,
    train_forecaster,
)

pytestmark = pytest.mark.torch


def test_training_records_learns_and_is_deterministic():
    threads, rng_state = torch.get_num_threads(), torch.get_rng_state()
    kw = dict(kind="gru", hidden_size=8, epochs=6, n_trace=6, seed=1)
    a = train_forecaster("basic_motions", **kw)
    b = train_forecaster("basic_motions", **kw)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert isinstance(a.recording, Recording)
    assert a.recording.shape == (7, 100, 8, 6)
    assert list(a.recording.metrics.columns) == ["train_loss", "val_loss", "val_skill"]
    assert a.recording.equals(b.recording) and a.history.equals(b.history)
    assert a.history.train_loss.iloc[-1] < 0.8 * a.history.train_loss.iloc[0]
    assert a.history.val_skill.iloc[-1] > a.history.val_skill.iloc[0]
    assert set(a.trace_index) <= set(a.val_index)
    assert not set(a.train_index) & set(a.val_index)
    model, recording = a
    assert recording is a.recording and model is a.model


def test_forecast_mse_against_a_direct_computation():
    torch.manual_seed(0)
    model = SequenceForecaster(3, hidden_size=4, kind="rnn")
    model.input_mean.copy_(torch.tensor([1.0, 0.0, -1.0]))
    model.input_std.copy_(torch.tensor([2.0, 1.0, 0.5]))
    X = np.random.default_rng(0).normal(size=(5, 9, 3)).astype(np.float32)
    mse, persistence = forecast_mse(model, X, horizon=2)
    z = (X - np.array([1.0, 0.0, -1.0])) / np.array([2.0, 1.0, 0.5])
    with torch.no_grad():
        pred = model(torch.as_tensor(X)).numpy()
    assert mse == pytest.approx(np.mean((pred[:, :-2] - z[:, 2:]) ** 2), rel=1e-5)
    assert persistence == pytest.approx(np.mean((z[:, :-2] - z[:, 2:]) ** 2), rel=1e-5)
    # the prediction at step t depends only on steps <= t (causal)
    X2 = X.copy()
    X2[:, 5:] += 10
    with torch.no_grad():
        pred2 = model(torch.as_tensor(X2)).numpy()
    np.testing.assert_allclose(pred2[:, :5], pred[:, :5], rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="equal-length"):
        train_forecaster("japanese_vowels", epochs=1)
    with pytest.raises(ValueError, match="horizon"):
        train_forecaster("basic_motions", epochs=1, horizon=100)
    with pytest.raises(ValueError, match="kind"):
        train_forecaster("basic_motions", kind="transformer")
    with pytest.raises(TypeError, match="dataset"):
        train_forecaster(3)
