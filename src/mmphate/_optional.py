"""Optional dependencies: import them on use, or fail with one line naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingDependencyError", "require"]


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the ``mmphate[extra]``."""


def require(module: str, extra: str, feature: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        Module to import (``"openTSNE"``).
    extra : str
        The mmphate extra that installs it (``"baselines"``).
    feature : str
        What needs it, for the message (``"the t-SNE baseline"``).
    package : str, optional
        Distribution name when it differs from the module's (``"umap-learn"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = package or module.partition(".")[0]
        raise MissingDependencyError(
            f'{feature} needs {name}, which is not installed: pip install "mmphate[{extra}]"'
        ) from exc
