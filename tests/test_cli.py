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
    assert main(["-q", "embed", str(recording_file), "-o", str(tmp_path), "--t", "soon"]) == 2


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
