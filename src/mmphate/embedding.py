"""PHATE's embedding stages on a precomputed sparse affinity: operator, ``t``, potential, MDS.

Stages (each cached by :class:`~mmphate.estimator.MMPHATE`):

1. :func:`build_operator`: the (landmark) diffusion operator.  As in graphtools'
   ``LandmarkGraph.build_landmark_op``: with ``B = K C`` (``C`` the node-to-
   landmark indicator), ``transitions = rownorm(B)`` (``N x L``) and
   ``op = rownorm(B.T) @ rownorm(B)`` (``L x L``), but computed with one sparse
   product instead of a Python loop over landmarks.  ``op = W^-1 M`` with ``M``
   symmetric, so it is similar to the symmetric ``W^-1/2 M W^-1/2``, whose
   eigen-decomposition we keep.
2. :func:`select_t`: ``t`` at the knee of the von Neumann entropy, as
   ``phate.vne`` does, but from the eigenvalues of that symmetric conjugate
   (PHATE takes a full SVD of the non-symmetric operator).
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
from scipy import sparse

__all__ = ["Operator", "build_operator", "select_t", "diffuse", "potential", "mds", "MDS_SOLVERS"]

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


def build_operator(K: sparse.spmatrix, clusters: np.ndarray | None) -> Operator:
    """Diffusion operator of the affinity ``K``, on landmarks if ``clusters`` is given.

    Parameters
    ----------
    K : sparse (N, N) symmetric affinity
    clusters : (N,) int landmark ids ``0..L-1``, or None for no landmarking
        (the ``N x N`` operator is then dense: small graphs only).
    """
    K = sparse.csr_matrix(K, dtype=np.float64)
    d = np.asarray(K.sum(axis=1)).ravel()
    if clusters is None:
        M = K.toarray()
        w = d
        transitions = None
    else:
        from .landmarks import indicator

        C = indicator(clusters)
        B = (K @ C).tocsr()  # (N, L): affinity of each node to each landmark
        Bn = sparse.diags(1.0 / np.sqrt(d)) @ B
        M = (Bn.T @ Bn).toarray()  # B.T D^-1 B, symmetric
        w = np.asarray(B.sum(axis=0)).ravel()  # row sums of B.T
        transitions = sparse.diags(1.0 / d) @ B  # rownorm(B): rows of B sum to d
        transitions = transitions.tocsr()
    s = 1.0 / np.sqrt(w)
    A = M * s[:, None] * s[None, :]
    A = (A + A.T) / 2
    from scipy.linalg import eigh

    lam, V = eigh(A, overwrite_a=True, check_finite=False, driver="evd")
    return Operator(transitions, w, lam, V, clusters)


def select_t(op: Operator, t_max: int = 100) -> tuple[int, np.ndarray]:
    """``t`` at the knee of the von Neumann entropy (``phate.vne`` semantics).

    ``phate.vne.compute_von_neumann_entropy`` takes singular values ``s``;
    entry ``i`` of the curve is the entropy of ``s ** (i + 1)`` (normalised),
    and ``phate.vne.find_knee_point`` returns the knee's index, used as ``t``.
    Here ``s`` are the absolute eigenvalues of the symmetric conjugate.

    Returns
    -------
    t : int
    entropy : (t_max,) array
    """
    from phate.vne import find_knee_point

    ev = np.abs(op.eigvals)
    ev = ev[ev > 0]
    entropy = np.empty(t_max)
    ev_t = ev.copy()
    for i in range(t_max):
        prob = ev_t / ev_t.sum() + np.finfo(float).eps
        entropy[i] = -np.sum(prob * np.log(prob))
        ev_t = ev_t * ev
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
    """Metric MDS of the potential's rows (``phate.mds.embed_MDS``)."""
    from phate.mds import embed_MDS

    how = "classic" if solver == "classic" else "metric"
    return embed_MDS(
        pot,
        ndim=n_components,
        how=how,
        solver="sgd" if solver == "classic" else solver,
        seed=random_state,
        n_jobs=1,
        verbose=verbose,
    )
