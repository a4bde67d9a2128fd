"""Run MM-PHATE and the baselines on one recording and tabulate every quality metric.

One row per method; columns (see :mod:`mmphate.analysis` for definitions):

``seconds``
    Wall-clock time of the embedding (fit) alone.
``np_within``, ``np_between``
    Neighbourhood preservation inside slices and across slices.
``trustworthiness``, ``continuity``
``demap``
    Only with ``ground_truth`` (e.g. from :func:`mmphate.record.datasets.synthetic_recording`).
``between_unit_variance``
    Share of the embedding's variance between the unit means
    (:func:`~mmphate.analysis.variance_partition`); the same share of the features and of the
    ground truth is in ``table.attrs`` (``between_unit_variance_features``,
    ``between_unit_variance_ground_truth``) for comparison.
``demap_within``
    DEMaP inside each unit, averaged (:func:`~mmphate.analysis.demap_within`), against the
    ground truth when given, else against the node features (``table.attrs["demap_within_vs"]``
    says which).
``demap_within_group``
    Only with a ground truth that has ``unit_groups`` (a SyntheticTruth): the same inside each
    group of units that share dynamics, where the units themselves should nearly coincide.
``stability_spearman``, ``stability_stress``
    Temporal stability between consecutive epochs (:func:`~mmphate.analysis.temporal_stability`);
    NaN for a single epoch.
``knn_overlap_vs_exact``, ``procrustes_vs_exact``
    Only when ``"mmphate_exact"`` is among the methods: fidelity of each
    embedding to the exact-kernel MM-PHATE embedding (the scalable kernel's
    fidelity is the ``"mmphate"`` row).
``intrastep_entropy``, ``interstep_entropy``
    With ``entropy=True``: mean histogram entropies (bits) of the embedding.

The ``"m_phate"`` method is the reference implementation (``m_phate.M_PHATE``, package
``m-phate``, not a dependency of mmphate); it is run by default when it can be imported.
:func:`sensitivity` scores MM-PHATE over a grid of diffusion times ``t`` and potentials
``gamma`` with the same columns.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._optional import MissingDependencyError
from .._validate import (
    InvalidParameterError,
    as_embedding,
    check_bool,
    check_int,
    check_number,
    check_seed,
    check_str_sequence,
    describe,
)
from . import _metrics as metrics
from ._baselines import BASELINES, embed_baseline, node_features
from ._entropy import interstep_entropy, intrastep_entropy
from ._stability import demap_within, temporal_stability, variance_partition

__all__ = ["compare_methods", "sensitivity", "METHODS"]

logger = logging.getLogger(__name__)

#: Names of the methods :func:`compare_methods` can run (``"m_phate"``: the reference
#: implementation, when the ``m-phate`` package is installed).
METHODS = ("mmphate", "mmphate_exact", "m_phate", *BASELINES)

#: What :func:`compare_methods` runs by default (plus ``"m_phate"`` when it can be imported).
DEFAULT_METHODS = ("mmphate", "pca", "tsne", "isomap", "umap")


def _reference_installed() -> bool:
    return importlib.util.find_spec("m_phate") is not None


def _embed_reference(
    recording: Any, n_components: int, random_state: int | None, params: Mapping[str, Any]
) -> np.ndarray:
    """``m_phate.M_PHATE`` on the ``(E*T, U, S)`` tensor; its nodes are in mmphate's order."""
    try:
        import m_phate
    except ImportError as exc:
        raise MissingDependencyError(
            "the reference M-PHATE row needs m-phate, which is not installed: pip install m-phate "
            "(it pins its own phate/graphtools; `make reference` builds it a separate environment)"
        ) from exc
    E, T, U, S = recording.shape
    X = np.asarray(recording.filled("carry"), dtype=np.float64).reshape(E * T, U, S)
    kw = {"verbose": 0, "n_jobs": 1, **params}
    op = m_phate.M_PHATE(n_components=n_components, random_state=random_state, **kw)
    return np.asarray(op.fit_transform(X), dtype=np.float64)


def _embed(
    method: str,
    recording: Any,
    features: np.ndarray,
    n_components: int,
    random_state: int | None,
    params: Mapping[str, Any],
) -> np.ndarray:
    if method == "m_phate":
        return _embed_reference(recording, n_components, random_state, params)
    if method in ("mmphate", "mmphate_exact"):
        from ..engine import MMPHATE

        kw = {"verbose": 0, **params}
        if method == "mmphate_exact":
            kw["interstep"] = "exact"
        est = MMPHATE(n_components=n_components, random_state=random_state, **kw)
        return np.asarray(est.fit_transform(recording))
    return embed_baseline(method, features, n_components, random_state=random_state, **params)


def _check_recording(recording: Any) -> None:
    if not hasattr(recording, "hidden") or not hasattr(recording, "filled"):
        raise TypeError(f"recording must be an mmphate.Recording; got {describe(recording)}.")


def _score(
    emb: np.ndarray,
    recording: Any,
    F: np.ndarray,
    ground_truth: Any,
    *,
    k_within: int,
    k_between: int,
    n_neighbors: int,
    max_samples: int,
    random_state: int | None,
    entropy: bool,
) -> dict[str, Any]:
    """Every quality metric of one embedding (one row of the comparison table)."""
    row: dict[str, Any] = {}
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
    E, T, U, _ = recording.shape
    spread = bool(np.ptp(emb, axis=0).max() > 0)  # a collapsed embedding has no shares
    row["between_unit_variance"] = (
        variance_partition(emb, recording)["between"] if spread else float("nan")
    )
    reference = F if ground_truth is None else getattr(ground_truth, "latent", ground_truth)
    row["demap_within"] = float("nan")
    if E * T >= 4:  # a unit needs a few nodes for its own k-NN graph
        row["demap_within"] = demap_within(
            emb,
            recording,
            reference,
            n_neighbors=n_neighbors,
            max_samples=min(max_samples, 300),
            max_groups=50,
            random_state=random_state,
        )
    unit_groups = getattr(ground_truth, "unit_groups", None)
    if unit_groups is not None:
        row["demap_within_group"] = demap_within(
            emb,
            recording,
            reference,
            groups=unit_groups,
            n_neighbors=n_neighbors,
            max_samples=min(max_samples, 300),
            random_state=random_state,
        )
    if E >= 2 and T * U >= 3 and spread:
        stab = temporal_stability(
            emb, recording, F, max_nodes=min(max_samples, 200), random_state=random_state
        )
        row["stability_spearman"], row["stability_stress"] = stab.spearman, stab.stress
    else:
        row["stability_spearman"] = row["stability_stress"] = float("nan")
    if entropy:
        row["intrastep_entropy"] = float(intrastep_entropy(emb, recording)["entropy"].mean())
        row["interstep_entropy"] = float(interstep_entropy(emb, recording)["entropy"].mean())
    return row


class _Truth:
    """A checked ground truth: ``latent`` (N, q) float64 and the ``unit_groups`` it came with."""

    def __init__(self, latent: np.ndarray, unit_groups: Any) -> None:
        self.latent, self.unit_groups = latent, unit_groups


def _check_truth(ground_truth: Any, n_nodes: int) -> _Truth | None:
    """The ground truth as finite (N, q) numbers in node order, checked before any embedding."""
    if ground_truth is None:
        return None
    latent = getattr(ground_truth, "latent", ground_truth)
    if hasattr(latent, "get_params") or hasattr(latent, "embedding_"):  # an estimator
        raise TypeError(
            "ground_truth must be the known latent coordinates, an (N, q) array or a "
            f"SyntheticTruth; got {describe(ground_truth)}."
        )
    Z = as_embedding(latent, "ground truth")
    if Z.shape[0] != n_nodes:
        raise ValueError(
            f"ground truth must have one row per node ({n_nodes:,} in node order); got {Z.shape}."
        )
    return _Truth(Z, getattr(ground_truth, "unit_groups", None))


def _reference_attrs(recording: Any, F: np.ndarray, ground_truth: Any) -> dict[str, Any]:
    """The between-unit variance of the reference spaces, to read the column against."""

    def share(points: Any) -> float:
        spread = np.ptp(np.asarray(getattr(points, "latent", points)), axis=0).max() > 0
        return variance_partition(points, recording)["between"] if spread else float("nan")

    out: dict[str, Any] = {
        "between_unit_variance_features": share(F),
        "demap_within_vs": "features" if ground_truth is None else "ground_truth",
    }
    if ground_truth is not None:
        out["between_unit_variance_ground_truth"] = share(ground_truth)
    return out


def compare_methods(
    recording: Any,
    methods: Sequence[str] | None = None,
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
    methods : sequence of str, optional
        Any of ``"mmphate"`` (scalable kernel), ``"mmphate_exact"`` (exact
        kernel, for fidelity), ``"m_phate"`` (the reference implementation; needs the
        ``m-phate`` package), ``"pca"``, ``"tsne"``, ``"isomap"``, ``"umap"``.  Default:
        ``"mmphate"``, the four baselines, and ``"m_phate"`` when it can be imported.
    ground_truth : array (N, q) or SyntheticTruth, optional
        Latent coordinates for the DEMaP scores and the ground truth's variance share.
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
        Subsample size of the metrics (seeded; the within-unit DEMaP uses at most 300
        geodesic sources per unit and 50 units, the temporal stability at most 200 nodes per
        epoch).
    entropy : bool
        Add mean intra- and inter-step entropy (histogram, bits).
    return_embeddings : bool
        Also return the embeddings by method.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, dict of embeddings)
        Indexed by method; ``attrs`` holds the neighbour counts and the between-unit
        variance share of the features (and of the ground truth).

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording, or ``params``/``embeddings`` are not dicts.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``methods`` is not a list of names (a single
        string is refused, not split into letters) or a count or seed is invalid.
    ValueError
        If a method is unknown, or a precomputed embedding does not match the recording.
    MissingDependencyError
        If ``"m_phate"`` (or a baseline needing ``mmphate[baselines]``) is asked for and its
        package is not installed.
    """
    _check_recording(recording)
    if methods is None:
        methods = DEFAULT_METHODS + (("m_phate",) if _reference_installed() else ())
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
    ground_truth = _check_truth(ground_truth, recording.n_nodes)
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
    scoring = {
        "k_within": k_within,
        "k_between": k_between,
        "n_neighbors": n_neighbors,
        "max_samples": max_samples,
        "random_state": random_state,
        "entropy": entropy,
    }
    rows = []
    for name, emb in embs.items():
        row: dict[str, Any] = {"method": name, "seconds": seconds[name]}
        row.update(_score(emb, recording, F, ground_truth, **scoring))
        if "mmphate_exact" in embs:
            fid = metrics.kernel_fidelity(
                emb, embs["mmphate_exact"], k=n_neighbors, random_state=random_state
            )
            row["knn_overlap_vs_exact"] = fid["knn_overlap"]
            row["procrustes_vs_exact"] = fid["procrustes_disparity"]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("method")
    table.attrs.update(
        {
            "k_within": k_within,
            "k_between": k_between,
            "n_neighbors": n_neighbors,
            "max_samples": max_samples,
            "n_nodes": int(E * T * U),
            **_reference_attrs(recording, F, ground_truth),
        }
    )
    if return_embeddings:
        return table, {k: np.asarray(v) for k, v in embs.items()}
    return table


def _grid_values(values: Any, name: str, check: Any) -> list[Any]:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = values.tolist()
    if isinstance(values, (str, int, float)) or not isinstance(values, Sequence) or not values:
        raise InvalidParameterError(
            f"{name} must be a non-empty list of values; got {describe(values)}."
        )
    return [check(v) for v in values]


def _check_t(v: Any) -> Any:
    if isinstance(v, str) and v == "auto":
        return v
    return check_int(v, "t values", minimum=1)


def sensitivity(
    recording: Any,
    t: Sequence[int | str] = ("auto", 5, 20, 50),
    gamma: Sequence[float] = (1.0, 0.0),
    ground_truth: Any = None,
    *,
    n_components: int = 2,
    random_state: int | None = 0,
    params: Mapping[str, Any] | None = None,
    n_neighbors: int = 10,
    max_samples: int = 2000,
    entropy: bool = False,
) -> pd.DataFrame:
    """MM-PHATE's quality scores over a grid of diffusion times and potentials.

    One MM-PHATE fit per ``(t, gamma)`` pair, scored with the columns of
    :func:`compare_methods` (``t_used`` is the diffusion time the fit used, the chosen one for
    ``"auto"``).

    Parameters
    ----------
    recording : Recording
    t : sequence of int or "auto"
        Diffusion times.
    gamma : sequence of float
        Informational-distance potentials in [-1, 1] (1: log potential, 0: square root).
    ground_truth : array (N, q) or SyntheticTruth, optional
        For the DEMaP scores.
    n_components : int
    random_state : int or None
        Seed of every fit and of the metrics' subsampling.
    params : dict, optional
        Further MMPHATE parameters, the same for every fit (not ``t`` or ``gamma``).
    n_neighbors, max_samples, entropy
        As in :func:`compare_methods`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(t, gamma)``.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording or ``params`` is not a dict.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``t`` or ``gamma`` is not a non-empty list of
        valid values, ``params`` sets ``t`` or ``gamma``, or a count or seed is invalid.
    """
    from ..engine import MMPHATE

    _check_recording(recording)
    ts = _grid_values(t, "t", _check_t)
    gammas = _grid_values(
        gamma, "gamma", lambda v: check_number(v, "gamma values", low=-1.0, high=1.0)
    )
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of MMPHATE parameters; got {describe(params)}.")
    params = dict(params or {})
    clash = sorted({"t", "gamma", "n_components", "random_state"} & set(params))
    if clash:
        raise InvalidParameterError(f"params must not set {clash}; they are arguments here.")
    n_components = check_int(n_components, "n_components", minimum=1)
    random_state = check_seed(random_state, generator=False)
    check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(max_samples, "max_samples", minimum=2)
    check_bool(entropy, "entropy")
    ground_truth = _check_truth(ground_truth, recording.n_nodes)
    E, T, U, _ = recording.shape
    F = node_features(recording)
    scoring = {
        "k_within": min(5, U - 2),
        "k_between": min(10, E * T - 2),
        "n_neighbors": n_neighbors,
        "max_samples": max_samples,
        "random_state": random_state,
        "entropy": entropy,
    }
    rows = []
    for tv, gv in itertools.product(ts, gammas):
        logger.info("MM-PHATE with t=%s, gamma=%s", tv, gv)
        est = MMPHATE(
            n_components=n_components,
            t=tv,
            gamma=gv,
            random_state=random_state,
            **{"verbose": 0, **params},
        )
        t0 = time.perf_counter()
        emb = np.asarray(est.fit_transform(recording))
        row: dict[str, Any] = {"t": tv, "gamma": gv, "t_used": int(est.t_)}
        row["seconds"] = time.perf_counter() - t0
        row.update(_score(emb, recording, F, ground_truth, **scoring))
        rows.append(row)
    table = pd.DataFrame(rows).set_index(["t", "gamma"])
    table.attrs.update(_reference_attrs(recording, F, ground_truth))
    return table
