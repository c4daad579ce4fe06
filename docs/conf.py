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

# Examples and autodoc import matplotlib; never open a window. The gallery's problems are
# tiny: one BLAS thread is fastest and keeps a loaded CI machine from oversubscribing
# (set before NumPy is first imported, below).
os.environ.setdefault("MPLBACKEND", "Agg")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import krosbl  # noqa: E402

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

# -- Project -----------------------------------------------------------------------------------

project = "krosbl"
author = "the krosbl developers"
copyright = "2024-2026, the krosbl developers"
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

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Pages written by other work in progress: listed in a toctree, dropped from it (by
# docs/_ext/krosbl_docs.py) while the file does not exist yet, instead of failing the build.
krosbl_optional_docs = ["experiments"]

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
    "within_subsection_order": "krosbl_docs.GalleryOrder",  # docs/_ext/krosbl_docs.py
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
warnings.filterwarnings(
    "ignore", message="FigureCanvasAgg is non-interactive", category=UserWarning
)

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
# pages without sub-pages: no empty section navigation
html_sidebars = {
    page: [] for page in ("index", "install", "quickstart", "irs", "cli", "architecture")
}
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False


# -- Build hooks -------------------------------------------------------------------------------


def _clean_generated(app) -> None:
    """Start autosummary from scratch: stale pages of renamed objects would warn."""
    import shutil

    shutil.rmtree(DOCS / "generated", ignore_errors=True)


def _module_sections_as_rubrics(app, what, name, obj, options, lines) -> None:
    """Numpydoc leaves module docstrings alone; their ``Examples`` / ``---`` headers would
    become page sections (and entries of the page's table of contents). Make them rubrics,
    as numpydoc does for functions and classes."""
    if what != "module":
        return
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        under = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and under.strip()
            and set(under.strip()) == {"-"}
            and len(under.strip()) >= len(line.strip())
        ):
            out += [f".. rubric:: {line.strip()}", ""]
            i += 2
            continue
        out.append(line)
        i += 1
    lines[:] = out


def _reexported_data_docstring(app, what, name, obj, options, lines) -> None:
    """A constant re-exported by a package (``krosbl.irs.QPSK``, an ndarray) has no ``#:``
    comment where autodoc looks, so it would show its type's docstring (numpy's ndarray one).
    Use the comment of the submodule that defines it instead."""
    if what not in ("data", "attribute") or "." not in name:
        return
    from sphinx.pycode import ModuleAnalyzer

    modname, attr = name.rsplit(".", 1)

    def comment(module: str) -> list[str] | None:
        try:
            return ModuleAnalyzer.for_module(module).find_attr_docs().get(("", attr))
        except Exception:  # not a module, or no source
            return None

    if comment(modname):
        return
    for other, module in list(sys.modules.items()):
        if other.startswith(modname + ".") and getattr(module, attr, None) is obj:
            doc = comment(other)
            if doc:
                lines[:] = list(doc)
                return


def _own_init_signature(app, what, name, obj, options, signature, return_annotation):
    """``Kron`` subclasses SciPy's ``LinearOperator``, whose ``__new__(*args, **kwargs)``
    autodoc would show as the signature; show the class's own ``__init__`` instead."""
    import inspect

    if what != "class" or signature != "(*args, **kwargs)" or "__init__" not in vars(obj):
        return None
    sig = inspect.signature(obj.__init__)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    sig = sig.replace(parameters=params[1:], return_annotation=inspect.Signature.empty)
    return str(sig), return_annotation


def setup(app) -> None:
    # before autosummary (priority 500) writes the pages
    app.connect("builder-inited", _clean_generated, priority=100)
    app.connect("autodoc-process-docstring", _module_sections_as_rubrics)
    app.connect("autodoc-process-docstring", _reexported_data_docstring)
    app.connect("autodoc-process-signature", _own_init_signature)
