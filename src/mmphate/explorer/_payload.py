"""Compact binary payload of the explorer widget (no UI imports, no numerics beyond coercion).

What crosses to the browser, once:

* positions: float32, C-contiguous, ``N x d`` (``d`` = 2 or 3) -- 8 or 12 bytes per node;
* per-node class codes: uint8 (255 = none) -- 1 byte per node, only when the recording has
  sample labels;
* per-unit cluster codes (``U``,) int32, per-slice intra-step entropy (``E*T``,) float32 and
  per-(epoch, unit) inter-step entropy (``E*U``,) float32;
* labels (epoch numbers, timestep labels, unit ids, class names, layer) and per-epoch metrics
  as small JSON.

Epoch, timestep and unit of a node are never sent: the front end derives them from the node
index (slice-major order, ``node = (e*T + t)*U + u``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..record import Recording

NO_CLASS = 255


def resolve_source(source: Any, recording: Any = None) -> tuple[np.ndarray, Recording]:
    """Embedding (N, 2|3) float32 and Recording from a fitted estimator or an array."""
    if hasattr(source, "embedding_") and hasattr(source, "recording_"):
        embedding = source.embedding_
        rec = source.recording_ if recording is None else recording
    else:
        if recording is None:
            raise ValueError(
                "an embedding array needs the Recording it was computed from: "
                "Explorer(embedding, recording); or pass a fitted MMPHATE."
            )
        embedding = source
        rec = recording
        if isinstance(source, pd.DataFrame):
            cols = [c for c in ("x", "y", "z") if c in source.columns]
            if len(cols) < 2:
                raise ValueError(
                    "an embedding DataFrame needs columns x, y (and optionally z); "
                    f"got {list(source.columns)}."
                )
            embedding = source[cols].to_numpy()
    if not isinstance(rec, Recording):
        if isinstance(rec, np.ndarray) and rec.ndim == 4:
            rec = Recording(rec)
        else:
            raise TypeError(
                f"recording must be a mmphate.Recording (or an (E, T, U, S) array); got {type(rec).__name__}."
            )
    emb = np.asarray(embedding)
    if emb.ndim != 2 or emb.shape[1] not in (2, 3):
        raise ValueError(
            f"the embedding must have shape (nodes, 2) or (nodes, 3); got shape {emb.shape}. "
            "Fit with n_components=2 or 3."
        )
    if emb.shape[0] != rec.n_nodes:
        E, T, U, _ = rec.shape
        raise ValueError(
            f"the embedding has {emb.shape[0]} rows but the recording has {rec.n_nodes} nodes "
            f"(epochs x timesteps x units = {E} x {T} x {U}); they must match."
        )
    if not np.issubdtype(emb.dtype, np.number):
        raise TypeError(f"the embedding must be numeric; got dtype {emb.dtype}.")
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    if not np.isfinite(emb).all():
        raise ValueError("the embedding contains NaN or infinite values.")
    return emb, rec


def _index(labels: np.ndarray) -> dict[Any, int]:
    return {(v.item() if hasattr(v, "item") else v): i for i, v in enumerate(labels)}


def _lookup(values: Any, index: dict[Any, int], what: str, cast: Any) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for k, v in enumerate(values):
        key = cast(v)
        if key not in index:
            raise ValueError(f"{what} {v!r} is not in the recording; known: {list(index)[:20]}")
        out[k] = index[key]
    return out


def _table(
    table: Any, rec: Recording, second: str, name: str
) -> np.ndarray:  # -> float32 (E * n_second,)
    E = rec.n_epochs
    labels2 = rec.timesteps if second == "timestep" else rec.units
    n2 = len(labels2)
    if isinstance(table, pd.DataFrame):
        need = {"epoch", second, "entropy"}
        if not need <= set(table.columns):
            raise ValueError(
                f"{name} must have columns [epoch, {second}, entropy]; got {list(table.columns)}."
            )
        e = _lookup(table["epoch"].tolist(), _index(rec.epochs), "epoch", int)
        cast = int if second == "timestep" else str
        s = _lookup(table[second].tolist(), _index(labels2), second, cast)
        out = np.full((E, n2), np.nan, dtype=np.float32)
        out[e, s] = table["entropy"].to_numpy(dtype=np.float32)
        return out.ravel()
    arr = np.asarray(table, dtype=np.float32)
    if arr.shape not in ((E, n2), (E * n2,)):
        raise ValueError(
            f"{name} must be a DataFrame [epoch, {second}, entropy] or an array of shape "
            f"({E}, {n2}) (epochs x {second}s); got shape {arr.shape}."
        )
    return np.ascontiguousarray(arr.ravel())


def intrastep_values(table: Any, rec: Recording) -> np.ndarray:
    """Intra-step entropy per slice, float32 (E*T,), NaN where missing."""
    return _table(table, rec, "timestep", "intrastep")


def interstep_values(table: Any, rec: Recording) -> np.ndarray:
    """Inter-step entropy per (epoch, unit), float32 (E*U,), NaN where missing."""
    return _table(table, rec, "unit", "interstep")


def cluster_codes(clusters: Any, rec: Recording) -> tuple[np.ndarray, list[str] | None]:
    """Per-unit cluster codes int32 (U,) (negative = unassigned) and optional cluster names."""
    labels = getattr(clusters, "labels", clusters)
    if isinstance(labels, pd.Series) and labels.index.dtype == object:
        labels = labels.reindex([str(u) for u in rec.units])
        if labels.isna().any():
            missing = [u for u, v in labels.items() if pd.isna(v)]
            raise ValueError(f"clusters has no label for units {missing[:10]}.")
    arr = np.asarray(labels)
    if arr.shape != (rec.n_units,):
        raise ValueError(
            f"clusters must give one label per unit ({rec.n_units}); got shape {arr.shape}."
        )
    if np.issubdtype(arr.dtype, np.integer):
        return np.ascontiguousarray(arr, dtype=np.int32), None
    codes, uniques = pd.factorize(pd.Series(arr.astype(str)), sort=True)
    return codes.astype(np.int32), [str(u) for u in uniques]


def node_class_codes(rec: Recording) -> np.ndarray | None:
    """Per node, the sample class with the highest mean activation (uint8, 255 = none).

    For node (epoch, timestep, unit) the activation of each sample is averaged within every
    class (padded steps excluded); the class with the largest mean is the node's class.
    ``None`` without sample labels or with more than 254 classes.
    """
    if rec.sample_labels is None:
        return None
    labels = rec.sample_labels
    n_classes = len(rec.class_names) if rec.class_names else int(labels.max()) + 1
    if n_classes > NO_CLASS - 1 or n_classes < 1:
        return None
    E, T, U, _ = rec.shape
    best = np.full((E, T, U), -np.inf, dtype=np.float32)
    code = np.full((E, T, U), NO_CLASS, dtype=np.uint8)
    for c in range(n_classes):
        members = labels == c
        if not members.any():
            continue
        h = rec.hidden[..., members]  # (E, T, U, Sc)
        if rec.valid is None:
            mean = h.mean(axis=-1)
        else:
            w = rec.valid[:, members].astype(np.float32)  # (T, Sc)
            total = w.sum(axis=-1)  # (T,)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (h * w[None, :, None, :]).sum(axis=-1) / total[None, :, None]
            mean = np.where(total[None, :, None] > 0, mean, -np.inf)
        better = mean > best
        best = np.where(better, mean, best)
        code[better] = c
    return code.ravel()


def metrics_series(
    rec: Recording, intrastep: np.ndarray | None, interstep: np.ndarray | None
) -> dict:
    """Per-epoch series for the chart: numeric metric columns and mean entropies."""
    epochs = [int(e) for e in rec.epochs]
    series: list[dict[str, Any]] = []
    m = rec.metrics
    if m is not None and len(m.columns):
        m = m.reindex(rec.epochs)
        for col in m.columns:
            values = pd.to_numeric(m[col], errors="coerce").to_numpy(dtype=float)
            if np.isfinite(values).any():
                series.append({"name": str(col), "values": _nan_to_none(values)})
    E = rec.n_epochs
    for name, arr in (
        ("intra-step entropy (mean)", intrastep),
        ("inter-step entropy (mean)", interstep),
    ):
        if arr is not None:
            per_epoch = arr.reshape(E, -1)
            with np.errstate(all="ignore"):
                counts = np.isfinite(per_epoch).sum(axis=1)
                sums = np.nansum(per_epoch, axis=1)
                means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            series.append({"name": name, "values": _nan_to_none(means)})
    return {"epochs": epochs, "series": series}


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def labels_dict(rec: Recording, cluster_names: list[str] | None) -> dict[str, Any]:
    meta: Mapping[str, Any] = rec.metadata or {}
    layer = meta.get("layer", meta.get("model", ""))
    return {
        "epochs": [int(e) for e in rec.epochs],
        "timesteps": [int(t) for t in rec.timesteps],
        "units": [str(u) for u in rec.units],
        "class_names": list(rec.class_names) if rec.class_names else _default_class_names(rec),
        "cluster_names": cluster_names or [],
        "layer": "" if layer is None else str(layer),
    }


def _default_class_names(rec: Recording) -> list[str]:
    if rec.sample_labels is None or not len(rec.sample_labels):
        return []
    return [str(c) for c in range(int(rec.sample_labels.max()) + 1)]


def build_payload(
    embedding: np.ndarray,
    rec: Recording,
    *,
    intrastep: Any = None,
    interstep: Any = None,
    clusters: Any = None,
) -> dict[str, Any]:
    """All data traits of the widget (binary buffers as ``bytes``)."""
    E, T, U, _ = rec.shape
    intra = None if intrastep is None else intrastep_values(intrastep, rec)
    inter = None if interstep is None else interstep_values(interstep, rec)
    codes, names = (None, None) if clusters is None else cluster_codes(clusters, rec)
    node_class = node_class_codes(rec)
    return {
        "_shape": [int(E), int(T), int(U)],
        "_n_components": int(embedding.shape[1]),
        "_positions": np.ascontiguousarray(embedding, dtype=np.float32).tobytes(),
        "_node_class": b"" if node_class is None else node_class.tobytes(),
        "_clusters": b"" if codes is None else codes.tobytes(),
        "_intrastep": b"" if intra is None else intra.astype(np.float32).tobytes(),
        "_interstep": b"" if inter is None else inter.astype(np.float32).tobytes(),
        "_labels": labels_dict(rec, names),
        "_metrics": metrics_series(rec, intra, inter),
    }


def node_table(
    rec: Recording,
    embedding: np.ndarray,
    *,
    clusters: bytes = b"",
    intrastep: bytes = b"",
    interstep: bytes = b"",
) -> pd.DataFrame:
    """All nodes: ``node, epoch, timestep, unit, x, y(, z)`` plus cluster / entropies if given
    (the binary payload arrays, so the table shows exactly what the browser draws)."""
    df = rec.nodes() if callable(rec.nodes) else rec.nodes
    df = df.copy()
    df.insert(0, "node", np.arange(len(df)))
    for k, name in enumerate("xyz"[: embedding.shape[1]]):
        df[name] = embedding[:, k]
    E, T, U, _ = rec.shape
    if clusters:
        df["cluster"] = np.tile(np.frombuffer(clusters, dtype=np.int32), E * T)
    if intrastep:
        df["intrastep_entropy"] = np.repeat(np.frombuffer(intrastep, np.float32), U)
    if interstep:
        inter = np.frombuffer(interstep, np.float32).reshape(E, 1, U)
        df["interstep_entropy"] = np.broadcast_to(inter, (E, T, U)).ravel()
    return df
