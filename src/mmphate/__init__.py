"""mmphate: Multiway Multislice PHATE for recurrent networks' hidden units.

The public API is imported lazily, so that ``import mmphate`` stays fast and
does not pull in optional or heavy dependencies (PyTorch, the widget stack)
until they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # engine
    "MMPHATE": "estimator",
    "multislice_kernel": "kernel",
    # recording
    "Recording": "recording",
    # analyses
    "intrastep_entropy": "entropy",
    "interstep_entropy": "entropy",
    "training_phases": "phases",
    "entropy_vs_performance": "stats",
    "rank_units": "units",
    "ablation_test": "ablation",
    "cluster_units": "clusters",
    "embed_baseline": "baselines",
    "compare_methods": "compare",
    # widget (UI; compute modules never import these)
    "Explorer": "widget",
    "view": "widget",
    "export_html": "export",
}

# submodules reachable as attributes, e.g. ``mmphate.datasets``
_SUBMODULES = {
    "datasets",
    "metrics",
    "entropy",
    "phases",
    "stats",
    "units",
    "ablation",
    "clusters",
    "baselines",
    "compare",
    "kernel",
    "estimator",
    "recording",
    "training",
    "torch",
    "pipeline",
    "embedding",
    "landmarks",
    "widget",
    "export",
}

__all__ = [  # noqa: RUF022 - kept in the order of _EXPORTS
    "__version__",
    "MMPHATE",
    "multislice_kernel",
    "Recording",
    "intrastep_entropy",
    "interstep_entropy",
    "training_phases",
    "entropy_vs_performance",
    "rank_units",
    "ablation_test",
    "cluster_units",
    "embed_baseline",
    "compare_methods",
    "Explorer",
    "view",
    "export_html",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mmphate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | _SUBMODULES)


if TYPE_CHECKING:  # pragma: no cover
    from .estimator import MMPHATE
    from .recording import Recording
