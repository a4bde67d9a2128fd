"""Clusters of hidden units by how they move through an embedding.

Our definition (the paper groups units visually): each unit is described by a
feature vector, then clustered; the number of clusters is the one with the
highest mean silhouette over ``k_range`` (ties go to the smaller ``k``).

Features (``features=``):

``"trajectory"`` (default)
    The unit's positions through the embedding, all epochs x timesteps,
    flattened: ``embedding.reshape(E, T, U, d)`` -> ``(U, E*T*d)``.  Units that
    travel together cluster together.
``"affinity"``
    The unit's row of the intra-step affinities averaged over all slices.  With
    ``kernel=`` (e.g. ``MMPHATE.kernel_``), the intra-step (block-diagonal)
    entries of that sparse N x N kernel are averaged; without it, a Gaussian
    affinity of the embedding distances inside each slice (bandwidth: the median
    within-slice distance) is averaged.

Clustering (``method=``): ``"kmeans"`` (k-means++, ``n_init=10``, seeded) or
``"agglomerative"`` (Ward).  Labels are renumbered in order of first
appearance across units, so the same partition always gets the same labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from .._validate import (
    InvalidParameterError,
    as_embedding,
    check_choice,
    check_int,
    check_kernel_arg,
    check_node_source,
    check_seed,
    describe,
)
from ._entropy import check_embedding, node_layout

__all__ = ["cluster_units", "ClusterResult"]

_METHODS = ("kmeans", "agglomerative")
_FEATURES = ("trajectory", "affinity")


@dataclass
class ClusterResult:
    """Result of :func:`cluster_units`.

    Attributes
    ----------
    labels : numpy.ndarray of int, shape (U,)
        Cluster of each unit, in the recording's unit order.
    n_clusters : int
        The chosen number of clusters.
    scores : pandas.Series
        Mean silhouette for each ``k`` tried (empty when ``k`` was given and a
        score was impossible).
    units : numpy.ndarray
        Unit ids, aligned with ``labels``.
    criterion : str
        How ``n_clusters`` was chosen.
    features : numpy.ndarray
        The (U, f) feature matrix that was clustered.
    """

    labels: np.ndarray
    n_clusters: int
    scores: pd.Series
    units: np.ndarray
    criterion: str
    features: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """``unit``, ``cluster`` per unit."""
        return pd.DataFrame({"unit": self.units, "cluster": self.labels})


def _canonical(labels: np.ndarray) -> np.ndarray:
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)  # clusters sorted by first appearance
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[np.searchsorted(np.unique(labels), labels)]


def _affinity_features(emb: np.ndarray, E: int, T: int, U: int, kernel: Any) -> np.ndarray:
    N = E * T * U
    if kernel is not None:
        K = sp.coo_matrix(kernel)
        if K.shape != (N, N):
            raise ValueError(f"kernel must be N x N with N = {N}; got {K.shape}.")
        same = (K.row // U) == (K.col // U)
        A = np.zeros((U, U))
        np.add.at(A, (K.row[same] % U, K.col[same] % U), K.data[same])
        return A / (E * T)
    pts = emb.reshape(E * T, U, -1)

    def sq(p: np.ndarray) -> np.ndarray:
        return ((p[:, :, None, :] - p[:, None, :, :]) ** 2).sum(-1)

    # bandwidth: median squared within-slice distance over (up to) 256 evenly spaced slices
    probe = sq(pts[np.linspace(0, E * T - 1, min(E * T, 256)).astype(int)])
    bw = float(np.median(probe[:, ~np.eye(U, dtype=bool)])) or 1.0
    A = np.zeros((U, U))
    chunk = max(1, 5_000_000 // (U * U))
    for s in range(0, E * T, chunk):
        A += np.exp(-sq(pts[s : s + chunk]) / bw).sum(axis=0)
    return A / (E * T)


def cluster_units(
    embedding: Any,
    recording: Any,
    *,
    n_clusters: int | str = "auto",
    k_range: tuple[int, int] = (2, 8),
    method: str = "kmeans",
    features: str = "trajectory",
    kernel: Any = None,
    random_state: int | None = 0,
) -> ClusterResult:
    """Group units by how they move through the embedding.

    Parameters
    ----------
    embedding : array of shape (N, d) or fitted MMPHATE
        Node coordinates in slice-major order.
    recording : Recording, fitted MMPHATE, or tuple
        Shape and unit ids (or a plain ``(E, T, U)`` shape).
    n_clusters : "auto" or int
        ``"auto"``: the ``k`` in ``k_range`` (inclusive, capped at ``U - 1`` and at
        the number of distinct feature vectors)
        with the highest mean silhouette.
    k_range : (int, int)
        Smallest and largest ``k`` tried by ``"auto"``.
    method : {"kmeans", "agglomerative"}
    features : {"trajectory", "affinity"}
        See the module docstring.
    kernel : sparse matrix, optional
        N x N kernel whose intra-step blocks ``features="affinity"`` averages.
    random_state : int or None
        Seed of k-means.

    Returns
    -------
    ClusterResult

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``embedding`` or ``recording`` is an unfitted estimator.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``n_clusters`` (``"auto"`` or 1..units),
        ``k_range``, ``method``, ``features`` or ``random_state`` is invalid.
    ValueError
        If the embedding does not match the recording, ``"auto"`` has fewer than 3 units or no
        ``k`` in ``k_range``, or ``features="affinity"`` lacks a matching kernel.
    """
    embedding = as_embedding(embedding)
    recording = check_node_source(recording)
    check_choice(method, "method", _METHODS)
    check_choice(features, "features", _FEATURES)
    random_state = check_seed(random_state, generator=False)
    if not (isinstance(n_clusters, str) and n_clusters == "auto"):
        if isinstance(n_clusters, str):
            raise InvalidParameterError(
                f"n_clusters must be 'auto' or an integer; got {n_clusters!r}."
            )
        n_units = node_layout(recording).U
        check_int(
            n_clusters,
            f"n_clusters ('auto' or an integer; {n_units} units)",
            minimum=1,
            maximum=max(n_units, 1),
        )
    if not isinstance(k_range, (tuple, list)) or len(k_range) != 2:
        raise InvalidParameterError(
            f"k_range must be (smallest k, largest k); got {describe(k_range)}."
        )
    check_int(k_range[0], "k_range[0]", minimum=1)
    check_int(k_range[1], "k_range[1]", minimum=1)
    check_kernel_arg(kernel, node_layout(recording).n_nodes)
    layout = node_layout(recording)
    emb = check_embedding(embedding, layout)
    E, T, U = layout.shape
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
    if features not in _FEATURES:
        raise ValueError(f"features must be one of {_FEATURES}; got {features!r}.")
    if features == "trajectory":
        F = emb.reshape(E, T, U, -1).transpose(2, 0, 1, 3).reshape(U, -1)
    else:
        F = _affinity_features(emb, E, T, U, kernel)

    def fit(k: int) -> np.ndarray:
        if method == "kmeans":
            return KMeans(k, n_init=10, random_state=random_state).fit_predict(F)
        return AgglomerativeClustering(k, linkage="ward").fit_predict(F)

    def score(labels: np.ndarray) -> float:
        n_lab = len(np.unique(labels))
        if n_lab < 2 or n_lab > U - 1:
            return float("nan")
        return float(silhouette_score(F, labels))

    if n_clusters == "auto":
        if U < 3:
            raise ValueError(f"choosing n_clusters needs at least 3 units; got {U}.")
        n_distinct = len(np.unique(np.round(F, 12), axis=0))
        lo, hi = int(k_range[0]), min(int(k_range[1]), U - 1, max(n_distinct, 2))
        lo = max(lo, 2)
        if lo > hi:
            raise ValueError(f"k_range {k_range} leaves no k between 2 and U - 1 = {U - 1}.")
        results = {k: fit(k) for k in range(lo, hi + 1)}
        scores = pd.Series({k: score(lab) for k, lab in results.items()}, name="silhouette")
        scores.index.name = "k"
        valid = scores.dropna()
        if valid.empty:
            best = lo
            criterion = f"no k in {lo}..{hi} gave a defined silhouette; k = {lo}"
        else:
            best = int(valid.index[np.argmax(valid.to_numpy())])
            criterion = (
                f"highest mean silhouette over k = {lo}..{hi} "
                f"({valid[best]:.3f} at k = {best}; {method}, {features} features)"
            )
        labels = results[best]
    else:
        best = int(n_clusters)
        if not 1 <= best <= U:
            raise ValueError(f"n_clusters must be between 1 and the number of units ({U}).")
        labels = fit(best) if best > 1 else np.zeros(U, dtype=int)
        s = score(labels)
        scores = pd.Series({best: s}, name="silhouette").dropna()
        scores.index.name = "k"
        criterion = f"given: k = {best}"
    return ClusterResult(
        _canonical(np.asarray(labels)),
        int(best),
        scores,
        np.asarray(layout.units),
        criterion,
        F,
    )
