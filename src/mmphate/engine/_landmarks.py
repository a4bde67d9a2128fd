"""Landmarks for the multislice graph, taken from the tensor's structure.

PHATE (through graphtools' ``LandmarkGraph``) finds landmarks as spectral
clusters: a randomized SVD of the ``N x N`` diffusion affinity with 100
components, MiniBatchKMeans on the ``N x 100`` projection, then a Python loop
over landmarks to sum kernel rows.  On multislice graphs that step dominates
the run time (312 of 329 s at 1.92 M nodes) and memory.

Here (our choice) landmarks are clusters *within each unit*: every unit's
``E*T`` nodes are split by k-means on their normalised activations, all units
at once (batched Lloyd iterations, one ``(units, slices, clusters)`` distance
block per iteration).  Nodes of one unit with similar activations are exactly
the ones the interstep kernel links, so such clusters are compact in the
diffusion geometry; the cost is ``O(N * clusters_per_unit * samples)`` per
iteration with no eigen-decomposition of the graph.  The landmark operator is
then built, as graphtools does, from one sparse product with the cluster
indicator matrix instead of a loop over landmarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

__all__ = ["unit_clusters", "batched_kmeans", "indicator"]


def unit_clusters(
    Z: np.ndarray,
    n_landmark: int,
    *,
    n_iter: int = 10,
    random_state: Any = None,
    n_jobs: int | None = 1,
) -> np.ndarray:
    """Cluster each unit's nodes into ``ceil(n_landmark / units)`` groups.

    Parameters
    ----------
    Z : array (slices, units, samples)
        Normalised node features.
    n_landmark : int
        Target number of landmarks (clusters) over all units; each unit gets
        ``max(1, ceil(n_landmark / units))``, at most its number of slices.
    n_iter : int
        Lloyd iterations.
    random_state : int, Generator or None
        Seeds the initial centres (distinct slices of each unit).
    n_jobs : int or None
        joblib workers over chunks of units (:mod:`mmphate.engine._parallel`); the initial
        centres are drawn up front and each unit's iterations are its own, so the result does
        not depend on it.

    Returns
    -------
    numpy.ndarray of shape (slices * units,)
        Cluster id of every node (slice-major order), ids ``0..L-1`` without gaps.
    """
    from ._parallel import parallel_map

    n, U, S = Z.shape
    c = int(min(n, max(1, -(-n_landmark // U))))
    X = np.ascontiguousarray(Z.transpose(1, 0, 2), dtype=np.float32)  # (U, n, S)
    init = _initial_centres(np.random.default_rng(random_state), U, n, c)
    per = max(1, (1 << 19) // max(1, n * S))  # units per task
    tasks = [(X[a : a + per], c, n_iter, init[a : a + per]) for a in range(0, U, per)]
    labels = np.concatenate([lab for lab, _ in parallel_map(_kmeans_task, tasks, n_jobs)])
    # global ids: unit-major, then compact away empty clusters
    ids = labels + np.arange(U)[:, None] * c  # (U, n)
    node_ids = ids.T.ravel()  # slice-major node order: node = s * U + u
    _, compact = np.unique(node_ids, return_inverse=True)
    return compact.astype(np.int64)


def _initial_centres(rng: np.random.Generator, B: int, n: int, c: int) -> np.ndarray:
    """One random permutation prefix per set: ``c`` distinct points of each of ``B`` sets."""
    return np.argsort(rng.random((B, n)), axis=1)[:, :c]  # (B, c)


def _kmeans_task(
    X: np.ndarray, c: int, n_iter: int, init: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return batched_kmeans(X, c, n_iter=n_iter, init=init)


def batched_kmeans(
    X: np.ndarray,
    c: int,
    *,
    n_iter: int = 10,
    random_state: Any = None,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means on ``B`` independent point sets at once.

    Parameters
    ----------
    X : float32 array (B, n, S)
        ``B`` sets of ``n`` points each (for the multislice graph: one set per unit).
    c : int
        Clusters per set, ``1 <= c <= n``.
    n_iter : int
        Lloyd iterations (labels are those of the final centres).
    random_state : int, Generator or None
        Seeds the initial centres (``c`` distinct points of each set).
    init : int array (B, c), optional
        Indices of the initial centres in each set (then ``random_state`` is not used).

    Returns
    -------
    labels : int64 array (B, n), cluster of every point, ``0..c-1``
    centres : float32 array (B, c, S); empty clusters keep their previous centre
    """
    B, n, S = X.shape
    if init is None:
        init = _initial_centres(np.random.default_rng(random_state), B, n, c)
    C = np.take_along_axis(X, init[:, :, None], axis=1)  # (B, c, S)
    xx = np.einsum("uns,uns->un", X, X)
    labels = np.zeros((B, n), dtype=np.int64)
    block = max(1, (1 << 24) // max(1, n * c))
    for it in range(n_iter + 1):
        for u0 in range(0, B, block):
            sl = slice(u0, u0 + block)
            D = X[sl] @ C[sl].transpose(0, 2, 1)  # (b, n, c)
            D *= -2
            D += np.einsum("ucs,ucs->uc", C[sl], C[sl])[:, None, :]
            D += xx[sl][:, :, None]
            labels[sl] = np.argmin(D, axis=2)
        if it == n_iter:
            break
        # new centres: mean of members; empty clusters keep their centre
        sums = np.zeros((B, c, S), dtype=np.float64)
        step = max(1, (1 << 22) // max(1, n * S))  # sets per float64 scratch block
        for u0 in range(0, B, step):
            sl = slice(u0, u0 + step)
            b = len(labels[sl])
            flat = (labels[sl] + np.arange(b)[:, None] * c).ravel()
            _scatter_add(sums[sl].reshape(b * c, S), flat, X[sl].reshape(b * n, S))
        counts = np.stack([np.bincount(lab, minlength=c) for lab in labels])
        nonempty = counts > 0
        C = np.where(nonempty[:, :, None], sums / np.maximum(counts, 1)[:, :, None], C).astype(
            np.float32
        )
    return labels, C


def _scatter_add(out: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``np.add.at(out, index, values)`` on rows, as one sparse product (much faster)."""
    M = sparse.csr_matrix(
        (np.ones(len(index), dtype=np.float64), (index, np.arange(len(index)))),
        shape=(out.shape[0], len(index)),
    )
    out += M @ values.astype(np.float64, copy=False)


def indicator(
    clusters: np.ndarray, n_clusters: int | None = None, dtype: Any = np.float64
) -> sparse.csr_matrix:
    """Sparse ``N x L`` matrix with a 1 at ``(node, cluster)``."""
    N = len(clusters)
    L = int(clusters.max()) + 1 if n_clusters is None else n_clusters
    return sparse.csr_matrix((np.ones(N, dtype=dtype), clusters, np.arange(N + 1)), shape=(N, L))
