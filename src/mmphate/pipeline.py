"""The standard analysis of one embedded recording, and its result folder.

:func:`analyse` runs the entropy analyses, phases, entropy-vs-performance
statistics and unit clustering on a node embedding; :func:`write_result` and
:func:`read_result` store and load everything as plain files (CSV and JSON)
that any tool can read.  This is what ``mmphate embed`` writes and what
``mmphate export`` reads.  Compute only: nothing here imports the widget.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_folder, file_digest, open_regular
from ._validate import as_embedding, check_int, check_seed, describe, printable
from .record import Recording, embedding_frame

__all__ = ["Analysis", "analyse", "write_result", "read_result", "embedding_frame"]

logger = logging.getLogger(__name__)

RESULT_FORMAT = "mmphate-result"
#: 2: ``result.json`` holds a manifest (size and SHA-256 of every file); 1 (read too): names only.
RESULT_VERSION = 2


@dataclass
class Analysis:
    """An embedding of a recording with its standard analyses.

    Attributes
    ----------
    recording : Recording
    embedding : numpy.ndarray, shape (nodes, 2 | 3), slice-major node order
    intrastep, interstep : pandas.DataFrame
        Entropy tables (bits): ``[epoch, timestep, entropy]`` and ``[epoch, unit, entropy]``;
        their ``attrs`` state the units, the estimator and its parameters (kept in
        ``result.json`` by :func:`write_result`).
    clusters : pandas.DataFrame
        ``[unit, cluster]``.
    statistics : pandas.DataFrame or None
        Entropy vs performance (None when the recording has no metrics).
    phases : dict
        Change points of the mean intra-step entropy curve: ``change_epoch``
        (the strongest; None when there is no clear one), ``change_epochs`` (all, in epoch
        order), ``rise_then_fall``, ``p_value``, ``reason``.
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
    bins: int = 6,
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
        Grid cells per axis for both entropies (the resolution of the default
        estimator of :func:`~mmphate.intrastep_entropy`).
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

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording or the embedding is not numeric.
    ValueError
        If the embedding's rows are not the recording's nodes, or a parameter is invalid.
    """
    if not isinstance(recording, Recording):
        raise TypeError(f"recording must be an mmphate.Recording; got {describe(recording)}.")
    bins = check_int(bins, "bins", minimum=1, maximum=1000)
    tolerance = check_int(tolerance, "tolerance", minimum=0)
    random_state = check_seed(random_state)
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"params must be a dict or None; got {describe(params)}.")
    emb = as_embedding(embedding)
    if emb.shape[0] != recording.n_nodes:
        raise ValueError(
            f"the embedding has {emb.shape[0]} rows but the recording has {recording.n_nodes} "
            "nodes; rows must be the nodes in slice-major order."
        )
    from .analysis import (
        cluster_units,
        entropy_vs_performance,
        interstep_entropy,
        intrastep_entropy,
        training_phases,
    )

    emb = emb.astype(np.float32)
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
    if recording.n_units >= 3:
        clusters = cluster_units(emb, recording, random_state=random_state).to_frame()
    else:  # too few units to choose a number of clusters: one cluster
        clusters = pd.DataFrame({"unit": recording.units.tolist(), "cluster": 0})
    return Analysis(
        recording=recording,
        embedding=emb,
        intrastep=intra,
        interstep=inter,
        clusters=clusters,
        statistics=statistics,
        phases={
            "change_epoch": phase.change_epoch,
            "change_epochs": list(phase.change_epochs),
            "rise_then_fall": bool(phase.rise_then_fall),
            "p_value": float(phase.p_value),
            "reason": phase.reason,
        },
        params=dict(params or {}),
    )


# Files of a result folder: name -> (required, columns it must have).
_TABLES = {
    "embedding.csv": ("epoch", "timestep", "unit"),
    "intrastep_entropy.csv": ("epoch", "timestep", "entropy"),
    "interstep_entropy.csv": ("epoch", "unit", "entropy"),
    "clusters.csv": ("unit", "cluster"),
    "entropy_vs_performance.csv": ("series", "metric", "transform"),
}
# what may be in a folder write_result replaces: its files, and the page and summary that
# ``mmphate demo`` adds to its result folder
_FILES = ("recording.npz", *_TABLES, "result.json", "explorer.html", "summary.json")


def _is_result_folder(path: str) -> bool:
    """A folder mmphate may replace: it holds a result.json marker and only result files."""
    names = set(os.listdir(path))
    if "result.json" not in names or not names <= set(_FILES):
        return False
    try:
        with open_regular(os.path.join(path, "result.json"), "result.json") as fh:
            meta = json.loads(fh.read(1 << 20).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(meta, dict) and meta.get("format") == RESULT_FORMAT


def write_result(analysis: Analysis, directory: str | os.PathLike[str]) -> Path:
    """Write an :class:`Analysis` to ``directory`` as one atomic folder.

    Files: ``recording.npz`` (the recording, see :meth:`Recording.save`),
    ``embedding.csv``, ``intrastep_entropy.csv``, ``interstep_entropy.csv``,
    ``clusters.csv``, ``entropy_vs_performance.csv`` (when metrics exist) and
    ``result.json`` (format marker, phases, parameters, and the manifest: the size and
    SHA-256 of every other file).

    The folder is built under a temporary name next to ``directory``, the manifest written
    last, and then renamed into place, so ``directory`` is either the previous result or the
    new one, never a mix; after a failure it is unchanged.  ``directory`` may be new (missing
    parent folders are created), an empty folder, or a previous result folder, which is
    replaced; any other existing path is refused.  A symbolic link is written through.

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

    Raises
    ------
    TypeError
        If ``analysis`` is not an :class:`Analysis`.
    FileExistsError
        If ``directory`` is a file, or a folder holding files other than a result's.
    OSError
        If the folder cannot be written; the previous one is unchanged.
    """
    if not isinstance(analysis, Analysis):
        raise TypeError(f"analysis must be an mmphate.pipeline.Analysis; got {describe(analysis)}.")
    frame = embedding_frame(analysis.embedding, analysis.recording)
    meta = {
        "format": RESULT_FORMAT,
        "version": RESULT_VERSION,
        "shape": list(analysis.recording.shape),
        "n_components": int(analysis.embedding.shape[1]),
        "phases": analysis.phases,
        "params": analysis.params,
        # units, estimator and its parameters of each entropy table (CSV keeps no attrs)
        "entropy": {
            "intrastep": dict(getattr(analysis.intrastep, "attrs", {})),
            "interstep": dict(getattr(analysis.interstep, "attrs", {})),
        },
    }
    try:
        json.dumps(meta, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the analysis' phases and params must be JSON-serialisable: {exc}."
        ) from None
    tables = {
        "embedding.csv": frame,
        "intrastep_entropy.csv": analysis.intrastep,
        "interstep_entropy.csv": analysis.interstep,
        "clusters.csv": analysis.clusters,
    }
    if analysis.statistics is not None:
        tables["entropy_vs_performance.csv"] = analysis.statistics
    texts = {}
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"the analysis' {name[:-4]} must be a DataFrame; got {describe(table)}."
            )
        texts[name] = table.to_csv(index=False).encode("utf-8", "strict")
    with atomic_folder(directory, replaceable=_is_result_folder, what="result folder") as tmp:
        analysis.recording.save(tmp / "recording.npz")
        for name, data in texts.items():
            (tmp / name).write_bytes(data)
        files = {}
        for name in ("recording.npz", *texts):
            with open(tmp / name, "rb") as fh:
                size, digest = file_digest(fh)
            files[name] = {"bytes": size, "sha256": digest}
        meta["files"] = files
        (tmp / "result.json").write_text(
            json.dumps(meta, indent=2, default=_json_default), encoding="utf-8"
        )
    return Path(directory)


def _read_table(
    root: Path, name: str, entry: Any, *, strings: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A CSV of the folder, checked against its manifest entry and required columns."""
    path = root / name
    with open_regular(path, f"result file ({name})") as fh:
        data = fh.read()
    if entry is not None:
        _check_entry(root, name, entry, data)
    try:
        # ids as written: a converter keeps "NA", "nan" or "" unit ids as strings
        table = pd.read_csv(
            io.BytesIO(data), converters={c: str for c in strings}, float_precision="round_trip"
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{printable(path)} is not a readable CSV table ({type(exc).__name__}); rerun "
            "'mmphate embed' to write the folder again."
        ) from None
    missing = [c for c in _TABLES[name] if c not in table.columns]
    if missing:
        raise ValueError(
            f"{printable(path)} lacks the column(s) {missing} (it has "
            f"{printable(list(table.columns)[:10])}); it was not written by mmphate or was edited."
        )
    return table


def _check_entry(
    root: Path,
    name: str,
    entry: Any,
    data: bytes | None,
    size: int | None = None,
    digest: str | None = None,
) -> None:
    if not isinstance(entry, dict) or not {"bytes", "sha256"} <= set(entry):
        raise ValueError(
            f"{printable(root / 'result.json')} has no valid manifest entry for {name}."
        )
    if data is not None:
        size, digest = len(data), hashlib.sha256(data).hexdigest()
    if size != entry["bytes"] or digest != entry["sha256"]:
        raise ValueError(
            f"{printable(root / name)} does not match the manifest in result.json (it changed "
            "after the folder was written, or is left from another run); rerun 'mmphate embed' "
            "to write the folder again."
        )


def _numeric(table: pd.DataFrame, columns: list[str], where: Path) -> np.ndarray:
    try:
        values = table[columns].apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{printable(where)}: columns {columns} must hold numbers.") from None
    return values


def read_result(directory: str | os.PathLike[str]) -> Analysis:
    """Read a folder written by :func:`write_result` (or ``mmphate embed``).

    Every file is checked against the folder's manifest (size and SHA-256) and its columns
    against what mmphate writes, so a folder mixing files of two runs, or with an edited or
    truncated file, is refused rather than read as a whole.

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
        If the folder is not an mmphate result, a file does not match the manifest, a table
        lacks a column or holds non-numbers, or the tables disagree with the recording.
    """
    root = Path(_fspath_checked(directory))
    meta_path = root / "result.json"
    if not root.is_dir():
        if root.exists():
            raise NotADirectoryError(
                f"{printable(root)} is not a folder; expected a result folder from 'mmphate embed'."
            )
        raise FileNotFoundError(f"no result folder at {printable(root)}")
    if not meta_path.exists():
        raise ValueError(
            f"{printable(root)} is not an mmphate result folder (no result.json); "
            "make one with 'mmphate embed RECORDING -o FOLDER'."
        )
    with open_regular(meta_path, "result.json") as fh:
        raw = fh.read(1 << 24)
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{printable(meta_path)} is not valid JSON ({type(exc).__name__})."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != RESULT_FORMAT:
        raise ValueError(
            f"{printable(meta_path)} is not an mmphate result (format marker missing)."
        )
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(
            f"{printable(meta_path)} has an invalid version {printable(repr(version))}."
        )
    if version > RESULT_VERSION:
        raise ValueError(
            f"{printable(root)} was written by a newer mmphate (result version {version}); "
            "upgrade mmphate."
        )
    files = meta.get("files")
    if version >= 2:
        if not isinstance(files, dict) or not {
            "recording.npz",
            "embedding.csv",
            "intrastep_entropy.csv",
            "interstep_entropy.csv",
            "clusters.csv",
        } <= set(files):
            raise ValueError(f"{printable(meta_path)} lists no complete set of result files.")
        entries: dict[str, Any] = files
    else:  # version 1 listed names only: nothing to check them against
        entries = dict.fromkeys(files if isinstance(files, list) else [])
    rec_path = root / "recording.npz"
    if entries.get("recording.npz") is not None:
        with open_regular(rec_path, "result file (recording.npz)") as fh:
            size, digest = file_digest(fh)
        _check_entry(root, "recording.npz", entries["recording.npz"], None, size, digest)
    recording = Recording.load(rec_path)

    def table(name: str, strings: tuple[str, ...] = ()) -> pd.DataFrame:
        return _read_table(root, name, entries.get(name), strings=strings)

    frame = table("embedding.csv", ("unit",))
    nodes = recording.nodes()
    comps = [c for c in ("x", "y", "z") if c in frame.columns]
    if len(comps) < 2 or (len(comps) == 2 and "z" in comps):
        raise ValueError(
            f"{printable(root / 'embedding.csv')} needs columns x, y (and optionally z); got "
            f"{printable(list(frame.columns)[:10])}."
        )
    if (
        len(frame) != len(nodes)
        or not (_numeric(frame, ["epoch"], root / "embedding.csv")[:, 0] == nodes["epoch"]).all()
        or not (
            _numeric(frame, ["timestep"], root / "embedding.csv")[:, 0] == nodes["timestep"]
        ).all()
        or not (frame["unit"].astype(str).to_numpy() == nodes["unit"].to_numpy()).all()
    ):
        raise ValueError(
            f"{printable(root / 'embedding.csv')} does not match {printable(rec_path)}: expected "
            f"{len(nodes)} rows (epoch, timestep, unit) in slice-major order."
        )
    embedding = _numeric(frame, comps, root / "embedding.csv")
    if not np.isfinite(embedding).all():
        raise ValueError(f"{printable(root / 'embedding.csv')} holds NaN or infinite coordinates.")
    intra = table("intrastep_entropy.csv")
    inter = table("interstep_entropy.csv", ("unit",))
    for name, t in (("intrastep_entropy.csv", intra), ("interstep_entropy.csv", inter)):
        _numeric(t, ["epoch", "entropy"], root / name)
    clusters = table("clusters.csv", ("unit",))
    units = [str(u) for u in recording.units]
    if sorted(clusters["unit"].astype(str)) != sorted(units) or len(clusters) != len(units):
        raise ValueError(
            f"{printable(root / 'clusters.csv')} must have one row per unit of the recording "
            f"({len(units)})."
        )
    _numeric(clusters, ["cluster"], root / "clusters.csv")
    clusters = clusters.set_index(clusters["unit"].astype(str)).loc[units].reset_index(drop=True)
    stats_name = "entropy_vs_performance.csv"
    has_stats = stats_name in entries if version >= 2 else (root / stats_name).is_file()
    phases = meta.get("phases", {})
    params = meta.get("params", {})
    if not isinstance(phases, dict) or not isinstance(params, dict):
        raise ValueError(f"{printable(meta_path)}: 'phases' and 'params' must be JSON objects.")
    described = meta.get("entropy", {})
    for key, t in (("intrastep", intra), ("interstep", inter)):
        attrs = described.get(key) if isinstance(described, dict) else None
        if isinstance(attrs, dict):
            t.attrs.update(attrs)
    return Analysis(
        recording=recording,
        embedding=embedding.astype(np.float32),
        intrastep=intra,
        interstep=inter,
        clusters=clusters,
        statistics=table(stats_name) if has_stats else None,
        phases=dict(phases),
        params=dict(params),
    )


def _fspath_checked(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"directory must be a str or os.PathLike; got {describe(path)}.")
    return os.fspath(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
