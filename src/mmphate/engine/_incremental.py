"""Adding epochs to a fitted model: out-of-sample placement, drift, background refit.

:meth:`MMPHATE.partial_fit` appends epochs ``X_new[e, t, u, s]`` (same timesteps,
units and trace samples) to a fitted model without refitting it:

**Placement** (PHATE's transition-based extension, as graphtools'
``LandmarkGraph.extend_to_data``).  Each new node gets the kernel row the fitted
operator would have given it: the intrastep alpha-decay kernel inside its own
slice (fitted ``intrastep_knn``, ``decay``, ``thresh``) and the interstep
Gaussian (fitted global bandwidth, entries below ``thresh`` dropped) to *every*
slice of the same unit, old and new, i.e. the full interstep row the operator
uses (see :func:`mmphate.engine._interstep.landmark_affinity`).  The row is
summed per landmark, ``B = K_row C``, where the new nodes belong to the
landmark of their unit whose centre (mean normalised activations of its
fitted members) is nearest; the transitions are ``rownorm(B)`` and the
coordinates ``transitions @ Y`` with ``Y`` the landmark embedding.  Fitted
nodes keep their coordinates: the landmark operator, ``t`` and ``Y`` are
untouched between refits.  ``kernel_`` gains the new nodes' edges (intrastep
blocks; interstep: with ``interstep="knn"`` each new node's temporal
neighbours and ``interstep_neighbors`` nearest slices, union-symmetrised, with
``"exact"`` every entry); the k-NN lists of old nodes are not searched again.

**Drift** (our definition).  ``drift`` is the share of the appended nodes'
interstep affinity (summed over all their rows, both directions between two
appended nodes) that falls on other appended nodes rather than on the fitted
ones.  Why this measure: the landmarks and their embedding were computed from
the fitted nodes only, so the placement is as good as the fitted nodes
represent the new ones.  Nodes that resemble fitted ones put most of their
mass on fitted slices; with unchanged data ``drift`` is close to the share of
appended slices (``k / (E + k)`` after ``k`` epochs appended to ``E``), so it
also grows with the volume not seen by the operator.  Nodes in new territory
(the network moved) put their mass on each other, and ``drift`` rises at once.
Past ``drift_threshold`` (default 0.2, from measurement: appending to a fit on
10 epochs in ``benchmarks/bench_partial.py``, agreement with a full refit stays
at 0.6 or more of the seed floor over all nodes, and 0.85 or more over the
appended nodes, up to a drift of about 0.2, and falls beyond it; see the
fitting guide),
:meth:`MMPHATE.partial_fit` starts a full refit on all epochs so far in a
background thread; the next call (or :meth:`MMPHATE.wait_refit`) swaps it in,
places the epochs appended meanwhile through the new landmarks and aligns the
new embedding to the previous one by orthogonal Procrustes with translation
and scale on all shared nodes, so that the picture does not jump; if those
epochs keep the drift past the threshold, the next refit starts.  The refit
equals ``fit`` on the same data (same parameters and seeds).  On Linux its
thread runs at a lower scheduling priority (nice +10), so that on a busy
machine it takes the CPU time that training and the live view leave: on one
core (``benchmarks/bench_live.py`` pinned to it) this cut the slowest live
updates, which otherwise wait for a refit sharing their core.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import sparse

from .._validate import check_bool, check_number
from ..record import Recording, check_hidden, concat_epochs
from ._kernel import _BLOCK_ENTRIES, _intrastep, _sq_dists, normalize_nodes
from ._landmarks import indicator

__all__ = ["partial_fit", "wait_refit", "align"]

_CREATE = threading.Lock()
_FITTED = ("kernel_", "kernel_info_", "operator_", "clusters_", "embedding_", "recording_")


class _State:
    """What ``partial_fit`` keeps between calls (``MMPHATE._incremental``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.executor: ThreadPoolExecutor | None = None
        self.future: Future | None = None

    def reset(self, model: Any) -> None:
        """Start over from the model's current fit (after ``fit`` or a swap)."""
        data = model._data
        E, T, U, S = data.shape
        dtype = model.kernel_.dtype
        self.Z = normalize_nodes(data, dtype)  # (slices, U, S), all nodes so far
        self.n_fit_slices = E * T
        flat = self.Z.reshape(E * T * U, S)
        clusters = model.clusters_
        if clusters is None:  # every fitted node is its own landmark
            clusters = np.arange(E * T * U)
            self.centres = flat.copy()
        else:
            C = indicator(clusters, dtype=np.float64)
            counts = np.asarray(C.sum(axis=0)).ravel()
            self.centres = (np.asarray(C.T @ flat) / counts[:, None]).astype(dtype)
        self.clusters = np.asarray(clusters, dtype=np.int64)
        L = len(self.centres)
        lm_unit = np.empty(L, dtype=np.int64)
        lm_unit[self.clusters] = np.arange(E * T * U) % U
        self.unit_landmarks = [np.flatnonzero(lm_unit == u) for u in range(U)]
        tr = model.operator_.transitions
        self.transitions = (
            sparse.identity(E * T * U, dtype=np.float32, format="csr") if tr is None else tr
        )
        self.operator = model.operator_  # the fit this state describes
        self.mass_fit = 0.0  # appended -> fitted
        self.mass_app = 0.0  # appended <-> appended
        self.threshold = getattr(self, "threshold", 0.2)  # of the last partial_fit call

    def drift(self) -> float:
        total = self.mass_fit + self.mass_app
        if total <= 0:
            return 0.0 if self.Z.shape[0] == self.n_fit_slices else 1.0
        return float(self.mass_app / total)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for k in ("lock", "executor", "future"):
            state.pop(k, None)  # a pending refit is not carried over
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()
        self.executor = None
        self.future = None


def _state(model: Any) -> _State:
    """The model's state, created once (its lock serialises the calls); reset when stale."""
    with _CREATE:
        st = model.__dict__.get("_incremental")
        if st is None:
            st = model._incremental = _State()
        return st


def _current(model: Any, st: _State) -> None:
    """Bring ``st`` in line with the model's fit (under ``st.lock``)."""
    if getattr(st, "operator", None) is not model.operator_:
        st.future = None  # fit() or transform() rebuilt the operator: a pending refit is stale
        st.reset(model)


# --------------------------------------------------------------------------- input
def _as_recording(X: Any, rec: Recording, padding: str) -> tuple[Recording, np.ndarray]:
    """The grown recording and the filled new epochs; one clear line when ``X`` does not fit."""
    E, T, U, S = rec.shape
    if isinstance(X, Recording):
        new = X
    else:
        shape = np.shape(X)
        if len(shape) != 4 or tuple(shape[1:]) != (T, U, S):
            raise ValueError(
                f"X_new must have shape (epochs, {T}, {U}, {S}) like the fitted data "
                f"(epochs, timesteps, units, samples); got {tuple(shape)}."
            )
        data = check_hidden(X, "X_new")
        new = Recording(
            data,
            epochs=np.arange(1, data.shape[0] + 1) + int(rec.epochs[-1]),
            timesteps=rec.timesteps,
            units=rec.units,
            valid=rec.valid,
            sample_labels=rec.sample_labels,
            class_names=rec.class_names,
        )
    check_hidden(new.hidden, "X_new")
    grown = concat_epochs(rec, new)
    return grown, new.filled(padding)


# --------------------------------------------------------------------------- placement
def _interstep_rows(
    st: _State, Znew: np.ndarray, labels_new: np.ndarray, bw: float, thr: float, k_nbrs: int, T: int
) -> tuple[sparse.csr_matrix, sparse.csr_matrix, float, float, float]:
    """New nodes' interstep rows: summed per landmark (``A``) and as kernel edges (``W``).

    Returns ``A`` (m, L), ``W`` (m, N_total) and the masses on fitted slices, on
    slices appended by earlier calls and on this call's slices.
    """
    n_prev, U, S = st.Z.shape
    m = Znew.shape[0]
    n_all = n_prev + m
    Zall = np.concatenate([st.Z, Znew])
    lab_all = np.concatenate([st.clusters.reshape(n_prev, U), labels_new.reshape(m, U)])
    L = len(st.centres)
    inv = 1.0 / (bw * bw)
    rows_a, cols_a, vals_a, rows_w, cols_w, vals_w = [], [], [], [], [], []
    mass = np.zeros(3)
    block = max(1, _BLOCK_ENTRIES // max(1, n_all))
    exact = k_nbrs < 0
    for u in range(U):
        x = Zall[:, u, :]
        lms = st.unit_landmarks[u]
        H = np.zeros((n_all, len(lms)), dtype=np.float32)
        H[np.arange(n_all), np.searchsorted(lms, lab_all[:, u])] = 1
        for a in range(0, m, block):
            q = np.arange(n_prev + a, n_prev + min(m, a + block))  # global slice ids
            G = _sq_dists(x[q], x).astype(np.float64)
            G *= -inv
            np.exp(G, out=G)
            G[G < thr] = 0
            G[np.arange(len(q)), q] = 0  # no self loops
            mass += [G[:, :st.n_fit_slices].sum(), G[:, st.n_fit_slices : n_prev].sum(),
                     G[:, n_prev:].sum()]  # fmt: skip
            A = G.astype(np.float32) @ H
            r, c = np.nonzero(A)
            rows_a.append((q[r] - n_prev) * U + u)
            cols_a.append(lms[c])
            vals_a.append(A[r, c])
            # kernel edges: every entry (exact) or temporal + k nearest slices (knn)
            if exact:
                r, c = np.nonzero(G)
                w = G[r, c]
            else:
                keep = np.zeros_like(G, dtype=bool)
                if k_nbrs > 0:
                    kk = min(k_nbrs, n_all - 1)
                    top = np.argpartition(-G, kk - 1, axis=1)[:, :kk]
                    keep[np.arange(len(q))[:, None], top] = True
                    keep &= G > 0
                for off, ok in ((1, q % T > 0), (T, q >= T)):
                    keep[np.flatnonzero(ok), q[ok] - off] = True
                r, c = np.nonzero(keep)
                w = np.maximum(G[r, c], thr)
            rows_w.append((q[r] - n_prev) * U + u)
            cols_w.append(c * U + u)
            vals_w.append(w)
    cat = np.concatenate
    A = sparse.csr_matrix((cat(vals_a), (cat(rows_a), cat(cols_a))), shape=(m * U, L))
    W = sparse.csr_matrix((cat(vals_w), (cat(rows_w), cat(cols_w))), shape=(m * U, n_all * U))
    return A, W, float(mass[0]), float(mass[1]), float(mass[2])


def _assign(st: _State, Znew: np.ndarray) -> np.ndarray:
    """Landmark of each new node: the nearest centre among its unit's landmarks."""
    m, U, _ = Znew.shape
    out = np.empty((m, U), dtype=np.int64)
    for u in range(U):
        lms = st.unit_landmarks[u]
        out[:, u] = lms[np.argmin(_sq_dists(Znew[:, u, :], st.centres[lms]), axis=1)]
    return out.ravel()


def _place(model: Any, st: _State, rec: Recording, data_new: np.ndarray) -> None:
    """Append ``data_new`` (the filled new epochs of ``rec``) to the model, out of sample."""
    E_new, T, U, S = data_new.shape
    info = model.kernel_info_
    dtype = model.kernel_.dtype
    decay, thresh = model._kernel_key_used[2:4]  # as fitted (set_params may have changed them)
    thr = max(float(thresh), float(np.finfo(float).eps))
    Znew = normalize_nodes(data_new, dtype)
    m = E_new * T
    n_prev = st.Z.shape[0]
    N_prev, M = n_prev * U, m * U
    K_in = _intrastep(Znew, info.intrastep_knn, decay, thr, model.n_jobs)  # (M, M)
    labels = _assign(st, Znew)
    k_nbrs = -1 if info.interstep == "exact" else info.interstep_neighbors
    A, W, m_fit, m_prev, m_self = _interstep_rows(st, Znew, labels, info.bandwidth, thr, k_nbrs, T)
    L = len(st.centres)
    B = (K_in.astype(np.float32) @ indicator(labels, L, np.float32) + A).tocsr()
    d = np.asarray(B.sum(axis=1, dtype=np.float64)).ravel()
    tr_new = sparse.csr_matrix(sparse.diags((1.0 / d).astype(np.float32)) @ B)
    Y = model._landmark_embedding
    coords = np.asarray(tr_new @ Y, dtype=np.float64)
    # kernel: old block unchanged, new rows and columns added (union-symmetrised)
    K_in_full = sparse.hstack([sparse.csr_matrix((M, N_prev), dtype=dtype), K_in]).tocsr()
    R = (W.astype(dtype) + K_in_full).tocsr()
    R_old, R_new = R[:, :N_prev], R[:, N_prev:]
    K = sparse.bmat(
        [[model.kernel_, R_old.T], [R_old, R_new.maximum(R_new.T)]], format="csr", dtype=dtype
    )
    K.sort_indices()
    # commit (nothing above changed the model)
    st.mass_fit += m_fit
    st.mass_app += 2 * m_prev + m_self
    st.Z = np.concatenate([st.Z, Znew])
    st.clusters = np.concatenate([st.clusters, labels])
    st.transitions = sparse.vstack([st.transitions, tr_new], format="csr")
    model.kernel_ = K
    nnz_in = int(K_in.nnz)
    model.kernel_info_ = replace(
        info,
        shape=rec.shape,
        nnz_intrastep=info.nnz_intrastep + nnz_in,
        nnz_interstep=int(K.nnz) - info.nnz_intrastep - nnz_in,
    )
    model.operator_ = st.operator = replace(
        model.operator_, transitions=st.transitions, clusters=st.clusters
    )
    model.clusters_ = st.clusters
    model.embedding_ = np.concatenate([model.embedding_, coords])
    model._data = np.concatenate([model._data, data_new])
    model.recording_ = rec


# --------------------------------------------------------------------------- refit
def align(reference: np.ndarray, moving: np.ndarray) -> tuple[np.ndarray, Any]:
    """``moving`` mapped onto ``reference`` by rotation/reflection, scale and translation.

    Returns the map as a function of an array (so the landmark embedding can follow).
    """
    from scipy.linalg import orthogonal_procrustes

    mu_r, mu_m = reference.mean(axis=0), moving.mean(axis=0)
    A, B = moving - mu_m, reference - mu_r
    R, s = orthogonal_procrustes(A, B)
    norm = float(np.sum(A * A))
    scale = s / norm if norm > 0 else 1.0

    def apply(P: np.ndarray) -> np.ndarray:
        return (P - mu_m) @ R * scale + mu_r

    return apply(moving), apply


#: Added to the refit thread's nice value (Linux: per thread; elsewhere nothing changes).
_REFIT_NICE = 10


def _lower_priority() -> None:
    """Set the calling thread (the refit's own) ``_REFIT_NICE`` below the process's main thread.

    Relative to the main thread, not to the current value, so the executor's thread, which
    runs every refit of a model, does not sink further with each one.  Linux only.
    """
    if not sys.platform.startswith("linux"):
        return  # PRIO_PROCESS with a thread id is per thread only on Linux
    try:
        base = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's nice
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, base + _REFIT_NICE))
    except OSError:  # e.g. a sandbox without setpriority: the refit runs at normal priority
        pass


def _refit_job(cls: type, params: dict, rec: Recording) -> Any:
    _lower_priority()
    fresh = cls(**{**params, "verbose": 0}).fit(rec)
    fresh.kernel_  # noqa: B018 (the stored kernel is built here, not at the swap)
    return fresh


def _swap(model: Any, st: _State) -> float:
    """Swap in the finished refit, place the epochs appended since, align; Procrustes disparity."""
    from scipy.spatial import procrustes

    fresh = st.future.result()  # re-raises the refit's error
    st.future = None
    before = model.embedding_
    rec_now, data_now = model.recording_, model._data
    builds = model.n_kernel_builds_
    params = model.get_params(deep=False)
    for k, v in fresh.__dict__.items():
        if k not in params and k != "_incremental":
            setattr(model, k, v)
    model.n_kernel_builds_ = builds + fresh.n_kernel_builds_
    st.reset(model)
    E_fit = model.recording_.n_epochs
    if rec_now.n_epochs > E_fit:
        _place(model, st, rec_now, data_now[E_fit:])
    model.embedding_, apply = align(before, model.embedding_)
    model._landmark_embedding = apply(model._landmark_embedding)
    return float(procrustes(before, model.embedding_)[2])


def _start_refit(model: Any, st: _State) -> None:
    if st.executor is None:
        st.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmphate-refit")
    st.future = st.executor.submit(
        _refit_job, type(model), model.get_params(deep=False), model.recording_
    )


# --------------------------------------------------------------------------- API
def _info(model: Any, st: _State, start: float, refitted: bool, disparity: Any) -> None:
    model.partial_info_ = {
        "drift": st.drift(),
        "refit_pending": st.future is not None,
        "refitted": refitted,
        "alignment_disparity": disparity,
        "n_epochs": model.recording_.n_epochs,
        "fitted_epochs": st.n_fit_slices // model.recording_.n_timesteps,
        "seconds": time.perf_counter() - start,
    }


def partial_fit(
    model: Any, X_new: Any, drift_threshold: float = 0.2, background: bool = True
) -> Any:
    """See :meth:`mmphate.MMPHATE.partial_fit`."""
    start = time.perf_counter()
    check_number(drift_threshold, "drift_threshold", low=0, high=1)
    check_bool(background, "background")
    st = _state(model)
    with st.lock:
        if not hasattr(model, "embedding_"):
            model.fit(X_new)  # drops the model's state: attach this one again
            model._incremental = st
            _current(model, st)
            st.threshold = drift_threshold
            _info(model, st, start, False, None)
            return model
        _current(model, st)
        refitted, disparity = False, None
        if st.future is not None and st.future.done():
            disparity, refitted = _swap(model, st), True
        rec, data_new = _as_recording(X_new, model.recording_, model._kernel_key_used[-1])
        _place(model, st, rec, data_new)
        st.threshold = drift_threshold
        if st.future is None and st.drift() > drift_threshold:
            _start_refit(model, st)
            if not background:
                st.future.result()
                disparity, refitted = _swap(model, st), True
        _info(model, st, start, refitted, disparity)
    return model


def wait_refit(model: Any, timeout: float | None = None) -> bool:
    """See :meth:`mmphate.MMPHATE.wait_refit`."""
    st = model.__dict__.get("_incremental")
    if st is None or st.future is None:
        return False
    start = time.perf_counter()
    fut = st.future
    fut.result(timeout)  # waits outside the lock; raises TimeoutError or the refit's error
    with st.lock:
        if st.future is not fut:  # swapped in by a concurrent call
            return False
        disparity = _swap(model, st)
        if st.drift() > st.threshold:  # epochs appended during the refit: start the next one
            _start_refit(model, st)
        _info(model, st, start, True, disparity)
    return True
