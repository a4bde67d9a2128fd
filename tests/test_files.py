"""Files mmphate writes and reads: atomic writes that keep the old file on any failure, the umask's
mode, symbolic links written through, result folders with a manifest; loading that refuses
FIFOs, devices and oversized members without inflating them."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _clear import assert_clear, no_hang, snapshot

import mmphate
from mmphate import Recording
from mmphate.pipeline import analyse, read_result, write_result


def _rec(seed: int = 0, units=None) -> Recording:
    rng = np.random.default_rng(seed)
    E, T, U, S = 4, 3, 5, 6
    return Recording(
        rng.normal(size=(E, T, U, S)).astype(np.float32),
        units=units,
        metrics={"val_loss": [1.0, 0.8, 0.7, 0.9]},
        metadata={"layer": "rnn"},
    )


def _emb(rec: Recording, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rec.n_nodes, 2))


def _raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    assert_clear(info.value)
    return info.value


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def _writers(tmp: Path):
    """Each file writer as (name, write(path))."""
    rec = _rec()
    ex = mmphate.view(_emb(rec), rec)
    return [
        ("recording", lambda p: rec.save(p)),
        ("html", lambda p: mmphate.export_html(ex, p)),
    ]


# --------------------------------------------------------------------- modes and links
@pytest.mark.parametrize("which", ["recording", "html"])
def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path, umask_027, which):
    write = dict(_writers(tmp_path))[which]
    path = tmp_path / "out.bin"
    write(path)
    assert path.stat().st_mode & 0o777 == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600
    path.chmod(0o604)
    write(path)
    assert path.stat().st_mode & 0o777 == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]  # no temporary left


def test_result_folder_modes_follow_the_umask(tmp_path, umask_027):
    rec = _rec()
    out = write_result(analyse(_emb(rec), rec), tmp_path / "res")
    assert out.stat().st_mode & 0o777 == 0o750
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o640}


@pytest.mark.parametrize("which", ["recording", "html"])
def test_saving_onto_a_symlink_updates_its_target(tmp_path, which):
    write = dict(_writers(tmp_path))[which]
    target = tmp_path / "real" / "file.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != b"old" and target.stat().st_size > 100
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


def test_result_folder_through_a_symlink(tmp_path):
    rec = _rec()
    real = tmp_path / "real"
    write_result(analyse(_emb(rec), rec), real)
    link = tmp_path / "link"
    link.symlink_to(real)
    write_result(analyse(_emb(rec, 1), rec), link)
    assert link.is_symlink() and read_result(link).embedding.shape == (rec.n_nodes, 2)
    np.testing.assert_allclose(read_result(real).embedding, _emb(rec, 1), rtol=1e-6)


# --------------------------------------------------------------------- failures keep the old file
def _full_disk(monkeypatch, after: int = 1000):
    """Make writes to temporary files fail with ENOSPC after ``after`` bytes."""
    import mmphate._atomic as atomic

    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh, self.n = fh, 0

        def write(self, data):
            self.n += len(data)
            if self.n > after:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))


@pytest.mark.parametrize("which", ["recording", "html"])
def test_a_full_disk_leaves_the_old_file_intact(tmp_path, monkeypatch, which):
    write = dict(_writers(tmp_path))[which]
    path = tmp_path / "out.bin"
    write(path)
    before = snapshot(tmp_path)
    _full_disk(monkeypatch)
    err = _raises(
        OSError, "no space left on the device; the previous file, if any, is unchanged", write, path
    )
    assert err.errno == errno.ENOSPC and str(path) in str(err)
    assert snapshot(tmp_path) == before


def test_dev_full_and_other_special_files_are_refused(tmp_path):
    rec = _rec()
    ex = mmphate.view(_emb(rec), rec)
    for target in ("/dev/full", "/dev/null"):
        _raises(ValueError, "character device, not a regular file", rec.save, target)
        _raises(ValueError, "character device, not a regular file", mmphate.export_html, ex, target)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with no_hang(10):
        _raises(ValueError, "FIFO", rec.save, fifo)
    assert Path("/dev/full").is_char_device()


def test_a_lone_surrogate_leaves_the_old_page_intact(tmp_path):
    rec = _rec()
    page = tmp_path / "page.html"
    mmphate.export_html(mmphate.view(_emb(rec), rec), page)
    before = snapshot(tmp_path)
    _raises(
        ValueError,
        "lone surrogate",
        mmphate.export_html,
        mmphate.view(_emb(rec), rec),
        page,
        title="bad \udc80",
    )
    # a label that reached the page some other way is caught while encoding, before writing
    ex = mmphate.view(_emb(rec), rec)
    ex._labels = {**ex._labels, "layer": "x\udc80"}
    _raises(ValueError, "UTF-8 cannot encode", mmphate.export_html, ex, page)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (
            lambda t: t / "missing" / "x.out",
            FileNotFoundError,
            "the folder '.*missing' does not exist",
        ),
        (lambda t: t / "afile" / "x.out", NotADirectoryError, "afile' is a file, not a folder"),
        (lambda t: t, IsADirectoryError, "it is a folder; give a file name"),
    ],
)
def test_bad_targets_name_the_problem(tmp_path, make, exc, match):
    (tmp_path / "afile").write_text("keep")
    before = snapshot(tmp_path)
    rec = _rec()
    for write in (rec.save, lambda p: mmphate.export_html(mmphate.view(_emb(rec), rec), p)):
        err = _raises(exc, match, write, make(tmp_path))
        assert ".tmp" not in str(err)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "missing").exists()


# --------------------------------------------------------------------- result folders
def test_result_folder_replaces_only_results(tmp_path):
    rec = _rec()
    a = analyse(_emb(rec), rec)
    (tmp_path / "file").write_text("x")
    _raises(FileExistsError, "it is a file", write_result, a, tmp_path / "file")
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("precious")
    _raises(FileExistsError, r"holds other files \(notes.txt\)", write_result, a, other)
    assert (other / "notes.txt").read_text() == "precious"
    (tmp_path / "empty").mkdir()
    write_result(a, tmp_path / "empty")
    write_result(analyse(_emb(rec, 1), rec), tmp_path / "empty")  # a previous result: replaced
    np.testing.assert_allclose(read_result(tmp_path / "empty").embedding, _emb(rec, 1), rtol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "mine"]


def test_result_folder_keeps_entropy_tables_exactly_with_units_and_estimator(tmp_path):
    rec = _rec()
    a = analyse(_emb(rec), rec)
    back = read_result(write_result(a, tmp_path / "res"))
    for name in ("intrastep", "interstep"):
        written, read = getattr(a, name), getattr(back, name)
        assert read.equals(written)  # floats survive the CSV exactly
        assert read.attrs["units"] == "bits" and read.attrs["estimator"] == "coarse"
        assert read.attrs == written.attrs


def test_a_failed_result_write_leaves_the_previous_folder(tmp_path, monkeypatch):
    rec = _rec()
    out = tmp_path / "res"
    write_result(analyse(_emb(rec), rec), out)
    before = snapshot(tmp_path)

    def fail(self, path, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Recording, "save", fail)
    with pytest.raises(OSError):
        write_result(analyse(_emb(rec, 1), rec), out)
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    with pytest.raises(KeyboardInterrupt):
        with monkeypatch.context() as m:
            m.setattr(
                pd.DataFrame, "to_csv", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
            )
            write_result(analyse(_emb(rec, 2), rec), out)
    assert snapshot(tmp_path) == before


def test_read_result_refuses_files_that_do_not_match_the_manifest(tmp_path):
    rec = _rec()
    old, new = tmp_path / "old", tmp_path / "new"
    write_result(analyse(_emb(rec), rec), old)
    write_result(analyse(_emb(rec, 1), rec), new)
    meta = json.loads((old / "result.json").read_text())
    assert meta["version"] == 2 and meta["files"]["embedding.csv"]["bytes"] > 0
    # a mix of two runs
    (old / "embedding.csv").write_bytes((new / "embedding.csv").read_bytes())
    _raises(ValueError, "embedding.csv does not match the manifest", read_result, old)
    # a missing file
    (new / "clusters.csv").unlink()
    _raises(FileNotFoundError, "clusters.csv", read_result, new)


def test_read_result_checks_tables_of_folders_without_a_manifest(tmp_path):
    rec = _rec(units=["NA", "nan", "", "u3", "4"])  # ids a CSV reader would turn into NaN
    out = tmp_path / "res"
    write_result(analyse(_emb(rec), rec), out)
    back = read_result(out)
    assert back.recording.units.tolist() == ["NA", "nan", "", "u3", "4"]
    assert back.clusters["unit"].tolist() == ["NA", "nan", "", "u3", "4"]
    meta = json.loads((out / "result.json").read_text())
    meta["version"] = 1  # as written by mmphate 0.1: names only
    meta["files"] = list(meta["files"])
    (out / "result.json").write_text(json.dumps(meta))
    read_result(out)
    frame = pd.read_csv(out / "embedding.csv", converters={"unit": str})
    frame.drop(columns="epoch").to_csv(out / "embedding.csv", index=False)
    _raises(ValueError, r"embedding.csv lacks the column\(s\) \['epoch'\]", read_result, out)
    frame.assign(x="far").to_csv(out / "embedding.csv", index=False)
    _raises(ValueError, "must hold numbers", read_result, out)


def test_read_result_refuses_a_fifo_without_hanging(tmp_path):
    rec = _rec()
    out = tmp_path / "res"
    write_result(analyse(_emb(rec), rec), out)
    (out / "intrastep_entropy.csv").unlink()
    os.mkfifo(out / "intrastep_entropy.csv")
    with no_hang(10):
        _raises(ValueError, "FIFO", read_result, out)


# --------------------------------------------------------------------- loading
def test_loading_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "run.npz"
    os.mkfifo(fifo)
    with no_hang(10):
        _raises(ValueError, r"is a FIFO \(named pipe\), not a regular file", Recording.load, fifo)
        _raises(ValueError, "character device", Recording.load, "/dev/zero")
        _raises(IsADirectoryError, "is a folder", Recording.load, tmp_path)


def test_truncated_files_say_so_in_our_words(tmp_path):
    path = tmp_path / "run.npz"
    _rec().save(path)
    data = path.read_bytes()
    for cut in (
        0,
        1,
        2,
        3,
        4,
        30,
        100,
        len(data) // 3,
        len(data) // 2,
        len(data) - 22,
        len(data) - 1,
    ):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        err = _raises(ValueError, "not an mmphate recording", Recording.load, bad)
        assert "pickle" not in str(err)
    (tmp_path / "text.npz").write_bytes(b"PKxx this is not a zip")
    _raises(ValueError, "not a NumPy .npz archive", Recording.load, tmp_path / "text.npz")


def _add_member(path: Path, name: str, payload: bytes, compress: bool = True) -> None:
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED if compress else 0) as zf:
        zf.writestr(name, payload)


def test_members_are_capped_by_what_the_header_says(tmp_path):
    good = tmp_path / "good.npz"
    _rec().save(good)
    # an unknown member
    p = tmp_path / "extra.npz"
    p.write_bytes(good.read_bytes())
    _add_member(p, "notes.npy", b"\x00" * 100)
    _raises(
        ValueError, "a member 'notes.npy' that mmphate recordings do not have", Recording.load, p
    )
    # a known member whose array is larger than the header's shape needs
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros((4, 3, 5, 7), np.float32))
    with zipfile.ZipFile(good) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["hidden.npy"] = buf.getvalue()
    big = tmp_path / "big.npz"
    with zipfile.ZipFile(big, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    _raises(
        ValueError,
        r"member 'hidden' has dtype float32 and shape \(4, 3, 5, 7\)",
        Recording.load,
        big,
    )
    # a member whose size disagrees with its own header
    members["hidden.npy"] = buf.getvalue()[:-8]
    with zipfile.ZipFile(big, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    _raises(ValueError, "but its header describes", Recording.load, big)


def _bomb(path: Path, name: str, header: bytes, megabytes: int) -> None:
    """Add (or replace) member ``name``: ``header`` then ``megabytes`` MiB of zeros, deflated."""
    src = path.with_suffix(".src")
    path.rename(src)
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(path, "w") as zf:
        for info in old.infolist():
            if info.filename != name:
                zf.writestr(info, old.read(info))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(header)
            block = b"\x00" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
    src.unlink()


def _npy_header(dtype: str, shape: tuple) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, header, megabytes, match",
    [
        ("extra.npy", b"", 300, "a member 'extra.npy' that mmphate recordings do not have"),
        ("metadata.npy", _npy_header("<U33554432", ()), 128, "not a JSON text of at most"),
        ("epochs.npy", _npy_header("<i8", (2**25,)), 256, r"member 'epochs' has dtype int64"),
    ],
)
def test_a_small_file_with_a_huge_member_is_refused_without_inflating_it(
    tmp_path, name, header, megabytes, match
):
    """~300 KiB on disk, hundreds of MB inflated: refused from the zip directory and the
    members' headers, with the process' peak memory unchanged."""
    path = tmp_path / "bomb.npz"
    _rec().save(path)
    _bomb(path, name, header, megabytes)
    assert path.stat().st_size < 1 << 20
    code = textwrap.dedent(
        f"""
        import resource
        from mmphate import Recording
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            Recording.load({str(path)!r})
        except ValueError as exc:
            print("refused:", exc)
        print("grew_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "refused:" in out.stdout, out.stdout + out.stderr
    assert re.search(match, out.stdout), out.stdout
    grew = int(out.stdout.split("grew_kib")[1])
    assert grew < 40 * 1024, f"loading grew the process by {grew} KiB"
