"""Sphinx configuration of the krosbl documentation.

Build (see docs/README.md)::

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
    .venv/bin/python -m sphinx -W --keep-going -b html -D plot_gallery=0 docs docs/_build/html

The second command does not execute the gallery (``examples/``).  No extension needs the
network: intersphinx is deliberately not used.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import krosbl

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

# Examples and autodoc import matplotlib; never open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

# -- Project -----------------------------------------------------------------------------------

project = "krosbl"
author = "the krosbl developers"
copyright = "2024-2026, the krosbl developers"  # noqa: A001
version = krosbl.__version__
release = krosbl.__version__

# -- General -----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "krosbl_docs",  # docs/_ext/krosbl_docs.py: experiment and CLI pages from the code
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",  # how to build the docs, for developers; not a page of the site
    "figures/*.py",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "**/.ipynb_checkpoints",
]
default_role = "literal"
pygments_style = "sphinx"
nitpicky = False

# -- MyST (markdown pages) ---------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc ----------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections already give the types
autodoc_preserve_defaults = True
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ----------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    # ``-D plot_gallery=0`` (the fast build) overrides this and skips execution.
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
    "write_computation_times": False,
    "show_memory": False,
    "show_api_usage": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 0,
}

# Matplotlib warns when the Agg backend is asked to show a figure (gallery scripts end with
# plt.show() so that they also work interactively).
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg", category=UserWarning)
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive", category=UserWarning)

# -- HTML --------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"krosbl {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": []}
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False
