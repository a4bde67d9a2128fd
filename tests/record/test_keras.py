"""mmphate.record.keras: recording per-timestep hidden states from Keras 3 models, on the torch
backend (tests/conftest.py chooses it before keras is imported)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from _clear import assert_clear

keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # pragma: no cover - another backend chosen outside
    pytest.skip("these tests run Keras on its torch backend", allow_module_level=True)
torch = pytest.importorskip("torch")

from mmphate.record import Recording  # noqa: E402
from mmphate.record.keras import HiddenStateCallback, layer_units  # noqa: E402

pytestmark = pytest.mark.keras

L = keras.layers
T, F, H, S = 12, 3, 5, 10
RNNS = {"lstm": L.LSTM, "gru": L.GRU}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # small recurrent models run fastest on one thread
    yield
    torch.set_num_threads(before)


def data(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T, F)).astype("float32")
    y = (X[:, :, 0].mean(axis=1) > 0).astype("int64")
    return X, y


def functional(kind: str = "lstm", seed: int = 0, **rnn_kwargs) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inp = keras.Input((T, F))
    h = RNNS[kind](H, return_sequences=True, name="rnn", **rnn_kwargs)(inp)
    out = L.Dense(2)(L.GlobalAveragePooling1D()(h))
    model = keras.Model(inp, out)
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def states(model: keras.Model, layer: str, x: np.ndarray) -> np.ndarray:
    """The layer's output for x, computed independently, as (timesteps, units, samples)."""
    sub = keras.Model(model.inputs, model.get_layer(layer).output)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' note on the structure of the inputs
        out = keras.ops.convert_to_numpy(sub(x, training=False))
    return out.transpose(1, 2, 0)


@pytest.fixture(scope="module", params=sorted(RNNS))
def trained(request):
    """A tiny LSTM / GRU trained 3 epochs with the callback, and what it recorded."""
    kind = request.param
    X, y = data()
    model = functional(kind)
    seen: list[int] = []
    cb = HiddenStateCallback(
        model, "rnn", X[:S], sample_labels=y[:S], class_names=["neg", "pos"], metadata={"run": 1}
    )
    cb.subscribe(seen.append)
    history = model.fit(
        X, y, epochs=3, batch_size=16, validation_data=(X[:16], y[:16]), verbose=0, callbacks=[cb]
    )
    return kind, model, cb, history, seen, X


# --------------------------------------------------------------------------- the recording
def test_fit_gives_a_recording_of_every_epoch(trained) -> None:
    kind, model, cb, history, _, X = trained
    rec = cb.to_recording()
    assert isinstance(rec, Recording)
    assert rec.shape == (4, T, H, S)  # the untrained model, then one snapshot per epoch
    assert rec.epochs.tolist() == [0, 1, 2, 3]
    assert rec.timesteps.tolist() == list(range(T))
    assert rec.units.tolist() == [str(i) for i in range(H)]
    assert rec.valid is None
    assert rec.sample_labels.tolist() == data()[1][:S].tolist()
    assert rec.class_names == ["neg", "pos"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(rec.metrics.columns)
    assert rec.metrics["loss"].isna().tolist() == [True, False, False, False]  # epoch 0: no logs
    for key in ("loss", "val_loss", "accuracy"):
        np.testing.assert_allclose(rec.metrics[key].to_numpy()[1:], history.history[key])
    assert rec.metadata["kind"] == kind and rec.metadata["layer"] == "rnn"
    assert rec.metadata["framework"] == "keras" and rec.metadata["backend"] == "torch"
    assert rec.metadata["hidden_size"] == H and rec.metadata["run"] == 1
    assert cb.history.index.tolist() == [0, 1, 2, 3]


def test_states_are_what_the_layer_outputs(trained) -> None:
    _, model, cb, _, _, X = trained
    direct = states(model, "rnn", X[:S])
    hidden, valid, units = cb.capture()
    assert valid is None and units == [str(i) for i in range(H)]
    np.testing.assert_allclose(hidden, direct, atol=1e-6, rtol=0)
    # the last snapshot was taken with the weights fit() ended with
    np.testing.assert_allclose(cb.to_recording().hidden[-1], direct, atol=1e-6, rtol=0)
    # and training changed them
    assert not np.allclose(cb.to_recording().hidden[0], direct, atol=1e-3)


def test_subscribers_hear_of_each_epoch_once(trained) -> None:
    *_, seen, _ = trained
    assert seen == [0, 1, 2, 3]


def test_every_and_initial() -> None:
    X, y = data(16)
    model = functional("gru")
    cb = HiddenStateCallback(model, "rnn", X[:4], every=2, initial=False)
    heard: list[int] = []
    stop = cb.subscribe(heard.append)
    model.fit(X, y, epochs=2, batch_size=16, verbose=0, callbacks=[cb])
    assert cb.to_recording().epochs.tolist() == [2]
    assert cb.history.index.tolist() == [1, 2]  # metrics of every epoch
    assert heard == [2]
    stop()
    stop()  # a second call does nothing
    # fit resumes where it stopped; the state at the start is already recorded
    model.fit(X, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0, callbacks=[cb])
    assert cb.to_recording().epochs.tolist() == [2, 4] and heard == [2]
    with pytest.raises(ValueError, match=r"initial_epoch=4") as info:
        model.fit(X, y, epochs=1, batch_size=16, verbose=0, callbacks=[cb])
    assert_clear(info.value)


def test_a_failing_subscriber_warns_and_recording_goes_on() -> None:
    X, _ = data(8)
    cb = HiddenStateCallback(functional(), "rnn", X)

    def broken(epoch: int) -> None:
        raise RuntimeError("view closed")

    cb.subscribe(broken)
    with pytest.warns(RuntimeWarning, match="failed at epoch 0 .*view closed"):
        assert cb.record(0)
    assert cb.n_snapshots == 1
    with pytest.raises(TypeError, match="callable"):
        cb.subscribe("not a function")


def test_logs_that_are_not_numbers_are_left_out() -> None:
    X, _ = data(8)
    cb = HiddenStateCallback(functional(), "rnn", X, initial=False)
    logs = {"loss": np.float32(0.5), "val_loss": torch.tensor(0.25), "f1": np.ones(2), "force": 1}
    with pytest.warns(RuntimeWarning, match=r"\['f1'\]"):
        cb.on_epoch_end(0, logs)
    assert cb.history.loc[1].to_dict() == {"loss": 0.5, "val_loss": 0.25, "force": 1}
    with pytest.raises(TypeError, match="single number"):
        cb.record(2, loss=torch.ones(3))


# --------------------------------------------------------------------------- other layers
def test_sequential_with_a_mask_gives_the_valid_array() -> None:
    X, y = data(16)
    lengths = np.array([T, 7, 4, T, 9, 1])
    x = X[:6].copy()
    for s, n in enumerate(lengths):
        x[s, n:] = 0.0
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [L.Input((T, F)), L.Masking(0.0), L.GRU(4, return_sequences=True, name="gru"), L.Dense(2)]
    )
    cb = HiddenStateCallback(model, "gru", x)
    hidden, valid, _ = cb.capture()
    np.testing.assert_array_equal(valid, np.arange(T)[:, None] < lengths[None, :])
    ok = np.broadcast_to(valid[:, None, :], hidden.shape)
    np.testing.assert_allclose(hidden[ok], states(model, "gru", x)[ok], atol=1e-6)
    assert HiddenStateCallback(model, "gru", x, lengths=lengths).capture()[1] is not None
    wrong = lengths.copy()
    wrong[1] = 8
    with pytest.raises(ValueError, match="do not match the mask") as info:
        HiddenStateCallback(model, "gru", x, lengths=wrong).capture()
    assert_clear(info.value)


@pytest.mark.parametrize("merge_mode", ["concat", None, "sum"])
def test_bidirectional_layers(merge_mode) -> None:
    X, _ = data(6)
    keras.utils.set_random_seed(0)
    inp = keras.Input((T, F))
    bi = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=merge_mode, name="bi")
    out = bi(inp)
    if merge_mode is None:
        out = L.Concatenate()(out)
    model = keras.Model(inp, L.Dense(1)(out))
    hidden, _, units = HiddenStateCallback(model, "bi", X).capture()
    if merge_mode == "sum":
        assert units == ["0", "1", "2"]
        return
    assert units == [f"fwd.{i}" for i in range(3)] + [f"bwd.{i}" for i in range(3)]
    assert units == layer_units(bi, 6)
    direct = keras.ops.convert_to_numpy(bi(X, training=False))
    if merge_mode is None:
        direct = np.concatenate([keras.ops.convert_to_numpy(d) for d in direct], axis=-1)
    np.testing.assert_allclose(hidden, direct.transpose(1, 2, 0), atol=1e-6)


def test_subclassed_model_and_return_state() -> None:
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = L.LSTM(4, return_sequences=True, return_state=True, name="enc")
            self.head = L.Dense(2)

        def call(self, x):
            seq, h, _ = self.rnn(x)
            return self.head(h)

    X, _ = data(5)
    net = Net()
    net(X)
    hidden, _, _ = HiddenStateCallback(net, "enc", X).capture()
    seq = keras.ops.convert_to_numpy(net.rnn(X)[0])
    np.testing.assert_allclose(hidden, seq.transpose(1, 2, 0), atol=1e-6)
    assert "call" not in vars(net.rnn)  # the layer is left as it was


# --------------------------------------------------------------------------- bad arguments
def _clear(exc_type, match, fn, *args, **kwargs):
    with pytest.raises(exc_type, match=match) as info:
        fn(*args, **kwargs)
    assert_clear(info.value)
    return info.value


def test_bad_layers_are_refused_in_one_line() -> None:
    X, _ = data(4)
    model = functional()
    other = L.GRU(3, return_sequences=True)
    _clear(ValueError, r"no layer 'lstm'; its layers are \[", HiddenStateCallback, model, "lstm", X)
    _clear(ValueError, "not a layer of the model", HiddenStateCallback, model, other, X)
    _clear(TypeError, "keras layer, a layer name or None", HiddenStateCallback, model, 3, X)
    _clear(TypeError, "must be a keras.Model", HiddenStateCallback, "model", "rnn", X)
    last = keras.Sequential([L.Input((T, F)), L.LSTM(4, name="last"), L.Dense(2)])
    _clear(ValueError, "return_sequences=False", HiddenStateCallback, last, "last", X)
    dense = keras.Sequential([L.Input((T, F)), L.Flatten(), L.Dense(4, name="d")])
    _clear(ValueError, "no time axis", HiddenStateCallback(dense, "d", X).capture)
    keras.utils.set_random_seed(0)
    stateful = keras.Sequential(
        [L.Input((T, F), batch_size=4), L.GRU(3, return_sequences=True, stateful=True, name="s")]
    )
    _clear(ValueError, "is stateful", HiddenStateCallback, stateful, "s", X)


def test_bad_trace_inputs_are_refused_in_one_line() -> None:
    X, _ = data(4)
    model = functional()
    _clear(ValueError, r"shape \(4, 12, 4\) but the model takes \(batch, 12, 3\)",
           HiddenStateCallback, model, "rnn", np.zeros((4, T, F + 1), "float32"))  # fmt: skip
    _clear(ValueError, "model takes", HiddenStateCallback, model, "rnn", X[0])
    _clear(TypeError, "dtype int64 but the model's input is float32",
           HiddenStateCallback, model, "rnn", X.astype("int64"))  # fmt: skip
    _clear(TypeError, "numeric", HiddenStateCallback, model, "rnn", X.astype(complex))
    _clear(ValueError, "at least one trace sample", HiddenStateCallback, model, "rnn", X[:0])
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    _clear(ValueError, "NaN", HiddenStateCallback, model, "rnn", bad)
    _clear(TypeError, "np.asarray", HiddenStateCallback, model, "rnn", X.tolist())
    _clear(TypeError, "to_numpy", HiddenStateCallback, model, "rnn", pd.DataFrame(X[:, 0]))
    _clear(ValueError, "sample_labels has 3 entries", HiddenStateCallback, model, "rnn", X,
           sample_labels=[0, 1, 0])  # fmt: skip
    _clear(ValueError, "every", HiddenStateCallback, model, "rnn", X, every=0)
    _clear(TypeError, "initial", HiddenStateCallback, model, "rnn", X, initial="yes")

    # a tensor of another framework than the backend's (here, one that claims to be jax's)
    class Array:
        __module__ = "jaxlib.xla_extension"
        shape = X.shape

    _clear(TypeError, "jax tensor but Keras runs on its 'torch' backend",
           HiddenStateCallback, model, "rnn", Array())  # fmt: skip
    # NumPy arrays, float64 ones included (Keras casts them), and backend tensors are accepted
    direct = HiddenStateCallback(model, "rnn", X).capture()[0]
    for x in (X.astype("float64"), torch.as_tensor(X)):
        np.testing.assert_allclose(HiddenStateCallback(model, "rnn", x).capture()[0], direct)


def test_fit_of_another_model_and_a_model_failing_on_its_inputs() -> None:
    X, y = data(8)
    model, other = functional(), functional()
    cb = HiddenStateCallback(model, "rnn", X)
    _clear(ValueError, "create one callback per model",
           other.fit, X, y, epochs=1, verbose=0, callbacks=[cb])  # fmt: skip

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = L.GRU(3, return_sequences=True, name="g")

        def call(self, x):
            return self.rnn(x)

    net = Net()
    net(X)
    _clear(ValueError, "the model failed on the trace inputs",
           HiddenStateCallback(net, "g", np.zeros((2, T, F + 2), "float32")).capture)  # fmt: skip


def test_a_missing_backend_or_keras_is_one_line() -> None:
    blocker = (
        "import importlib.abc, sys\n"
        "class B(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in {0!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {{name!r}}', name=name)\n"
        "sys.meta_path.insert(0, B())\n"
        "import mmphate.record.keras\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    out = subprocess.run(
        [sys.executable, "-c", blocker.format(["tensorflow"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    last = out.stderr.strip().splitlines()[-1]
    assert "MissingDependencyError" in last and "cannot load its backend" in last, last
    assert "KERAS_BACKEND is tensorflow" in last and 'os.environ["KERAS_BACKEND"]' in last, last


def test_a_backend_mismatch_is_explained(monkeypatch) -> None:
    """KERAS_BACKEND changed after keras was imported: said where a wrong tensor arrives."""
    from mmphate.record import keras as rk

    assert rk._backend_note() == ""
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    note = rk._backend_note()
    assert "KERAS_BACKEND=jax is set, but keras was imported before it was" in note
    assert "runs on 'torch'" in note

    class Array:
        __module__ = "jax"
        shape = (2, T, F)

    err = _clear(TypeError, "jax tensor", HiddenStateCallback, functional(), "rnn", Array())
    assert note.strip() in str(err)
