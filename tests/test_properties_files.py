"""Property tests on files: damaged recordings and result folders give a clear error or the
original back; a write that fails (bad target, full disk at any byte) changes no file."""

from __future__ import annotations

import errno
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _clear import assert_clear, no_hang, outcome, snapshot
from _strategies import examples, text
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mmphate
from mmphate import Recording
from mmphate.pipeline import analyse, read_result, write_result

RNG = np.random.default_rng(0)
E, T, U, S = 3, 4, 5, 6


def _recording(variant: int) -> Recording:
    hidden = RNG.normal(size=(E, T, U, S)).astype(np.float32)
    if variant == 0:
        return Recording(hidden)
    valid = np.ones((T, S), bool)
    valid[2:, 1] = False
    return Recording(
        hidden,
        epochs=[1, 4, 9],
        units=["a", "b β", "NA", "", "5"],
        valid=valid,
        sample_labels=[0, 1, 0, 1, 2, 2],
        class_names=["x", "y", "z"],
        metrics=pd.DataFrame(
            {"val_loss": [1.0, 0.5, np.nan], "note": ["a", None, "c"]},
            index=pd.Index([1, 4, 9], name="epoch"),
        ),
        metadata={"layer": "rnn", "nested": {"k": [1, 2.5]}},
    )


RECORDINGS = [_recording(0), _recording(1)]
FILES = {}
for _i, _r in enumerate(RECORDINGS):
    for _c in (False, True):
        _buf = io.BytesIO()
        _r.save(_buf, compress=_c)
        FILES[(_i, _c)] = _buf.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


member_names = st.sampled_from(
    [
        "format.npy",
        "hidden.npy",
        "epochs.npy",
        "timesteps.npy",
        "labels.npy",
        "metadata.npy",
        "metrics_index.npy",
        "valid.npy",
        "sample_labels.npy",
        "metric_0.npy",
        "metric_0_mask.npy",
        "metric_7.npy",
        "extra.npy",
        "hidden",
        "../evil.npy",
    ]
)
odd_arrays = st.one_of(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.dtype("<U3"), np.uint8]),
        hnp.array_shapes(min_dims=0, max_dims=4, max_side=4),
    ),
    st.sampled_from(
        [
            np.array("not json"),
            np.array('{"format": "mmphate.recording", "version": 99}'),
            np.array('{"format": "mmphate.recording", "version": 1, "shape": [3, 4, 5, -6]}'),
            np.array('{"units": "abcde", "class_names": null, "metrics": {"columns": []}}'),
            np.array("[]"),
            np.array([{"a": 1}], dtype=object),
        ]
    ),
)


@st.composite
def damaged(draw):
    """(bytes of a damaged file, whether an unchanged load is still possible)."""
    key = draw(st.sampled_from(sorted(FILES)))
    data = FILES[key]
    kind = draw(
        st.sampled_from(["truncate", "flip", "insert", "append", "garbage", "member", "drop"])
    )
    if kind == "truncate":
        return key, data[: draw(st.integers(0, len(data) - 1))], True
    if kind == "flip":
        i = draw(st.integers(0, len(data) - 1))
        bit = 1 << draw(st.integers(0, 7))
        return key, data[:i] + bytes([data[i] ^ bit]) + data[i + 1 :], True
    if kind == "insert":
        i = draw(st.integers(0, len(data)))
        return key, data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i:], True
    if kind == "append":
        return key, data + draw(st.binary(min_size=1, max_size=64)), True
    if kind == "garbage":
        return (
            key,
            draw(st.one_of(st.binary(max_size=64), st.just(b"PK\x03\x04" + b"\0" * 40))),
            True,
        )
    members = _members(data)
    if kind == "drop":
        members.pop(draw(st.sampled_from(sorted(members))))
        return key, _zip(members), False
    name = draw(member_names)
    members[name] = _npy(draw(odd_arrays))
    return key, _zip(members), False


@examples(500)
@given(damaged())
def test_damaged_recordings_are_refused_or_read_back_unchanged(tmp_path, case):
    key, data, unchanged = case
    path = tmp_path / "run.npz"
    path.write_bytes(data)
    with no_hang(20):
        rec, err = outcome(lambda: Recording.load(path))
    if err is not None:
        assert isinstance(err, ValueError), err
        assert "pickle" not in str(err)
        return
    assert isinstance(rec, Recording)
    if unchanged:
        assert rec.equals(RECORDINGS[key[0]]), "a damaged file loaded as a different recording"


# --------------------------------------------------------------------------- failed writes
WRITERS = ["recording", "html", "result"]
TARGETS = [
    "missing_dir",
    "file_parent",
    "folder",
    "fifo",
    "dev_full",
    "link_to_dir",
    "foreign_dir",
    "existing",
]


EMB = RNG.normal(size=(RECORDINGS[1].n_nodes, 2))
ANALYSIS = analyse(EMB, RECORDINGS[1])


def _write(which: str, rec: Recording, emb: np.ndarray, target: Path, title=None) -> None:
    if which == "recording":
        rec.save(target)
    elif which == "html":
        mmphate.export_html(mmphate.view(emb, rec), target, title=title)
    else:
        write_result(ANALYSIS, target)


def _target(kind: str, which: str, root: Path) -> Path:
    (root / "afile").write_text("keep")
    (root / "adir").mkdir()
    (root / "adir" / "notes.txt").write_text("keep")
    if kind == "missing_dir":
        return root / "missing" / "out"
    if kind == "file_parent":
        return root / "afile" / "out"
    if kind == "folder":
        return root / "adir"
    if kind == "fifo":
        os.mkfifo(root / "fifo")
        return root / "fifo"
    if kind == "dev_full":
        return Path("/dev/full")
    if kind == "link_to_dir":
        (root / "link").symlink_to(root / "adir")
        return root / "link"
    if kind == "foreign_dir":
        return root / "adir"
    return root / "existing"


@examples(200)
@given(
    st.sampled_from(WRITERS),
    st.sampled_from(TARGETS + ["existing"] * 4),
    st.one_of(st.integers(0, 4000), st.just(10**9)),
    st.one_of(st.none(), text),
)
def test_failed_writes_change_no_file(tmp_path_factory, monkeypatch, which, kind, fail_at, title):
    """Whatever goes wrong (a bad target, a full disk after any number of bytes, an unencodable
    title), the error is clear and every file that was there is unchanged, with no temporary
    file left behind."""
    root = tmp_path_factory.mktemp("w")
    rec, emb = RECORDINGS[1], EMB
    target = _target(kind, which, root)
    if kind == "existing":
        _write(which, rec, emb, target)  # a good previous file or folder
    before = snapshot(root)

    import mmphate._atomic as atomic

    real_fdopen = os.fdopen

    class Full:
        """A file whose disk fills up after ``fail_at`` bytes."""

        def __init__(self, fh):
            self.fh, self.n = fh, 0

        def write(self, b):
            self.n += len(b)
            if self.n > fail_at:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(b)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def write_everything() -> None:
        with monkeypatch.context() as m:
            m.setattr(atomic.os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
            if which == "result":  # files inside the temporary folder: fail them too
                m.setattr(Path, "write_bytes", _failing_write_bytes(fail_at))
            _write(which, rec, emb, target, title=title if which == "html" else None)

    with no_hang(30):
        _, err = outcome(write_everything)
    leftovers = [n for n in snapshot(root) if n.rsplit("/", 1)[-1].startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    if err is None:  # nothing failed: a writable target, and the disk did not fill up
        assert kind == "existing" or (kind == "missing_dir" and which == "result"), kind
        if which == "recording":
            assert Recording.load(target).equals(rec)
        elif which == "result":
            assert read_result(target).recording.equals(rec)
        return
    assert snapshot(root) == before, f"{which} to {kind} changed files ({err})"


def _failing_write_bytes(fail_at: int):
    real = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        if len(data) > fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    return write_bytes


# --------------------------------------------------------------------------- result folders
@pytest.fixture(scope="module")
def result_folder(tmp_path_factory) -> Path:
    rec = RECORDINGS[1]
    out = tmp_path_factory.mktemp("res") / "result"
    write_result(analyse(RNG.normal(size=(rec.n_nodes, 3)), rec), out)
    return out


folder_files = st.sampled_from(
    [
        "result.json",
        "recording.npz",
        "embedding.csv",
        "intrastep_entropy.csv",
        "interstep_entropy.csv",
        "clusters.csv",
        "entropy_vs_performance.csv",
    ]
)


@st.composite
def folder_damage(draw):
    name = draw(folder_files)
    kind = draw(st.sampled_from(["delete", "truncate", "flip", "replace", "json", "fifo", "dir"]))
    if kind == "json":
        name = "result.json"
        value = draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=3),
                st.lists(st.integers(), max_size=2),
                st.fixed_dictionaries(
                    {"format": st.sampled_from(["mmphate-result", "other"])},
                    optional={
                        "version": st.one_of(st.integers(-1, 5), st.text(max_size=2), st.none()),
                        "files": st.one_of(st.none(), st.lists(st.text(max_size=3)), st.integers()),
                        "phases": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
                    },
                ),
            )
        )
        return name, kind, value
    if kind == "truncate":
        return name, kind, draw(st.floats(0, 0.99))
    if kind == "flip":
        return name, kind, (draw(st.floats(0, 0.999)), draw(st.integers(1, 255)))
    if kind == "replace":
        return (
            name,
            kind,
            draw(
                st.one_of(st.binary(max_size=40), text.map(lambda s: s.encode("utf-8", "replace")))
            ),
        )
    return name, kind, None


@examples(200)
@given(folder_damage())
def test_damaged_result_folders_are_refused_or_read_whole(tmp_path, result_folder, damage):
    import shutil

    out = tmp_path / "copy"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(result_folder, out)
    name, kind, arg = damage
    p = out / name
    if kind == "delete":
        p.unlink()
    elif kind == "truncate":
        p.write_bytes(p.read_bytes()[: int(len(p.read_bytes()) * arg)])
    elif kind == "flip":
        data = bytearray(p.read_bytes())
        i = int(len(data) * arg[0])
        data[i] ^= arg[1]
        p.write_bytes(bytes(data))
    elif kind == "replace":
        p.write_bytes(arg)
    elif kind == "json":
        p.write_text(json.dumps(arg))
    elif kind == "fifo":
        p.unlink()
        os.mkfifo(p)
    elif kind == "dir":
        p.unlink()
        p.mkdir()
    with no_hang(20):
        got, err = outcome(lambda: read_result(out))
    if err is None:
        whole = read_result(result_folder)
        np.testing.assert_array_equal(got.embedding, whole.embedding)
        assert got.recording.equals(whole.recording)
        pd.testing.assert_frame_equal(got.clusters, whole.clusters)
        pd.testing.assert_frame_equal(got.intrastep, whole.intrastep)


def test_a_clean_copy_reads_back(result_folder):
    a = read_result(result_folder)
    assert a.embedding.shape == (RECORDINGS[1].n_nodes, 3)
    with pytest.raises(NotADirectoryError) as info:
        read_result(result_folder / "embedding.csv")
    assert_clear(info.value)
