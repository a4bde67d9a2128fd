"""mmphate.record.training: deterministic training with recording, unit masks, evaluation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmphate.record import Recording  # noqa: E402
from mmphate.record.datasets import load_basic_motions, load_japanese_vowels  # noqa: E402
from mmphate.record.training import (  # noqa: E402
    SequenceClassifier,
    TrainingResult,
    evaluate,
    train_classifier,
)

pytestmark = pytest.mark.torch


def test_training_is_deterministic_and_restores_global_state():
    threads = torch.get_num_threads()
    rng_state = torch.get_rng_state()
    kw = dict(kind="gru", hidden_size=8, epochs=3, n_trace=8, seed=3, verbose=False)
    a = train_classifier("basic_motions", **kw)
    b = train_classifier("basic_motions", **kw)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert isinstance(a, TrainingResult)
    assert a.recording.equals(b.recording)
    assert a.history.equals(b.history)
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)
    c = train_classifier("basic_motions", **{**kw, "seed": 4})
    assert not c.recording.equals(a.recording)


def test_recording_contents_and_record_every(tmp_path):
    res = train_classifier(
        "basic_motions", hidden_size=6, epochs=5, record_every=2, n_trace=12, verbose=False
    )
    model, rec = res
    assert isinstance(model, SequenceClassifier) and isinstance(rec, Recording)
    assert not model.training
    assert rec.epochs.tolist() == [0, 2, 4, 5]
    assert rec.shape == (4, 100, 6, 12)
    assert list(rec.metrics.columns) == ["train_loss", "val_loss", "train_accuracy", "val_accuracy"]
    assert rec.metrics.index.tolist() == [0, 2, 4, 5]
    assert rec.class_names == ["badminton", "running", "standing", "walking"]
    assert np.bincount(rec.sample_labels).tolist() == [3, 3, 3, 3]  # class-balanced trace
    assert rec.metadata["kind"] == "lstm" and rec.metadata["dataset"] == "basic_motions"
    ds = load_basic_motions()
    idx = rec.metadata["trace_index"]  # validation samples, indexed into the training split
    assert rec.metadata["trace_split"] == "validation"
    np.testing.assert_array_equal(rec.sample_labels, ds.y_train[idx])
    # the last snapshot is the trained model's hidden state on the trace samples
    with torch.no_grad():
        x = (torch.as_tensor(ds.X_train[idx]) - model.input_mean) / model.input_std
        states = model.rnn(x)[0].numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(rec.hidden[-1], states, atol=1e-5, rtol=0)
    # metadata is JSON: the recording saves and loads unchanged
    rec.save(tmp_path / "run.mmphate")
    assert Recording.load(tmp_path / "run.mmphate").equals(rec)
    # the logged accuracy is what evaluate() measures on the validation set
    X_val, y_val, _ = res.split("validation")
    assert rec.metrics.loc[5, "val_accuracy"] == pytest.approx(evaluate(res.model, X_val, y_val))


def test_no_recording():
    res = train_classifier("basic_motions", hidden_size=4, epochs=1, record_every=0, verbose=False)
    assert res.recording is None
    assert res.history.index.tolist() == [0, 1]


def test_variable_length_dataset_gives_valid_mask():
    ds = load_japanese_vowels()
    res = train_classifier(ds, kind="rnn", hidden_size=8, epochs=1, n_trace=18, verbose=False)
    rec = res.recording
    assert rec.shape == (2, 29, 8, 18)
    lengths = ds.lengths_train[res.trace_index]
    np.testing.assert_array_equal(rec.valid, np.arange(29)[:, None] < lengths[None, :])
    assert np.bincount(rec.sample_labels).tolist() == [2] * 9
    X, y, lengths_val = res.split("validation")
    assert len(X) == len(y) == len(lengths_val) == 9 * 8  # 30 per class, a quarter rounded up


def test_validation_split_is_stratified_seeded_and_the_test_split_is_never_used():
    ds = load_basic_motions()
    # a test split of NaN: any use of it in training would show in the metrics or the model
    poisoned = dataclasses.replace(ds, X_test=np.full_like(ds.X_test, np.nan))
    res = train_classifier(poisoned, hidden_size=4, epochs=2, seed=5, verbose=False)
    assert np.isfinite(res.history.to_numpy()).all()
    assert all(torch.isfinite(p).all() for p in res.model.parameters())
    train, val = res.train_index, res.val_index
    assert len(np.intersect1d(train, val)) == 0
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(ds.y_train)))
    assert np.bincount(ds.y_train[val]).tolist() == [3, 3, 3, 3]  # 10 per class, a quarter
    assert set(res.trace_index.tolist()) <= set(val.tolist())
    assert res.recording.n_samples == len(val)  # trace: the whole validation set by default
    X_test, y_test, lengths = res.split("test")
    assert X_test is poisoned.X_test and y_test is ds.y_test and lengths is None
    X_train, y_train, _ = res.split("train")
    np.testing.assert_array_equal(X_train, ds.X_train[train])
    np.testing.assert_array_equal(y_train, ds.y_train[train])
    # seeded: the same seed gives the same split, another seed another one
    again = train_classifier(ds, hidden_size=4, epochs=1, seed=5, record_every=0, verbose=False)
    np.testing.assert_array_equal(again.val_index, val)
    other = train_classifier(ds, hidden_size=4, epochs=1, seed=6, record_every=0, verbose=False)
    assert not np.array_equal(other.val_index, val)
    half = train_classifier(
        ds, hidden_size=4, epochs=1, val_fraction=0.5, record_every=0, verbose=False
    )
    assert np.bincount(ds.y_train[half.val_index]).tolist() == [5, 5, 5, 5]
    assert half.params["val_fraction"] == 0.5
    for bad in (0, 1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="val_fraction"):
            train_classifier(ds, epochs=1, val_fraction=bad, verbose=False)
    with pytest.raises(ValueError, match="name must be one of"):
        res.split("val")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_unit_mask(kind):
    torch.manual_seed(0)
    model = SequenceClassifier(3, 4, hidden_size=5, kind=kind).eval()
    x = torch.randn(6, 7, 3)
    lengths = torch.tensor([7, 3, 5, 1, 7, 2])
    with torch.no_grad():
        plain = model(x, lengths=lengths)
        ones = model(x, lengths=lengths, unit_mask=torch.ones(5))
        none = model(x, lengths=lengths, unit_mask=np.zeros(5))
        one_off = model(x, lengths=lengths, unit_mask=[1, 1, 0, 1, 1])
    # the step-by-step path reproduces the fused module
    torch.testing.assert_close(ones, plain, atol=1e-5, rtol=0)
    # all units silenced: the head sees zeros
    torch.testing.assert_close(none, model.head.bias.expand(6, 4), atol=1e-6, rtol=0)
    assert not torch.allclose(one_off, plain, atol=1e-4)
    # silencing a unit at every step also removes its influence through the recurrence:
    # zeroing its input weights to the head alone is not the same
    with torch.no_grad():
        head_only = model.head(
            _last(model.rnn((x - model.input_mean) / model.input_std)[0], lengths)
            * torch.tensor([1.0, 1, 0, 1, 1])
        )
    assert not torch.allclose(one_off, head_only, atol=1e-5)
    with pytest.raises(ValueError, match="unit_mask must have shape"):
        model(x, unit_mask=torch.ones(4))


def _last(states, lengths):
    return states[torch.arange(len(lengths)), lengths - 1]


def test_evaluate_restores_mode_and_matches_manual_accuracy():
    torch.manual_seed(1)
    model = SequenceClassifier(3, 2, hidden_size=4).train()
    X = np.random.default_rng(0).normal(size=(10, 5, 3)).astype(np.float32)
    y = np.array([0, 1] * 5)
    acc = evaluate(model, X, y)
    assert model.training
    with torch.no_grad():
        pred = model.eval()(torch.as_tensor(X)).argmax(1).numpy()
    assert acc == pytest.approx((pred == y).mean())
    with pytest.raises(ValueError, match="one entry per sequence"):
        evaluate(model, X, y[:5])


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        SequenceClassifier(3, 2, kind="transformer")
    with pytest.raises(ValueError, match="unknown dataset"):
        train_classifier("nope", verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        train_classifier("basic_motions", epochs=0, verbose=False)


def test_trained_recording_is_embedded_by_mmphate():
    """A trained LSTM's recording goes through MMPHATE with its labels kept.

    (The full 50-epoch, 32-unit, 100-timestep run embeds too; it is kept out of
    the test suite for time: fewer units, epochs and timesteps here.)
    """
    pytest.importorskip("mmphate.engine", reason="the MMPHATE engine is not installed")
    import mmphate

    res = train_classifier(
        "basic_motions", kind="lstm", hidden_size=8, epochs=10, n_trace=12, verbose=False
    )
    # it learned something: chance is 0.25 on 12 validation samples
    assert res.history["val_accuracy"].iloc[-1] >= 0.5
    assert res.history["val_loss"].iloc[-1] < res.history["val_loss"].iloc[0] - 0.3
    rec = res.recording.select(timesteps=list(range(0, 100, 20)))
    op = mmphate.MMPHATE(random_state=0, verbose=0)
    emb = op.fit_transform(rec)
    assert emb.shape == (rec.n_nodes, 2) == (11 * 5 * 8, 2)
    assert np.isfinite(emb).all()
    assert op.recording_.units.tolist() == rec.units.tolist()
    assert op.recording_.epochs.tolist() == list(range(11))
    assert op.recording_.timesteps.tolist() == list(range(0, 100, 20))
    frame = op.to_frame()
    assert frame[["epoch", "timestep", "unit"]].equals(rec.nodes())
