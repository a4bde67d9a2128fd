"""mmphate.record.torch: recording per-timestep hidden states from PyTorch modules."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

from mmphate.record import Recording  # noqa: E402
from mmphate.record.torch import HiddenStateRecorder, layer_units  # noqa: E402

pytestmark = pytest.mark.torch

KINDS = {
    "lstm": lambda *a, **k: nn.LSTM(*a, **k),
    "gru": lambda *a, **k: nn.GRU(*a, **k),
    "rnn_tanh": lambda *a, **k: nn.RNN(*a, **k),
    "rnn_relu": lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k),
}


def to_tus(out: torch.Tensor, batch_first: bool = True) -> np.ndarray:
    """(batch, time, features) tensor -> (time, units, samples) array."""
    if not batch_first:
        out = out.transpose(0, 1)
    return out.detach().numpy().transpose(1, 2, 0)


def copy_layer(src: nn.RNNBase, k: int, dst: nn.RNNBase) -> None:
    with torch.no_grad():
        for name, p in dst.named_parameters():
            p.copy_(getattr(src, name.replace("_l0", f"_l{k}")))


class Wrapper(nn.Module):
    """rnn + head; optionally packs variable-length input."""

    def __init__(self, rnn: nn.RNNBase, pack: bool = False) -> None:
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), 2)
        self.drop = nn.Dropout(0.5)
        self.pack = pack

    def forward(self, x, lengths=None):
        if self.pack:
            x = pack_padded_sequence(
                x, torch.as_tensor(lengths), batch_first=self.rnn.batch_first, enforce_sorted=False
            )
        out, _ = self.rnn(x)
        if self.pack:
            return out
        return self.head(self.drop(out[:, -1] if self.rnn.batch_first else out[-1]))


@pytest.fixture(autouse=True)
def _seed():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_recurrent_kind_records_the_output_states(kind):
    rnn = KINDS[kind](3, 6, batch_first=True)
    model = Wrapper(rnn)
    x = torch.randn(5, 9, 3)
    rec = HiddenStateRecorder(
        model, "rnn", x, sample_labels=[0, 1, 0, 1, 1], class_names=["a", "b"]
    )
    rec.record(0, val_loss=1.0)
    rec.record(1, val_loss=torch.tensor(0.5))
    r = rec.to_recording()
    assert isinstance(r, Recording)
    assert r.shape == (2, 9, 6, 5)
    assert r.units.tolist() == [str(i) for i in range(6)]
    with torch.no_grad():
        expected = to_tus(rnn(x)[0])
    np.testing.assert_allclose(r.hidden[0], expected, rtol=0, atol=1e-6)
    assert r.metrics["val_loss"].tolist() == [1.0, 0.5]
    assert r.metadata["kind"] == ("rnn" if kind.startswith("rnn") else kind)
    assert r.metadata["layer"] == "rnn"
    assert r.class_names == ["a", "b"]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_stacked_inner_layer_matches_single_layer_modules(kind, bidirectional):
    D = 2 if bidirectional else 1
    rnn = KINDS[kind](
        4, 5, num_layers=3, batch_first=True, bidirectional=bidirectional, dropout=0.3
    )
    x = torch.randn(6, 8, 4)
    l0 = KINDS[kind](4, 5, batch_first=True, bidirectional=bidirectional)
    l1 = KINDS[kind](5 * D, 5, batch_first=True, bidirectional=bidirectional)
    copy_layer(rnn, 0, l0)
    copy_layer(rnn, 1, l1)
    with torch.no_grad():
        out0 = l0(x)[0]
        out1 = l1(out0)[0]
    rnn.train()  # the recorder must switch dropout off and restore the mode
    for index, expected in ((0, out0), (1, out1), (-2, out1)):
        hidden, valid, units = HiddenStateRecorder(rnn, None, x, layer_index=index).capture()
        assert valid is None
        np.testing.assert_allclose(hidden, to_tus(expected), rtol=0, atol=1e-6)
    assert rnn.training
    # the last layer comes straight from the module's output
    hidden, _, _ = HiddenStateRecorder(rnn, None, x).capture()
    rnn.eval()
    with torch.no_grad():
        np.testing.assert_allclose(hidden, to_tus(rnn(x)[0]), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="layer_index"):
        HiddenStateRecorder(rnn, None, x, layer_index=3)


def test_stacked_inner_layer_with_initial_state():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)  # time-first
    x = torch.randn(7, 5, 3)
    h0, c0 = torch.randn(4, 5, 4), torch.randn(4, 5, 4)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x, (h0, c0))[0]

    hidden, _, _ = HiddenStateRecorder(M(), "lstm", x, layer_index=0).capture()
    l0 = nn.LSTM(3, 4, bidirectional=True)
    copy_layer(lstm, 0, l0)
    with torch.no_grad():
        expected = l0(x, (h0[:2], c0[:2]))[0]
    np.testing.assert_allclose(hidden, to_tus(expected, batch_first=False), rtol=0, atol=1e-6)


def test_bidirectional_units_are_both_directions():
    gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
    x = torch.randn(3, 6, 3)
    hidden, _, units = HiddenStateRecorder(gru, None, x).capture()
    assert units == [f"fwd.{i}" for i in range(4)] + [f"bwd.{i}" for i in range(4)]
    assert units == layer_units(gru)
    fwd = nn.GRU(3, 4, batch_first=True)
    bwd = nn.GRU(3, 4, batch_first=True)
    with torch.no_grad():
        for name, p in fwd.named_parameters():
            p.copy_(getattr(gru, name))
            getattr(bwd, name).copy_(getattr(gru, name + "_reverse"))
        f = fwd(x)[0]
        b = bwd(x.flip(1))[0].flip(1)  # the reverse direction reads the sequence backwards
    np.testing.assert_allclose(hidden[:, :4], to_tus(f), rtol=0, atol=1e-6)
    np.testing.assert_allclose(hidden[:, 4:], to_tus(b), rtol=0, atol=1e-6)


def test_batch_first_either_way_gives_the_same_recording():
    a = nn.LSTM(3, 5, batch_first=True)
    b = nn.LSTM(3, 5, batch_first=False)
    b.load_state_dict(a.state_dict())
    x = torch.randn(4, 10, 3)
    ha, _, _ = HiddenStateRecorder(a, None, x).capture()
    hb, _, _ = HiddenStateRecorder(b, None, x.transpose(0, 1).contiguous()).capture()
    assert ha.shape == (10, 5, 4)
    np.testing.assert_allclose(ha, hb, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="contradicts"):
        HiddenStateRecorder(a, None, x, batch_first=False)


@pytest.mark.parametrize("batch_first", [True, False])
def test_packed_sequences_give_valid_mask_and_exact_states(batch_first):
    lstm = nn.LSTM(2, 3, batch_first=batch_first)
    model = Wrapper(lstm, pack=True)
    lengths = np.array([5, 2, 7, 3])
    x = torch.randn(4, 7, 2)
    inp = x if batch_first else x.transpose(0, 1).contiguous()
    rec = HiddenStateRecorder(model, "rnn", inp, forward_kwargs={"lengths": lengths})
    rec.record(0)
    r = rec.to_recording()
    expected_valid = np.arange(7)[:, None] < lengths[None, :]
    np.testing.assert_array_equal(r.valid, expected_valid)
    for s, n in enumerate(lengths):
        with torch.no_grad():
            alone = lstm(x[s : s + 1, :n] if batch_first else x[s, :n].unsqueeze(1))[0]
        np.testing.assert_allclose(
            r.hidden[0, :n, :, s], to_tus(alone, batch_first)[:, :, 0], rtol=0, atol=1e-6
        )
        assert not r.hidden[0, n:, :, s].any()  # packed padding is zero
    # explicit lengths must agree with the packed ones
    rec_ok = HiddenStateRecorder(
        model, "rnn", inp, lengths=lengths, forward_kwargs={"lengths": lengths}
    )
    np.testing.assert_array_equal(rec_ok.capture()[1], expected_valid)
    wrong = HiddenStateRecorder(
        model, "rnn", inp, lengths=[5, 2, 6, 3], forward_kwargs={"lengths": lengths}
    )
    with pytest.raises(ValueError, match="do not match the PackedSequence"):
        wrong.capture()


def test_packed_inner_layer_of_stacked_rnn():
    gru = nn.GRU(2, 3, num_layers=2, batch_first=True)
    lengths = np.array([4, 6, 1])
    x = torch.randn(3, 6, 2)
    hidden, valid, _ = HiddenStateRecorder(
        Wrapper(gru, pack=True), "rnn", x, layer_index=0, forward_kwargs={"lengths": lengths}
    ).capture()
    l0 = nn.GRU(2, 3, batch_first=True)
    copy_layer(gru, 0, l0)
    for s, n in enumerate(lengths):
        with torch.no_grad():
            alone = l0(x[s : s + 1, :n])[0]
        np.testing.assert_allclose(hidden[:n, :, s], to_tus(alone)[:, :, 0], atol=1e-6, rtol=0)
    np.testing.assert_array_equal(valid, np.arange(6)[:, None] < lengths[None, :])


def test_explicit_lengths_without_packing():
    rnn = nn.RNN(2, 3, batch_first=True)
    x = torch.randn(3, 5, 2)
    rec = HiddenStateRecorder(rnn, None, x, lengths=[5, 3, 1])
    rec.record(0)
    r = rec.to_recording()
    np.testing.assert_array_equal(r.valid[:, 2], [True, False, False, False, False])
    with torch.no_grad():
        np.testing.assert_allclose(r.hidden[0], to_tus(rnn(x)[0]), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="lengths has 2 entries"):
        HiddenStateRecorder(rnn, None, x, lengths=[5, 3]).capture()
    with pytest.raises(ValueError, match="must not exceed"):
        HiddenStateRecorder(rnn, None, x, lengths=[6, 3, 1]).capture()
    with pytest.raises(ValueError, match=">= 1"):
        HiddenStateRecorder(rnn, None, x, lengths=[0, 3, 1])


@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_layer_token_positions_are_timesteps(batch_first):
    layer = nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.1, batch_first=batch_first
    )

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(3, 8)
            self.encoder = layer

        def forward(self, x):
            return self.encoder(self.embed(x)).mean()

    model = M()
    x = torch.randn(5, 11, 3) if batch_first else torch.randn(11, 5, 3)
    rec = HiddenStateRecorder(model, model.encoder, x)
    rec.record(0)
    r = rec.to_recording()
    assert r.shape == (1, 11, 8, 5)
    model.eval()
    with torch.no_grad():
        expected = layer(model.embed(x))
    np.testing.assert_allclose(r.hidden[0], to_tus(expected, batch_first), atol=1e-5, rtol=0)
    assert r.metadata["layer"] == "encoder"
    assert r.metadata["layer_type"] == "TransformerEncoderLayer"


def test_nan_activations_raise():
    lstm = nn.LSTM(2, 3, batch_first=True)
    with torch.no_grad():
        lstm.weight_hh_l0[0, 0] = float("nan")
    rec = HiddenStateRecorder(lstm, None, torch.randn(2, 4, 2))
    with pytest.raises(ValueError, match="NaN"):
        rec.record(0)
    assert rec.n_snapshots == 0


def test_non_recurrent_module_without_time_axis_raises():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.Tanh())
    rec = HiddenStateRecorder(model, "1", torch.randn(3, 4, 3))
    with pytest.raises(ValueError, match="no time axis"):
        rec.capture()


def test_layer_resolution_errors():
    model = Wrapper(nn.GRU(2, 3, batch_first=True))
    x = torch.randn(2, 4, 2)
    with pytest.raises(ValueError, match="no submodule 'lstm'"):
        HiddenStateRecorder(model, "lstm", x)
    with pytest.raises(ValueError, match="not a submodule"):
        HiddenStateRecorder(model, nn.GRU(2, 3), x)
    unused = Wrapper(nn.GRU(2, 3, batch_first=True))
    unused.extra = nn.GRU(2, 3, batch_first=True)
    with pytest.raises(RuntimeError, match="did not run"):
        HiddenStateRecorder(unused, "extra", x).capture()
    with pytest.raises(ValueError, match="layer_index only applies"):
        HiddenStateRecorder(model, "head", x, layer_index=1)


def test_modes_and_gradients_are_restored():
    model = Wrapper(nn.LSTM(2, 3, batch_first=True))
    model.train()
    model.drop.eval()  # a submodule deliberately in eval mode stays so
    x = torch.randn(4, 5, 2)
    rec = HiddenStateRecorder(model, "rnn", x)
    rec.record(0)
    assert model.training and model.rnn.training and not model.drop.training
    assert all(p.grad is None for p in model.parameters())
    # in train mode dropout would make the snapshot random; recorded in eval mode it is not
    rec.record(1)
    r = rec.to_recording()
    np.testing.assert_array_equal(r.hidden[0], r.hidden[1])


def test_every_and_history():
    rnn = nn.RNN(2, 3, batch_first=True)
    rec = HiddenStateRecorder(rnn, None, torch.randn(2, 4, 2), every=2)
    taken = [rec.record(e, val_loss=1.0 / (e + 1)) for e in range(5)]
    assert taken == [True, False, True, False, True]
    assert rec.record(5, force=True, val_loss=0.1)
    r = rec.to_recording({"dataset": "toy"})
    assert r.epochs.tolist() == [0, 2, 4, 5]
    assert r.metrics.index.tolist() == [0, 2, 4, 5]
    assert rec.history.index.tolist() == [0, 1, 2, 3, 4, 5]
    assert r.metadata["dataset"] == "toy"
    with pytest.raises(ValueError, match="epochs must increase"):
        rec.record(5)
    with pytest.raises(ValueError, match="nothing recorded"):
        HiddenStateRecorder(rnn, None, torch.randn(2, 4, 2)).to_recording()


def test_subscribers_hear_of_each_snapshot_after_it_is_recorded():
    rnn = nn.GRU(2, 3, batch_first=True)
    rec = HiddenStateRecorder(rnn, None, torch.randn(2, 4, 2), every=2)
    heard = []
    stop = rec.subscribe(lambda e: heard.append((e, rec.to_recording().epochs.tolist())))
    for e in range(4):
        rec.record(e, val_loss=1.0)
    assert heard == [(0, [0]), (2, [0, 2])]  # snapshots only, each already in the recording
    stop()
    rec.record(4)
    assert len(heard) == 2


def test_recording_round_trips_through_a_file(tmp_path):
    rnn = nn.LSTM(2, 3, batch_first=True, bidirectional=True)
    rec = HiddenStateRecorder(rnn, None, torch.randn(3, 4, 2), lengths=[4, 2, 3])
    rec.record(0, val_accuracy=0.5)
    rec.record(1, val_accuracy=0.75)
    r = rec.to_recording()
    r.save(tmp_path / "r.mmphate")
    assert Recording.load(tmp_path / "r.mmphate").equals(r)


def test_import_without_torch_gives_install_hint():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import mmphate, mmphate.record\n"
        "try:\n"
        "    import mmphate.record.torch\n"
        "except ImportError as e:\n"
        "    assert 'pip install \"mmphate[torch]\"' in str(e), str(e)\n"
        "    print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "ok"


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_with_projection_inner_layer():
    lstm = nn.LSTM(3, 6, num_layers=2, proj_size=2, bidirectional=True, batch_first=True)
    x = torch.randn(4, 5, 3)
    hidden, _, units = HiddenStateRecorder(lstm, None, x, layer_index=0).capture()
    assert units == ["fwd.0", "fwd.1", "bwd.0", "bwd.1"]
    l0 = nn.LSTM(3, 6, proj_size=2, bidirectional=True, batch_first=True)
    copy_layer(lstm, 0, l0)
    with torch.no_grad():
        np.testing.assert_allclose(hidden, to_tus(l0(x)[0]), rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")
def test_layer_inside_transformer_encoder_with_padding_mask():
    """In eval mode the encoder may pass nested tensors between layers; they are padded back."""
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, enable_nested_tensor=True
    )
    x = torch.randn(3, 6, 8)
    lengths = np.array([6, 4, 3])
    pad = torch.as_tensor(np.arange(6)[None, :] >= lengths[:, None])
    rec = HiddenStateRecorder(
        enc, "layers.0", x, lengths=lengths, forward_kwargs={"src_key_padding_mask": pad}
    )
    hidden, valid, _ = rec.capture()
    assert hidden.shape == (6, 8, 3)
    np.testing.assert_array_equal(valid, ~pad.numpy().T)
    enc.eval()
    with torch.no_grad():
        first = enc.layers[0](x, src_key_padding_mask=pad)
    ok = valid[:, None, :].repeat(8, axis=1)
    np.testing.assert_allclose(hidden[ok], to_tus(first)[ok], atol=1e-5, rtol=0)


# --------------------------------------------------------------------------- bad inputs
def _clear(exc_type, match, fn, *args, **kwargs):
    from _clear import assert_clear

    with pytest.raises(exc_type, match=match) as info:
        fn(*args, **kwargs)
    assert_clear(info.value)


def test_trace_inputs_are_checked_before_torch_sees_them():
    model = Wrapper(nn.GRU(3, 4, batch_first=True))
    x = torch.randn(5, 7, 3)
    _clear(
        TypeError,
        r"torch.Tensor .*numpy.ndarray|got an array of shape .*torch.as_tensor",
        HiddenStateRecorder,
        model,
        "rnn",
        x.numpy(),
    )
    _clear(
        TypeError,
        "dtype torch.float64 but the model's parameters are torch.float32",
        HiddenStateRecorder,
        model,
        "rnn",
        x.double(),
    )
    _clear(ValueError, "at least one trace sample", HiddenStateRecorder, model, "rnn", x[:0])
    _clear(
        ValueError,
        "NaN or infinite",
        HiddenStateRecorder,
        model,
        "rnn",
        torch.full((5, 7, 3), float("nan")),
    )
    _clear(TypeError, "tuple whose first element", HiddenStateRecorder, model, "rnn", [1, 2, 3])
    # a layer that is the model: its input size is known up front
    gru = nn.GRU(3, 4, batch_first=True)
    _clear(
        ValueError,
        r"features = input_size = 3",
        HiddenStateRecorder,
        gru,
        None,
        torch.randn(5, 7, 6),
    )
    # otherwise the forward call's failure is reported in one line, with the inputs' shape
    rec = HiddenStateRecorder(model, "rnn", torch.randn(5, 7, 6))
    _clear(
        ValueError,
        r"the model failed on the trace inputs \(a Tensor of shape \(5, 7, 6\)",
        rec.record,
        0,
    )


def test_recorder_arguments_and_metrics_are_checked():
    model = Wrapper(nn.GRU(3, 4, batch_first=True))
    x = torch.randn(5, 7, 3)
    _clear(
        ValueError,
        "every must be a positive integer",
        HiddenStateRecorder,
        model,
        "rnn",
        x,
        every=2.5,
    )
    _clear(
        ValueError,
        "layer_index must be an integer",
        HiddenStateRecorder,
        model,
        "rnn",
        x,
        layer_index=0.5,
    )
    _clear(
        ValueError,
        "batch_first must be True or False",
        HiddenStateRecorder,
        model,
        "rnn",
        x,
        batch_first="yes",
    )
    _clear(
        ValueError,
        "sample_labels must be >= 0",
        HiddenStateRecorder,
        model,
        "rnn",
        x,
        sample_labels=[-1, 0, 1, 0, 1],
    )
    _clear(
        TypeError,
        "metadata keys must be strings",
        HiddenStateRecorder,
        model,
        "rnn",
        x,
        metadata={1: 2},
    )
    rec = HiddenStateRecorder(model, "rnn", x)
    _clear(
        TypeError,
        r"metric 'val_loss' must be a real number .* got 'high'",
        rec.record,
        0,
        val_loss="high",
    )
    _clear(
        TypeError,
        "must be a single number; got a tensor of shape",
        rec.record,
        0,
        val_loss=torch.ones(3),
    )
    _clear(TypeError, "epoch must be an integer; got True", rec.record, True)
    assert rec.history.empty  # nothing half-recorded
    rec.record(0, val_loss=float("nan"), improved=True, step=np.int64(3))
    assert rec.to_recording().metrics.loc[0, "step"] == 3


def test_states_beyond_float32_are_refused():
    class Huge(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(3, 4, batch_first=True).double()

        def forward(self, x):
            out, _ = self.rnn(x)
            return out * 1e300

    model = Huge()
    rec = HiddenStateRecorder(model, None, torch.randn(5, 7, 3, dtype=torch.float64))
    _clear(ValueError, "beyond float32's range", rec.record, 0)
