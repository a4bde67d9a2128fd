"""The explorer: an anywidget (three.js front end bundled from ``js/``) over a node embedding,
its live variant fed by a recorder during training, its binary payload, and exports (standalone offline HTML, pythreejs scene, static small-multiples
figures with matplotlib).

Nothing in :mod:`mmphate.engine`, :mod:`mmphate.record` or :mod:`mmphate.analysis` imports this
package; ``make lint`` enforces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Explorer": "._widget",
        "view": "._view",
        "LiveExplorer": "._live",
        "CompareView": "._compare",
        "ComparePanel": "._compare",
        "compare_view": "._compare",
        "export_html": "._export",
        "standalone_html": "._page",
        "node_colors": "._colors",
        "to_pythreejs": "._pythreejs",
        "small_multiples": "._figure",
        "save_figure": "._figure",
        "COLOR_MODES": "._assets",
    },
)

if TYPE_CHECKING:  # pragma: no cover
    from ._assets import COLOR_MODES
    from ._colors import node_colors
    from ._compare import ComparePanel, CompareView, compare_view
    from ._export import export_html
    from ._figure import save_figure, small_multiples
    from ._live import LiveExplorer
    from ._page import standalone_html
    from ._pythreejs import to_pythreejs
    from ._view import view
    from ._widget import Explorer
