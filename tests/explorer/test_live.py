"""The live view without a browser: it grows with each recorded epoch, off the training thread."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

import mmphate
from mmphate.engine import MMPHATE
from mmphate.explorer import Explorer, LiveExplorer
from mmphate.explorer._checks import ExplorerError
from mmphate.record import HiddenStateRecorder


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = torch.nn.GRU(3, 6, batch_first=True)
        self.fc = torch.nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][:, -1])


@pytest.fixture
def setup():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = Net()
        x = torch.randn(8, 7, 3)
    rec = HiddenStateRecorder(net, "rnn", x)
    return net, x, rec


def _model(**kw):
    return MMPHATE(n_components=3, n_landmark=60, random_state=0, verbose=0, **kw)


def _train(net, x, rec, epochs, start=0):
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    for e in range(start, start + epochs):
        loss = net(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        rec.record(e, loss=loss.item())


def test_view_of_a_recorder_grows_with_each_epoch(setup):
    net, x, rec = setup
    live = mmphate.view(rec, model=_model())
    assert isinstance(live, LiveExplorer) and isinstance(live, Explorer)
    assert live._shape == [] and live._revision == 0
    assert "waiting" in repr(live) and "waiting" in live.live_status
    with pytest.raises(ValueError, match="no epoch is shown yet"):
        live.nodes()
    _train(net, x, rec, 3)
    assert live.wait(120)
    assert live.error is None
    assert live._shape == [3, 7, 6]
    assert live.embedding.shape == (3 * 7 * 6, 3)
    assert live.epoch == 2 and live.epoch_range == (0, 2)
    assert live._revision >= 1
    names = [s["name"] for s in live._metrics["series"]]
    assert "loss" in names and any("entropy" in n for n in names)
    assert live._metrics["epochs"] == [0, 1, 2]
    _train(net, x, rec, 2, start=3)
    assert live.wait(120)
    assert live._shape == [5, 7, 6] and live.epoch == 4 and live.epoch_range == (0, 4)
    lat = live.latency
    assert list(lat.columns) == ["epoch", "epochs", "seconds", "refit"]
    assert lat["epoch"].iloc[-1] == 4 and (lat["seconds"] > 0).all()
    # what is shown is the model's embedding of everything recorded
    np.testing.assert_allclose(live.embedding, live.model.embedding_, rtol=1e-6, atol=1e-6)
    assert live.recording.epochs.tolist() == [0, 1, 2, 3, 4]
    live.stop()
    _train(net, x, rec, 1, start=5)
    assert live.wait(5) and live._shape == [5, 7, 6]


def test_training_does_not_wait_for_the_embedding(setup):
    net, x, rec = setup
    release = threading.Event()

    class Slow(MMPHATE):
        def fit(self, X, y=None):
            assert release.wait(60)
            return super().fit(X, y)

    live = mmphate.view(rec, model=Slow(n_components=3, n_landmark=60, random_state=0, verbose=0))
    _train(net, x, rec, 2)  # returns although the first fit is still blocked
    assert live._shape == [] and not live.wait(0.05)
    release.set()
    assert live.wait(120) and live._shape == [2, 7, 6]


def test_follow_latest_off_keeps_the_epoch_and_a_user_filter(setup):
    net, x, rec = setup
    live = mmphate.view(rec, model=_model(), follow_latest=False)
    _train(net, x, rec, 3)
    assert live.wait(120) and live.epoch == 0
    live.epoch = 1
    live.epoch_range = (0, 1)
    _train(net, x, rec, 1, start=3)
    assert live.wait(120)
    assert live.epoch == 1 and live.epoch_range == (0, 1) and live._shape[0] == 4
    live.follow_latest = True  # turning it on jumps to the newest epoch
    assert live.epoch == 3


def test_a_failed_update_is_reported_and_later_epochs_still_come(setup):
    net, x, rec = setup

    class Flaky(MMPHATE):
        calls = 0

        def partial_fit(self, X, y=None):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("disk full")
            return super().partial_fit(X, y)

    live = mmphate.view(rec, model=Flaky(n_components=3, n_landmark=60, random_state=0, verbose=0))
    _train(net, x, rec, 1)
    assert live.wait(120)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train(net, x, rec, 1, start=1)
        assert live.wait(120)
    assert isinstance(live.error, RuntimeError)
    assert "update failed at epoch 1: disk full" in live.live_status
    assert any("later epochs will still be shown" in str(w.message) for w in caught)
    _train(net, x, rec, 1, start=2)
    assert live.wait(120)
    assert live._shape[0] == 2 and live.recording.epochs.tolist() == [0, 2]


def test_epochs_recorded_before_the_view_are_shown_at_once(setup):
    net, x, rec = setup
    _train(net, x, rec, 2)
    live = mmphate.view(rec, model=_model())
    assert live.wait(120) and live._shape == [2, 7, 6]


def test_live_arguments_are_checked(setup):
    net, x, rec = setup
    with pytest.raises(ExplorerError, match="does not take epoch, epoch_range"):
        mmphate.view(rec, epoch=3, epoch_range=(0, 1))
    with pytest.raises(ExplorerError, match="needs a recorder"):
        LiveExplorer(np.zeros((4, 2)))
    with pytest.raises(ExplorerError, match="model must be an MMPHATE"):
        mmphate.view(rec, model=object())
    fitted = _model().fit(np.random.default_rng(0).normal(size=(2, 3, 4, 5)))
    with pytest.raises(ExplorerError, match="already fitted"):
        mmphate.view(rec, model=fitted)
    with pytest.raises(ExplorerError, match="apply only to a live view"):
        mmphate.view(fitted, follow_latest=True)
    live = mmphate.view(rec, model=_model())
    with pytest.raises(ValueError, match="no epoch is shown yet"):
        live.epoch = 0


def test_to_recording_since_takes_only_the_new_snapshots(setup):
    net, x, rec = setup
    _train(net, x, rec, 3)
    tail = rec.to_recording(since=1)
    assert tail.epochs.tolist() == [1, 2]
    np.testing.assert_array_equal(tail.hidden, rec.to_recording().hidden[1:])
    assert tail.metrics.index.tolist() == [1, 2]
    with pytest.raises(ValueError, match="no snapshot at or after epoch 7"):
        rec.to_recording(since=7)


class _NoRefit(MMPHATE):
    def partial_fit(self, X_new, y=None, **kw):
        return super().partial_fit(X_new, y, drift_threshold=1.0)


class _SyncRefit(MMPHATE):
    def partial_fit(self, X_new, y=None, **kw):
        return super().partial_fit(X_new, y, drift_threshold=0.0, background=False)


def _shown_entropy(live):
    nodes = live.nodes()
    return nodes["intrastep_entropy"].to_numpy()[:: live.recording.n_units]


def test_entropy_of_appended_epochs_is_on_the_grid_of_the_last_full_computation(setup):
    from mmphate.analysis import default_reference, intrastep_entropy

    net, x, rec = setup
    live = mmphate.view(
        rec, model=_NoRefit(n_components=3, n_landmark=60, random_state=0, verbose=0)
    )
    _train(net, x, rec, 1)
    assert live.wait(120) and live.error is None
    first_emb, first_rec = live.model.embedding_.copy(), live.recording
    full = intrastep_entropy(first_emb, first_rec)
    np.testing.assert_allclose(_shown_entropy(live), full["entropy"], rtol=1e-5)
    for e in range(1, 4):  # one partial_fit per epoch: the fitted nodes stay where they were
        _train(net, x, rec, 1, start=e)
        assert live.wait(120) and live.error is None
    assert not live.latency["refit"].any()
    emb, shown = live.model.embedding_, live.recording
    np.testing.assert_array_equal(emb[: first_rec.n_nodes], first_emb)
    # every epoch as one computation over all nodes would give it on the first grid and reference
    expect = intrastep_entropy(
        emb, shown, grid_range=full.attrs["grid"], reference=default_reference(first_emb)
    )
    np.testing.assert_allclose(_shown_entropy(live), expect["entropy"], rtol=1e-5, atol=1e-6)
    # ... which is not what a new robust grid over every node gives: the shortcut is visible
    fresh = intrastep_entropy(emb, shown)
    assert not np.allclose(fresh["entropy"], expect["entropy"], rtol=1e-3)


def test_entropy_is_computed_again_over_all_nodes_after_a_refit(setup):
    from mmphate.analysis import intrastep_entropy

    net, x, rec = setup
    model = _SyncRefit(n_components=3, n_landmark=60, random_state=0, verbose=0)
    live = mmphate.view(rec, model=model)
    _train(net, x, rec, 1)
    assert live.wait(120)
    _train(net, x, rec, 1, start=1)
    assert live.wait(120) and live.error is None
    assert live.latency["refit"].iloc[-1]
    expect = intrastep_entropy(live.model.embedding_, live.recording)
    np.testing.assert_allclose(_shown_entropy(live), expect["entropy"], rtol=1e-5, atol=1e-6)
