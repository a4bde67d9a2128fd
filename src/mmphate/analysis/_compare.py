"""Run MM-PHATE and the baselines on one recording and tabulate every quality metric.

One row per method; columns (see :mod:`mmphate.analysis` for definitions):

``seconds``
    Wall-clock time of the embedding (fit) alone.
``np_within``, ``np_between``
    Neighbourhood preservation inside slices and across slices.
``trustworthiness``, ``continuity``
``demap``
    Only with ``ground_truth`` (e.g. from :func:`mmphate.record.datasets.synthetic_recording`).
``knn_overlap_vs_exact``, ``procrustes_vs_exact``
    Only when ``"mmphate_exact"`` is among the methods: fidelity of each
    embedding to the exact-kernel MM-PHATE embedding (the scalable kernel's
    fidelity is the ``"mmphate"`` row).
``intrastep_entropy``, ``interstep_entropy``
    With ``entropy=True``: mean histogram entropies (bits) of the embedding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_bool, check_int, check_seed, check_str_sequence, describe
from . import _metrics as metrics
from ._baselines import BASELINES, embed_baseline, node_features
from ._entropy import interstep_entropy, intrastep_entropy

__all__ = ["compare_methods", "METHODS"]

logger = logging.getLogger(__name__)

#: Names of the methods :func:`compare_methods` can run.
METHODS = ("mmphate", "mmphate_exact", *BASELINES)


def _embed(
    method: str,
    recording: Any,
    features: np.ndarray,
    n_components: int,
    random_state: int | None,
    params: Mapping[str, Any],
) -> np.ndarray:
    if method in ("mmphate", "mmphate_exact"):
        from ..engine import MMPHATE

        kw = {"verbose": 0, **params}
        if method == "mmphate_exact":
            kw["interstep"] = "exact"
        est = MMPHATE(n_components=n_components, random_state=random_state, **kw)
        return np.asarray(est.fit_transform(recording))
    return embed_baseline(method, features, n_components, random_state=random_state, **params)


def compare_methods(
    recording: Any,
    methods: Sequence[str] = ("mmphate", "pca", "tsne", "isomap", "umap"),
    ground_truth: Any = None,
    *,
    n_components: int = 2,
    random_state: int | None = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    embeddings: Mapping[str, Any] | None = None,
    k_within: int | None = None,
    k_between: int = 10,
    n_neighbors: int = 10,
    max_samples: int = 2000,
    entropy: bool = True,
    return_embeddings: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Embed one recording with several methods and compare them on every metric.

    Parameters
    ----------
    recording : Recording
        The recording (its z-scored node features are the reference space).
    methods : sequence of str
        Any of ``"mmphate"`` (scalable kernel), ``"mmphate_exact"`` (exact
        kernel, for fidelity), ``"pca"``, ``"tsne"``, ``"isomap"``, ``"umap"``.
    ground_truth : array (N, q) or SyntheticTruth, optional
        Latent coordinates for the DEMaP score.
    n_components : int
    random_state : int or None
        Seed of every method and of every metric's subsampling.
    params : dict, optional
        Extra keyword arguments per method, e.g. ``{"mmphate": {"t": 20},
        "tsne": {"perplexity": 50}}``.
    embeddings : dict, optional
        Precomputed ``(N, d)`` embeddings by name; these are scored as given
        (``seconds`` is NaN) and added to the table.
    k_within : int, optional
        Neighbours for within-slice preservation (default ``min(5, U - 2)``).
    k_between, n_neighbors : int
        Neighbours for between-slice preservation and for
        trustworthiness / continuity / DEMaP.
    max_samples : int
        Subsample size of the metrics (seeded).
    entropy : bool
        Add mean intra- and inter-step entropy (histogram, bits).
    return_embeddings : bool
        Also return the embeddings by method.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, dict of embeddings)
        Indexed by method.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording, or ``params``/``embeddings`` are not dicts.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``methods`` is not a list of names (a single
        string is refused, not split into letters) or a count or seed is invalid.
    ValueError
        If a method is unknown, or a precomputed embedding does not match the recording.
    """
    if not hasattr(recording, "hidden") or not hasattr(recording, "filled"):
        raise TypeError(f"recording must be an mmphate.Recording; got {describe(recording)}.")
    methods = check_str_sequence(methods, "methods")
    if not methods and not embeddings:
        raise ValueError("compare_methods needs at least one method (or precomputed embeddings).")
    n_components = check_int(n_components, "n_components", minimum=1)
    random_state = check_seed(random_state, generator=False)
    for what, value in (("params", params), ("embeddings", embeddings)):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{what} must be a dict by method name; got {describe(value)}.")
    for name, p in (params or {}).items():
        if not isinstance(p, Mapping):
            raise TypeError(
                f"params[{name!r}] must be a dict of keyword arguments; got {describe(p)}."
            )
    check_int(k_within, "k_within", minimum=1, optional=True)
    check_int(k_between, "k_between", minimum=1)
    check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(max_samples, "max_samples", minimum=2)
    check_bool(entropy, "entropy")
    check_bool(return_embeddings, "return_embeddings")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {METHODS}.")
    params = dict(params or {})
    E, T, U, _ = recording.shape
    if k_within is None:
        k_within = min(5, U - 2)
    F = node_features(recording)
    embs: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for m in methods:
        logger.info("embedding with %s", m)
        t0 = time.perf_counter()
        embs[m] = _embed(m, recording, F, n_components, random_state, params.get(m, {}))
        seconds[m] = time.perf_counter() - t0
    for name, e in (embeddings or {}).items():
        embs[name] = np.asarray(getattr(e, "embedding_", e))
        seconds[name] = float("nan")
    k_between = min(k_between, E * T - 2)
    rows = []
    for name, emb in embs.items():
        row: dict[str, Any] = {"method": name, "seconds": seconds[name]}
        row["np_within"] = (
            metrics.neighborhood_preservation_within(
                emb, recording, features=F, k=k_within, random_state=random_state
            )
            if k_within >= 1
            else float("nan")
        )
        row["np_between"] = (
            metrics.neighborhood_preservation_between(
                emb, recording, features=F, k=k_between, random_state=random_state
            )
            if k_between >= 1
            else float("nan")
        )
        row["trustworthiness"], row["continuity"] = metrics.trustworthiness_continuity(
            emb, F, n_neighbors=n_neighbors, max_samples=max_samples, random_state=random_state
        )
        if ground_truth is not None:
            row["demap"] = metrics.demap(
                emb,
                ground_truth,
                n_neighbors=n_neighbors,
                max_samples=min(max_samples, 1000),
                random_state=random_state,
            )
        if "mmphate_exact" in embs:
            fid = metrics.kernel_fidelity(
                emb, embs["mmphate_exact"], k=n_neighbors, random_state=random_state
            )
            row["knn_overlap_vs_exact"] = fid["knn_overlap"]
            row["procrustes_vs_exact"] = fid["procrustes_disparity"]
        if entropy:
            row["intrastep_entropy"] = float(intrastep_entropy(emb, recording)["entropy"].mean())
            row["interstep_entropy"] = float(interstep_entropy(emb, recording)["entropy"].mean())
        rows.append(row)
    table = pd.DataFrame(rows).set_index("method")
    table.attrs.update(
        {
            "k_within": k_within,
            "k_between": k_between,
            "n_neighbors": n_neighbors,
            "max_samples": max_samples,
            "n_nodes": int(E * T * U),
        }
    )
    if return_embeddings:
        return table, {k: np.asarray(v) for k, v in embs.items()}
    return table
