"""Scalable interstep edges: temporal neighbours plus nearest slices along the two ways.

For every unit, each node ``(e, t, u)`` is linked to

* its temporal neighbours: ``(e, t +- 1)`` and ``(e +- 1, t)``, same unit;
* its ``interstep_knn`` nearest slices of the same unit in feature space among
  the other slices that share its epoch (the sequence axis) or its timestep
  (the training axis), temporal neighbours aside: about ``E + T`` candidates,
  searched exactly with batched distance blocks.

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
symmetrised graphtools' way, ``(W + W.T) / 2`` (mutual neighbours keep the full
weight, one-sided ones half of it); temporal edges are always kept (so each
trajectory stays connected) with weight ``max(gaussian, thresh)``.  No self
loops.  Nothing of size ``slices x slices`` is ever formed; cost is
``O(N * (E + T) * samples)`` time and ``O(N * interstep_knn)`` memory.
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


def _cross_knn(Z: np.ndarray, E: int, T: int, k: int, emit: Any, progress: Any = None) -> None:
    """k nearest slices of each node among those sharing its epoch or its timestep.

    Temporal neighbours (``|dt| = 1`` or ``|de| = 1``) are excluded here: they
    are always linked separately.  Exact within the candidate set, computed as
    batched distance blocks, ``(units, epochs, epochs)`` per timestep, then
    ``(units, T, T)`` per epoch merged with the first part's best ``k``.
    Calls ``emit(rows, cols, sq_dists)`` epoch by epoch with node indices
    ``rows`` (U, T) and ``cols``, ``sq_dists`` (U, T, k); missing candidates
    (fewer than ``k``) come as ``inf``.
    """
    n, U, S = Z.shape
    Z4 = Z.reshape(E, T, U, S)
    units = np.arange(U)
    kb = min(k, max(E - 2, 0))
    # same timestep, other epochs: keep the best kb per node
    if kb > 0:
        b_d = np.empty((E, T, U, kb), dtype=np.float32)
        b_i = np.empty((E, T, U, kb), dtype=np.int32)
        near = np.abs(np.arange(E)[:, None] - np.arange(E)[None, :]) <= 1
        for t in range(T):
            A = np.ascontiguousarray(Z4[:, t].transpose(1, 0, 2))  # (U, E, S)
            D = _sq_dists(A, A)
            D[:, near] = np.inf
            i, d = _topk(D, kb)  # (U, E, kb)
            b_d[:, t] = d.transpose(1, 0, 2)
            b_i[:, t] = i.transpose(1, 0, 2) * T + t
    near = np.abs(np.arange(T)[:, None] - np.arange(T)[None, :]) <= 1
    slice_ids = np.arange(T, dtype=np.int32)
    for e in range(E):
        A = np.ascontiguousarray(Z4[e].transpose(1, 0, 2))  # (U, T, S)
        D = _sq_dists(A, A)  # (U, T, T)
        D[:, near] = np.inf
        cand_i = np.broadcast_to(e * T + slice_ids, D.shape)
        if kb > 0:
            D = np.concatenate([D, b_d[e].transpose(1, 0, 2)], axis=2)
            cand_i = np.concatenate([cand_i, b_i[e].transpose(1, 0, 2)], axis=2)
        if D.shape[2] < k:  # fewer candidates than k: pad with missing (inf) ones
            pad = k - D.shape[2]
            D = np.concatenate([D, np.full(D.shape[:2] + (pad,), np.inf, D.dtype)], axis=2)
            cand_i = np.concatenate([cand_i, cand_i[:, :, :1].repeat(pad, axis=2)], axis=2)
        j, d = _topk(D, k)  # (U, T, k)
        cols = np.take_along_axis(cand_i, j, axis=2)
        rows = (e * T + slice_ids)[None, :] * U + units[:, None]  # (U, T)
        emit(rows, cols * U + units[:, None, None], d)
        if progress is not None:
            progress(1)


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
    k : feature-space neighbours per node, besides the temporal ones
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
    idx = np.int32 if N < 2**31 - 1 else np.int64
    if k_bandwidth is None:
        k_bandwidth = k
    bandwidth = global_bandwidth(Z, min(k_bandwidth, n - 1), random_state=random_state)
    inv_bw2 = np.float32(1.0 / bandwidth**2)
    # Directed graph W with fixed slots per node: k feature-space neighbours,
    # then the temporal ones (t-1, t+1, e-1, e+1); an empty slot points to the
    # node itself with weight 0.  Every weight is stored halved, so that
    # K = W + W.T is graphtools' (W + W.T) / 2 for the k-NN part (mutual
    # neighbours keep the full weight) and the full weight for temporal edges,
    # which are listed from both ends.  Fixed slots build W without a sort.
    width = k + 4
    Wc = np.repeat(np.arange(N, dtype=idx), width).reshape(N, width)
    Ww = np.zeros((N, width), dtype=np.float32)
    half = np.float32(0.5)

    # temporal edges, always kept, weight max(gaussian, thresh)
    units = np.arange(U)
    s_ids = np.arange(n).reshape(E, T)
    step = max(1, (1 << 22) // (U * S))
    for a, b, slot in (
        (s_ids[:, :-1].ravel(), s_ids[:, 1:].ravel(), 0),  # (e, t) - (e, t+1)
        (s_ids[:-1, :].ravel(), s_ids[1:, :].ravel(), 2),  # (e, t) - (e+1, t)
    ):
        for c in range(0, len(a), step):
            ac, bc = a[c : c + step], b[c : c + step]
            diff = Z[ac] - Z[bc]  # (pairs, U, S)
            d2 = np.einsum("pus,pus->pu", diff, diff).astype(np.float32)
            w = np.maximum(np.exp(-d2 * inv_bw2), np.float32(thresh)) * half
            na = ac[:, None] * U + units[None, :]
            nb = bc[:, None] * U + units[None, :]
            Wc[nb, k + slot], Ww[nb, k + slot] = na, w  # b's backward neighbour is a
            Wc[na, k + slot + 1], Ww[na, k + slot + 1] = nb, w  # a's forward neighbour is b

    def emit(rows: np.ndarray, cols: np.ndarray, d2: np.ndarray) -> None:
        w = np.exp(-d2 * inv_bw2)
        w[w < thresh] = 0
        Wc[rows, :k] = cols
        Ww[rows, :k] = w * half

    if k > 0:
        _cross_knn(Z, E, T, k, emit, progress)
    W = sparse.csr_matrix(
        (Ww.ravel(), Wc.ravel(), np.arange(0, N * width + 1, width, dtype=np.int64)),
        shape=(N, N),
    )
    Wc = Ww = None  # W holds the data now
    W.sum_duplicates()  # sorts columns; empty slots (self, 0) merge into one zero
    K = W + W.T.tocsr()  # zero sums are not stored
    del W
    K.eliminate_zeros()
    K.sort_indices()
    return K, bandwidth
