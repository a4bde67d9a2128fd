"""Scalable interstep edges: temporal neighbours plus nearest slices of the same unit.

For every unit ``u``, each node ``(e, t, u)`` is linked to

* its temporal neighbours ``(e, t +- 1)`` and ``(e +- 1, t)``, same unit,
  always kept, with weight ``max(g, thresh)``;
* its ``interstep_neighbors`` nearest other slices of the same unit in
  feature space, searched among **all** ``E*T`` slices of the unit, with
  weight ``g`` (dropped below ``thresh``);

where ``g = exp(-(d / sigma)**2)`` is the reference's Gaussian with the
reference's global bandwidth ``sigma`` (mean over units of the median distance
to the ``interstep_knn``-th nearest other slice; estimated from a seeded sample
of query slices when there are more than 8192 slices, from all slices
otherwise).  The graph is
symmetrised by union, ``max(W, W.T)``: an edge found from either end keeps its
full weight ``g``, so every interstep weight equals the exact kernel's weight.
No self loops.

The reference links every slice to every other slice of a unit; most of a
node's interstep mass sits on its few tens of heaviest edges, which is what a
k-nearest-neighbour graph over all slices keeps.  The search:

* exact (brute force, batched distance blocks) when a unit has at most
  ``exact_below`` slices;
* otherwise inverted-file style: each unit's slices are split into about
  ``sqrt(slices)`` k-means clusters (centres trained on a seeded sample,
  :func:`mmphate.engine._landmarks.batched_kmeans`); the nodes of each cluster are
  compared exactly (one distance block) with the members of the ``n_probe``
  clusters whose centres are nearest to theirs, and keep the best
  ``interstep_neighbors``.  Cost ``O(N * n_probe * sqrt(slices) * samples)``,
  deterministic given ``random_state``.  With the default ``n_probe=8`` it
  finds 99.5% of the true 75 nearest slices on units of 30,000 slices
  (engine benchmark data, ``50 x 600`` slices, 40 samples) at about a
  thirtieth of the brute-force time; ``tests/test_kernel.py`` checks recall.

Earlier versions searched only the slices sharing the node's epoch or
timestep (about ``E + T`` candidates) and symmetrised by ``(W + W.T) / 2``:
the slices near in feature space but differing in both epoch and timestep
were missed, and the embedding agreed with the exact one only a third as
well as two exact runs agree with each other.

The result is written straight into one CSR matrix (with the intrastep part,
when given), unit by unit; nothing of size ``slices x slices`` (beyond
``exact_below**2`` per unit) or ``N x N`` is formed.

**What the landmark operator uses: the full interstep affinity**
(:func:`landmark_affinity`).  A k-nearest-neighbour graph keeps a share of
each node's interstep mass that depends on the data: 35-91% for 75
neighbours, falling as units get more slices or noisier (the exact kernel's
rows hold hundreds to thousands of entries above ``thresh``).  We therefore do
not feed the k-NN graph to the operator.  The landmark operator needs the
kernel only through ``B = K C``, landmarks are clusters of one unit's slices
and interstep edges stay within a unit, so a node's interstep row enters ``B``
only as its sums over its own unit's landmarks.  Those sums are streamed,
block by block, per unit:

* units with at most 8192 slices: every pair (distances as matrix products,
  each cache-sized block summed per landmark by one product and dropped), so
  ``B`` equals the exact kernel's; mass represented: 100%, exactly;
* larger units: the unit's slices are split into about ``2 sqrt(slices)``
  k-means cells; an exact near field (each cell against the cells that can
  hold entries ``>= thresh`` by the triangle inequality, nearest first, up to
  1024 slices) plus an aggregated far field: every other cell that can hold
  such entries as a Gaussian blob (mean, top-8 covariance directions and an
  isotropic rest, in bandwidth units), whose summed Gaussian affinity to a
  point has a closed form,
  ``n det(I + 2 Sigma)^-1/2 exp(-(p - mu)^T (I + 2 Sigma)^-1 (p - mu))``;
  the cell's mass goes to its members' landmarks in proportion to their
  counts.  Cells that cannot hold an entry ``>= thresh`` are skipped, as the
  exact kernel drops those entries.  Error budget: the near field is exact;
  the blob form is exact for Gaussian cells and its error falls with the
  distance-to-radius ratio, which is why the nearest cells are computed
  exactly and why the cells are finer than the ``sqrt(slices)`` of the
  neighbour search: with few samples per slice (6 in the paper's HAR runs)
  the Gaussian is wide against the cells and most of a node's mass lies
  beyond its near field.  Measured at 127 x 128 slices per unit and 6 samples
  (``benchmarks/_data.py``, noise 0.2 and 1.0; 1,024 sampled nodes each), the
  1st percentile of the mass represented is 0.76 / 0.86 with ``sqrt(slices)``
  cells and 0.92 / 0.93 with twice as many (median 1.000 / 0.999), for about
  25% more time per unit on the smooth family and none on the noisy one; at
  50 x 600 slices and 40 samples 0.955 and 0.986.  Blob errors go both ways:
  a node can be given more than its exact mass (99th percentile 1.02-1.08).
  The fraction represented is measured on a seeded sample of nodes (their
  exact rows) and reported in ``MMPHATE.interstep_mass_``.

Why this route rather than adaptive neighbour counts or the exact stream
everywhere: adaptive counts store what they keep (thousands of entries per
node at 30,000 slices per unit: tens of GB at 2 M nodes), and the exact stream
costs ``units * slices**2`` (about 6e10 pairs at 50 x 600 x 64); the near field
plus blobs costs ``O(N * (1024 + 18 sqrt(slices)) * samples)`` and stores only
``N x (landmarks per unit)`` sums.  The stored ``MMPHATE.kernel_`` stays the
k-NN graph (for analyses that walk edges).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

__all__ = [
    "assemble",
    "global_bandwidth",
    "landmark_affinity",
    "interstep_knn_edges",
    "interstep_knn_graphs",
    "temporal_pairs",
]

# entries of one dense scratch block (distances)
_BLOCK = 1 << 22
# entries of a block that stays in cache while several passes run over it
_CACHE_BLOCK = 1 << 17
# k-means cells of a large unit per square root of its slices (see the module docstring)
_CELLS_PER_ROOT = 2


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Batched squared Euclidean distances, ``A: (..., n, S)``, ``B: (..., m, S)``."""
    G = A @ np.swapaxes(B, -1, -2)
    G *= -2
    G += np.einsum("...ij,...ij->...i", A, A)[..., :, None]
    G += np.einsum("...ij,...ij->...i", B, B)[..., None, :]
    np.maximum(G, 0, out=G)
    return G


def _kth_median(B: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Median over the queries ``q`` of the distance to the k-th nearest slice, per unit of ``B``."""
    b, n, _ = B.shape
    kth = np.empty((b, len(q)))
    step = max(1, (1 << 24) // max(1, b * n))  # queries per distance block
    for a in range(0, len(q), step):
        qa = q[a : a + step]
        D = _sq_dists(B[:, qa], B)  # (u, queries, n)
        D[:, np.arange(len(qa)), qa] = 0  # self at distance exactly 0
        kth[:, a : a + step] = np.sqrt(np.partition(D, k, axis=2)[:, :, k].astype(np.float64))
    return np.median(kth, axis=1)


def global_bandwidth(
    Z: np.ndarray,
    k: int,
    *,
    n_queries: int = 256,
    random_state: Any = None,
    n_jobs: int | None = 1,
) -> float:
    """The reference's interstep bandwidth, from a sample of query slices.

    ``mean over units of the median over slices of the distance to the k-th
    nearest other slice of the same unit``: exact (all slices as queries) when
    there are at most ``n_queries`` slices, else estimated on ``n_queries``
    slices drawn with ``random_state`` (distances to *all* slices, so each
    query's k-th distance is exact; only the median is estimated).
    """
    from ._parallel import parallel_map

    n, U, S = Z.shape
    rng = np.random.default_rng(random_state)
    q = np.arange(n) if n <= n_queries else np.sort(rng.choice(n, n_queries, replace=False))
    per_unit = max(1, (1 << 24) // (min(len(q), 256) * n))
    tasks = ((Xc, q, k) for _, Xc in _unit_chunks(Z, per_unit))
    med = np.concatenate(parallel_map(_kth_median, tasks, n_jobs))
    return float(np.mean(np.maximum(med, np.finfo(float).eps)))


def temporal_pairs(E: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Slice index pairs ``(a, b)``, ``a < b``, of temporal neighbours.

    ``(e, t) - (e, t + 1)`` and ``(e, t) - (e + 1, t)``, slice ``s = e * T + t``.
    """
    s = np.arange(E * T).reshape(E, T)
    a = np.concatenate([s[:, :-1].ravel(), s[:-1, :].ravel()])
    b = np.concatenate([s[:, 1:].ravel(), s[1:, :].ravel()])
    return a, b


def _topk_rows(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k smallest entries of each row (unsorted)."""
    idx = np.argpartition(D, k - 1, axis=-1)[..., :k]
    return idx, np.take_along_axis(D, idx, axis=-1)


def _knn_brute(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest other points of each point of each set, ``X: (b, n, S)``.

    Returns ``idx`` int32 and squared distances float32, both ``(b, n, k)``.
    """
    b, n, _ = X.shape
    rows = max(1, min(n, _BLOCK // max(1, b * n)))
    out_i = np.empty((b, n, k), dtype=np.int32)
    out_d = np.empty((b, n, k), dtype=np.float32)
    for r in range(0, n, rows):
        D = _sq_dists(X[:, r : r + rows], X)  # (b, rows, n)
        m = D.shape[1]
        D[:, np.arange(m), np.arange(r, r + m)] = np.inf  # no self loops
        i, d = _topk_rows(D, k)
        out_i[:, r : r + m] = i
        out_d[:, r : r + m] = d
    return out_i, out_d


def _knn_ivf(
    x: np.ndarray, labels: np.ndarray, C: np.ndarray, k: int, n_probe: int
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest other points of each row of ``x`` (n, S), inverted-file style.

    ``labels`` (n,) assigns each point to one of the centres ``C`` (c, S).  The
    points of cluster ``a`` are compared exactly with the members of the
    ``n_probe`` clusters whose centres are nearest to ``a``'s (more if those
    hold fewer than ``k + 1`` points).  Returns ``idx`` int32 and squared
    distances float32, both ``(n, k)``.
    """
    n = len(x)
    c = len(C)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=c)
    starts = np.zeros(c + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    xs = np.ascontiguousarray(x[order])
    near = np.argsort(_sq_dists(C, C), axis=1, kind="stable")  # (c, c), itself first
    out_i = np.empty((n, k), dtype=np.int32)
    out_d = np.empty((n, k), dtype=np.float32)
    for a in range(c):
        m = int(counts[a])
        if m == 0:
            continue
        probe = near[a]
        p = max(n_probe, int(np.searchsorted(np.cumsum(counts[probe]), k + 1)) + 1)
        probe = probe[:p]
        cand = np.concatenate([np.arange(starts[b], starts[b + 1]) for b in probe])
        # position of cluster a's own block among the candidates (self exclusion)
        where = np.flatnonzero(probe == a)
        off = int(counts[probe[: where[0]]].sum()) if len(where) else -1
        xc = xs[cand]
        rows = max(1, _BLOCK // max(1, len(cand)))
        for r in range(0, m, rows):
            q = xs[starts[a] + r : starts[a] + min(m, r + rows)]
            D = _sq_dists(q, xc)  # (rows, candidates)
            if off >= 0:
                j = np.arange(len(q))
                D[j, off + r + j] = np.inf
            i, d = _topk_rows(D, k)
            dst = order[starts[a] + r : starts[a] + r + len(q)]
            out_i[dst] = order[cand[i]]
            out_d[dst] = d
    return out_i, out_d


def _ivf_cells(Xc: np.ndarray, c: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k-means cells of each unit of a chunk (``Xc``: (b, n, S)), centres trained on a sample."""
    from ._landmarks import batched_kmeans

    n = Xc.shape[1]
    m = min(n, 32 * c)
    sub = np.sort(rng.choice(n, m, replace=False)) if m < n else slice(None)
    _, cen = batched_kmeans(np.ascontiguousarray(Xc[:, sub]), c, n_iter=8, random_state=rng)
    D = _sq_dists(Xc, cen)  # (b, n, c)
    return np.argmin(D, axis=2), cen


def _knn_chunk(
    Xc: np.ndarray,
    grid: tuple[int, int],
    k: int,
    inv_bw2: np.float32,
    thr: np.float32,
    ivf: bool,
    n_probe: int,
    seed: int,
    col_dtype: Any,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The symmetric slice graphs of a chunk of units (``Xc``: (b, slices, S)); one task."""
    b, n, _ = Xc.shape
    E, T = grid
    ta, tb = temporal_pairs(E, T)
    if k == 0:
        idx = np.zeros((b, n, 0), np.int32)
        d2 = np.zeros((b, n, 0), np.float32)
    elif not ivf:
        idx, d2 = _knn_brute(Xc, k)
    else:
        rng = np.random.default_rng(seed)
        labels, cen = _ivf_cells(Xc, int(round(np.sqrt(n))), rng)
        idx = np.empty((b, n, k), np.int32)
        d2 = np.empty((b, n, k), np.float32)
        for j in range(b):
            idx[j], d2[j] = _knn_ivf(Xc[j], labels[j], cen[j], k, n_probe)
    out = []
    for j in range(b):
        x = Xc[j]
        w = np.exp(-d2[j] * inv_bw2)
        w[w < thr] = 0
        Wk = sparse.csr_matrix(
            (w.ravel(), idx[j].ravel(), np.arange(n + 1, dtype=np.int64) * k),
            shape=(n, n),
        )
        # two counting-sort transposes give W.T and W with sorted indices
        Wt = Wk.T.tocsr()
        Wk = Wt.T.tocsr()
        diff = x[ta] - x[tb]
        wt = np.maximum(np.exp(-np.einsum("ps,ps->p", diff, diff) * inv_bw2), thr)
        Tm = sparse.csr_matrix(
            (np.concatenate([wt, wt]), (np.concatenate([ta, tb]), np.concatenate([tb, ta]))),
            shape=(n, n),
        )
        Ws = Wk.maximum(Wt).maximum(Tm).tocsr()
        Ws.sort_indices()  # a no-op: binary operations on sorted CSR give sorted CSR
        out.append(
            (
                Ws.indptr.astype(np.int64),
                Ws.indices.astype(col_dtype),
                Ws.data.astype(np.float32, copy=False),
            )
        )
    return out


def _unit_chunks(Z: np.ndarray, per: int):
    """``(u0, Xc)`` for consecutive chunks of ``per`` units, ``Xc`` (b, slices, S) float32."""
    U = Z.shape[1]
    for u0 in range(0, U, per):
        yield u0, np.ascontiguousarray(Z[:, u0 : u0 + per].transpose(1, 0, 2), dtype=np.float32)


def interstep_knn_graphs(
    Z: np.ndarray,
    grid: tuple[int, int],
    k: int,
    thresh: float,
    *,
    k_bandwidth: int | None = None,
    exact_below: int = 2048,
    n_probe: int = 8,
    random_state: Any = None,
    n_jobs: int | None = 1,
    progress: Any = None,
) -> tuple[list[Any], float]:
    """Scalable interstep affinity, one symmetric slice graph per unit.

    Parameters
    ----------
    Z : array (slices, units, samples), normalised node features
    grid : (E, T) with ``E * T == slices``
    k : feature-space neighbours per node (searched among all slices of its
        unit), besides the temporal ones; clipped to ``slices - 1``
    thresh : k-NN affinities below it are dropped
    k_bandwidth : neighbour rank for the global bandwidth (default ``k``)
    exact_below : units with at most this many slices are searched exactly
    n_probe : clusters probed per cluster in the approximate search
    random_state : seeds the bandwidth's query sample and the k-means centres
        (one seed per chunk of units, drawn up front: results do not depend on
        ``n_jobs``)
    n_jobs : joblib workers over chunks of units (see :mod:`mmphate.engine._parallel`)
    progress : optional callable ``progress(n_done)``, called with the units done

    Returns
    -------
    graphs : list, per unit, of ``(indptr, indices, data)``: the unit's
        symmetric ``slices x slices`` graph in CSR form (sorted indices, slice
        ids as uint16 when they fit, float32 weights); see :func:`assemble`
    bandwidth : the global Gaussian bandwidth
    """
    from ._parallel import parallel_map

    n, U, S = Z.shape
    if k_bandwidth is None:
        k_bandwidth = k
    k = min(k, n - 1)
    rng = np.random.default_rng(random_state)
    # units searched (and, in landmark_affinity, streamed) exactly get the exact bandwidth too:
    # every slice as a query costs as much as the exact search itself
    bandwidth = global_bandwidth(
        Z,
        min(k_bandwidth, n - 1),
        n_queries=n if n <= max(exact_below, 8192) else 256,
        random_state=rng,
        n_jobs=n_jobs,
    )
    inv_bw2 = np.float32(1.0 / bandwidth**2)
    thr = np.float32(thresh)
    col_dtype = np.uint16 if n <= 1 << 16 else np.int32
    ivf = n > exact_below and k > 0
    c = int(round(np.sqrt(n)))
    # per unit chunk: exact blocks of (units, slices, slices), or k-means + probes
    chunk = max(1, _BLOCK // (n * n)) if not ivf else max(1, (1 << 20) // (n * max(S, c)))
    n_chunks = -(-U // chunk)
    seeds = rng.integers(2**63 - 1, size=n_chunks)
    tasks = (
        (Xc, grid, k, inv_bw2, thr, ivf, n_probe, int(seeds[i]), col_dtype)
        for i, (_, Xc) in enumerate(_unit_chunks(Z, chunk))
    )
    done = None if progress is None else (lambda r: progress(len(r)))
    parts = parallel_map(_knn_chunk, tasks, n_jobs, done)
    return [g for part in parts for g in part], bandwidth


def interstep_knn_edges(
    Z: np.ndarray,
    grid: tuple[int, int],
    k: int,
    thresh: float,
    *,
    intra: sparse.csr_matrix | None = None,
    **kwargs: Any,
) -> tuple[sparse.csr_matrix, float, int]:
    """:func:`interstep_knn_graphs` then :func:`assemble` (keyword arguments as there).

    Returns the CSR (N, N) kernel (interstep part, plus ``intra`` when given),
    the bandwidth and the number of interstep entries.
    """
    graphs, bandwidth = interstep_knn_graphs(Z, grid, k, thresh, **kwargs)
    nnz_inter = sum(len(g[1]) for g in graphs)
    return assemble(graphs, Z.shape[1], intra), bandwidth, nnz_inter


def assemble(
    rows_u: list[Any], U: int, intra: sparse.csr_matrix | None = None
) -> sparse.csr_matrix:
    """One sorted float32 CSR (N, N) from per-unit slice graphs (and the intrastep CSR).

    Node ``(s, u)`` is row ``s * U + u``; its interstep columns ``s' * U + u``
    with ``s' < s`` precede its intrastep block ``[s * U, (s + 1) * U)``, those
    with ``s' > s`` follow it, so columns come out sorted without a sort.
    The entries of ``rows_u`` are released (set to None) as they are written.
    """
    n = len(rows_u[0][0]) - 1
    N = n * U
    idx_dtype = np.int32 if N < 2**31 - 1 else np.int64
    deg = np.empty((n, U), dtype=np.int64)
    for u, (ip, _, _) in enumerate(rows_u):
        deg[:, u] = np.diff(ip)
    deg = deg.ravel()  # node order s * U + u
    n_intra = np.zeros(N, dtype=np.int64) if intra is None else np.diff(intra.indptr)
    indptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(deg + n_intra, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=idx_dtype)
    data = np.empty(nnz, dtype=np.float32)
    before = np.zeros(N, dtype=np.int64)  # interstep entries left of the intrastep block
    for u in range(U):
        ip, cols, vals = rows_u[u]
        rows_u[u] = None
        r = np.repeat(np.arange(n, dtype=np.int64), np.diff(ip))
        node = r * U + u
        left = cols < r
        before[u::U] = np.bincount(r[left], minlength=n)
        pos = indptr[node] + (np.arange(len(cols)) - ip[r])
        pos[~left] += n_intra[node[~left]]
        indices[pos] = cols.astype(np.int64) * U + u
        data[pos] = vals
        del r, node, left, pos
    if intra is not None:
        step = max(1, (1 << 22) // max(1, U))
        for r0 in range(0, N, step):
            lo, hi = intra.indptr[r0], intra.indptr[min(N, r0 + step)]
            r = np.repeat(np.arange(r0, min(N, r0 + step), dtype=np.int64), n_intra[r0 : r0 + step])
            pos = indptr[r] + before[r] + (np.arange(lo, hi) - intra.indptr[r])
            indices[pos] = intra.indices[lo:hi]
            data[pos] = intra.data[lo:hi]
            del r, pos
    K = sparse.csr_matrix((data, indices, indptr), shape=(N, N))
    K.has_sorted_indices = True
    return K


# --------------------------------------------------------------------------- landmark affinity
def _blobs(
    y: np.ndarray,
    order: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    lab: np.ndarray,
    c_u: int,
    rank: int,
) -> dict[str, np.ndarray]:
    """Per cell: size, mean, top ``rank`` covariance directions and the rest's variance.

    For members ``y_j ~ N(mu, Sigma)`` (bandwidth units), the summed affinity to a point ``p``
    is ``n det(I + 2 Sigma)^-1/2 exp(-(p - mu)^T (I + 2 Sigma)^-1 (p - mu))``.  With
    ``Sigma = sum_k lam_k u_k u_k^T + rho (I - sum_k u_k u_k^T)`` the quadratic form is
    ``w |p - mu|^2 - sum_k (w - w_k) ((p - mu) . u_k)^2`` (``w_k = 1 / (1 + 2 lam_k)``,
    ``w = 1 / (1 + 2 rho)``, ``w_k <= w``); the weights are folded into the directions, so a
    point costs one product with the stacked directions.  When ``rank >= samples`` the
    directions span the space and the form is ``sum_k w_k ((p - mu) . u_k)^2``.
    """
    c = len(counts)
    S = y.shape[1]
    r = min(rank, S)
    full = r == S
    mu = np.zeros((c, S), dtype=np.float64)
    U = np.zeros((c, S, r), dtype=np.float64)
    lam = np.zeros((c, r))
    rho = np.zeros(c)
    land = np.zeros((c, c_u), dtype=np.float32)
    for b in range(c):
        m = int(counts[b])
        if m == 0:
            continue
        idx = order[starts[b] : starts[b + 1]]
        yb = y[idx].astype(np.float64)
        mu[b] = yb.mean(axis=0)
        d = yb - mu[b]
        cov = d.T @ d / m
        w, v = np.linalg.eigh(cov)  # ascending
        lam[b] = np.maximum(w[::-1][:r], 0)
        U[b] = v[:, ::-1][:, :r]
        rho[b] = 0.0 if full else max(float(np.trace(cov) - lam[b].sum()), 0.0) / (S - r)
        land[b] = np.bincount(lab[idx], minlength=c_u) / m
    with np.errstate(divide="ignore"):
        log_amp = np.log(counts) - 0.5 * np.log1p(2 * lam).sum(axis=1)
    if not full:
        log_amp -= 0.5 * (S - r) * np.log1p(2 * rho)
    wk = 1 / (1 + 2 * lam)
    wres = np.zeros(c) if full else 1 / (1 + 2 * rho)
    fold = np.sqrt(wk if full else np.maximum(wres[:, None] - wk, 0))  # (c, r)
    Uw = U * fold[:, None, :]
    return {
        "mu": mu.astype(np.float32),
        "mumu": np.einsum("cs,cs->c", mu, mu).astype(np.float32),
        "U": np.ascontiguousarray(Uw.transpose(1, 0, 2)).astype(np.float32),  # (S, c, r)
        "muU": np.einsum("cs,csr->cr", mu, Uw).astype(np.float32),
        "wres": wres.astype(np.float32),
        "log_amp": log_amp.astype(np.float32),
        "landmarks": land,
        "full": np.array(full),
    }


def _blob_cells(blob: dict[str, np.ndarray], cells: np.ndarray) -> dict[str, np.ndarray]:
    """The blobs of ``cells`` only (directions stacked as ``(S, len(cells) * rank)``)."""
    S, _, r = blob["U"].shape
    sub = {k: v[cells] for k, v in blob.items() if k not in ("U", "full")}
    sub["U"] = blob["U"][:, cells].reshape(S, len(cells) * r)
    sub["full"] = blob["full"]
    return sub


def _blob_affinity(p: np.ndarray, pp: np.ndarray, blob: dict[str, np.ndarray]) -> np.ndarray:
    """Summed affinity of each point ``p`` (m, S) to each cell of ``blob`` (:func:`_blob_cells`)."""
    k, r = blob["muU"].shape
    proj = (p @ blob["U"]).reshape(len(p), k, r)
    proj -= blob["muU"][None]
    proj *= proj
    quad = proj.sum(axis=2)
    if blob["full"]:
        quad = -quad
    else:
        d2 = pp[:, None] + blob["mumu"][None, :] - 2 * (p @ blob["mu"].T)
        d2 *= blob["wres"][None, :]
        quad -= d2  # minus the quadratic form
        np.minimum(quad, 0, out=quad)
    quad += blob["log_amp"][None, :]
    return np.exp(quad, out=quad)


def _affinity_unit(
    x: np.ndarray,
    lab: np.ndarray | None,
    c_u: int,
    inv_bw2: np.float32,
    thr: np.float32,
    exact_below: int,
    max_candidates: int,
    seed: int,
    sample: np.ndarray,
    rank: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """One unit's interstep affinity summed per landmark: ``A[i, c] = sum_{j in c} g(i, j)``.

    ``x`` (n, S) float32; ``lab`` (n,) landmark of each slice, ``0..c_u-1``
    (None: every slice is its own landmark).  ``g`` is the exact kernel's
    Gaussian, entries below ``thr`` and self loops excluded.  Returns ``A`` as a
    dense ``(n, c_u)`` float32 array (a unit has few landmarks, so it is small
    and summing into it costs no index bookkeeping) and, for the slices in
    ``sample``, the fraction of their exact interstep mass represented.
    """
    n = len(x)
    acc = np.zeros((n, c_u), dtype=np.float32)
    H = None
    if lab is not None:
        H = np.zeros((n, c_u), dtype=np.float32)
        H[np.arange(n), lab] = 1

    def add(q: np.ndarray, G: np.ndarray, cand: np.ndarray, Hc: np.ndarray | None) -> None:
        if Hc is None:  # every slice its own landmark
            acc[q[:, None], cand[None, :]] += G
        else:
            acc[q] += G @ Hc

    # y = x / bandwidth: g(i, j) = exp(2 y_i.y_j - |y_i|^2 - |y_j|^2); the exponent is built in
    # place on one cache-sized block (a product and three passes), then thresholded in the
    # exponent (log thr) so that exp runs once
    y = x * np.sqrt(inv_bw2)
    yy = np.einsum("ns,ns->n", y, y)
    log_thr = np.float32(np.log(thr))

    def gauss(q: np.ndarray, yc: np.ndarray, nc: np.ndarray, self_pos: np.ndarray) -> np.ndarray:
        G = (2 * y[q]) @ yc.T
        G -= yy[q][:, None]
        G -= nc[None, :]
        G[G < log_thr] = -np.inf  # entries below thr: exp gives 0
        np.exp(G, out=G)
        G[np.arange(len(q)), self_pos] = 0  # no self loops
        return G

    if n <= exact_below:
        # every pair: the exact kernel's interstep rows, summed per landmark
        rows = max(8, _CACHE_BLOCK // max(1, n))
        for r in range(0, n, rows):
            q = np.arange(r, min(n, r + rows))
            add(q, gauss(q, y, yy, q), np.arange(n), H)
        return acc, np.ones(len(sample))

    # near field, exact: the members of each k-means cell against their own cell and the cells
    # that can hold entries >= thr (centre distance minus both radii within the Gaussian's
    # cut-off radius), nearest first, up to max_candidates slices.
    # far field, aggregated: the other cells that can hold such entries as Gaussian blobs (mean
    # and covariance in bandwidth units, top `rank` directions plus an isotropic rest), whose
    # summed affinity to a point has a closed form; a cell's mass goes to the landmarks of its
    # members in proportion to their counts
    rng = np.random.default_rng(seed)
    c = int(round(_CELLS_PER_ROOT * np.sqrt(n)))
    labels, cen = _ivf_cells(x[None], c, rng)
    labels, cen = labels[0], cen[0]
    counts = np.bincount(labels, minlength=c)
    order = np.argsort(labels, kind="stable")
    starts = np.zeros(c + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    rad = np.zeros(c)
    d_own = np.sqrt(np.einsum("ns,ns->n", x - cen[labels], x - cen[labels]))
    np.maximum.at(rad, labels, d_own)
    cut = np.sqrt(np.log(1.0 / float(thr)) / float(inv_bw2))  # g(d) >= thr iff d <= cut
    dc = np.sqrt(_sq_dists(cen, cen).astype(np.float64))
    blob = None if lab is None else _blobs(y, order, starts, counts, lab, c_u, rank)
    for a in range(c):
        if counts[a] == 0:
            continue
        lb = dc[a] - rad[a] - rad  # no pair closer than this between cells a and b
        lb[a] = -np.inf  # own cell first: exact, and its self loops known
        probe = np.argsort(lb, kind="stable")
        probe = probe[lb[probe] <= cut]
        keep = np.searchsorted(np.cumsum(counts[probe]), max_candidates, side="right") + 1
        near, far = probe[:keep], probe[keep:]
        cand = np.concatenate([order[starts[b] : starts[b + 1]] for b in near])
        yc, nc, Hc = y[cand], yy[cand], None if H is None else H[cand]
        members = order[starts[a] : starts[a + 1]]  # the first len(members) candidates
        rows = max(8, _CACHE_BLOCK // len(cand))
        for r in range(0, len(members), rows):
            q = members[r : r + rows]
            add(q, gauss(q, yc, nc, np.arange(r, r + len(q))), cand, Hc)
        if blob is not None and len(far):
            sub = _blob_cells(blob, far)
            rows = max(8, _CACHE_BLOCK // (len(far) * (rank + 1)))
            for r in range(0, len(members), rows):
                q = members[r : r + rows]
                acc[q] += _blob_affinity(y[q], yy[q], sub) @ sub["landmarks"]
    frac = np.ones(len(sample))
    if len(sample):
        total = gauss(sample, y, yy, sample).sum(axis=1, dtype=np.float64)
        got = acc[sample].sum(axis=1, dtype=np.float64)
        frac = np.where(total > 0, got / np.where(total > 0, total, 1), 1.0)
    return acc, frac


def landmark_affinity(
    Z: np.ndarray,
    clusters: np.ndarray | None,
    bandwidth: float,
    thresh: float,
    *,
    exact_below: int = 8192,
    max_candidates: int = 1024,
    mass_sample: int = 2048,
    random_state: Any = None,
    n_jobs: int | None = 1,
) -> tuple[sparse.csr_matrix, dict[str, Any]]:
    """The full interstep affinity of every node to every landmark, ``K_inter @ C``.

    The landmark operator needs the kernel only through ``B = K C`` (``C`` the
    node-to-landmark indicator).  Landmarks are clusters of one unit's slices
    and interstep edges join slices of one unit, so a node's interstep row
    contributes only to its own unit's landmarks.  This computes, unit by
    unit, ``A[i, c] = sum over slices j of landmark c of g(i, j)`` for every
    entry ``g >= thresh`` of the exact kernel's interstep row, streamed block
    by block (distances as matrix products, each block summed per landmark
    with one matrix product and dropped): nothing of size ``slices x slices``
    is stored.

    * Units with at most ``exact_below`` slices: every pair, so ``A`` equals the
      exact kernel's ``K_inter @ C`` (up to float32 rounding and the sampled
      bandwidth) and each node's mass is represented in full.
    * Larger units: each slice is compared with the members of the k-means
      cells (about ``2 sqrt(slices)`` per unit) that can hold entries ``>= thresh``
      by the triangle inequality, nearest first, at most ``max_candidates``
      slices; the other cells that can hold such entries enter as Gaussian
      blobs (see the module docstring); the fraction of the exact mass this represents is measured on a
      seeded sample of nodes (exact rows of ``mass_sample`` nodes in all).

    Parameters
    ----------
    Z : array (slices, units, samples), normalised node features
    clusters : (N,) landmark of each node (slice-major), or None (each node its
        own landmark: the ``N x N`` interstep kernel, small inputs only)
    bandwidth : the global interstep bandwidth
    thresh : entries of the exact kernel below it are not part of it
    exact_below, max_candidates, mass_sample : see above
    random_state : seeds the k-means cells and the mass sample
    n_jobs : joblib workers over units (see :mod:`mmphate.engine._parallel`)

    Returns
    -------
    A : scipy.sparse.csr_matrix (N, L), float32
    mass : dict with ``median``, ``p01`` (1st percentile), ``min`` of the
        per-node fraction of exact interstep mass represented, ``nodes`` (how
        many nodes it was computed on) and ``exact`` (True when every node's
        fraction is known exactly rather than sampled)
    """
    from ._parallel import parallel_map

    n, U, S = Z.shape
    N = n * U
    rng = np.random.default_rng(random_state)
    inv_bw2 = np.float32(1.0 / bandwidth**2)
    thr = np.float32(thresh)
    big = n > exact_below
    per_unit = max(1, -(-mass_sample // U)) if big else 0
    tasks, uniqs = [], []
    if clusters is None:
        L = N
    else:
        L = int(clusters.max()) + 1
    for u in range(U):
        seed = int(rng.integers(2**63 - 1))
        sample = (
            np.sort(rng.choice(n, min(n, per_unit), replace=False)) if big else np.zeros(0, int)
        )
        if clusters is None:
            lab, c_u = None, n
        else:
            uniq, lab = np.unique(clusters[u::U], return_inverse=True)
            uniqs.append(uniq)
            c_u = len(uniq)
        tasks.append(
            (
                np.ascontiguousarray(Z[:, u, :], dtype=np.float32),
                None if clusters is None else lab,
                c_u,
                inv_bw2,
                thr,
                exact_below,
                max_candidates,
                seed,
                sample,
            )
        )
    parts = parallel_map(_affinity_unit, tasks, n_jobs)
    # every node's row holds only its own unit's landmarks: stack the units' dense blocks
    # slice-major (row r * U + u) and read the CSR arrays off the non-zeros, in order
    width = max(p[0].shape[1] for p in parts)
    idx = np.int32 if max(N, L) < 2**31 - 1 else np.int64
    D = np.zeros((n, U, width), dtype=np.float32)
    colmap = np.zeros((U, width), dtype=idx)
    fracs = []
    for u in range(U):
        acc, f = parts[u]
        parts[u] = None
        D[:, u, : acc.shape[1]] = acc
        colmap[u, : acc.shape[1]] = np.arange(n) * U + u if clusters is None else uniqs[u]
        fracs.append(f)
    D = D.reshape(N, width)
    nz = D != 0
    indptr = np.zeros(N + 1, dtype=idx)
    np.cumsum(nz.sum(axis=1), out=indptr[1:])
    indices = np.broadcast_to(colmap[None], (n, U, width)).reshape(N, width)[nz]
    A = sparse.csr_matrix((D[nz], indices, indptr), shape=(N, L))
    del D, nz, indices
    frac = np.concatenate(fracs) if big else np.ones(N)
    mass = {
        "median": float(np.median(frac)),
        "p01": float(np.percentile(frac, 1)),
        "min": float(frac.min()),
        "nodes": int(len(frac)),
        "exact": not big,
    }
    return A, mass
