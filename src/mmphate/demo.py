"""``mmphate demo``: the whole pipeline on an embedded default, end to end.

Trains a small recurrent classifier on BasicMotions (bundled with sktime, so
no download) while recording its hidden units every epoch, computes MM-PHATE
and the analyses, writes a result folder and a standalone HTML explorer, then
opens the quickstart notebook in JupyterLab (unless ``server=False``).  With
``live=True`` (``mmphate demo --live``) it opens the live notebook instead, where an LSTM and a
GRU train with :func:`mmphate.view` open on their recorders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["run_demo", "run_live_demo"]


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(f"[mmphate demo] {message}", file=sys.stderr, flush=True)


def _find_notebook(notebook: Path | None, name: str = "quickstart.ipynb") -> Path | None:
    if notebook is not None:
        if not notebook.is_file():
            raise FileNotFoundError(f"no such notebook: {notebook}")
        return notebook
    candidate = Path.cwd() / "notebooks" / name
    return candidate if candidate.is_file() else None


def _has_lab() -> bool:
    return shutil.which("jupyter") is not None or _has_module("jupyterlab")


def _serve(nb: Path, port: int, what: str) -> int:
    print(
        f"Opening {nb.name} in JupyterLab on port {port}; open the URL it prints below "
        f"(it carries a login token){what}. Ctrl+C stops the server.",
        flush=True,
    )
    try:
        return subprocess.call(lab_command(nb, port))
    except KeyboardInterrupt:
        return 0


def run_live_demo(*, port: int = 8888, notebook: Path | None = None, quiet: bool = False) -> int:
    """Open the live notebook in JupyterLab; returns a process exit status.

    The notebook (``notebooks/live.ipynb`` of the repository, or ``notebook``) trains an LSTM
    and then a GRU on BasicMotions with a live view open on each recorder
    (:class:`mmphate.explorer.LiveExplorer`), then compares them side by side.  Training
    happens in the notebook's kernel, where the views live: run its cells ("Run All Cells").

    Parameters
    ----------
    port : int
        JupyterLab's port.
    notebook : path, optional
        Notebook to open (default: ``notebooks/live.ipynb`` of the repository).
    quiet : bool
        No progress messages.

    Raises
    ------
    FileNotFoundError
        If there is no such notebook, or none is given outside the repository.
    RuntimeError
        If JupyterLab is not installed.
    """
    nb = _find_notebook(notebook, "live.ipynb")
    if nb is None:
        raise FileNotFoundError(
            "no live notebook: run from the repository (notebooks/live.ipynb) or pass --notebook"
        )
    if not _has_lab():
        raise RuntimeError(
            "the live demo runs in JupyterLab, which is not installed: pip install jupyterlab"
        )
    _say(quiet, "the LSTM and the GRU train in the notebook's kernel: run all its cells")
    return _serve(nb, port, "; then Run > Run All Cells to train with the live views open")


def run_demo(
    out: Path = Path("mmphate-demo"),
    *,
    kind: str = "lstm",
    epochs: int = 40,
    hidden_size: int = 32,
    seed: int = 0,
    server: bool = True,
    port: int = 8888,
    notebook: Path | None = None,
    quiet: bool = False,
) -> int:
    """Run the demo; returns a process exit status.

    Writes into ``out``: ``recording.npz`` and the result files of
    :func:`mmphate.pipeline.write_result`, ``explorer.html`` (open it in any
    browser, offline) and ``summary.json`` (timings and headline numbers), each
    atomically.  ``out`` must be new, empty or a previous demo folder; that is
    checked before training starts.

    Parameters
    ----------
    out : path
        Output folder (created if needed).
    kind : {"lstm", "gru", "rnn"}
        The recurrent layer trained.
    epochs : int
        Training epochs.
    hidden_size : int
        Hidden units of the layer.
    seed : int
        Seed of training and embedding.
    server : bool
        Open the quickstart notebook in JupyterLab afterwards.
    port : int
        JupyterLab's port.
    notebook : path, optional
        Notebook to open (default: ``notebooks/quickstart.ipynb`` of the repository).
    quiet : bool
        No progress messages.
    """
    from ._atomic import atomic_write_text, check_folder_target
    from .engine import MMPHATE
    from .explorer import Explorer, export_html
    from .pipeline import _is_result_folder, analyse, write_result
    from .record.training import train_classifier

    out = Path(out)
    check_folder_target(out, replaceable=_is_result_folder, what="result folder")
    nb = _find_notebook(notebook)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _say(
        quiet,
        f"1/4 training a {hidden_size}-unit {kind.upper()} on BasicMotions for {epochs} epochs",
    )
    result = train_classifier(
        "basic_motions",
        kind=kind,
        hidden_size=hidden_size,
        epochs=epochs,
        seed=seed,
        verbose=not quiet,
    )
    recording = result.recording
    timings["train_and_record_s"] = time.perf_counter() - t0
    last = result.history.iloc[-1]
    _say(
        quiet,
        f"   val accuracy {last.get('val_accuracy', float('nan')):.3f}; recorded {recording!r}",
    )

    t1 = time.perf_counter()
    _say(quiet, f"2/4 MM-PHATE on {recording.n_nodes:,} nodes")
    model = MMPHATE(n_components=3, random_state=seed, verbose=0 if quiet else 1)
    model.fit(recording)
    timings["mmphate_s"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    _say(quiet, "3/4 entropy, training phases, entropy vs loss, unit clusters")
    analysis = analyse(model.embedding_, recording, random_state=seed, params=model.get_params())
    write_result(analysis, out)
    timings["analyses_s"] = time.perf_counter() - t2

    _say(quiet, "4/4 standalone explorer")
    explorer = Explorer(
        model,
        intrastep=analysis.intrastep,
        interstep=analysis.interstep,
        clusters=analysis.clusters["cluster"].to_numpy(),
        color_by="epoch",
    )
    html = export_html(explorer, out / "explorer.html", title=f"BasicMotions {kind.upper()}")
    timings["total_s"] = time.perf_counter() - t0
    summary = {
        "recording": list(recording.shape),
        "final_val_accuracy": float(last.get("val_accuracy", float("nan"))),
        "entropy_change_epoch": analysis.phases.get("change_epoch"),
        "rise_then_fall": analysis.phases.get("rise_then_fall"),
        "n_clusters": int(analysis.clusters["cluster"].nunique()),
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2))
    _say(quiet, f"phase change point: {analysis.phases.get('reason')}")
    _say(quiet, f"done in {timings['total_s']:.0f} s; results in {out}/")
    print(f"Explorer (works offline): {Path(html).resolve().as_uri()}")

    if not server:
        return 0
    if nb is None:
        _say(quiet, "no quickstart notebook found (run from the repository, or pass --notebook)")
        return 0
    if not _has_lab():
        _say(quiet, "JupyterLab is not installed: pip install jupyterlab")
        return 0
    return _serve(nb, port, "")


def lab_command(notebook: Path, port: int) -> list[str]:
    """The JupyterLab command that serves ``notebook``'s folder and opens it on ``port``."""
    root = notebook.resolve().parent
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/{notebook.name}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses without it
    return cmd


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
