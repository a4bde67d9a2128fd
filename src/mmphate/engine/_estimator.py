"""The MM-PHATE estimator (scikit-learn style).

``MMPHATE().fit_transform(X)`` embeds every ``(epoch, timestep, unit)`` node of a
hidden-state tensor ``X[e, t, u, s]``, in slice-major order
``node = (e * T + t) * U + u``.

Stages and what invalidates them (everything else is reused):

==============  ==========================================================
kernel          ``intrastep_knn, interstep_knn, decay, thresh, interstep,
                interstep_neighbors``
                (and the data, ``padding``)
operator        ``n_landmark`` (and ``random_state``, which seeds landmarks);
                with ``interstep="knn"`` it includes the interstep affinity
                summed per landmark (``interstep_mass_``)
``t``           ``t``
embedding       ``gamma, n_components, mds_solver``
==============  ==========================================================

After ``set_params``, :meth:`MMPHATE.transform` recomputes only the stages
whose parameters changed; :attr:`MMPHATE.n_kernel_builds_` counts kernel
constructions.
"""

from __future__ import annotations

import logging
import numbers
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED

from .._validate import (
    InvalidParameterError,
    check_choice,
    check_diffusion,
    check_int,
    check_number,
    check_seed,
    describe,
    warn_degenerate,
)
from ..record import PADDING_MODES, Recording, check_hidden
from . import _embedding as _emb
from ._kernel import INTERSTEP_MODES, build_kernel, normalize_nodes
from ._parallel import check_n_jobs

__all__ = ["MMPHATE"]

_log = logging.getLogger(__name__)

_KERNEL_PARAMS = (
    "intrastep_knn",
    "interstep_knn",
    "decay",
    "thresh",
    "interstep",
    "interstep_neighbors",
)


@contextmanager
def _quiet_phate(verbose: int):
    """Lower phate/graphtools' task logger (which prints to stdout) while inside; restored after."""
    lg = logging.getLogger("graphtools")
    old = lg.level
    lg.setLevel(logging.CRITICAL + 1 if not verbose else logging.WARNING if verbose == 1 else old)
    try:
        yield
    finally:
        lg.setLevel(old)


class MMPHATE(BaseEstimator):
    """Multiway Multislice PHATE: embed the hidden units of an RNN through training.

    Parameters
    ----------
    n_components : int, default 2
        Embedding dimensions (2 or 3 for plotting; any positive int works).
    intrastep_knn : int, default 2
        Adaptive-bandwidth neighbour of the intrastep (within-slice) alpha-decay
        kernel.
    interstep_knn : int, default 25
        Neighbour rank that sets the global interstep bandwidth (as in the
        reference).
    decay : float, default 5
        Alpha of the intrastep kernel.
    thresh : float, default 1e-4
        Affinities below this are dropped.
    interstep : {"knn", "exact"}, default "knn"
        ``"exact"``: the reference kernel (every slice linked to every other
        slice of the same unit; cost ``units * slices**2``).  ``"knn"`` (ours):
        ``kernel_`` stores temporal neighbours plus the ``interstep_neighbors``
        nearest other slices of the same unit (see
        :func:`mmphate.multislice_kernel`), and the landmark operator uses each
        node's *full* interstep affinity summed per landmark, streamed exactly
        for units of at most 8192 slices and as an exact near field plus an
        aggregated far field beyond (see :mod:`mmphate.engine._interstep`);
        ``interstep_mass_`` reports how much of it is represented.
    interstep_neighbors : int, default 75
        With ``interstep="knn"``: feature-space interstep neighbours per node
        stored in ``kernel_`` (0: temporal edges only).  The operator does not
        use them: it uses the full interstep affinity (``interstep_mass_``), so
        they are searched when ``kernel_`` is first read, not during ``fit``.
    t : int or "auto", default "auto"
        Diffusion time; ``"auto"`` takes the knee of the von Neumann entropy.
    gamma : float in [-1, 1], default 0
        Potential: 1 = log (PHATE), 0 = square root (M-PHATE), -1 = none.
    n_landmark : int or None, default 2000
        Number of landmarks (clusters of each unit's nodes, see
        :mod:`mmphate.engine._landmarks`); ``None``, or at least as many as there are
        nodes, embeds every node directly (dense ``N x N``: small inputs only).
        Each unit gets ``ceil(n_landmark / units)`` clusters, so the count may
        exceed ``n_landmark`` slightly when units do not divide it.
    padding : {"carry", "zero"}, default "carry"
        How a :class:`~mmphate.Recording` with variable lengths fills padded
        steps (see :func:`mmphate.record.fill_padding`).
    mds_solver : {"sgd", "smacof", "classic"}, default "sgd"
        Metric MDS solver of ``phate.mds`` (``"classic"``: classical MDS only).
    random_state : int, numpy Generator or None
        Seeds landmarks, the interstep bandwidth estimate, the approximate
        interstep neighbour search and MDS; an int makes results reproducible
        bit for bit.
    n_jobs : int or None, default None
        Workers (joblib, threads by default) for the per-slice and per-unit
        work: intrastep blocks, interstep search, interstep affinity, exact
        kernel; ``-1``: all cores; ``None``: 1 unless inside
        ``joblib.parallel_config`` (whose backend, e.g. ``"dask"``, then runs the
        per-unit tasks).  Results do not depend on it.
    verbose : int, default 1
        0: silent; 1: progress bars and info logs; 2: debug logs.

    Attributes
    ----------
    recording_ : Recording
        The data fitted (built with default labels if an array was given).
    kernel_ : scipy.sparse.csr_matrix (N, N)
        The multislice affinity, symmetric.  With ``interstep="knn"`` it is
        built on first access (the interstep neighbour search), then kept;
        ``kernel_info_`` then also counts its interstep entries.
    kernel_info_ : KernelInfo
        Effective neighbour counts and interstep bandwidth.
    operator_ : mmphate.engine._embedding.Operator
        The (landmark) diffusion operator in eigen form.
    clusters_ : ndarray (N,) or None
        Landmark of each node.
    t_ : int
        Diffusion time used.
    interstep_mass_ : dict
        Fraction of each node's exact interstep affinity the operator
        represents: ``median``, ``p01`` (1st percentile), ``min``, ``nodes``
        (how many it was computed on) and ``exact`` (True: computed for every
        node, else on a seeded sample; 1.0 for ``interstep="exact"``).
    entropy_ : ndarray or None
        Von Neumann entropy curve (when ``t="auto"``).
    embedding_ : ndarray (N, n_components)
    timings_ : dict
        Seconds per stage of the last fit/transform.
    n_kernel_builds_ : int
        How many times this estimator built a kernel.

    Examples
    --------
    >>> import numpy as np
    >>> from mmphate import MMPHATE
    >>> X = np.random.default_rng(0).normal(size=(5, 8, 10, 20))
    >>> Y = MMPHATE(random_state=0, verbose=0).fit_transform(X)
    >>> Y.shape
    (400, 2)
    """

    # partial_fit's keyword options are settings, not per-sample metadata: no metadata routing
    # (and so no generated ``set_partial_fit_request``)
    __metadata_request__partial_fit = {
        "X_new": UNUSED,
        "drift_threshold": UNUSED,
        "background": UNUSED,
    }

    def __init__(
        self,
        n_components: int = 2,
        intrastep_knn: int = 2,
        interstep_knn: int = 25,
        decay: float = 5,
        thresh: float = 1e-4,
        interstep: str = "knn",
        interstep_neighbors: int = 75,
        t: int | str = "auto",
        gamma: float = 0,
        n_landmark: int | None = 2000,
        padding: str = "carry",
        mds_solver: str = "sgd",
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 1,
    ) -> None:
        self.n_components = n_components
        self.intrastep_knn = intrastep_knn
        self.interstep_knn = interstep_knn
        self.decay = decay
        self.thresh = thresh
        self.interstep = interstep
        self.interstep_neighbors = interstep_neighbors
        self.t = t
        self.gamma = gamma
        self.n_landmark = n_landmark
        self.padding = padding
        self.mds_solver = mds_solver
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        """Validate every parameter (scikit-learn convention: here, not in ``__init__``).

        Refuses what would silently change meaning: NaN or infinite numbers (``decay=nan``
        would drop the intrastep kernel), floats where integers are meant
        (``random_state=1.7``), bools, arrays or other types where a string is meant.
        """
        check_int(self.n_components, "n_components", minimum=1)
        check_int(self.intrastep_knn, "intrastep_knn", minimum=1)
        check_int(self.interstep_knn, "interstep_knn", minimum=1)
        check_number(self.decay, "decay", low=0, low_open=True)
        check_number(self.thresh, "thresh", low=0, high=1, high_open=True)
        check_int(self.interstep_neighbors, "interstep_neighbors", minimum=0)
        check_choice(self.interstep, "interstep", INTERSTEP_MODES)
        if not (isinstance(self.t, str) and self.t == "auto") and not (
            isinstance(self.t, numbers.Integral) and not isinstance(self.t, bool) and self.t >= 1
        ):
            raise InvalidParameterError(
                f"t must be 'auto' or a positive integer; got {describe(self.t)}."
            )
        check_number(self.gamma, "gamma", low=-1, high=1)
        check_int(self.n_landmark, "n_landmark", minimum=1, optional=True)
        check_choice(self.padding, "padding", PADDING_MODES)
        check_choice(self.mds_solver, "mds_solver", _emb.MDS_SOLVERS)
        check_seed(self.random_state)
        check_n_jobs(self.n_jobs)
        if not isinstance(self.verbose, numbers.Integral):
            raise InvalidParameterError(
                f"verbose must be an integer (0 silent, 1, 2) or a bool; got {describe(self.verbose)}."
            )

    def _check_input(self, X: Any) -> tuple[np.ndarray, Recording]:
        if isinstance(X, Recording):
            rec = X
            check_hidden(rec.hidden, "Recording.hidden")  # it may have been changed since
            data = rec.filled(self.padding)
        else:
            data = check_hidden(X, "X")
            rec = Recording(data)
        E, T, U, S = data.shape
        if U < self.intrastep_knn + 1:
            raise ValueError(
                f"X has {U} units but intrastep_knn={self.intrastep_knn} needs at least "
                f"{self.intrastep_knn + 1} units per slice; lower intrastep_knn or record more units."
            )
        if E * T < 2:
            raise ValueError(
                f"X has a single slice (epochs * timesteps = {E} * {T} = 1); MM-PHATE needs at "
                "least two (epoch, timestep) slices."
            )
        # MDS embeds the landmarks: ceil(n_landmark / U) per unit (see n_landmark), or every node
        points = E * T * U
        if self.n_landmark is not None and self.n_landmark < points:
            points = U * min(-(-self.n_landmark // U), E * T)
        if self.n_components > points:
            raise ValueError(
                f"n_components={self.n_components} exceeds the {points} points MDS embeds "
                f"(landmarks, or nodes); use at most {points}."
            )
        warn_degenerate(data, rec.units, rec.epochs, stacklevel=4)
        return data, rec

    # ------------------------------------------------------------------ helpers
    def _seed(self, stage: int) -> int | None:
        """An int seed per stage derived from ``random_state`` (None stays None)."""
        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.Generator):
            if not hasattr(self, "_seed_base"):
                self._seed_base = int(rs.integers(2**31 - 1))
            base = self._seed_base
        elif isinstance(rs, np.random.RandomState):
            if not hasattr(self, "_seed_base"):
                self._seed_base = int(rs.randint(2**31 - 1))
            base = self._seed_base
        else:
            base = int(rs)
        return int(np.random.SeedSequence([base, stage]).generate_state(1)[0] % (2**31 - 1))

    @contextmanager
    def _stage(self, name: str):
        start = time.perf_counter()
        if self.verbose:
            _log.info("MMPHATE: %s ...", name)
        yield
        elapsed = time.perf_counter() - start
        self.timings_[name] = elapsed
        if self.verbose:
            _log.info("MMPHATE: %s done in %.2f s", name, elapsed)

    def _progress(self, total: int, desc: str):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, disable=not self.verbose, leave=False)

    def _kernel_key(self) -> tuple:
        return tuple(getattr(self, p) for p in _KERNEL_PARAMS) + (self.padding,)

    @property
    def kernel_(self) -> sparse.csr_matrix:
        """The multislice affinity, ``(N, N)`` CSR, symmetric (built on first access with "knn")."""
        d = self.__dict__
        if d.get("_kernel") is None:
            if d.get("_kernel_core") is None:
                raise AttributeError("'MMPHATE' object has no attribute 'kernel_'")
            with self._stage("kernel (interstep neighbours)"):
                K, info = build_kernel(
                    self._data, **self._kernel_args, n_jobs=self.n_jobs, verbose=self.verbose
                )
            d["_kernel"] = K
            d.pop("_kernel_core", None)
            self.kernel_info_ = info
        return d["_kernel"]

    @kernel_.setter
    def kernel_(self, K: sparse.csr_matrix) -> None:
        self.__dict__["_kernel"] = K
        self.__dict__.pop("_kernel_core", None)

    def _operator_kernel(self) -> sparse.csr_matrix:
        """What the operator reads: the stored kernel, or (not yet built) its intrastep part."""
        core = self.__dict__.get("_kernel_core")
        return self.kernel_ if core is None else core

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any = None) -> MMPHATE:
        """Build the kernel and embed the nodes of ``X``.

        Parameters
        ----------
        X : array of shape (epochs, timesteps, units, samples) or Recording
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            (a ``ValueError`` and a ``TypeError``) If a parameter has the wrong type or value,
            including NaN or infinite numbers and non-integer seeds.
        TypeError
            If ``X`` is not numeric.
        ValueError
            If ``X`` is not 4-D, is empty, holds NaN, infinite or beyond-float32 values, has
            fewer units than ``intrastep_knn + 1`` or a single slice.

        Warns
        -----
        DegenerateDataWarning
            Once, if nodes are constant over the trace samples or there is a single sample.
        """
        self._check_params()
        data, rec = self._check_input(X)
        self.recording_ = rec
        self._data = data
        self.timings_ = {}
        if not hasattr(self, "n_kernel_builds_"):
            self.n_kernel_builds_ = 0
        for attr in ("_seed_base", "_op_key", "_t_key", "_emb_key", "_incremental"):
            if hasattr(self, attr):
                delattr(self, attr)
        self._build_kernel()
        self._run_stages()
        return self

    def _build_kernel(self) -> None:
        # With "knn" the operator reads only the intrastep part of the kernel (the interstep
        # affinity is streamed per landmark), so the fit builds the intrastep and temporal
        # edges; the stored interstep neighbours are searched when ``kernel_`` is first read
        # (at 487,680 nodes that search was 14 of the kernel stage's 16 s).
        lazy = self.interstep == "knn" and self.interstep_neighbors > 0
        self._kernel_args = {
            "intrastep_knn": self.intrastep_knn,
            "interstep_knn": self.interstep_knn,
            "decay": self.decay,
            "thresh": self.thresh,
            "interstep": self.interstep,
            "interstep_neighbors": self.interstep_neighbors,
            "random_state": self._seed(0),
        }
        with self._stage("kernel"):
            K, info = build_kernel(
                self._data,
                **{
                    **self._kernel_args,
                    "interstep_neighbors": 0 if lazy else self.interstep_neighbors,
                },
                n_jobs=self.n_jobs,
                verbose=self.verbose,
            )
        if lazy:
            self.__dict__.pop("_kernel", None)
            self._kernel_core = K
            self.kernel_info_ = replace(
                info,
                interstep_neighbors=min(
                    self.interstep_neighbors, info.shape[0] * info.shape[1] - 1
                ),
            )
        else:
            self.kernel_, self.kernel_info_ = K, info
        self.n_kernel_builds_ += 1
        self._kernel_key_used = self._kernel_key()
        for attr in ("_op_key", "_t_key", "_emb_key"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _run_stages(self) -> None:
        E, T, U, S = self._data.shape
        N = E * T * U
        # operator (landmarks)
        op_key = (self.n_landmark, self._seed(1))
        if getattr(self, "_op_key", None) != op_key:
            knn = self.interstep == "knn"
            landmarks = not (self.n_landmark is None or self.n_landmark >= N)
            Z = normalize_nodes(self._data, np.float32, self.n_jobs) if (knn or landmarks) else None
            with self._stage("landmarks"):
                if not landmarks:
                    clusters = None
                else:
                    from ._landmarks import unit_clusters

                    clusters = unit_clusters(
                        Z, self.n_landmark, random_state=self._seed(1), n_jobs=self.n_jobs
                    )
            A = None
            if knn:
                from ._interstep import landmark_affinity

                with self._stage("interstep affinity"):
                    A, self.interstep_mass_ = landmark_affinity(
                        Z,
                        clusters,
                        self.kernel_info_.bandwidth,
                        max(float(self.thresh), float(np.finfo(float).eps)),
                        random_state=self._seed(3),
                        n_jobs=self.n_jobs,
                    )
            else:
                # the exact kernel is the whole interstep affinity
                self.interstep_mass_ = {
                    "median": 1.0,
                    "p01": 1.0,
                    "min": 1.0,
                    "nodes": N,
                    "exact": True,
                }
            del Z
            with self._stage("operator"):
                self.operator_ = _emb.build_operator(self._operator_kernel(), clusters, A, U)
            del A
            self.clusters_ = clusters
            self._op_key = op_key
            for attr in ("_t_key", "_emb_key"):
                if hasattr(self, attr):
                    delattr(self, attr)
        # diffusion time and potential
        t_key = (self.t,)
        if getattr(self, "_t_key", None) != t_key:
            with self._stage("t"):
                if self.t == "auto":
                    self.t_, self.entropy_ = _emb.select_t(self.operator_)
                    if self.verbose:
                        _log.info("MMPHATE: selected t = %d", self.t_)
                else:
                    self.t_, self.entropy_ = int(self.t), None
                self._P_t = _emb.diffuse(self.operator_, self.t_)
            self._t_key = t_key
            if hasattr(self, "_emb_key"):
                delattr(self, "_emb_key")
        emb_key = (self.gamma, self.n_components, self.mds_solver, self._seed(2))
        if getattr(self, "_emb_key", None) != emb_key:
            with self._stage("mds"):
                check_diffusion(self._P_t, self.t_)
                pot = _emb.potential(self._P_t, self.gamma)
                with _quiet_phate(self.verbose):
                    Y = _emb.mds(pot, self.n_components, self.mds_solver, self._seed(2))
                self._landmark_embedding = Y
                tr = self.operator_.transitions
                self.embedding_ = np.asarray(tr @ Y if tr is not None else Y, dtype=np.float64)
            self._emb_key = emb_key

    def transform(self, X: Any = None) -> np.ndarray:
        """The embedding of the fitted nodes, recomputing only stages whose parameters changed.

        Change ``t``, ``gamma``, ``n_components`` or ``mds_solver`` with
        :meth:`set_params` and call ``transform()``: the kernel (and landmark
        operator) are reused.  A changed kernel parameter rebuilds the kernel.

        Parameters
        ----------
        X : None, or the same data given to :meth:`fit`
            MM-PHATE embeds the nodes it was fitted on; other data raise.

        Returns
        -------
        ndarray of shape (epochs * timesteps * units, n_components)
        """
        if not hasattr(self, "embedding_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This MMPHATE instance is not fitted yet; call fit(X) first.")
        if (
            X is not None
            and X is not self.recording_
            and not (
                isinstance(X, np.ndarray)
                and X.shape == self._data.shape
                and np.array_equal(np.asarray(X, dtype=self._data.dtype), self.recording_.hidden)
            )
        ):
            raise ValueError(
                "MMPHATE embeds the nodes it was fitted on (no out-of-sample extension); "
                "call transform() without arguments, or fit_transform(X) for new data."
            )
        self._check_params()
        self.timings_ = {}
        if self._kernel_key() != self._kernel_key_used:
            if self.padding != self._kernel_key_used[-1]:
                self._data = self.recording_.filled(self.padding)
            self._build_kernel()
        self._run_stages()
        return self.embedding_

    def partial_fit(
        self, X_new: Any, y: Any = None, *, drift_threshold: float = 0.2, background: bool = True
    ) -> MMPHATE:
        """Append epochs to the fitted model without refitting it (on an unfitted one: ``fit``).

        New nodes are placed through the fitted landmarks; fitted nodes keep their
        coordinates.  Once ``drift`` (share of the appended nodes' interstep affinity on
        appended rather than fitted nodes) exceeds ``drift_threshold``, a refit on all
        epochs starts in a background thread; the next call or :meth:`wait_refit` swaps it
        in, Procrustes-aligned.  See :mod:`mmphate.engine._incremental`.  Thread safe.

        Parameters
        ----------
        X_new : array (epochs_new, timesteps, units, samples) or Recording
            Same timesteps, units and trace samples as the fitted data (else ``ValueError``);
            a Recording's epochs must follow the fitted ones (arrays continue the numbering).
        y : ignored
        drift_threshold : float in [0, 1], default 0.2
        background : bool, default True
            False: refit within this call when the threshold is passed.

        Returns
        -------
        self
            ``embedding_`` covers every epoch so far; ``partial_info_``: ``drift``,
            ``refit_pending``, ``refitted``, ``alignment_disparity`` (Procrustes, before vs
            after a swap), ``n_epochs``, ``fitted_epochs``, ``seconds``.
        """
        from ._incremental import partial_fit

        return partial_fit(self, X_new, drift_threshold, background)

    def wait_refit(self, timeout: float | None = None) -> bool:
        """Wait for a pending refit and swap it in (the next starts if drift stays past the threshold).

        Returns True if a refit was swapped in, False if none was pending.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most (then ``TimeoutError``); None: no limit.
        """
        from ._incremental import wait_refit

        return wait_refit(self, timeout)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return the embedding, shape ``(epochs * timesteps * units, n_components)``."""
        return self.fit(X).embedding_

    def to_frame(self) -> pd.DataFrame:
        """The embedding as a tidy table.

        Returns
        -------
        pandas.DataFrame
            One row per node in slice-major order; columns ``epoch``,
            ``timestep``, ``unit`` (the recording's real labels), then ``x``,
            ``y`` (, ``z``; further components are ``c3``, ``c4``, ...).
        """
        if not hasattr(self, "embedding_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This MMPHATE instance is not fitted yet; call fit(X) first.")
        from ..record import embedding_frame

        return embedding_frame(self.embedding_, self.recording_)

    @property
    def diff_potential_(self) -> np.ndarray:
        """The diffusion potential of the landmarks (``L x L``)."""
        return _emb.potential(self._P_t, self.gamma)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "embedding_")
