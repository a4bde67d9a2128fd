"""Constants and files the explorer's Python side shares: the JS bundle, colour modes, palette."""

from __future__ import annotations

import pathlib

__all__ = ["BUNDLE", "COLOR_MODES", "VIEWS", "PALETTE", "bundle_path"]

#: The bundled front end (three.js included), built from ``js/`` at install time.
BUNDLE = pathlib.Path(__file__).parent / "static" / "widget.js"

#: Colour encodings the explorer offers.
COLOR_MODES = (
    "epoch",
    "timestep",
    "unit",
    "cluster",
    "intrastep_entropy",
    "interstep_entropy",
    "class",
)
VIEWS = ("2d", "3d")

#: Categorical palette (clusters, classes); the front end uses the same one.
PALETTE = (
    "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf "
    "#aec7e8 #ffbb78 #98df8a #ff9896 #c5b0d5 #c49c94 #f7b6d2 #c7c7c7 #dbdb8d #9edae5"
).split()


def bundle_path() -> pathlib.Path:
    """The bundle's path; a clear error when the package was installed without it."""
    if not BUNDLE.is_file():
        raise FileNotFoundError(
            f"the widget's JavaScript bundle is missing ({BUNDLE}). Reinstall mmphate "
            "(`pip install .` builds it) or run `npm install && npm run build` in js/."
        )
    return BUNDLE
