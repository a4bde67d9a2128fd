"""Constants and files the explorer's Python side shares: the JS bundle, colour modes, palette."""

from __future__ import annotations

import json
import pathlib

__all__ = ["BUNDLE", "COLOR_MODES", "VIEWS", "PALETTE", "VIRIDIS", "MISSING", "bundle_path"]

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

#: Every colour of the explorer, one file read by the front end (bundled) and by Python
#: (``scripts/make_palette.py`` made it): categorical colours for units, clusters and classes,
#: matplotlib's viridis as 256 entries, and the colour of missing values.
PALETTE_FILE = pathlib.Path(__file__).parent / "palette.json"
_SPEC = json.loads(PALETTE_FILE.read_text(encoding="utf-8"))
PALETTE: tuple[str, ...] = tuple(_SPEC["categorical"])
VIRIDIS: tuple[str, ...] = tuple(_SPEC["viridis"])
MISSING: str = _SPEC["missing"]


def bundle_path() -> pathlib.Path:
    """The bundle's path; a clear error when the package was installed without it."""
    if not BUNDLE.is_file():
        raise FileNotFoundError(
            f"the widget's JavaScript bundle is missing ({BUNDLE}). Reinstall mmphate "
            "(`pip install .` builds it) or run `npm install && npm run build` in js/."
        )
    return BUNDLE
