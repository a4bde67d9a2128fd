"""Baseline embeddings of the same nodes: PCA, t-SNE, Isomap, UMAP.

Every baseline embeds the rows of the ``N x S`` node-feature matrix, each
node's ``S`` activations z-scored over the samples (population std; a std of 0
leaves the node merely centred), exactly the features the multislice kernel
uses (:func:`mmphate.engine.normalize_nodes`).  The result is an ``(N, d)``
array in slice-major node order, like ``MMPHATE.embedding_``, so every
analysis and the widget take it unchanged.

Implementations: PCA from scikit-learn; t-SNE from openTSNE (FFT-accelerated
for 2-D, Barnes-Hut otherwise; multi-threaded via ``n_jobs``); UMAP from
umap-learn; Isomap from scikit-learn.  Isomap needs all-pairs geodesic
distances (memory ~ N^2), so above ``max_isomap_nodes`` it is fitted on a
seeded random subset of that many nodes and the rest are placed with
``Isomap.transform`` (a warning says so).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from .._optional import require
from .._validate import (
    InvalidParameterError,
    check_baseline,
    check_choice,
    check_features,
    check_int,
    check_seed,
    describe,
)

__all__ = ["embed_baseline", "node_features", "BASELINES"]

logger = logging.getLogger(__name__)

#: Names of the baseline methods :func:`embed_baseline` accepts.
BASELINES = ("pca", "tsne", "isomap", "umap")


def node_features(X: Any, padding: str = "carry") -> np.ndarray:
    """The ``(N, S)`` z-scored node features of a recording, in node order.

    Parameters
    ----------
    X : Recording, array of shape (E, T, U, S), or fitted MMPHATE
        A Recording's padded steps are filled first (``padding``, see
        :meth:`mmphate.Recording.filled`).
    padding : {"carry", "zero"}

    Returns
    -------
    numpy.ndarray of shape (E*T*U, S), float32
    """
    from ..engine import normalize_nodes
    from ..record import check_hidden

    rec = getattr(X, "recording_", X)
    if hasattr(rec, "filled") and hasattr(rec, "hidden"):
        hidden = rec.filled(padding)
    else:
        hidden = check_hidden(rec, "X")
    S = hidden.shape[-1]
    return normalize_nodes(hidden, dtype=np.float32).reshape(-1, S)


def _features(X: Any, padding: str) -> np.ndarray:
    arr = X if isinstance(X, np.ndarray) else None
    if arr is not None and arr.ndim == 2:
        return np.asarray(arr, dtype=np.float32)  # already node features
    return node_features(X, padding)


def _isomap(
    F: np.ndarray,
    n_components: int,
    random_state: int | None,
    max_nodes: int,
    params: dict[str, Any],
) -> np.ndarray:
    from scipy.sparse import SparseEfficiencyWarning
    from sklearn.manifold import Isomap

    N = F.shape[0]
    iso = Isomap(n_components=n_components, **params)
    with warnings.catch_warnings():
        # sklearn links a disconnected k-NN graph edge by edge; its sparse-efficiency
        # warnings are noise (its "connected components" warning still shows)
        warnings.simplefilter("ignore", SparseEfficiencyWarning)
        if N <= max_nodes:
            return iso.fit_transform(F)
        warnings.warn(
            f"Isomap on {N} nodes needs ~N^2 memory; fitting on a random subset of "
            f"{max_nodes} nodes and placing the others with Isomap.transform "
            "(raise max_isomap_nodes to fit more).",
            UserWarning,
            stacklevel=3,
        )
        rng = np.random.default_rng(random_state)
        fit_idx = np.sort(rng.choice(N, size=max_nodes, replace=False))
        iso.fit(F[fit_idx])
        out = np.empty((N, n_components))
        out[fit_idx] = iso.embedding_
        rest = np.setdiff1d(np.arange(N), fit_idx)
        for s in range(0, len(rest), 50_000):
            out[rest[s : s + 50_000]] = iso.transform(F[rest[s : s + 50_000]])
        return out


def embed_baseline(
    method: str,
    X: Any,
    n_components: int = 2,
    *,
    random_state: int | None = 0,
    n_jobs: int = 1,
    padding: str = "carry",
    max_isomap_nodes: int = 5000,
    **kwargs: Any,
) -> np.ndarray:
    """Embed the nodes of a recording with a baseline method.

    Parameters
    ----------
    method : {"pca", "tsne", "isomap", "umap"}
    X : Recording, array (E, T, U, S), fitted MMPHATE, or array (N, S)
        A 2-D array is taken as ready-made node features (not re-normalised).
    n_components : int
        Output dimensions.
    random_state : int or None
        Seed (PCA's randomized solver, t-SNE, UMAP, Isomap's subset).
    n_jobs : int
        Threads for t-SNE (openTSNE).  UMAP with a fixed ``random_state`` runs
        single-threaded (umap-learn's rule for reproducibility).
    padding : {"carry", "zero"}
        How a Recording's padded steps are filled.
    max_isomap_nodes : int
        Largest number of nodes Isomap is fitted on (see the module docstring).
    **kwargs
        Passed to the underlying estimator (e.g. ``perplexity``,
        ``n_neighbors``, ``min_dist``).

    Returns
    -------
    numpy.ndarray of shape (N, n_components), float32, in node order

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``method``, ``n_components`` (for PCA at most
        the number of samples and nodes), ``random_state`` (an int, a RandomState or None),
        ``padding`` or ``max_isomap_nodes`` is invalid.
    TypeError, ValueError
        If ``X`` is not a Recording, a 4-D tensor or a finite numeric (N, S) array.
    MissingDependencyError
        If the t-SNE or UMAP baseline is asked for without ``mmphate[baselines]``.
    """
    if not isinstance(method, str):
        raise InvalidParameterError(f"method must be one of {BASELINES}; got {describe(method)}.")
    n_components = check_int(n_components, "n_components", minimum=1)
    random_state = check_seed(random_state, generator=False)
    check_int(n_jobs, "n_jobs")
    check_choice(padding, "padding", ("carry", "zero"))
    check_int(max_isomap_nodes, "max_isomap_nodes", minimum=2)
    if isinstance(X, np.ndarray) and X.ndim == 2:
        check_features(X, "X (node features)")
    check_baseline(method, X, n_components)
    method = str(method).lower()
    if method not in BASELINES:
        raise ValueError(f"method must be one of {BASELINES}; got {method!r}.")
    F = _features(X, padding)
    N = F.shape[0]
    if n_components < 1:
        raise ValueError(f"n_components must be positive; got {n_components}.")
    if method == "pca":
        from sklearn.decomposition import PCA

        out = PCA(n_components, random_state=random_state, **kwargs).fit_transform(F)
    elif method == "tsne":
        TSNE = require("openTSNE", "baselines", "the t-SNE baseline").TSNE

        params: dict[str, Any] = {
            "perplexity": min(30.0, max(2.0, (N - 1) / 3.0)),
            "n_jobs": n_jobs,
            "random_state": random_state,
            "verbose": False,
        }
        if n_components > 2:
            params["negative_gradient_method"] = "bh"
        params.update(kwargs)
        out = np.asarray(TSNE(n_components=n_components, **params).fit(F))
    elif method == "umap":
        umap = require("umap", "baselines", "the UMAP baseline", package="umap-learn")

        params = {"n_neighbors": min(15, N - 1), "random_state": random_state}
        params.update(kwargs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*n_jobs value.*", category=UserWarning)
            out = umap.UMAP(n_components=n_components, **params).fit_transform(F)
    else:
        params = {"n_neighbors": min(10, N - 1)}
        params.update(kwargs)
        out = _isomap(F, n_components, random_state, max_isomap_nodes, params)
    out = np.ascontiguousarray(out, dtype=np.float32)
    if out.shape != (N, n_components):
        raise RuntimeError(f"{method} returned shape {out.shape}; expected {(N, n_components)}.")
    return out
