"""The standard analysis of one embedded recording, and its result folder.

:func:`analyse` runs the entropy analyses, phases, entropy-vs-performance
statistics and unit clustering on a node embedding; :func:`write_result` and
:func:`read_result` store and load everything as plain files (CSV and JSON)
that any tool can read.  This is what ``mmphate embed`` writes and what
``mmphate export`` reads.  Compute only: nothing here imports the widget.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .record import Recording, embedding_frame

__all__ = ["Analysis", "analyse", "write_result", "read_result", "embedding_frame"]

logger = logging.getLogger(__name__)

RESULT_FORMAT = "mmphate-result"
RESULT_VERSION = 1


@dataclass
class Analysis:
    """An embedding of a recording with its standard analyses.

    Attributes
    ----------
    recording : Recording
    embedding : numpy.ndarray, shape (nodes, 2 | 3), slice-major node order
    intrastep, interstep : pandas.DataFrame
        Entropy tables (bits): ``[epoch, timestep, entropy]`` and ``[epoch, unit, entropy]``.
    clusters : pandas.DataFrame
        ``[unit, cluster]``.
    statistics : pandas.DataFrame or None
        Entropy vs performance (None when the recording has no metrics).
    phases : dict
        Change point of the mean intra-step entropy curve: ``change_epoch``
        (None when there is no clear one), ``rise_then_fall``, ``p_value``, ``reason``.
    params : dict
        The estimator's parameters, when known.
    """

    recording: Recording
    embedding: np.ndarray
    intrastep: pd.DataFrame
    interstep: pd.DataFrame
    clusters: pd.DataFrame
    statistics: pd.DataFrame | None
    phases: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)


def analyse(
    embedding: Any,
    recording: Recording,
    *,
    bins: int = 10,
    tolerance: int = 2,
    random_state: int | None = 0,
    params: dict[str, Any] | None = None,
) -> Analysis:
    """Run the standard analyses on a node embedding of ``recording``.

    Parameters
    ----------
    embedding : array (nodes, d) or fitted MMPHATE
    recording : Recording
    bins : int
        Histogram bins per axis for both entropies.
    tolerance : int
        Epochs within which the entropy change point and the validation-loss
        minimum count as coinciding.
    random_state : int or None
        Seed for the phase bootstrap and the clustering.
    params : dict, optional
        The estimator's parameters, stored with the result (``model.get_params()``).

    Returns
    -------
    Analysis
    """
    from .analysis import (
        cluster_units,
        entropy_vs_performance,
        interstep_entropy,
        intrastep_entropy,
        training_phases,
    )

    emb = np.asarray(getattr(embedding, "embedding_", embedding), dtype=np.float32)
    logger.info("entropy analyses on %d nodes", emb.shape[0])
    intra = intrastep_entropy(emb, recording, bins=bins)
    inter = interstep_entropy(emb, recording, bins=bins)
    phase = training_phases(intra, random_state=random_state)
    numeric = [
        c for c in recording.metrics.columns if pd.api.types.is_numeric_dtype(recording.metrics[c])
    ]
    statistics = None
    if numeric and recording.n_epochs >= 3:
        statistics = entropy_vs_performance(
            {"intrastep_mean": intra, "interstep_mean": inter},
            recording.metrics,
            tolerance=tolerance,
            random_state=random_state,
        )
    clusters = cluster_units(emb, recording, random_state=random_state).to_frame()
    return Analysis(
        recording=recording,
        embedding=emb,
        intrastep=intra,
        interstep=inter,
        clusters=clusters,
        statistics=statistics,
        phases={
            "change_epoch": phase.change_epoch,
            "rise_then_fall": bool(phase.rise_then_fall),
            "p_value": float(phase.p_value),
            "reason": phase.reason,
        },
        params=dict(params or {}),
    )


def write_result(analysis: Analysis, directory: str | os.PathLike[str]) -> Path:
    """Write an :class:`Analysis` to ``directory`` (created if needed).

    Files: ``recording.npz`` (the recording, see :meth:`Recording.save`),
    ``embedding.csv``, ``intrastep_entropy.csv``, ``interstep_entropy.csv``,
    ``clusters.csv``, ``entropy_vs_performance.csv`` (when metrics exist) and
    ``result.json`` (format marker, phases, parameters, file list).

    Parameters
    ----------
    analysis : Analysis
        What :func:`analyse` returned.
    directory : path-like
        The result folder.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    analysis.recording.save(out / "recording.npz")
    embedding_frame(analysis.embedding, analysis.recording).to_csv(
        out / "embedding.csv", index=False
    )
    analysis.intrastep.to_csv(out / "intrastep_entropy.csv", index=False)
    analysis.interstep.to_csv(out / "interstep_entropy.csv", index=False)
    analysis.clusters.to_csv(out / "clusters.csv", index=False)
    files = [
        "recording.npz",
        "embedding.csv",
        "intrastep_entropy.csv",
        "interstep_entropy.csv",
        "clusters.csv",
    ]
    if analysis.statistics is not None:
        analysis.statistics.to_csv(out / "entropy_vs_performance.csv", index=False)
        files.append("entropy_vs_performance.csv")
    meta = {
        "format": RESULT_FORMAT,
        "version": RESULT_VERSION,
        "shape": list(analysis.recording.shape),
        "n_components": int(analysis.embedding.shape[1]),
        "phases": analysis.phases,
        "params": analysis.params,
        "files": files,
    }
    (out / "result.json").write_text(json.dumps(meta, indent=2, default=_json_default))
    return out


def read_result(directory: str | os.PathLike[str]) -> Analysis:
    """Read a folder written by :func:`write_result` (or ``mmphate embed``).

    Parameters
    ----------
    directory : path-like
        The result folder.

    Returns
    -------
    Analysis

    Raises
    ------
    FileNotFoundError
        If ``directory`` or one of its files is missing.
    ValueError
        If the folder is not an mmphate result or its files disagree.
    """
    root = Path(directory)
    meta_path = root / "result.json"
    if not root.is_dir():
        raise FileNotFoundError(f"no result folder at {root}")
    if not meta_path.is_file():
        raise ValueError(
            f"{root} is not an mmphate result folder (no result.json); "
            "make one with 'mmphate embed RECORDING -o FOLDER'."
        )
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{meta_path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != RESULT_FORMAT:
        raise ValueError(f"{meta_path} is not an mmphate result (format marker missing).")
    if int(meta.get("version", 0)) > RESULT_VERSION:
        raise ValueError(
            f"{root} was written by a newer mmphate (result version {meta['version']}); upgrade mmphate."
        )
    recording = Recording.load(root / "recording.npz")
    frame = pd.read_csv(root / "embedding.csv", dtype={"unit": str})
    nodes = recording.nodes()
    comps = [c for c in ("x", "y", "z") if c in frame.columns]
    if (
        len(frame) != len(nodes)
        or not comps
        or not (frame["epoch"].to_numpy() == nodes["epoch"].to_numpy()).all()
        or not (frame["timestep"].to_numpy() == nodes["timestep"].to_numpy()).all()
        or not (frame["unit"].astype(str).to_numpy() == nodes["unit"].to_numpy()).all()
    ):
        raise ValueError(
            f"{root / 'embedding.csv'} does not match {root / 'recording.npz'}: expected "
            f"{len(nodes)} rows (epoch, timestep, unit) in slice-major order."
        )
    stats_path = root / "entropy_vs_performance.csv"
    return Analysis(
        recording=recording,
        embedding=frame[comps].to_numpy(dtype=np.float32),
        intrastep=pd.read_csv(root / "intrastep_entropy.csv"),
        interstep=pd.read_csv(root / "interstep_entropy.csv", dtype={"unit": str}),
        clusters=pd.read_csv(root / "clusters.csv", dtype={"unit": str}),
        statistics=pd.read_csv(stats_path) if stats_path.is_file() else None,
        phases=dict(meta.get("phases", {})),
        params=dict(meta.get("params", {})),
    )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
