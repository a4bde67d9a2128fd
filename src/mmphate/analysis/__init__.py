"""Analyses of any node embedding (MM-PHATE's or a baseline's): intra- and inter-step entropy,
training phases, entropy against performance, high-information units and their ablation, unit
clusters, baseline embeddings, quality metrics (among them variance between and within units,
within-unit DEMaP and temporal stability), method comparison and MM-PHATE's sensitivity to its
diffusion time ``t`` and potential ``gamma``, epoch-by-epoch similarity (linear CKA against the
embedding's epoch distances) and a permutation test between groups of runs.

Compute only: nothing here imports :mod:`mmphate.explorer`.  t-SNE and UMAP baselines need
``mmphate[baselines]``; ablation needs ``mmphate[torch]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

_METRICS = (
    "neighborhood_preservation_within",
    "neighborhood_preservation_between",
    "trustworthiness_continuity",
    "demap",
    "kernel_fidelity",
    "knn_overlap",
)

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "intrastep_entropy": "._entropy",
        "interstep_entropy": "._entropy",
        "default_reference": "._entropy",
        "training_phases": "._phases",
        "PhaseResult": "._phases",
        "Segment": "._phases",
        "entropy_vs_performance": "._stats",
        "rank_units": "._units",
        "ablation_test": "._ablation",
        "AblationResult": "._ablation",
        "cluster_units": "._clusters",
        "ClusterResult": "._clusters",
        "embed_baseline": "._baselines",
        "node_features": "._baselines",
        "BASELINES": "._baselines",
        "compare_methods": "._compare",
        "sensitivity": "._compare",
        "METHODS": "._compare",
        "variance_partition": "._stability",
        "demap_within": "._stability",
        "temporal_stability": "._stability",
        "StabilityResult": "._stability",
        "linear_cka": "._similarity",
        "epoch_similarity": "._similarity",
        "epoch_distances": "._similarity",
        "group_permutation_test": "._groups",
        "pairwise_group_tests": "._groups",
        "GroupTestResult": "._groups",
        **{name: "._metrics" for name in _METRICS},
    },
)

if TYPE_CHECKING:  # pragma: no cover
    from ._ablation import AblationResult, ablation_test
    from ._baselines import BASELINES, embed_baseline, node_features
    from ._clusters import ClusterResult, cluster_units
    from ._compare import METHODS, compare_methods, sensitivity
    from ._entropy import default_reference, interstep_entropy, intrastep_entropy
    from ._groups import GroupTestResult, group_permutation_test, pairwise_group_tests
    from ._metrics import (
        demap,
        kernel_fidelity,
        knn_overlap,
        neighborhood_preservation_between,
        neighborhood_preservation_within,
        trustworthiness_continuity,
    )
    from ._phases import PhaseResult, Segment, training_phases
    from ._similarity import epoch_distances, epoch_similarity, linear_cka
    from ._stability import (
        StabilityResult,
        demap_within,
        temporal_stability,
        variance_partition,
    )
    from ._stats import entropy_vs_performance
    from ._units import rank_units
