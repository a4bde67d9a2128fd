"""The multiway multislice kernel: a sparse affinity between all ``(epoch, timestep, unit)`` nodes.

Two kinds of edges (method section 2):

* **intrastep** edges join the units of one slice ``(e, t)`` with graphtools'
  alpha-decay kernel (adaptive bandwidth = distance to the ``intrastep_knn``-th
  neighbour, entries below ``thresh`` dropped, ``(K + K.T) / 2``);
* **interstep** edges join the same unit in two different slices with a
  Gaussian of one global bandwidth (mean over units of the median distance to
  the ``interstep_knn``-th nearest other slice).

``interstep="exact"`` links every slice to every other slice, as the
reference (``m_phate.kernel.multislice_kernel`` on ``X.reshape(E*T, U, S)``,
followed by ``graphtools.Graph(K, precomputed="affinity")``) does; its cost
grows with ``units * slices**2``.  ``interstep="knn"`` (our default) links each
node to its temporal neighbours (``t +- 1`` in the same epoch, ``e +- 1`` at the
same timestep) and to its ``interstep_neighbors`` nearest slices of the same
unit in feature space, searched among *all* slices of the unit (exactly for
units with at most 2048 slices, else by an inverted-file search over k-means
cells), with the exact kernel's Gaussian weights, symmetrised by union
(``max(W, W.T)``), so every interstep weight it keeps equals the exact one
(see :mod:`mmphate.engine._interstep`); its cost grows about linearly with the number
of nodes.

Replaced library steps (and why):

* graphtools builds one ``kNNGraph`` per slice in a Python loop and writes
  each block into a ``lil_matrix`` (whose fancy-index setter densifies it);
  here all slices are processed at once as a batched distance computation
  (``(slices, U, U)`` blocks in chunks), written straight into COO arrays.
* m_phate builds a dense ``slices x slices`` Gaussian per unit and then a
  dense ``(2*slices - 1) x N`` array for a ``dia_matrix``; here the exact
  interstep part is computed in row blocks and thresholded on the fly.  The
  scalable part replaces that dense all-pairs Gaussian by a nearest-neighbour
  graph over all slices of each unit (the reference's dense part is what made
  the paper cut 600 timesteps to 100); it never forms anything of size
  ``slices x slices`` (beyond 2048 x 2048 per unit), and is written, with the
  intrastep part, straight into one CSR matrix.

Everything returned is ``scipy.sparse``; nothing of size ``N x N`` is dense.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

__all__ = ["multislice_kernel", "normalize_nodes", "KernelInfo"]

_log = logging.getLogger(__name__)

INTERSTEP_MODES = ("knn", "exact")

# Budget (number of float entries) for one dense scratch block.  Keeps peak
# memory of the batched distance computations at a few tens of MB.
_BLOCK_ENTRIES = 1 << 22


@dataclass
class KernelInfo:
    """What the kernel construction learned (``MMPHATE.kernel_info_``).

    Attributes
    ----------
    shape : (int, int, int, int)
        ``(epochs, timesteps, units, samples)`` of the data.
    interstep : {"knn", "exact"}
        The interstep kernel built.
    intrastep_knn, interstep_knn : int
        Effective values (graphtools clips ``intrastep_knn`` to ``units - 2``;
        ``interstep_knn`` is clipped to ``slices - 1``).
    bandwidth : float
        The global interstep bandwidth.
    interstep_neighbors : int
        With ``"knn"``: feature-space interstep neighbours per node (clipped).
    nnz_intrastep, nnz_interstep : int
        Stored entries of each part.  With ``"knn"``, ``MMPHATE`` searches the
        interstep neighbours when ``kernel_`` is first read; until then its
        ``kernel_info_`` counts the temporal edges only.
    extra : dict
        Further details of the construction.
    """

    shape: tuple[int, int, int, int]
    interstep: str
    intrastep_knn: int  # effective value (graphtools clips it to units - 2)
    interstep_knn: int  # effective value (clipped to slices - 1)
    bandwidth: float  # global interstep bandwidth
    interstep_neighbors: int = 0  # "knn": feature-space neighbours per node (clipped)
    nnz_intrastep: int = 0
    nnz_interstep: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def normalize_nodes(X: np.ndarray, dtype: Any = np.float64, n_jobs: int | None = 1) -> np.ndarray:
    """Z-score each node's activations over the samples.

    Same as ``m_phate.utils.normalize`` on ``X.reshape(E*T, U, S)``: subtract
    the mean over samples, divide by the population standard deviation, and
    leave nodes with a standard deviation of 0 merely centred.

    Parameters
    ----------
    X : array of shape (epochs, timesteps, units, samples)
    dtype : numpy dtype of the result
    n_jobs : joblib workers over chunks of slices (each node is normalised on its own, so the
        result does not depend on it)

    Returns
    -------
    numpy.ndarray of shape (epochs * timesteps, units, samples)
    """
    from ._parallel import parallel_map

    E, T, U, S = X.shape
    Z = np.array(X, dtype=dtype, copy=True).reshape(E * T, U, S)
    per = max(1, (1 << 20) // max(1, U * S))  # slices per task
    bounds = [(a, min(a + per, E * T)) for a in range(0, E * T, per)]
    parts = parallel_map(_normalize_block, [(Z[a:b],) for a, b in bounds], n_jobs)
    for (a, b), part in zip(bounds, parts, strict=True):
        if not np.shares_memory(part, Z):  # a process backend returns a copy
            Z[a:b] = part
    return Z


def _normalize_block(Z: np.ndarray) -> np.ndarray:
    """:func:`normalize_nodes` in place on a block of slices ``(slices, U, S)``; returns it."""
    # Bring each node to [-1, 1] first by dividing by a power of two (exact).  The z-score does
    # not depend on scale, and this keeps the mean and the squares behind the std inside the
    # dtype's range: activations of 1e20 overflow float32 when squared, 1e-30 underflow to a std
    # of 0.  The mean and std are accumulated in float64 (buffered, no float64 copy of X), so a
    # node whose spread is small next to its mean keeps its pattern in float32 too.
    top = np.maximum(Z.max(axis=2, keepdims=True), -Z.min(axis=2, keepdims=True))
    Z /= np.ldexp(np.ones(1, dtype=Z.dtype), np.frexp(top)[1])
    np.subtract(Z, Z.mean(axis=2, keepdims=True, dtype=np.float64), out=Z, casting="same_kind")
    std = Z.std(axis=2, keepdims=True, dtype=np.float64)
    np.divide(Z, np.where(std > 0, std, 1), out=Z, casting="same_kind")
    return Z


def _check_params(
    X: Any,
    intrastep_knn: int,
    interstep_knn: int,
    decay: float,
    thresh: float,
    interstep: str,
    interstep_neighbors: int = 1,
    random_state: Any = None,
) -> np.ndarray:
    from .._validate import check_choice, check_number, check_seed
    from ..record import check_hidden

    check_choice(interstep, "interstep", INTERSTEP_MODES)
    check_number(decay, "decay", low=0, low_open=True)
    check_number(thresh, "thresh", low=0, high=1, high_open=True)
    check_seed(random_state)
    if interstep not in INTERSTEP_MODES:
        raise ValueError(f"interstep must be one of {INTERSTEP_MODES}; got {interstep!r}.")
    for name, val in (("intrastep_knn", intrastep_knn), ("interstep_knn", interstep_knn)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"{name} must be a positive integer; got {val!r}.")
    if (
        isinstance(interstep_neighbors, bool)
        or not isinstance(interstep_neighbors, (int, np.integer))
        or interstep_neighbors < 0
    ):
        raise ValueError(
            f"interstep_neighbors must be a non-negative integer; got {interstep_neighbors!r}."
        )
    if isinstance(decay, bool) or not isinstance(decay, (int, float, np.number)) or decay <= 0:
        raise ValueError(f"decay must be a positive number; got {decay!r}.")
    if (
        isinstance(thresh, bool)
        or not isinstance(thresh, (int, float, np.number))
        or not 0 <= thresh < 1
    ):
        raise ValueError(f"thresh must be a number in [0, 1); got {thresh!r}.")
    X = check_hidden(X, "X")
    E, T, U, S = X.shape
    if U < intrastep_knn + 1:
        raise ValueError(
            f"X has {U} units but intrastep_knn={intrastep_knn} needs at least "
            f"{intrastep_knn + 1} units per slice; lower intrastep_knn or record more units."
        )
    if E * T < 2:
        raise ValueError(
            f"X has a single slice (epochs * timesteps = {E} * {T} = 1); the multislice kernel "
            "needs at least two (epoch, timestep) slices."
        )
    return X


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Batched squared Euclidean distances, ``A: (..., n, S)``, ``B: (..., m, S)``."""
    G = A @ np.swapaxes(B, -1, -2)
    G *= -2
    G += np.einsum("...ij,...ij->...i", A, A)[..., :, None]
    G += np.einsum("...ij,...ij->...i", B, B)[..., None, :]
    np.maximum(G, 0, out=G)
    return G


# --------------------------------------------------------------------------- intrastep
def _half_power(X: np.ndarray, decay: float) -> None:
    """In place ``X **= decay / 2`` (``X`` holds squared ratios), by products when possible."""
    p = float(decay)
    if p.is_integer() and 1 <= p <= 16:
        p = int(p)
        base = X.copy() if p >= 2 else None
        if p % 2:
            np.sqrt(X, out=X)
        else:
            X[...] = 1
        for _ in range(p // 2):
            X *= base
    else:
        np.power(X, X.dtype.type(p / 2), out=X)


def _intrastep_block(
    Zb: np.ndarray, start: int, knn: int, decay: float, thresh: float, idx_dtype: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One chunk of slices (``Zb``: (B, U, S), first slice ``start``): row counts, columns, values."""
    B, U, _ = Zb.shape
    eps = np.finfo(float).eps
    diag = np.arange(U)
    X = _sq_dists(Zb, Zb)  # squared distances
    X[:, diag, diag] = 0
    # distance to the knn-th neighbour, the point itself counted as the 0-th
    sigma = np.sqrt(np.partition(X, knn, axis=2)[:, :, knn])
    np.maximum(sigma, eps, out=sigma)
    with np.errstate(over="ignore"):  # huge ratios -> inf -> weight 0, as intended
        X /= (sigma * sigma)[:, :, None]  # (d / sigma) ** 2
        _half_power(X, decay)  # (d / sigma) ** decay
    np.negative(X, out=X)
    np.exp(X, out=X)
    X[X < thresh] = 0
    W = X + np.swapaxes(X, 1, 2)
    W *= 0.5
    flat = np.flatnonzero(W >= thresh)  # C order: rows sorted, columns sorted in rows
    local = flat // U  # row within this chunk
    counts = np.bincount(local, minlength=B * U)
    cols = (flat // (U * U) * U + flat % U + start * U).astype(idx_dtype)
    return counts, cols, W.ravel()[flat].astype(Zb.dtype, copy=False)


def _intrastep(
    Z: np.ndarray, knn: int, decay: float, thresh: float, n_jobs: int | None = 1
) -> sparse.csr_matrix:
    """Alpha-decay kernel inside every slice, as graphtools' ``kNNGraph`` computes it.

    graphtools (``kNNGraph.build_kernel_to_data``) searches ``knn + 1``
    neighbours including the point itself, so the bandwidth is the distance to
    the ``knn``-th other point; it widens the search until every entry above
    ``thresh`` is found, i.e. the result is the exact thresholded kernel, which
    a full per-slice distance matrix gives directly.  Then ``(K + K.T) / 2``.
    Chunks of slices are independent tasks (:func:`~mmphate.engine._parallel.parallel_map`).
    Returns the block-diagonal CSR matrix (N x N).
    """
    from ._parallel import parallel_map

    n_slices, U, S = Z.shape
    N = n_slices * U
    idx_dtype = np.int32 if N < 2**31 - 1 else np.int64
    chunk = max(1, _BLOCK_ENTRIES // (U * max(U, S)))
    tasks = [
        (Z[start : start + chunk], start, knn, decay, thresh, idx_dtype)
        for start in range(0, n_slices, chunk)
    ]
    parts = parallel_map(_intrastep_block, tasks, n_jobs)
    counts, cols, vals = zip(*parts, strict=True)
    # rows come sorted and columns sorted within rows: write the CSR arrays directly
    indptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(np.concatenate(counts), out=indptr[1:])
    K = sparse.csr_matrix((np.concatenate(vals), np.concatenate(cols), indptr), shape=(N, N))
    K.has_sorted_indices = True
    return K


# --------------------------------------------------------------------------- interstep, exact
def _exact_kth(Xu: np.ndarray, knn: int) -> np.ndarray:
    """Distance from every slice of one unit (``Xu``: (slices, S)) to its knn-th nearest slice."""
    from scipy.spatial.distance import cdist

    n = len(Xu)
    block = max(1, _BLOCK_ENTRIES // n)
    kth = np.empty(n)
    for a in range(0, n, block):
        D = cdist(Xu[a : a + block], Xu)
        kth[a : a + block] = np.partition(D, knn, axis=1)[:, knn]
    return kth


def _exact_unit(
    Xu: np.ndarray, u: int, U: int, bandwidth: float, thresh: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact interstep entries of one unit: rows, columns (node ids) and values."""
    from scipy.spatial.distance import cdist

    n = len(Xu)
    block = max(1, _BLOCK_ENTRIES // n)
    rows, cols, vals = [], [], []
    for a in range(0, n, block):
        D = cdist(Xu[a : a + block], Xu)
        D /= bandwidth
        np.square(D, out=D)
        np.negative(D, out=D)
        np.exp(D, out=D)
        i, j = np.nonzero(D >= thresh)
        i += a
        off = i != j
        i, j = i[off], j[off]
        rows.append(i * U + u)
        cols.append(j * U + u)
        vals.append(D[i - a, j])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _interstep_exact(
    Z: np.ndarray, knn: int, thresh: float, n_jobs: int | None = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Gaussian between every pair of slices of each unit (m_phate's interslice kernel).

    m_phate computes, per unit, the dense ``slices x slices`` distance matrix,
    ``bandwidth = mean_u median_a (distance from a to its knn-th nearest other
    slice)``, ``exp(-(d / bandwidth)**2)`` with a zero diagonal; the entries
    below ``thresh`` are dropped later by ``graphtools.Graph(precomputed=
    "affinity")``.  Same result here, in row blocks (two passes) so that memory
    stays ``block x slices`` rather than ``slices x slices``; units are
    independent tasks.
    """
    from ._parallel import parallel_map

    n, U, S = Z.shape
    kth = parallel_map(_exact_kth, [(Z[:, u, :], knn) for u in range(U)], n_jobs)
    med = np.median(np.stack(kth), axis=1)
    bandwidth = float(np.mean(np.maximum(med, np.finfo(float).eps)))
    parts = parallel_map(
        _exact_unit, [(Z[:, u, :], u, U, bandwidth, thresh) for u in range(U)], n_jobs
    )
    rows, cols, vals = zip(*parts, strict=True)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), bandwidth


# --------------------------------------------------------------------------- assembly
def build_kernel(
    X: Any,
    *,
    intrastep_knn: int = 2,
    interstep_knn: int = 25,
    decay: float = 5,
    thresh: float = 1e-4,
    interstep: str = "knn",
    interstep_neighbors: int = 75,
    normalize: bool = True,
    random_state: Any = None,
    n_jobs: int | None = 1,
    progress: Any = None,
    verbose: int = 0,
) -> tuple[sparse.csr_matrix, KernelInfo]:
    """Build the multislice kernel and report what was used (see :func:`multislice_kernel`).

    ``progress`` is an optional callable ``progress(n)`` fed as work advances;
    ``verbose=0`` logs nothing.
    """

    def log(level: int, msg: str, *args: Any) -> None:
        if verbose:
            _log.log(level, msg, *args)

    X = _check_params(
        X, intrastep_knn, interstep_knn, decay, thresh, interstep, interstep_neighbors, random_state
    )
    E, T, U, S = X.shape
    n_slices = E * T
    N = n_slices * U
    exact = interstep == "exact"
    dtype = np.float64 if exact else np.float32
    if normalize:
        Z = normalize_nodes(X, dtype, n_jobs)
    else:
        Z = np.ascontiguousarray(X, dtype=dtype).reshape(n_slices, U, S)
    # graphtools: "Cannot set knn to be greater than n_samples - 2"; it clips.
    k_intra = min(intrastep_knn, U - 2)
    k_inter = min(interstep_knn, n_slices - 1)
    if k_intra != intrastep_knn:
        log(logging.INFO, "intrastep_knn=%d clipped to units - 2 = %d", intrastep_knn, k_intra)
    if k_inter != interstep_knn:
        log(logging.INFO, "interstep_knn=%d clipped to slices - 1 = %d", interstep_knn, k_inter)
    thresh_eff = max(float(thresh), float(np.finfo(float).eps))

    log(logging.DEBUG, "intrastep kernel on %d slices of %d units", n_slices, U)
    K_intra = _intrastep(Z, k_intra, decay, thresh_eff, n_jobs)
    log(logging.DEBUG, "interstep kernel (%s)", interstep)
    if exact:
        r, c, v, bandwidth = _interstep_exact(Z, k_inter, thresh_eff, n_jobs)
        K_inter = sparse.csr_matrix((v, (r, c)), shape=(N, N))
        del r, c, v
        k_nbrs = 0
        nnz_inter = int(K_inter.nnz)
        # The two parts are disjoint (same slice vs same unit in another slice) and
        # each is exactly symmetric, so graphtools' final (K + K.T) / 2 is a no-op.
        K = (K_intra + K_inter).tocsr()
        del K_inter
    else:
        from ._interstep import assemble, interstep_knn_graphs

        k_nbrs = min(interstep_neighbors, n_slices - 1)
        graphs, bandwidth = interstep_knn_graphs(
            Z,
            (E, T),
            k_nbrs,
            thresh_eff,
            k_bandwidth=k_inter,
            random_state=random_state,
            n_jobs=n_jobs,
            progress=progress,
        )
        del Z
        nnz_inter = sum(len(g[1]) for g in graphs)
        # one CSR with both parts, written unit by unit (no intermediate sum)
        K = assemble(graphs, U, K_intra)
        del graphs
    info = KernelInfo(
        shape=(E, T, U, S),
        interstep=interstep,
        intrastep_knn=k_intra,
        interstep_knn=k_inter,
        bandwidth=bandwidth,
        interstep_neighbors=k_nbrs,
        nnz_intrastep=int(K_intra.nnz),
        nnz_interstep=nnz_inter,
    )
    del K_intra
    K.sort_indices()
    return K, info


def multislice_kernel(
    X: Any,
    *,
    intrastep_knn: int = 2,
    interstep_knn: int = 25,
    decay: float = 5,
    thresh: float = 1e-4,
    interstep: str = "knn",
    interstep_neighbors: int = 75,
    normalize: bool = True,
    random_state: Any = None,
    n_jobs: int | None = 1,
) -> sparse.csr_matrix:
    """The multiway multislice affinity between all nodes of a hidden-state tensor.

    Parameters
    ----------
    X : array of shape (epochs, timesteps, units, samples)
        Hidden states; nodes are ``(e, t, u)`` in slice-major order
        ``node = (e * T + t) * U + u``.
    intrastep_knn : int, default 2
        Neighbour whose distance sets each node's bandwidth inside a slice
        (clipped to ``units - 2`` as graphtools does).
    interstep_knn : int, default 25
        Neighbour (nearest other slices of the same unit) whose median distance,
        averaged over units, sets the global interstep bandwidth (both modes).
        Clipped to ``slices - 1``.
    decay : float, default 5
        Alpha of the intrastep alpha-decay kernel.
    thresh : float, default 1e-4
        Affinities below this value are dropped.
    interstep : {"knn", "exact"}, default "knn"
        ``"exact"``: every slice linked to every other slice (the reference;
        equals ``graphtools.Graph(m_phate.kernel.multislice_kernel(...),
        precomputed="affinity").K`` for ``samples <= 100``).  ``"knn"``: the
        scalable kernel (temporal neighbours plus the ``interstep_neighbors``
        nearest slices of the same unit among all its slices, union-symmetrised;
        each kept weight equals the exact kernel's).
    interstep_neighbors : int, default 75
        With ``interstep="knn"``: feature-space interstep neighbours per node
        (clipped to ``slices - 1``; 0 keeps only the temporal edges).  Such a
        graph keeps only part of each node's interstep mass (35-91% for 75
        neighbours, depending on the data), which is why
        :class:`~mmphate.MMPHATE` builds its operator from the full interstep
        affinity instead (:func:`mmphate.engine._interstep.landmark_affinity`).
        Ignored by ``"exact"``.
    normalize : bool, default True
        Z-score each node over the samples first (``m_phate.utils.normalize``).
    random_state : int, numpy Generator or None
        With ``interstep="knn"``: seeds the sample of query slices from which
        the global bandwidth is estimated when there are more than 8192 slices,
        and the k-means cells of the approximate neighbour search (units with
        more than 2048 slices).
    n_jobs : int or None, default 1
        joblib workers over chunks of slices and units (threads by default; see
        :mod:`mmphate.engine._parallel`); results do not depend on it.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (N, N), symmetric, ``N = E*T*U``
        float64 for ``"exact"``, float32 for ``"knn"``; ones on the diagonal.

    Notes
    -----
    Unlike m_phate, no PCA is applied when ``samples > 100``.

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a parameter has the wrong type or value
        (NaN or infinite numbers included).
    ValueError, TypeError
        If ``X`` is not a valid 4-D tensor (see :func:`mmphate.record.check_hidden`), has too
        few units for ``intrastep_knn`` or a single slice.
    """
    from .._validate import check_bool, check_int

    check_int(intrastep_knn, "intrastep_knn", minimum=1)
    check_int(interstep_knn, "interstep_knn", minimum=1)
    check_int(interstep_neighbors, "interstep_neighbors", minimum=0)
    check_bool(normalize, "normalize")
    from ._parallel import check_n_jobs

    check_n_jobs(n_jobs)
    K, _ = build_kernel(
        X,
        intrastep_knn=intrastep_knn,
        interstep_knn=interstep_knn,
        decay=decay,
        thresh=thresh,
        interstep=interstep,
        interstep_neighbors=interstep_neighbors,
        normalize=normalize,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return K
