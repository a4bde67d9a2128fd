"""Where an embedding puts its variance, how well it keeps each unit's own geometry, and how
stably it follows the changes from one epoch to the next.

- :func:`variance_partition` -- the share of the total variance of a point set (an embedding,
  the node features or ground-truth latent coordinates) that lies *between* the unit means
  (or slice means, epoch means, means of unit groups) and the share *within* them.  The
  shares sum to 1; compare an embedding's with the features' or the ground truth's.
- :func:`demap_within` -- DEMaP (:func:`mmphate.analysis.demap`) computed separately over the
  nodes of each unit (or each group of units) and averaged: does the embedding keep the
  geometry *inside* a unit, or only the separation between units?
- :func:`temporal_stability` -- after Vernier et al. (EuroVis 2020, "Quantitative evaluation
  of time-dependent multidimensional projection techniques"): for every pair of consecutive
  epochs, the change of each pairwise distance between the epoch's nodes in the reference
  space and in the embedding; scored by the Spearman correlation of the two sets of changes
  (1 = the embedding's distances change in the same order) and by their normalised stress
  ``sum (dH - dL)^2 / sum dH^2`` (0 = the same changes).  Distances are divided by their
  root mean square over all epochs in each space first (one scale per space, so that a
  uniformly scaled embedding is not penalised but a growing or shrinking structure is kept).

Every random subset is seeded.  The node order is slice-major, as everywhere in mmphate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import pdist

from .._validate import (
    InvalidParameterError,
    as_embedding,
    check_bool,
    check_features,
    check_int,
    check_node_source,
    check_seed,
    describe,
)
from ._entropy import check_embedding, node_layout
from ._metrics import _features_for, _subsample, geodesic_spearman

__all__ = ["variance_partition", "demap_within", "temporal_stability", "StabilityResult"]


def _points(points: Any, name: str) -> np.ndarray:
    """An ``(N, d)`` point set: an embedding, a fitted estimator, ground truth (``latent``),
    or features (a Recording or an ``(E, T, U, S)`` tensor, z-scored per node)."""
    if hasattr(points, "hidden") or (isinstance(points, np.ndarray) and points.ndim == 4):
        check_features(points, name)
        return _features_for(points, None).astype(np.float64)
    return as_embedding(getattr(points, "latent", points), name)


def _group_of_nodes(by: Any, E: int, T: int, U: int) -> np.ndarray:
    """The group of every node for ``by`` = "unit", "slice", "epoch" or one label per unit."""
    if isinstance(by, str):
        if by == "unit":
            return np.tile(np.arange(U), E * T)
        if by == "slice":
            return np.repeat(np.arange(E * T), U)
        if by == "epoch":
            return np.repeat(np.arange(E), T * U)
        raise InvalidParameterError(
            f"by must be 'unit', 'slice', 'epoch' or one group label per unit; got {by!r}."
        )
    labels = np.asarray(by)
    if labels.ndim != 1 or len(labels) != U:
        raise ValueError(
            f"by as group labels must hold one label per unit ({U}); got {describe(by)}."
        )
    _, codes = np.unique(labels, return_inverse=True)
    return np.tile(codes, E * T)


def variance_partition(points: Any, recording: Any, *, by: Any = "unit") -> dict[str, float]:
    """Share of the variance of a point set between groups of nodes and within them.

    ``total = between + within`` with ``between = sum_g n_g |mean_g - mean|^2`` (the spread
    of the group means) and ``within = sum_g sum_{i in g} |x_i - mean_g|^2``.

    Parameters
    ----------
    points : (N, d) array, fitted MMPHATE, ground truth (``latent``), or Recording
        An embedding, ground-truth latent coordinates (e.g. ``synthetic_recording(...)[1]``),
        or a Recording / ``(E, T, U, S)`` tensor for its z-scored node features.
    recording : Recording, fitted MMPHATE or shape (epochs, timesteps, units)
        The node layout.
    by : {"unit", "slice", "epoch"} or array of one label per unit
        The groups: each unit's nodes across all slices (default), each slice's nodes, each
        epoch's nodes, or groups of units (e.g. ``truth.unit_groups``).

    Returns
    -------
    dict
        ``between`` and ``within`` (shares in [0, 1] summing to 1) and ``total`` (the summed
        squared deviation from the mean, in the units of ``points``).

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``by`` is not one of the choices.
    ValueError, TypeError
        If ``points`` is not a finite numeric array with one row per node, the group labels do
        not match the units, or the points have no variance at all.
    """
    recording = check_node_source(recording)
    layout = node_layout(recording)
    X = check_embedding(_points(points, "points"), layout, "points")
    group = _group_of_nodes(by, *layout.shape)
    Xc = X - X.mean(axis=0)
    total = float((Xc**2).sum())
    if not total > 0:
        raise ValueError("points have no variance (every node at the same position).")
    counts = np.bincount(group)
    sums = np.zeros((len(counts), X.shape[1]))
    np.add.at(sums, group, Xc)
    between = float(((sums**2).sum(axis=1) / np.maximum(counts, 1)).sum())
    share = min(max(between / total, 0.0), 1.0)
    return {"between": share, "within": 1.0 - share, "total": total}


def demap_within(
    embedding: Any,
    recording: Any,
    ground_truth: Any = None,
    *,
    groups: Any = None,
    n_neighbors: int = 10,
    max_samples: int | None = 300,
    max_groups: int | None = 50,
    random_state: int | None = 0,
    per_group: bool = False,
) -> float | pd.Series:
    """DEMaP inside each unit (or group of units), averaged.

    For every group, the k-NN graph of the reference coordinates of *that group's nodes only*
    gives geodesic distances, and their Spearman correlation with the embedding's Euclidean
    distances is computed as in :func:`~mmphate.analysis.demap` (geodesics from a seeded
    subset of ``max_samples`` of the group's nodes).  A high score needs the embedding to keep
    the geometry inside a unit, not only to set the units apart.

    Parameters
    ----------
    embedding : (N, d) array or fitted MMPHATE
    recording : Recording, fitted MMPHATE or shape
        The node layout; with ``ground_truth=None`` also the reference (its node features).
    ground_truth : (N, q) array or an object with ``latent``, optional
        Reference coordinates (default: the recording's z-scored node features).
    groups : array of one label per unit, optional
        Score groups of units (e.g. ``truth.unit_groups``) instead of single units.
    n_neighbors : int
        k of each group's reference k-NN graph.
    max_samples : int or None
        Geodesic sources per group (seeded subset; None: all of the group's nodes).
    max_groups : int or None
        Score at most this many groups (seeded subset).
    random_state : int or None
    per_group : bool
        Return the score of every scored group (a Series by unit id or group label).

    Returns
    -------
    float, or pandas.Series with ``per_group``

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If the embedding or the reference is not a finite numeric array with one row per node,
        ``groups`` does not hold one label per unit, or a group has fewer than 4 nodes.
    """
    embedding = as_embedding(embedding)
    recording = check_node_source(recording)
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(max_samples, "max_samples", minimum=3, optional=True)
    check_int(max_groups, "max_groups", minimum=1, optional=True)
    random_state = check_seed(random_state, generator=False)
    check_bool(per_group, "per_group")
    layout = node_layout(recording)
    emb = check_embedding(embedding, layout)
    if ground_truth is None:
        if isinstance(recording, tuple):
            raise TypeError("demap_within needs a Recording (or ground_truth) for the reference.")
        Z = _features_for(None, getattr(recording, "recording_", recording)).astype(np.float64)
    else:
        Z = check_embedding(_points(ground_truth, "ground truth"), layout, "ground truth")
    E, T, U = layout.shape
    if groups is None:
        node_group, names = np.tile(np.arange(U), E * T), np.asarray(layout.units)
    else:
        labels = np.asarray(groups)
        if labels.ndim != 1 or len(labels) != U:
            raise ValueError(f"groups must hold one label per unit ({U}); got {describe(groups)}.")
        names, codes = np.unique(labels, return_inverse=True)
        node_group = np.tile(codes, E * T)
    order = np.arange(len(names))
    if max_groups is not None and len(order) > max_groups:
        order = np.sort(np.random.default_rng(random_state).choice(order, max_groups, False))
    scores, missing, pairs = {}, 0, 0
    for g in order:
        idx = np.flatnonzero(node_group == g)
        if len(idx) < 4:
            raise ValueError(
                f"group {names[g]!r} has {len(idx)} nodes; within-group DEMaP needs at least 4."
            )
        rho, miss, n = geodesic_spearman(
            emb[idx], Z[idx], min(n_neighbors, len(idx) - 1), max_samples, random_state
        )
        scores[names[g]] = rho
        missing, pairs = missing + miss, pairs + n
    if missing:
        warnings.warn(
            f"{missing} of {pairs} within-group pairs are in different components of their "
            "group's reference k-NN graph and are left out; raise n_neighbors to connect it.",
            stacklevel=2,
        )
    series = pd.Series(scores, name="demap_within", dtype=float)
    return series if per_group else float(series.mean())


@dataclass
class StabilityResult:
    """Result of :func:`temporal_stability`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per pair of consecutive epochs: ``epoch``, ``next_epoch``, ``spearman``
        (Spearman correlation of the distance changes, NaN where either space did not
        change), ``stress`` (normalised stress of the changes, NaN where the reference did not
        change) and ``change`` (root mean square of the reference's normalised distance changes:
        how much the epoch pair moved).
    spearman : float
        Mean Spearman correlation over the epoch pairs (1 = stable, 0 = unrelated changes).
    stress : float
        Normalised stress pooled over all epoch pairs, ``sum (dH - dL)^2 / sum dH^2``
        (0 = the same changes; 1 = no better than an embedding that does not move at all).
    n_nodes : int
        Nodes per epoch whose pairwise distances were compared.
    """

    pairs: pd.DataFrame
    spearman: float
    stress: float
    n_nodes: int


def temporal_stability(
    embedding: Any,
    recording: Any,
    features: Any = None,
    *,
    max_nodes: int | None = 200,
    random_state: int | None = 0,
) -> StabilityResult:
    """Stability of an embedding between consecutive epochs (Vernier et al., 2020).

    The same seeded subset of (timestep, unit) nodes is taken in every epoch; for each pair
    of consecutive epochs, the changes of all their pairwise distances in the reference
    space (``dH``) and in the embedding (``dL``) are compared, after dividing each space's
    distances by their root mean square over all epochs (see the module docstring).

    Parameters
    ----------
    embedding : (N, d) array or fitted MMPHATE
    recording : Recording or fitted MMPHATE
        The node layout; also the reference when ``features`` is None.
    features : (N, S) array, (E, T, U, S) array or Recording, optional
        Reference space (default: the recording's z-scored node features).
    max_nodes : int or None
        Nodes per epoch (seeded subset of the ``T * U``; None: all).
    random_state : int or None

    Returns
    -------
    StabilityResult

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count or seed is invalid.
    ValueError, TypeError
        If the embedding or the features are not finite numeric arrays with one row per node,
        the recording has fewer than 2 epochs or an epoch fewer than 3 nodes, or either space
        has all its distances zero.
    """
    embedding = as_embedding(embedding)
    recording = check_node_source(recording)
    check_features(features)
    check_int(max_nodes, "max_nodes", minimum=3, optional=True)
    random_state = check_seed(random_state, generator=False)
    layout = node_layout(recording)
    emb = check_embedding(embedding, layout)
    E, T, U = layout.shape
    if E < 2:
        raise ValueError(f"temporal stability needs at least 2 epochs; the recording has {E}.")
    if T * U < 3:
        raise ValueError(f"temporal stability needs at least 3 nodes per epoch; got {T * U}.")
    if features is None and isinstance(recording, tuple):
        raise TypeError("temporal_stability needs a Recording (or features) for the reference.")
    F = _features_for(features, getattr(recording, "recording_", recording))
    if F.shape[0] != layout.n_nodes:
        raise ValueError(f"features have {F.shape[0]} rows; expected {layout.n_nodes} nodes.")
    idx = _subsample(T * U, max_nodes, random_state)
    Fe = F.reshape(E, T * U, -1)[:, idx].astype(np.float64)
    Le = emb.reshape(E, T * U, -1)[:, idx]
    DH = np.stack([pdist(Fe[e]) for e in range(E)])
    DL = np.stack([pdist(Le[e]) for e in range(E)])
    for what, D in (("features", DH), ("embedding", DL)):
        scale = float(np.sqrt((D**2).mean()))
        if not scale > 0:
            raise ValueError(f"the {what} put every node of every epoch at the same position.")
        D /= scale
    dH, dL = np.diff(DH, axis=0), np.diff(DL, axis=0)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        for e in range(E - 1):
            h, low = dH[e], dL[e]
            den = float((h**2).sum())
            moved = den > 0 and bool(np.ptp(low) > 0)
            rows.append(
                {
                    "epoch": layout.epochs[e],
                    "next_epoch": layout.epochs[e + 1],
                    "spearman": float(stats.spearmanr(h, low)[0]) if moved else np.nan,
                    "stress": float(((h - low) ** 2).sum() / den) if den > 0 else np.nan,
                    "change": float(np.sqrt(den / len(h))),
                }
            )
    pairs = pd.DataFrame(rows)
    den = float((dH**2).sum())
    spear = pairs["spearman"].to_numpy()
    return StabilityResult(
        pairs=pairs,
        spearman=float(np.nanmean(spear)) if np.isfinite(spear).any() else float("nan"),
        stress=float(((dH - dL) ** 2).sum() / den) if den > 0 else float("nan"),
        n_nodes=len(idx),
    )
