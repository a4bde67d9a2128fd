"""Recording: save/load round trip, damaged and foreign files, subsetting, equality."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from mmphate.record import RECORDING_FORMAT, Recording, _format


def make_recording(seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    E, T, U, S = 4, 6, 5, 7
    hidden = rng.normal(size=(E, T, U, S)).astype(np.float32)
    valid = np.ones((T, S), dtype=bool)
    valid[3:, 0] = False
    valid[5:, 4] = False
    metrics = pd.DataFrame(
        {
            "train_loss": [1.0, 0.5, 0.25, 0.125],
            "val_accuracy": np.array([0.1, 0.4, 0.7, 0.9], dtype=np.float32),
            "step": np.array([0, 10, 20, 30], dtype=np.int64),
            "improved": [False, True, True, True],
            "note": ["init", None, "mid", "end"],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
        },
        index=pd.Index([0, 5, 10, 20], name="epoch"),
    )
    return Recording(
        hidden,
        epochs=[0, 5, 10, 20],
        timesteps=[0, 1, 2, 3, 4, 5],
        units=["l0.fwd.0", "l0.fwd.1", "unit β", "x y", "4"],
        valid=valid,
        sample_labels=[0, 1, 2, 0, 1, 2, 0],
        class_names=["walking", "running", "badminton"],
        metrics=metrics,
        metadata={"kind": "lstm", "layer": "rnn", "nested": {"a": [1, 2.5, None]}, "seed": 3},
    )


def test_round_trip_is_lossless(tmp_path):
    rec = make_recording()
    path = tmp_path / "run.mmphate"
    rec.save(path)
    assert path.exists() and not (tmp_path / "run.mmphate.npz").exists()
    back = Recording.load(path)
    assert back.equals(rec)
    np.testing.assert_array_equal(back.hidden, rec.hidden)
    assert back.hidden.dtype == np.float32
    assert back.units.tolist() == rec.units.tolist()
    np.testing.assert_array_equal(back.valid, rec.valid)
    np.testing.assert_array_equal(back.sample_labels, rec.sample_labels)
    assert back.class_names == rec.class_names
    pd.testing.assert_frame_equal(back.metrics, rec.metrics)
    assert back.metadata == rec.metadata
    # leaves no temporary files behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.mmphate"]


def test_round_trip_minimal_and_compressed_and_file_objects(tmp_path):
    rec = Recording(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))
    rec.save(tmp_path / "a.npz", compress=True)
    back = Recording.load(str(tmp_path / "a.npz"))
    assert back.equals(rec)
    assert back.valid is None and back.sample_labels is None and back.class_names is None
    buf = io.BytesIO()
    make_recording().save(buf)
    buf.seek(0)
    assert Recording.load(buf).equals(make_recording())


def test_equals_detects_differences():
    a, b = make_recording(), make_recording()
    assert a.equals(b)
    assert not a.equals("not a recording")
    b.hidden[0, 0, 0, 0] += 1e-6
    assert not a.equals(b)
    c = make_recording()
    c.metrics.loc[5, "train_loss"] = 0.6
    assert not a.equals(c)
    d = make_recording()
    d.metadata["seed"] = 4
    assert not a.equals(d)
    e = make_recording()
    e.metrics["val_accuracy"] = e.metrics["val_accuracy"].astype(np.float64)
    assert not a.equals(e)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_raises(tmp_path, fraction):
    path = tmp_path / "run.mmphate"
    make_recording().save(path)
    data = path.read_bytes()
    cut = tmp_path / "cut.mmphate"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match="not an mmphate recording"):
        Recording.load(cut)


def test_corrupted_bytes_raise(tmp_path):
    path = tmp_path / "run.mmphate"
    make_recording().save(path)
    data = bytearray(path.read_bytes())
    # flip a byte inside the (uncompressed) hidden array's data
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("hidden.npy")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    data[offset] ^= 0xFF
    bad = tmp_path / "bad.mmphate"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated/corrupt"):
        Recording.load(bad)


def test_foreign_files_raise(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a recording\n")
    arrays = tmp_path / "random.npz"
    np.savez(arrays, a=np.arange(5), b=np.ones((2, 2)))
    single = tmp_path / "single.npy"
    np.save(single, np.arange(3))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    zipped = tmp_path / "other.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "x")
    for path in (text, arrays, single, empty, zipped):
        with pytest.raises(ValueError, match="not an mmphate recording"):
            Recording.load(path)
    with pytest.raises(FileNotFoundError):
        Recording.load(tmp_path / "missing.mmphate")


class _Payload:
    def __reduce__(self):
        return (os.makedirs, (_Payload.target,))


def test_loading_never_unpickles(tmp_path):
    """A file with a pickled object that would run code is refused, not executed."""
    target = tmp_path / "pwned"
    _Payload.target = str(target)
    rec = make_recording()
    arrays = _format._to_arrays(rec)
    arrays["hidden"] = np.array([_Payload()], dtype=object)
    evil = tmp_path / "evil.mmphate"
    with open(evil, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match="not an mmphate recording"):
        Recording.load(evil)
    assert not target.exists()


def test_foreign_marker_and_newer_version(tmp_path):
    rec = make_recording()
    arrays = _format._to_arrays(rec)
    arrays["format"] = np.array(json.dumps({"format": "something.else", "version": 1}))
    p = tmp_path / "foreign.npz"
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match="format marker"):
        Recording.load(p)
    arrays["format"] = np.array(json.dumps({"format": RECORDING_FORMAT, "version": 99}))
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match="version 99"):
        Recording.load(p)
    # a member missing: clear error, no half-loaded object
    arrays = _format._to_arrays(rec)
    del arrays["epochs"]
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match="epochs"):
        Recording.load(p)


def test_failed_save_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "run.mmphate"
    good = make_recording()
    good.save(path)
    before = path.read_bytes()
    bad = make_recording()
    bad.metadata["callback"] = object()
    with pytest.raises(TypeError, match="JSON"):
        bad.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.mmphate"]
    weird = make_recording()
    weird.metrics["obj"] = [object()] * 4
    with pytest.raises(TypeError, match="obj"):
        weird.save(tmp_path / "weird.mmphate")


def test_select_keeps_labels():
    rec = make_recording()
    sub = rec.select(epochs=[0, 10], timesteps=[1, 2, 3], units=["x y", "l0.fwd.0"])
    assert sub.shape == (2, 3, 2, 7)
    assert sub.epochs.tolist() == [0, 10]
    assert sub.timesteps.tolist() == [1, 2, 3]
    assert sub.units.tolist() == ["x y", "l0.fwd.0"]
    np.testing.assert_array_equal(sub.hidden[1, 0, 0], rec.hidden[2, 1, 3])
    np.testing.assert_array_equal(sub.hidden[0, 2, 1], rec.hidden[0, 3, 0])
    np.testing.assert_array_equal(sub.valid, rec.valid[1:4])
    np.testing.assert_array_equal(sub.sample_labels, rec.sample_labels)
    assert sub.class_names == rec.class_names
    assert sub.metrics.index.tolist() == [0, 10]
    assert sub.metrics.loc[10, "train_loss"] == 0.25
    assert sub.metadata == rec.metadata
    # the subset is independent of the original
    sub.hidden[:] = 0
    sub.metadata["kind"] = "gru"
    assert rec.hidden.any() and rec.metadata["kind"] == "lstm"


def test_select_samples_and_errors():
    rec = make_recording()
    sub = rec.select(samples=[4, 1])
    np.testing.assert_array_equal(sub.hidden, rec.hidden[..., [4, 1]])
    np.testing.assert_array_equal(sub.valid, rec.valid[:, [4, 1]])
    assert sub.sample_labels.tolist() == [1, 1]
    with pytest.raises(ValueError, match="no label 7"):
        rec.select(epochs=[7])
    with pytest.raises(ValueError, match="units has no label 'nope'"):
        rec.select(units=["nope"])
    with pytest.raises(ValueError, match="without any valid step"):
        rec.select(timesteps=[4, 5])
    # epochs and timesteps keep the recording's (temporal) order
    with pytest.raises(ValueError, match=r"increasing order.*\[10, 0\]"):
        rec.select(epochs=[10, 0])
    with pytest.raises(ValueError, match="increasing order"):
        rec.select(timesteps=[2, 1])


def test_copy_is_deep_and_equal():
    rec = make_recording()
    cp = rec.copy()
    assert cp.equals(rec)
    cp.hidden[0, 0, 0, 0] = 99
    cp.metadata["nested"]["a"].append(1)
    assert rec.hidden[0, 0, 0, 0] != 99 and rec.metadata["nested"]["a"] == [1, 2.5, None]


def test_recording_module_does_not_import_torch():
    code = (
        "import sys, mmphate, mmphate.record, mmphate.record.datasets\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
