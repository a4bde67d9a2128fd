"""Scalable interstep edges: temporal neighbours plus nearest slices along the two ways.

For every unit, each node ``(e, t, u)`` is linked to

* its temporal neighbours: ``(e, t +- 1)`` and ``(e +- 1, t)``, same unit;
* its ``interstep_knn`` nearest slices of the same unit in feature space among
  the slices that share its epoch (the sequence axis) or its timestep (the
  training axis): ``(E - 1) + (T - 1)`` candidates, searched exactly with
  batched distance blocks.

Why not a search over all ``E*T`` slices of a unit: it costs ``slices**2`` per
unit (brute force), and tree or graph-based searches (k-d trees, NN-descent)
slow down by orders of magnitude on the noisy, 40-dimensional activations of
real recordings; restricting candidates to the two ways of the tensor makes the
cost ``N * (E + T) * S`` whatever the data look like, and deterministic.  Slices
that differ in both epoch and timestep stay reachable in two diffusion steps.

Weights are the reference's Gaussian ``exp(-(d / sigma)**2)`` with the
reference's global bandwidth ``sigma`` (mean over units of the median distance
to the ``interstep_knn``-th nearest other slice among *all* slices), estimated
from a seeded sample of query slices when there are many.  The k-NN part is
symmetrised graphtools' way, ``(W + W.T) / 2``; temporal edges are always kept
(so each trajectory stays connected) with weight ``max(gaussian, thresh)``.  No
self loops.  Nothing of size ``slices x slices`` is ever formed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

__all__ = ["interstep_knn_edges", "temporal_pairs"]


def _topk(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k smallest entries along the last axis (unsorted)."""
    if k >= D.shape[-1]:
        idx = np.broadcast_to(np.arange(D.shape[-1]), D.shape).copy()
        return idx, D.copy()
    idx = np.argpartition(D, k - 1, axis=-1)[..., :k]
    return idx, np.take_along_axis(D, idx, axis=-1)


def _cross_knn(Z: np.ndarray, E: int, T: int, k: int, progress: Any = None):
    """k nearest slices of each node among those sharing its epoch or its timestep.

    Exact within that candidate set, computed as batched distance blocks:
    ``(units, epochs, epochs)`` per timestep, then ``(units, T, T)`` per epoch
    merged with the first part's best ``k``.  Returns squared distances and
    slice indices, both ``(slices, units, k)``, unsorted.
    """
    n, U, S = Z.shape
    Z4 = Z.reshape(E, T, U, S)
    kb = min(k, E - 1)
    # same timestep, other epochs: keep the best kb per node
    if kb > 0:
        b_d = np.empty((E, T, U, kb), dtype=np.float32)
        b_i = np.empty((E, T, U, kb), dtype=np.int64)
        eye = np.arange(E)
        for t in range(T):
            A = np.ascontiguousarray(Z4[:, t].transpose(1, 0, 2))  # (U, E, S)
            D = _sq_dists(A, A)
            D[:, eye, eye] = np.inf
            i, d = _topk(D, kb)  # (U, E, kb)
            b_d[:, t] = d.transpose(1, 0, 2)
            b_i[:, t] = i.transpose(1, 0, 2) * T + t
    out_d = np.empty((E, T, U, k), dtype=np.float32)
    out_i = np.empty((E, T, U, k), dtype=np.int32)
    eye = np.arange(T)
    for e in range(E):
        A = np.ascontiguousarray(Z4[e].transpose(1, 0, 2))  # (U, T, S)
        D = _sq_dists(A, A)  # (U, T, T)
        D[:, eye, eye] = np.inf
        cand_i = np.broadcast_to(e * T + eye, D.shape)
        if kb > 0:
            D = np.concatenate([D, b_d[e].transpose(1, 0, 2)], axis=2)
            cand_i = np.concatenate([cand_i, b_i[e].transpose(1, 0, 2)], axis=2)
        j, d = _topk(D, k)
        out_d[e] = d.transpose(1, 0, 2)
        out_i[e] = np.take_along_axis(cand_i, j, axis=2).transpose(1, 0, 2)
        if progress is not None:
            progress(1)
    return out_d.reshape(n, U, k), out_i.reshape(n, U, k)


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Batched squared Euclidean distances, ``A: (..., n, S)``, ``B: (..., m, S)``."""
    G = A @ np.swapaxes(B, -1, -2)
    G *= -2
    G += np.einsum("...ij,...ij->...i", A, A)[..., :, None]
    G += np.einsum("...ij,...ij->...i", B, B)[..., None, :]
    np.maximum(G, 0, out=G)
    return G


def global_bandwidth(
    Z: np.ndarray, k: int, *, n_queries: int = 256, random_state: Any = None
) -> float:
    """The reference's interstep bandwidth, from a sample of query slices.

    ``mean over units of the median over slices of the distance to the k-th
    nearest other slice of the same unit``: exact (all slices as queries) when
    there are at most ``n_queries`` slices, else estimated on ``n_queries``
    slices drawn with ``random_state`` (distances to *all* slices, so each
    query's k-th distance is exact; only the median is estimated).
    """
    n, U, S = Z.shape
    rng = np.random.default_rng(random_state)
    q = np.arange(n) if n <= n_queries else np.sort(rng.choice(n, n_queries, replace=False))
    per_unit = max(1, (1 << 24) // (len(q) * n))
    med = np.empty(U)
    for u0 in range(0, U, per_unit):
        B = np.ascontiguousarray(Z[:, u0 : u0 + per_unit].transpose(1, 0, 2))  # (u, n, S)
        D = _sq_dists(B[:, q], B)  # (u, q, n)
        D[:, np.arange(len(q)), q] = 0  # self at distance exactly 0
        kth = np.sqrt(np.partition(D, k, axis=2)[:, :, k].astype(np.float64))
        med[u0 : u0 + per_unit] = np.median(kth, axis=1)
    return float(np.mean(np.maximum(med, np.finfo(float).eps)))


def temporal_pairs(E: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Slice index pairs ``(a, b)``, ``a < b``, of temporal neighbours.

    ``(e, t) - (e, t + 1)`` and ``(e, t) - (e + 1, t)``, slice ``s = e * T + t``.
    """
    s = np.arange(E * T).reshape(E, T)
    a = np.concatenate([s[:, :-1].ravel(), s[:-1, :].ravel()])
    b = np.concatenate([s[:, 1:].ravel(), s[1:, :].ravel()])
    return a, b


def interstep_knn_edges(
    Z: np.ndarray,
    grid: tuple[int, int],
    k: int,
    thresh: float,
    *,
    k_bandwidth: int | None = None,
    random_state: Any = None,
    n_jobs: int = 1,
    progress: Any = None,
) -> tuple[sparse.csr_matrix, float]:
    """Scalable interstep affinity.

    Parameters
    ----------
    Z : array (slices, units, samples), normalised node features
    grid : (E, T) with ``E * T == slices``
    k : neighbours per node (already clipped to ``slices - 1``)
    thresh : k-NN affinities below it are dropped
    k_bandwidth : neighbour rank for the bandwidth (default ``k``)
    random_state : seeds the query sample of the bandwidth estimate
    n_jobs : reserved (BLAS threads are used as configured by the caller)
    progress : optional callable ``progress(n_done)``, called once per epoch

    Returns
    -------
    K : csr_matrix (N, N) float32, symmetric, zero diagonal
    bandwidth : the global Gaussian bandwidth
    """
    n, U, S = Z.shape
    E, T = grid
    N = n * U
    if k_bandwidth is None:
        k_bandwidth = k
    k = min(k, (E - 1) + (T - 1))
    bandwidth = global_bandwidth(Z, min(k_bandwidth, n - 1), random_state=random_state)
    dist, nbr = _cross_knn(Z, E, T, k, progress)
    np.sqrt(dist, out=dist)

    # directed k-NN graph, rows already in node order (node = s * U + u)
    w = dist.reshape(N, k)
    w /= np.float32(bandwidth)
    np.square(w, out=w)
    np.negative(w, out=w)
    np.exp(w, out=w)
    cols = nbr.reshape(N, k)
    cols *= U
    cols += np.tile(np.arange(U, dtype=np.int32), n)[:, None]
    del dist, nbr
    keep = w >= thresh
    counts = keep.sum(axis=1)
    indptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    W = sparse.csr_matrix((w[keep], cols[keep], indptr), shape=(N, N))
    del w, cols, keep
    W.sort_indices()
    Kk = W + W.T.tocsr()
    del W
    Kk.data *= np.float32(0.5)

    # temporal edges, always kept
    a, b = temporal_pairs(E, T)
    units = np.arange(U)
    dt = np.empty((len(a), U), dtype=np.float64)
    step = max(1, (1 << 22) // (U * S))
    for c in range(0, len(a), step):
        diff = Z[a[c : c + step]] - Z[b[c : c + step]]  # (pairs, U, S)
        dt[c : c + step] = np.sqrt(np.einsum("pus,pus->pu", diff, diff, dtype=np.float64))
    wt = np.maximum(np.exp(-((dt / bandwidth) ** 2)), thresh).astype(np.float32).ravel()
    ra = (a[:, None] * U + units[None, :]).ravel()
    rb = (b[:, None] * U + units[None, :]).ravel()
    Tm = sparse.csr_matrix(
        (np.concatenate([wt, wt]), (np.concatenate([ra, rb]), np.concatenate([rb, ra]))),
        shape=(N, N),
    )
    K = Kk.maximum(Tm).tocsr()
    K.sort_indices()
    return K, bandwidth


def _n_workers(n_jobs: int, n_tasks: int) -> int:
    import os

    if n_jobs is None or n_jobs == 0:
        n_jobs = 1
    if n_jobs < 0:
        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return max(1, min(int(n_jobs), n_tasks))
