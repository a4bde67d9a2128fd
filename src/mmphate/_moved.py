"""The module paths of mmphate 0.1, kept importable (with a ``DeprecationWarning``) for a while.

0.1 had flat modules (``mmphate.torch``, ``mmphate.widget``, ...); 0.2 groups them into
:mod:`mmphate.record`, :mod:`mmphate.engine`, :mod:`mmphate.analysis` and
:mod:`mmphate.explorer`.  ``import mmphate.torch`` and ``mmphate.datasets.load_dataset`` keep
working and say where the module lives now.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install"]

#: old module (relative to mmphate) -> where it lives now
MOVED = {
    "recording": "record._recording",
    "torch": "record.torch",
    "datasets": "record.datasets",
    "training": "record.training",
    "kernel": "engine._kernel",
    "landmarks": "engine._landmarks",
    "embedding": "engine._embedding",
    "estimator": "engine._estimator",
    "entropy": "analysis._entropy",
    "phases": "analysis._phases",
    "stats": "analysis._stats",
    "units": "analysis._units",
    "ablation": "analysis._ablation",
    "clusters": "analysis._clusters",
    "baselines": "analysis._baselines",
    "metrics": "analysis._metrics",
    "compare": "analysis._compare",
    "widget": "explorer",
    "export": "explorer._export",
}

#: what to tell users to import instead
_PUBLIC = {
    "record.torch": "mmphate.record.torch",
    "record.datasets": "mmphate.record.datasets",
    "record.training": "mmphate.record.training",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, package: str) -> None:
        self.package = package
        self._specs: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        head, _, name = fullname.rpartition(".")
        if head == self.package and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> ModuleType:
        new = MOVED[spec.name.rpartition(".")[2]]
        where = _PUBLIC.get(new, f"mmphate.{new.partition('.')[0]}")
        warnings.warn(
            f"{spec.name} moved in mmphate 0.2; import from {where} instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(f"{self.package}.{new}")
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the module is loaded already; the import system has set its __spec__ to the alias's
        # spec: give it back its own
        module.__spec__ = self._specs.pop(module.__spec__.name, module.__spec__)


def install(package: str) -> None:
    """Make the 0.1 module paths of ``package`` importable (once)."""
    if not any(isinstance(f, _MovedFinder) and f.package == package for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder(package))
