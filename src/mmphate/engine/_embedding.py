"""PHATE's embedding stages on a precomputed sparse affinity: operator, ``t``, potential, MDS.

Stages (each cached by :class:`~mmphate.MMPHATE`):

1. :func:`build_operator`: the (landmark) diffusion operator.  As in graphtools'
   ``LandmarkGraph.build_landmark_op``: with ``B = K C`` (``C`` the node-to-
   landmark indicator), ``transitions = rownorm(B)`` (``N x L``) and
   ``op = rownorm(B.T) @ rownorm(B)`` (``L x L``), but computed with sparse
   products instead of a Python loop over landmarks (with the interstep affinity
   already summed per landmark, term by term: :func:`_split_gram`).  ``op = W^-1 M`` with ``M``
   symmetric, so it is similar to the symmetric ``W^-1/2 M W^-1/2``, whose
   eigen-decomposition we keep.
2. :func:`select_t`: ``t`` at the knee of the von Neumann entropy of the
   operator's singular values, as ``phate.vne`` does (PHATE's
   ``_find_optimal_t``); only the singular values are computed (no ``U``, ``V``).
3. :func:`diffuse` / :func:`potential`: ``op ** t`` from the same eigenvectors
   (PHATE uses ``numpy.linalg.matrix_power``), then PHATE's potential:
   ``-log(P + 1e-7)`` for ``gamma = 1``, ``P`` for ``gamma = -1``, else
   ``P ** c / c`` with ``c = (1 - gamma) / 2`` (``gamma = 0``, M-PHATE's
   default: square-root potential).
4. :func:`mds`: ``phate.mds.embed_MDS`` (classical MDS initialisation, then
   metric MDS with PHATE's SGD or SMACOF solver) on the landmarks, extended to
   all nodes through ``transitions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from phate.mds import embed_MDS
from phate.vne import find_knee_point
from scipy import sparse
from scipy.linalg import eigh

from ._landmarks import indicator

__all__ = [
    "Operator",
    "build_operator",
    "same_slice",
    "select_t",
    "diffuse",
    "potential",
    "mds",
    "MDS_SOLVERS",
]

MDS_SOLVERS = ("sgd", "smacof", "classic")


@dataclass
class Operator:
    """A diffusion operator ``op = diag(1 / w) M`` with ``M`` symmetric, in eigen form.

    Attributes
    ----------
    transitions : sparse (N, L) or None
        Row-stochastic map from nodes to landmarks (None: no landmarks).
    weights : (L,) array, ``w``
    eigvals : (L,) eigenvalues of ``W^-1/2 M W^-1/2`` (ascending)
    eigvecs : (L, L) its orthonormal eigenvectors
    clusters : (N,) landmark of each node, or None
    """

    transitions: sparse.csr_matrix | None
    weights: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    clusters: np.ndarray | None

    @property
    def n_landmarks(self) -> int:
        return len(self.weights)

    def dense(self) -> np.ndarray:
        """The operator itself, ``op = W^-1/2 V diag(lam) V.T W^1/2``."""
        return diffuse(self, 1)


def same_slice(K: sparse.csr_matrix, U: int, block: int = 1 << 22) -> sparse.csr_matrix:
    """The entries of ``K`` that join two nodes of one slice (``node // U`` equal), as CSR."""
    K = sparse.csr_matrix(K)
    N = K.shape[0]
    counts = np.diff(K.indptr)
    keep = np.empty(K.nnz, dtype=bool)
    kept = np.zeros(N, dtype=np.int64)
    rows_per = max(1, block // max(1, int(counts.mean()) if N else 1))
    for r in range(0, N, rows_per):
        r1 = min(N, r + rows_per)
        lo, hi = K.indptr[r], K.indptr[r1]
        rows = np.repeat(np.arange(r, r1), counts[r:r1])
        k = K.indices[lo:hi] // U == rows // U
        keep[lo:hi] = k
        kept[r:r1] = np.bincount(rows[k] - r, minlength=r1 - r)
    indptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(kept, out=indptr[1:])
    out = sparse.csr_matrix((K.data[keep], K.indices[keep], indptr), shape=K.shape)
    out.has_sorted_indices = K.has_sorted_indices
    return out


def build_operator(
    K: sparse.spmatrix,
    clusters: np.ndarray | None,
    interstep: sparse.spmatrix | None = None,
    units: int | None = None,
) -> Operator:
    """Diffusion operator of the affinity ``K``, on landmarks if ``clusters`` is given.

    Parameters
    ----------
    K : sparse (N, N) symmetric affinity
    clusters : (N,) int landmark ids ``0..L-1``, or None for no landmarking
        (the ``N x N`` operator is then dense: small graphs only).
    interstep : sparse (N, L), optional
        The interstep affinity already summed per landmark
        (:func:`mmphate.engine._interstep.landmark_affinity`); then ``B`` is the
        intrastep part of ``K`` (entries within one slice of ``units`` nodes)
        times ``C``, plus ``interstep``, and the interstep entries stored in ``K``
        are not used.
    units : int
        Units per slice (with ``interstep``).
    """
    K = sparse.csr_matrix(K)  # no copy for a CSR input (float32 stays float32)
    if interstep is not None:
        K = same_slice(K, int(units))
    if clusters is None:
        if interstep is not None:
            K = (K + sparse.csr_matrix(interstep, dtype=K.dtype)).tocsr()
        M = K.toarray().astype(np.float64)
        w = M.sum(axis=1)
        transitions = None
    else:
        # (N, L) affinity of each node to each landmark: one sparse product with
        # the indicator instead of graphtools' loop over landmarks (float32, in
        # place where possible: at millions of nodes this is the memory peak)
        B = (K @ indicator(clusters, dtype=np.float32)).tocsr()
        if interstep is not None:
            inter = sparse.csr_matrix(interstep, dtype=B.dtype)
            d = np.asarray(B.sum(axis=1, dtype=np.float64)).ravel()
            d += np.asarray(inter.sum(axis=1, dtype=np.float64)).ravel()  # node degrees
            M = _split_gram(B, inter, 1.0 / d, clusters, int(units), K)
            del K  # the intrastep copy: ~8 bytes per entry
            B = (B + inter).tocsr()
            del inter
        else:
            d = np.asarray(B.sum(axis=1, dtype=np.float64)).ravel()  # node degrees
            Bt = B.T.tocsr()  # (L, N)
            _scale(Bt, 1.0 / d, axis=1)  # B.T D^-1
            M = np.asarray((Bt @ B).toarray(), dtype=np.float64)  # B.T D^-1 B, symmetric
            del Bt
        # B.T 1 in exact arithmetic (M 1 = B.T D^-1 B 1 = B.T 1); taken from M itself, so that
        # the operator W^-1 M has rows summing to 1 to float64 rounding whatever rounding went
        # into M (float32 products over tens of thousands of slices drift by ~1e-4, which
        # op ** t multiplies by t)
        w = M.sum(axis=1)
        _scale(B, 1.0 / d, axis=0)  # rownorm(B), in place
        transitions = B
    s = 1.0 / np.sqrt(w)
    A = M * s[:, None] * s[None, :]
    A = (A + A.T) / 2
    # single precision halves the cost of the L x L decomposition; the
    # operator's entries (~1/L) keep about four significant digits, ample for
    # the entropy knee and the potential
    lam, V = eigh(A.astype(np.float32), overwrite_a=True, check_finite=False, driver="evd")
    lam, V = lam.astype(np.float64), V.astype(np.float64)
    if row_sum_drift(lam, V, w, _DRIFT_T) > _DRIFT_MAX:
        # landmarks whose weights are tiny next to the others (a ratio of 1e-8 or so) amplify
        # float32 rounding in op ** t = W^-1/2 V lam^t V.T W^1/2 (its rows then no longer sum
        # to 1); decompose in float64 instead
        lam, V = eigh(A, overwrite_a=True, check_finite=False, driver="evd")
    return Operator(transitions, w, lam, V, clusters)


#: ``t`` at which :func:`build_operator` checks the float32 decomposition (the knee of
#: ``t="auto"`` lies below it), and the largest row-sum error of ``op ** t`` it accepts
_DRIFT_T, _DRIFT_MAX = 100, 1e-3


def row_sum_drift(eigvals: np.ndarray, eigvecs: np.ndarray, weights: np.ndarray, t: int) -> float:
    """Largest ``|row sum - 1|`` of ``op ** t`` from the eigen form, in ``O(L**2)``.

    ``op ** t 1 = W^-1/2 V lam^t V.T W^1/2 1``; exactly 1 for a row-stochastic ``op``.
    """
    s = np.sqrt(weights)
    r = (eigvecs @ (eigvals**t * (eigvecs.T @ s))) / s
    return float(np.max(np.abs(r - 1))) if len(r) else 0.0


def _split_gram(
    intra: sparse.csr_matrix,
    inter: sparse.csr_matrix,
    inv_d: np.ndarray,
    clusters: np.ndarray,
    units: int,
    K_intra: sparse.csr_matrix,
) -> np.ndarray:
    """``B.T D^-1 B`` (dense ``L x L``, float64) for ``B = intra + inter``, term by term.

    ``inter`` joins each node only to the landmarks of its own unit (a few tens of entries
    per row), ``intra`` (the intrastep part times ``C``) to the landmarks of the other nodes
    of its slice (about ``intrastep_knn`` entries).  One sparse product ``B.T B`` costs
    ``sum_i nnz_i**2``, dominated by the interstep entries (about 42 s of 46 at 487,680
    nodes and 2,010 landmarks); split, ``inter.T D^-1 inter`` is one dense product per unit
    (its block of ``M``), ``intra.T D^-1 inter`` a sparse-times-dense product per unit, and
    ``intra.T D^-1 intra`` is ``C.T (K D^-1 K) C`` for the intrastep kernel ``K_intra``
    (``intra = K_intra C``, one ``units x units`` block per slice), slice by slice
    (:func:`_intra_gram`).
    """
    L = intra.shape[1]
    M = _intra_gram(K_intra, inv_d, clusters, units, L)
    cross = np.zeros((L, L), dtype=np.float64)
    for u in range(units):
        rows = np.arange(u, intra.shape[0], units)
        cols = np.unique(clusters[u::units])
        # float64: these sums run over every slice of the unit (tens of thousands)
        Au = inter[rows][:, cols].toarray().astype(np.float64)  # (slices, landmarks of u)
        WAu = Au * inv_d[rows, None]
        M[np.ix_(cols, cols)] += Au.T @ WAu
        cross[:, cols] += np.asarray(intra[rows].T @ WAu, dtype=np.float64)
        del Au, WAu
    M += cross
    M += cross.T
    return M


def _intra_gram(
    K: sparse.csr_matrix, inv_d: np.ndarray, clusters: np.ndarray, units: int, L: int
) -> np.ndarray:
    """``C.T K D^-1 K C`` (dense ``L x L``, float64) for a block-diagonal symmetric ``K``.

    ``K`` holds only entries within one slice (nodes ``s * units .. s * units + units - 1``),
    so ``K D^-1 K`` is block diagonal too: per slice one dense ``units x units`` product,
    scattered into ``L x L`` through the nodes' landmarks (``np.bincount``).  That costs
    ``slices * units**2`` additions against ``sum_i nnz_i**2`` for the sparse product of
    ``K C`` with itself (each node's row of ``K C`` has up to ``units - 1`` entries): at
    1.92 M nodes and 64 units (``benchmarks/_data.py``, about 29 intrastep entries per node)
    the whole operator stage took 19.1 s with the sparse product and 12.6 s with this.
    """
    U = int(units)
    n = K.shape[0] // U
    M = np.zeros(L * L, dtype=np.float64)
    per = max(1, (1 << 21) // (U * U))  # slices per chunk
    for s0 in range(0, n, per):
        s1 = min(n, s0 + per)
        r0, r1 = s0 * U, s1 * U
        lo, hi = K.indptr[r0], K.indptr[r1]
        rows = np.repeat(np.arange(r1 - r0), np.diff(K.indptr[r0 : r1 + 1]))
        cols = K.indices[lo:hi] - (rows // U + s0) * U  # position within the slice
        Kd = np.zeros((r1 - r0, U), dtype=np.float32)
        Kd[rows, cols] = K.data[lo:hi]
        Kd = Kd.reshape(s1 - s0, U, U)
        Q = Kd @ (Kd * inv_d[r0:r1].reshape(s1 - s0, U, 1).astype(np.float32))
        lab = clusters[r0:r1].reshape(s1 - s0, U)
        idx = lab[:, :, None] * L + lab[:, None, :]
        M += np.bincount(idx.ravel(), weights=Q.ravel(), minlength=L * L)
    return M.reshape(L, L)


def _scale(A: sparse.csr_matrix, s: np.ndarray, axis: int, block: int = 1 << 22) -> None:
    """In place: multiply row ``i`` (axis 0) or column ``j`` (axis 1) of CSR ``A`` by ``s``."""
    if axis == 1:
        for a in range(0, len(A.data), block):
            A.data[a : a + block] *= s[A.indices[a : a + block]].astype(A.dtype)
        return
    counts = np.diff(A.indptr)
    rows_per = max(1, block // max(1, int(counts.mean()) if len(counts) else 1))
    for r in range(0, A.shape[0], rows_per):
        lo, hi = A.indptr[r], A.indptr[min(r + rows_per, A.shape[0])]
        A.data[lo:hi] *= np.repeat(s[r : r + rows_per], counts[r : r + rows_per]).astype(A.dtype)


def select_t(op: Operator, t_max: int = 100) -> tuple[int, np.ndarray]:
    """``t`` at the knee of the von Neumann entropy, as PHATE chooses it.

    PHATE (``PHATE._find_optimal_t``) calls
    ``phate.vne.compute_von_neumann_entropy(diff_op, t_max)``: the singular
    values ``s`` of the (landmark) diffusion operator, entry ``i`` of the curve
    the entropy of ``s ** (i + 1)`` normalised to sum 1, then
    ``phate.vne.find_knee_point(h, x=arange(t_max))``.  The same here, on the
    same operator (``op.dense()``), with the singular values alone (LAPACK
    ``gesdd`` without vectors, several times cheaper than the full SVD PHATE
    takes; the values agree to rounding).  The operator is not symmetric, so
    its singular values differ from the moduli of its eigenvalues.  PHATE can
    return ``t = 0`` (knee at the first point); here ``t`` is at least 1.

    Returns
    -------
    t : int
    entropy : (t_max,) array
    """
    from scipy.linalg import svdvals

    s = svdvals(op.dense(), check_finite=False)
    # the loop of phate.vne.compute_von_neumann_entropy, on these singular values
    entropy = np.empty(t_max)
    s_t = s.copy()
    for i in range(t_max):
        prob = s_t / np.sum(s_t) + np.finfo(float).eps
        entropy[i] = -np.sum(prob * np.log(prob))
        s_t = s_t * s
    t = int(find_knee_point(y=entropy, x=np.arange(t_max)))
    return max(t, 1), entropy


def diffuse(op: Operator, t: int) -> np.ndarray:
    """``op ** t`` (dense ``L x L``) from the eigen-decomposition."""
    lam_t = op.eigvals**t
    s = np.sqrt(op.weights)
    left = op.eigvecs / s[:, None]  # W^-1/2 V
    right = op.eigvecs.T * s[None, :]  # V.T W^1/2
    return (left * lam_t[None, :]) @ right


def potential(P_t: np.ndarray, gamma: float) -> np.ndarray:
    """PHATE's diffusion potential of a diffused operator."""
    P_t = np.clip(P_t, 0, None)
    if gamma == 1:
        return -np.log(P_t + 1e-7)
    if gamma == -1:
        return P_t
    c = (1 - gamma) / 2
    return P_t**c / c


def mds(
    pot: np.ndarray, n_components: int, solver: str, random_state: Any, verbose: int = 0
) -> np.ndarray:
    """Metric MDS of the potential's rows, as ``phate.mds.embed_MDS(how="metric")``.

    ``"smacof"`` and ``"classic"`` call ``phate.mds.embed_MDS`` itself.  For
    ``"sgd"`` (PHATE 2's default) the same steps run here: Euclidean distances,
    classical MDS (``phate.mds.classic``) as the start, PHATE's minibatch SGD
    with its size-dependent schedule, then Procrustes onto the classical
    solution; only the gradient accumulation differs (``np.bincount`` instead
    of ``np.add.at``, about 10x faster), which changes results at rounding level.
    """
    if solver != "sgd":
        how = "classic" if solver == "classic" else "metric"
        return embed_MDS(
            pot, ndim=n_components, how=how, solver="smacof", seed=random_state, verbose=verbose
        )
    from phate.mds import classic
    from scipy.spatial import procrustes
    from scipy.spatial.distance import pdist, squareform

    if pot.shape[0] > 1000:
        from sklearn.metrics.pairwise import euclidean_distances

        D = euclidean_distances(pot, pot)
    else:
        D = squareform(pdist(pot))
    Y0 = classic(D, n_components=n_components, random_state=random_state)
    Y = _sgd_mds_metric(D, Y0, random_state)
    _, Y, _ = procrustes(Y0, Y)
    return Y


def _sgd_mds_metric(D: np.ndarray, init: np.ndarray, random_state: Any) -> np.ndarray:
    """``phate.sgd_mds.sgd_mds_metric`` with bincount gradient accumulation (no warnings)."""
    n = D.shape[0]
    if n < 1000:
        n_iter, pairs = 300, n * n // 10
    elif n < 5000:
        n_iter, pairs = 500, int(n * np.log(n) * 2)
    else:
        n_iter, pairs = 800, int(n * np.log(n) * 2)
    rng = (
        random_state
        if isinstance(random_state, np.random.RandomState)
        else np.random.RandomState(random_state)
    )
    d_max = np.max(D)
    Dn = D / d_max if d_max > 0 else D.copy()
    Y = init.copy()
    y_std = np.std(Y)
    if y_std > 0:
        Y = Y / y_std
    ratio = pairs / (n * (n - 1) / 2)
    scale = np.sqrt(1.0 / ratio)
    eta_max, eta_min = 0.001 * scale, 0.001 * 0.01 * scale
    lambd = np.log(eta_max / eta_min) / max(n_iter - 1, 1)
    prev = None
    for it in range(n_iter):
        lr = eta_max * np.exp(-lambd * it)
        i = rng.randint(0, n, pairs)
        j = rng.randint(0, n, pairs)
        ok = i != j
        i, j = i[ok], j[ok]
        if len(i) == 0:
            continue
        target = Dn[i, j]
        diff = Y[i] - Y[j]
        dist = np.maximum(np.sqrt(np.einsum("ij,ij->i", diff, diff)), 1e-10)
        err = target - dist
        w = -2.0 * err / dist
        contrib = diff * w[:, None]
        grad = np.empty_like(Y)
        for c in range(Y.shape[1]):
            grad[:, c] = np.bincount(i, contrib[:, c], minlength=n) - np.bincount(
                j, contrib[:, c], minlength=n
            )
        Y = Y - lr * grad
        stress = np.sum(err**2) / len(err)
        if prev is not None and it > 50 and abs(stress - prev) / (prev + 1e-10) < 1e-6:
            break
        prev = stress
    return Y * d_max if d_max > 0 else Y
