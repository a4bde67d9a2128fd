"""Quality metrics for embeddings of the nodes (any method, same footing).

All functions take an ``(N, d)`` embedding in slice-major node order.  The
reference space is the z-scored node features
(:func:`mmphate.analysis.node_features`) unless stated otherwise.

- :func:`neighborhood_preservation_within` -- inside each slice ``(e, t)``, the
  mean overlap ``|kNN_features(u) & kNN_embedding(u)| / k`` over the slice's
  units.  ``k`` must be below ``U - 1``: with ``k = U - 1`` every unit's
  neighbours are all the others and the score is trivially 1.
- :func:`neighborhood_preservation_between` -- the same for each unit across
  slices: its ``E*T`` nodes, neighbours among the nodes of the same unit.
- :func:`trustworthiness_continuity` -- scikit-learn's trustworthiness
  (are embedding neighbours true neighbours?) and continuity (the same with
  the roles swapped: are true neighbours kept?), on a seeded subsample.
- :func:`demap` -- DEMaP-style (Moon et al. 2019): Spearman correlation
  between ground-truth geodesic distances (shortest paths in a k-NN graph of
  the ground-truth latent coordinates) and Euclidean embedding distances, on a
  seeded subsample of nodes.
- :func:`kernel_fidelity` -- between two embeddings of the same nodes (e.g. the
  scalable and the exact kernel): mean k-NN overlap and Procrustes disparity
  (:func:`scipy.spatial.procrustes`, 0 = identical up to rotation, scaling and
  translation).

Subsampling and neighbour counts are ours; every random choice is seeded.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import procrustes
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from .._validate import (
    as_embedding,
    check_features,
    check_int,
    check_node_source,
    check_seed,
    describe,
)
from ._entropy import check_embedding, node_layout

__all__ = [
    "neighborhood_preservation_within",
    "neighborhood_preservation_between",
    "trustworthiness_continuity",
    "demap",
    "kernel_fidelity",
    "knn_overlap",
]


def _features_for(features: Any, recording: Any) -> np.ndarray:
    if features is None:
        from ._baselines import node_features

        return node_features(recording)
    F = getattr(features, "hidden", None)
    if F is not None:
        from ._baselines import node_features

        return node_features(features)
    F = np.asarray(features, dtype=np.float32)
    if F.ndim == 4:
        from ._baselines import node_features

        return node_features(F)
    if F.ndim != 2:
        raise ValueError(f"features must be (N, S) or (E, T, U, S); got shape {F.shape}.")
    return F


def _batched_knn(P: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k nearest other points inside each group: P (G, n, f) -> (G, n, k)."""
    G, n, _ = P.shape
    out = np.empty((G, n, k), dtype=np.int64)
    chunk = max(1, 10_000_000 // (n * n))
    idx = np.arange(n)
    for s in range(0, G, chunk):
        p = P[s : s + chunk].astype(np.float64)
        sq = np.einsum("gnf,gnf->gn", p, p)
        d2 = sq[:, :, None] + sq[:, None, :] - 2.0 * np.einsum("gnf,gmf->gnm", p, p)
        d2[:, idx, idx] = np.inf
        part = np.argpartition(d2, k - 1, axis=2)[:, :, :k]
        out[s : s + chunk] = part
    return out


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise |a & b| / k for integer index arrays (..., k) without duplicates."""
    k = a.shape[-1]
    hits = (a[..., :, None] == b[..., None, :]).any(axis=-1).sum(axis=-1)
    return hits / k


def neighborhood_preservation_within(
    embedding: Any,
    recording: Any,
    *,
    features: Any = None,
    k: int = 5,
    max_slices: int | None = 2000,
    random_state: int | None = 0,
) -> float:
    """Mean k-NN overlap between features and embedding inside each slice.

    Parameters
    ----------
    embedding : (N, d) array
    recording : Recording or shape
        Shape; also the source of the features when ``features`` is None.
    features : (N, S) array, (E, T, U, S) array or Recording, optional
        Reference space (default: the recording's z-scored node features).
    k : int
        Neighbours per unit; ``1 <= k < U - 1``.
    max_slices : int or None
        Evaluate at most this many slices (seeded random subset).
    random_state : int or None

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If an estimator passed as an embedding is not fitted.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If an embedding or the reference features are not finite numeric arrays of matching
        rows, or ``k`` does not fit the number of points.
    """
    embedding = as_embedding(embedding)
    recording = check_node_source(recording)
    check_features(features)
    k = check_int(k, "k", minimum=1)
    random_state = check_seed(random_state)
    check_int(max_slices, "max_slices", minimum=1, optional=True)
    layout = node_layout(recording)
    emb = check_embedding(embedding, layout)
    E, T, U = layout.shape
    if not 1 <= k < U - 1:
        raise ValueError(
            f"k must satisfy 1 <= k < units - 1 = {U - 1} (with k = {U - 1} every unit's "
            f"neighbours are all the other units and the score is trivially 1); got k = {k}."
        )
    F = _features_for(features, recording)
    if F.shape[0] != layout.n_nodes:
        raise ValueError(f"features have {F.shape[0]} rows; expected {layout.n_nodes} nodes.")
    slices = np.arange(E * T)
    if max_slices is not None and len(slices) > max_slices:
        slices = np.sort(np.random.default_rng(random_state).choice(slices, max_slices, False))
    Pf = F.reshape(E * T, U, -1)[slices]
    Pe = emb.reshape(E * T, U, -1)[slices]
    return float(_overlap(_batched_knn(Pf, k), _batched_knn(Pe, k)).mean())


def neighborhood_preservation_between(
    embedding: Any,
    recording: Any,
    *,
    features: Any = None,
    k: int = 10,
    max_nodes_per_unit: int | None = 1000,
    random_state: int | None = 0,
) -> float:
    """Mean k-NN overlap between features and embedding among each unit's nodes across slices.

    For every unit ``u``, its ``E*T`` nodes (one per slice) are compared with
    each other only; neighbours in feature space vs in the embedding.  At most
    ``max_nodes_per_unit`` nodes per unit are used (seeded subset).  ``k`` must
    be below the number of nodes used per unit minus one.

    Parameters
    ----------
    embedding : (N, d) array
    recording : Recording or shape
        Shape; also the source of the features when ``features`` is None.
    features : (N, S) array, (E, T, U, S) array or Recording, optional
        Reference space (default: the recording's z-scored node features).
    k : int
        Neighbours per node, among the nodes of its unit.
    max_nodes_per_unit : int or None
        Use at most this many nodes of each unit (seeded random subset).
    random_state : int or None
        Seed of the subsets.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If an estimator passed as an embedding is not fitted.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If an embedding or the reference features are not finite numeric arrays of matching
        rows, or ``k`` does not fit the number of points.
    """
    embedding = as_embedding(embedding)
    recording = check_node_source(recording)
    check_features(features)
    k = check_int(k, "k", minimum=1)
    random_state = check_seed(random_state)
    check_int(max_nodes_per_unit, "max_nodes_per_unit", minimum=2, optional=True)
    layout = node_layout(recording)
    emb = check_embedding(embedding, layout)
    E, T, U = layout.shape
    F = _features_for(features, recording)
    if F.shape[0] != layout.n_nodes:
        raise ValueError(f"features have {F.shape[0]} rows; expected {layout.n_nodes} nodes.")
    n = E * T
    slices = np.arange(n)
    if max_nodes_per_unit is not None and n > max_nodes_per_unit:
        slices = np.sort(
            np.random.default_rng(random_state).choice(n, max_nodes_per_unit, replace=False)
        )
    m = len(slices)
    if not 1 <= k < m - 1:
        raise ValueError(
            f"k must satisfy 1 <= k < slices - 1 = {m - 1} for the between-slice score; got {k}."
        )
    Pf = F.reshape(n, U, -1)[slices].transpose(1, 0, 2)
    Pe = emb.reshape(n, U, -1)[slices].transpose(1, 0, 2)
    scores = []
    for u in range(U):  # one k-NN search per unit (not per slice)
        nf = NearestNeighbors(n_neighbors=k + 1).fit(Pf[u]).kneighbors(return_distance=False)
        ne = NearestNeighbors(n_neighbors=k + 1).fit(Pe[u]).kneighbors(return_distance=False)
        scores.append(_overlap(nf[:, :k], ne[:, :k]).mean())
    return float(np.mean(scores))


def _subsample(N: int, max_samples: int | None, random_state: int | None) -> np.ndarray:
    if max_samples is None or N <= max_samples:
        return np.arange(N)
    return np.sort(np.random.default_rng(random_state).choice(N, max_samples, replace=False))


def trustworthiness_continuity(
    embedding: Any,
    features: Any,
    *,
    n_neighbors: int = 10,
    max_samples: int | None = 2000,
    random_state: int | None = 0,
) -> tuple[float, float]:
    """Trustworthiness and continuity of an embedding against the features.

    ``features`` is the reference space: an ``(N, S)`` array, an
    ``(E, T, U, S)`` array or a Recording (z-scored node features).
    Computed on a seeded subsample of ``max_samples`` nodes.

    Parameters
    ----------
    embedding : (N, d) array or fitted MMPHATE
    features : (N, S) array, (E, T, U, S) array or Recording
        The reference space.
    n_neighbors : int
        Neighbourhood size of both scores.
    max_samples : int or None
        Subsample size (None: all nodes).
    random_state : int or None
        Seed of the subsample.

    Returns
    -------
    (trustworthiness, continuity)

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If an estimator passed as an embedding is not fitted.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If an embedding or the reference features are not finite numeric arrays of matching
        rows, or ``k`` does not fit the number of points.
    """
    embedding = as_embedding(embedding)
    if features is None:
        raise TypeError(
            "features are required: an (N, S) array, an (E, T, U, S) array or a Recording."
        )
    check_features(features)
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(max_samples, "max_samples", minimum=2, optional=True)
    random_state = check_seed(random_state)
    F = _features_for(features, None)
    emb = np.asarray(getattr(embedding, "embedding_", embedding), dtype=np.float64)
    if emb.shape[0] != F.shape[0]:
        raise ValueError(f"embedding has {emb.shape[0]} rows; features {F.shape[0]}.")
    idx = _subsample(F.shape[0], max_samples, random_state)
    if n_neighbors >= len(idx) / 2:
        raise ValueError(
            f"n_neighbors must be below half the number of points used ({len(idx)}); "
            f"got {n_neighbors}."
        )
    Fs, Es = F[idx].astype(np.float64), emb[idx]
    t = trustworthiness(Fs, Es, n_neighbors=n_neighbors)
    c = trustworthiness(Es, Fs, n_neighbors=n_neighbors)
    return float(t), float(c)


def demap(
    embedding: Any,
    ground_truth: Any,
    *,
    n_neighbors: int = 10,
    max_samples: int | None = 1000,
    random_state: int | None = 0,
) -> float:
    """DEMaP-style score: Spearman(ground-truth geodesic distance, embedding distance).

    Parameters
    ----------
    embedding : (N, d) array
    ground_truth : (N, q) array or an object with ``latent``
        Ground-truth latent coordinates in node order (e.g.
        ``synthetic_recording(...)[1]``).
    n_neighbors : int
        k of the ground-truth k-NN graph (symmetrised, Euclidean edge lengths).
    max_samples : int or None
        Geodesics are computed from a seeded subset of this many nodes, on the
        graph of *all* nodes; pairs among the subset are scored.
    random_state : int or None
        Seed of the subset.

    Returns
    -------
    float
        Spearman correlation; pairs in different components of the graph are
        left out (with a warning).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If an estimator passed as an embedding is not fitted.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If an embedding or the reference features are not finite numeric arrays of matching
        rows, or ``k`` does not fit the number of points.
    """
    embedding = as_embedding(embedding)
    ground_truth = as_embedding(getattr(ground_truth, "latent", ground_truth), "ground truth")
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(max_samples, "max_samples", minimum=2, optional=True)
    random_state = check_seed(random_state)
    Z = np.asarray(getattr(ground_truth, "latent", ground_truth), dtype=np.float64)
    emb = np.asarray(getattr(embedding, "embedding_", embedding), dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] != emb.shape[0]:
        raise ValueError(
            f"ground truth must be (N, q) with N = {emb.shape[0]} rows in node order; got {Z.shape}."
        )
    rho, missing, pairs = geodesic_spearman(emb, Z, n_neighbors, max_samples, random_state)
    if missing:
        warnings.warn(
            f"{missing} of {pairs} pairs are in different components of the ground-truth "
            f"k-NN graph and are left out; raise n_neighbors to connect it.",
            stacklevel=2,
        )
    return rho


def geodesic_spearman(
    emb: np.ndarray,
    Z: np.ndarray,
    n_neighbors: int,
    max_samples: int | None,
    random_state: int | None,
) -> tuple[float, int, int]:
    """Spearman(geodesic distance in a k-NN graph of ``Z``, Euclidean distance in ``emb``).

    The DEMaP core (internal): the graph is the symmetrised k-NN graph of *all* rows of ``Z``
    (Euclidean edge lengths); geodesics are computed from a seeded subset of ``max_samples``
    rows and the pairs among that subset are scored.  Returns ``(rho, pairs left out because
    they lie in different components, pairs)``; ``rho`` is NaN with fewer than 3 pairs or when
    either set of distances is constant.
    """
    N = Z.shape[0]
    knn = NearestNeighbors(n_neighbors=min(n_neighbors, N - 1)).fit(Z)
    G = knn.kneighbors_graph(mode="distance")
    G = sp.csr_matrix(G.maximum(G.T))
    idx = _subsample(N, max_samples, random_state)
    geo = dijkstra(G, directed=False, indices=idx)[:, idx]
    iu = np.triu_indices(len(idx), k=1)
    g = geo[iu]
    d = np.sqrt(((emb[idx][:, None, :] - emb[idx][None, :, :]) ** 2).sum(-1))[iu]
    ok = np.isfinite(g)
    missing = int((~ok).sum())
    if ok.sum() < 3 or np.ptp(d[ok]) == 0 or np.ptp(g[ok]) == 0:  # no ranking to correlate
        return float("nan"), missing, len(g)
    return float(stats.spearmanr(g[ok], d[ok])[0]), missing, len(g)


def knn_overlap(a: np.ndarray, b: np.ndarray, k: int = 10, idx: np.ndarray | None = None) -> float:
    """Mean overlap of the k nearest neighbours of each point in ``a`` and in ``b``.

    Parameters
    ----------
    a, b : (n, d) arrays
        Two embeddings of the same points, in the same order.
    k : int
        Neighbours per point (``1 <= k < n``), the point itself excluded.
    idx : array of int, optional
        Compare only these points (neighbours are searched among them).

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError, TypeError
        If ``a`` or ``b`` is not a finite numeric array, they have different numbers of rows,
        ``k`` is not in ``1..rows - 1`` or ``idx`` holds positions outside the rows.
    """
    a = as_embedding(a, "a")
    b = as_embedding(b, "b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"a and b must embed the same points; got {a.shape[0]} and {b.shape[0]} rows."
        )
    k = check_int(k, "k", minimum=1)
    if idx is not None:
        idx = np.asarray(idx)
        if (
            idx.ndim != 1
            or idx.dtype.kind not in "iu"
            or (idx.size and not (0 <= idx.min() and idx.max() < a.shape[0]))
        ):
            raise ValueError(
                f"idx must be 1-D row positions in [0, {a.shape[0] - 1}]; got {describe(idx)}."
            )
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if idx is not None:
        a, b = a[idx], b[idx]
    if not 1 <= k < a.shape[0]:
        raise ValueError(f"k must be between 1 and the number of points minus one; got {k}.")
    na = NearestNeighbors(n_neighbors=k).fit(a).kneighbors(return_distance=False)
    nb = NearestNeighbors(n_neighbors=k).fit(b).kneighbors(return_distance=False)
    return float(_overlap(na, nb).mean())


def kernel_fidelity(
    embedding: Any,
    reference: Any,
    *,
    k: int = 10,
    max_samples: int | None = 5000,
    random_state: int | None = 0,
) -> dict[str, float]:
    """How closely one embedding reproduces another of the same nodes.

    Typically the scalable kernel's embedding against the exact kernel's.
    Both the k-NN overlap and the Procrustes disparity use the same seeded
    subsample of at most ``max_samples`` nodes.

    Parameters
    ----------
    embedding, reference : (N, d) arrays or fitted MMPHATE
        The embedding to score and the one it should reproduce.
    k : int
        Neighbours per node of the k-NN overlap.
    max_samples : int or None
        Subsample size (None: all nodes).
    random_state : int or None
        Seed of the subsample.

    Returns
    -------
    dict
        ``knn_overlap`` (1 = same neighbourhoods) and ``procrustes_disparity``
        (0 = same shape up to rotation, reflection, scaling and translation).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If an estimator passed as an embedding is not fitted.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If an embedding is not a finite numeric array, or the two have different shapes.
    """
    embedding = as_embedding(embedding)
    reference = as_embedding(reference, "reference")
    k = check_int(k, "k", minimum=1)
    check_int(max_samples, "max_samples", minimum=2, optional=True)
    random_state = check_seed(random_state)
    A = np.asarray(getattr(embedding, "embedding_", embedding), dtype=np.float64)
    B = np.asarray(getattr(reference, "embedding_", reference), dtype=np.float64)
    if A.shape != B.shape:
        raise ValueError(f"embeddings must have the same shape; got {A.shape} and {B.shape}.")
    idx = _subsample(A.shape[0], max_samples, random_state)
    _, _, disparity = procrustes(B[idx], A[idx])
    return {
        "knn_overlap": knn_overlap(A, B, k=k, idx=idx),
        "procrustes_disparity": float(disparity),
    }
