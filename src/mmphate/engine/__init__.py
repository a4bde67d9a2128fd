"""The MM-PHATE engine: multiway multislice kernel, landmarks, embedding stages, :class:`MMPHATE`.

Compute only: nothing here imports :mod:`mmphate.explorer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "MMPHATE": "._estimator",
        "multislice_kernel": "._kernel",
        "normalize_nodes": "._kernel",
        "KernelInfo": "._kernel",
    },
)

if TYPE_CHECKING:  # pragma: no cover
    from ._estimator import MMPHATE
    from ._kernel import KernelInfo, multislice_kernel, normalize_nodes
