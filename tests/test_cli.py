"""The ``mmphate`` command line: help, errors and exit codes, embed -> export round trip."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmphate import Recording
from mmphate.cli import main
from mmphate.pipeline import read_result


@pytest.fixture(scope="module")
def recording_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    E, T, U, S = 6, 5, 8, 12
    drift = np.linspace(0, 1, E)[:, None, None, None]
    hidden = rng.normal(size=(E, T, U, S)) + drift * rng.normal(size=(1, T, U, S))
    rec = Recording(
        hidden.astype(np.float32),
        epochs=[0, 2, 4, 6, 8, 10],
        units=[f"h{i}" for i in range(U)],
        sample_labels=np.arange(S) % 3,
        class_names=["walk", "run", "<b>sit</b>"],
        metrics=pd.DataFrame(
            {"val_loss": np.linspace(2, 1, E), "val_accuracy": np.linspace(0.3, 0.9, E)},
            index=pd.Index([0, 2, 4, 6, 8, 10], name="epoch"),
        ),
        metadata={"model": "lstm", "dataset": "toy"},
    )
    path = tmp_path_factory.mktemp("rec") / "run.npz"
    rec.save(path)
    return path


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for command in ("demo", "embed", "export", "info"):
        assert command in text
    assert "recording" in text.lower()


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: mmphate" in capsys.readouterr().out


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "embed", str(tmp_path / "nope.npz"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "nope.npz" in err


def test_foreign_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.npz"
    bad.write_text("this is not a recording")
    assert main(["-q", "info", str(bad)]) == 2
    assert "not an mmphate recording" in capsys.readouterr().err
    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["-q", "export", str(folder), "-o", str(tmp_path / "x.html")]) == 2
    assert "not an mmphate result folder" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_bad_option_value_exits_nonzero(recording_file: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["embed", str(recording_file), "-o", str(tmp_path), "--n-components", "5"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["-q", "embed", str(recording_file), "-o", str(tmp_path), "--t", "soon"])
    assert exc.value.code == 2


def test_info_describes_a_recording(
    recording_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(recording_file)]) == 0
    out = capsys.readouterr().out
    assert "epochs=6, timesteps=5, units=8, samples=12" in out
    assert "dataset: toy" in out


def test_embed_then_export_round_trip(recording_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "result"
    assert main(["-q", "embed", str(recording_file), "-o", str(out), "--random-state", "1"]) == 0
    for name in (
        "embedding.csv",
        "intrastep_entropy.csv",
        "interstep_entropy.csv",
        "clusters.csv",
        "entropy_vs_performance.csv",
        "recording.npz",
        "result.json",
    ):
        assert (out / name).is_file(), name
    frame = pd.read_csv(out / "embedding.csv")
    assert list(frame.columns) == ["epoch", "timestep", "unit", "x", "y", "z"]
    assert len(frame) == 6 * 5 * 8
    assert frame["epoch"].tolist()[:: 5 * 8] == [0, 2, 4, 6, 8, 10]
    meta = json.loads((out / "result.json").read_text())
    assert meta["params"]["random_state"] == 1
    assert meta["params"]["interstep_neighbors"] == 75
    analysis = read_result(out)
    assert analysis.embedding.shape == (240, 3)
    assert analysis.recording.units.tolist() == [f"h{i}" for i in range(8)]

    html = tmp_path / "explorer.html"
    assert main(["-q", "export", str(out), "-o", str(html), "--color-by", "cluster"]) == 0
    page = html.read_text()
    assert "<b>sit</b>" not in page  # labels are data, never markup
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", page)  # nothing fetched


def test_export_from_recording_fits_first(recording_file: Path, tmp_path: Path) -> None:
    html = tmp_path / "direct.html"
    code = main(
        [
            "-q",
            "export",
            str(recording_file),
            "-o",
            str(html),
            "--n-components",
            "2",
            "--view",
            "2d",
        ]
    )
    assert code == 0
    assert html.stat().st_size > 10_000


def test_module_entry_point(recording_file: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mmphate", "info", str(recording_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Recording(epochs=6" in proc.stdout


def test_demo_lab_command_serves_the_notebook(tmp_path: Path) -> None:
    import os

    from mmphate.demo import lab_command

    nb = tmp_path / "quickstart.ipynb"
    nb.write_text("{}")
    cmd = lab_command(nb, 8899)
    assert cmd[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert "--port=8899" in cmd and f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--LabApp.default_url=/lab/tree/quickstart.ipynb" in cmd
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)


def test_demo_live_opens_the_live_notebook(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mmphate.demo

    calls: list[list[str]] = []
    monkeypatch.setattr(mmphate.demo.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # the repository
    assert main(["-q", "demo", "--live", "--port", "8897"]) == 0
    (cmd,) = calls  # no training here: the notebook's kernel trains
    assert "--LabApp.default_url=/lab/tree/live.ipynb" in cmd and "--port=8897" in cmd
    root = Path(next(c for c in cmd if c.startswith("--ServerApp.root_dir=")).split("=", 1)[1])
    assert (root / "live.ipynb").is_file()
    assert "Run All Cells" in capsys.readouterr().out


# --------------------------------------------------------------------------- user errors
def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmphate", "-q", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    err = proc.stderr
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
    for w in words:
        assert w in err, (w, err)
    return err


def test_demo_live_errors_are_one_line(tmp_path: Path) -> None:
    _one_line_error(_run(["demo", "--live", "--no-server"], tmp_path), "--live", "--no-server")
    _one_line_error(_run(["demo", "--live"], tmp_path), "no live notebook", "--notebook")
    _one_line_error(
        _run(["demo", "--live", "--notebook", "gone.ipynb"], tmp_path), "no such notebook"
    )
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written


def test_user_errors_are_one_line_with_status_2(recording_file: Path, tmp_path: Path) -> None:
    rec = str(recording_file)
    (tmp_path / "a_file").write_text("keep me")
    labels = Recording(np.random.default_rng(0).normal(size=(3, 4, 5, 6)).astype(np.float32))
    labels.save(tmp_path / "nolabels.npz")
    cases = [
        (["embed", rec, "-o", "a_file"], ["a_file", "it is a file"]),
        (["export", rec, "-o", "a_file/x.html"], ["a_file' is a file, not a folder"]),
        (["export", "nolabels.npz", "-o", "x.html", "--color-by", "class"], ["sample labels"]),
        (["embed", rec, "-o", "out", "--decay", "nan"], ["--decay", "finite number"]),
        (["embed", rec, "-o", "out", "--gamma", "3"], ["--gamma", "[-1, 1]"]),
        (["embed", rec, "-o", "out", "--random-state", "1.7"], ["--random-state", "integer"]),
        (["export", rec, "-o", "/dev/full"], ["character device"]),
        (["embed", rec, "-o", "/dev/full"], ["character device"]),
        (["export", rec, "-o", "/nonexistent-mmphate/x.html"], ["does not exist"]),
        (["info", "missing.npz"], ["no such file"]),
        (["embed", rec, "-o", "out", "--bogus"], ["unrecognized arguments: --bogus"]),
    ]
    for args, words in cases:
        _one_line_error(_run(args, tmp_path), *words)
    assert (tmp_path / "a_file").read_text() == "keep me"
    assert not Path("/nonexistent-mmphate").exists()  # the CLI creates no folders either
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.html").exists()


def test_result_folder_without_epoch_column(recording_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert main(["-q", "embed", str(recording_file), "-o", str(out)]) == 0
    frame = pd.read_csv(out / "embedding.csv")
    frame.drop(columns="epoch").to_csv(out / "embedding.csv", index=False)
    _one_line_error(_run(["export", str(out), "-o", "x.html"], tmp_path), "embedding.csv")
    meta = json.loads((out / "result.json").read_text())  # a folder without a manifest (0.1)
    meta.update(version=1, files=list(meta["files"]))
    (out / "result.json").write_text(json.dumps(meta))
    _one_line_error(
        _run(["export", str(out), "-o", "x.html"], tmp_path), "lacks the column(s) ['epoch']"
    )


def test_info_escapes_control_characters_from_files(tmp_path: Path) -> None:
    evil = "\x1b[2J\x1b]52;c;aGVsbG8=\x07\u202e"
    rec = Recording(
        np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32),
        units=[f"u{evil}{i}" for i in range(4)],
        class_names=[f"c{evil}"],
        sample_labels=[0] * 5,
        metrics={f"loss{evil}": [1.0, 0.5]},
        metadata={f"key{evil}": f"value{evil}\nsecond line"},
    )
    rec.save(tmp_path / "evil.npz")
    proc = _run(["info", "evil.npz"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in out
    assert "value\\x1b[2J\\x1b]52;c;aGVsbG8=\\x07\\u202e\\x0asecond line" in out
    assert len(out.splitlines()) == 5  # the metadata value stayed on one line


def test_unexpected_errors_are_one_line_with_status_1(
    recording_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mmphate.cli as cli

    def boom(args):
        raise RuntimeError("something broke\ninside")

    monkeypatch.setitem(cli.COMMANDS, "info", boom)
    assert main(["info", str(recording_file)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (RuntimeError: something broke inside)" in err
    assert "--debug" in err
    with pytest.raises(RuntimeError):
        main(["--debug", "info", str(recording_file)])


def test_closed_stdout_is_not_an_error(recording_file: Path) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m mmphate info {recording_file} | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stderr == "", proc.stderr
