"""Sphinx configuration of the mmphate documentation (``make docs``).

The build is offline (no intersphinx inventories, nothing downloaded) and treats warnings as
errors.  Pages generated from the code (API reference, command-line help, performance tables,
copies of the notebooks) are written by the local extension ``_ext/mmphate_docs.py`` when the
build starts; they are git-ignored.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
# The API reference imports mmphate.record.keras, hence keras, which picks its backend on
# import: the torch backend, unless one is chosen in the environment (TensorFlow is not needed).
os.environ.setdefault("KERAS_BACKEND", "torch")

import mmphate  # noqa: E402

project = "mmphate"
author = "mmphate developers"
copyright = "mmphate developers, MIT License"
version = release = mmphate.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_nb",
    "mmphate_docs",
]

exclude_patterns = ["_build", "_ext", "**/.ipynb_checkpoints", "_generated"]
# pages that are included into others, not documents of their own
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# --- API reference: numpy-style docstrings, documented where the object lives
autodoc_typehints = "none"  # the docstrings' Parameters sections give the types
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = False  # no scikit-learn / torch docstrings on our methods
autodoc_default_options = {"exclude-members": "__init__"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# --- Markdown and notebooks: notebooks are rendered from their committed outputs
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "attrs_inline"]
myst_heading_anchors = 3
nb_execution_mode = "off"
nb_merge_streams = True
# widgets are drawn from the notebooks' saved state by a local script (no require.js, no CDN)
nb_ipywidgets_js = {"mmphate-widgets.js": {"defer": "defer"}}

# --- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"mmphate {release}"
html_copy_source = False
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["mmphate.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_depth": 3,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "method": [], "performance": []}
