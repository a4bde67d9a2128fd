"""mmphate: Multiway Multislice PHATE for recurrent networks' hidden units.

Four parts, each a subpackage with its own curated API:

- :mod:`mmphate.record`: the :class:`Recording` container and file format, the PyTorch
  recorder, offline datasets, a training helper;
- :mod:`mmphate.engine`: the multiway multislice kernel, landmarks, embedding stages and the
  :class:`MMPHATE` estimator;
- :mod:`mmphate.analysis`: entropies, phases, statistics, units, ablation, clusters, baselines,
  quality metrics, method comparison;
- :mod:`mmphate.explorer`: the notebook widget and its exports.

The most used names are also here (``mmphate.MMPHATE``, ``mmphate.view``, ...), with the
error raised for invalid parameters (:class:`InvalidParameterError`, both a ``ValueError`` and a
``TypeError``) and the warning given for degenerate data (:class:`DegenerateDataWarning`).  Everything is
imported lazily, so ``import mmphate`` stays fast and pulls in no optional or heavy dependency
(PyTorch, the widget stack) until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _moved
from ._lazy import attach
from ._version import __version__

_getattr, __dir__, _names = attach(
    __name__,
    {
        # engine
        "MMPHATE": ".engine",
        "multislice_kernel": ".engine",
        # record
        "Recording": ".record",
        # analysis
        "intrastep_entropy": ".analysis",
        "interstep_entropy": ".analysis",
        "training_phases": ".analysis",
        "entropy_vs_performance": ".analysis",
        "rank_units": ".analysis",
        "ablation_test": ".analysis",
        "cluster_units": ".analysis",
        "embed_baseline": ".analysis",
        "compare_methods": ".analysis",
        # explorer (UI; compute never imports it)
        "Explorer": ".explorer",
        "view": ".explorer",
        "compare_view": ".explorer",
        "CompareView": ".explorer",
        "export_html": ".explorer",
        # errors and warnings of bad or degenerate input
        "InvalidParameterError": "._validate",
        "DegenerateDataWarning": "._validate",
    },
    submodules=("engine", "record", "analysis", "explorer", "pipeline", "cli", "demo"),
)
__all__ = ["__version__", *_names]

_moved.install(__name__)


def __getattr__(name: str) -> object:
    if name in _moved.MOVED:  # a 0.1 module path: import it through the moved-module finder
        import importlib

        return importlib.import_module(f".{name}", __name__)
    return _getattr(name)


if TYPE_CHECKING:  # pragma: no cover
    from ._validate import DegenerateDataWarning, InvalidParameterError
    from .analysis import (
        ablation_test,
        cluster_units,
        compare_methods,
        embed_baseline,
        entropy_vs_performance,
        interstep_entropy,
        intrastep_entropy,
        rank_units,
        training_phases,
    )
    from .engine import MMPHATE, multislice_kernel
    from .explorer import CompareView, Explorer, compare_view, export_html, view
    from .record import Recording
