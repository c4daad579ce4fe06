"""Sphinx directives that write documentation from krosbl's own definitions.

* ``.. krosbl-experiment:: NAME`` renders an experiment of :mod:`krosbl.experiments`: what it
  reproduces, its sweep, algorithms, metrics, trial counts, settings (the paper's defaults and
  the ``--quick`` overrides), the commands that run it, and its figures when they exist under
  ``docs/figures/experiments/NAME/`` (written by ``docs/figures/make_experiment_figures.py``)
  or as ``docs/figures/NAME*.png``.
* ``.. krosbl-cli::`` renders ``krosbl --help`` and the help of every subcommand.
* ``.. krosbl-methods::`` renders the table of :func:`krosbl.available_methods`.
* ``.. krosbl-method-settings::`` renders every method's settings and neutral defaults.
* ``.. krosbl-presets::`` renders the table of :mod:`krosbl.presets` (``theory-settings``).

Each directive writes reStructuredText and parses it in place, so use them in ``.rst`` pages
(in a MyST page the generated text would be parsed as markdown).  The pages stay in step with
the code: nothing here is copied by hand.
"""

from __future__ import annotations

import argparse
import io
import os
import textwrap
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

FIGURE_DIR = Path("figures") / "experiments"

#: Figure order and captions for the files ``krosbl run`` writes.
_FIGURE_CAPTIONS = {
    "nmse": "NMSE",
    "nmse_pooled": "NMSE pooled over trials (Σ error energy / Σ true energy)",
    "heldout_nmse": "NMSE on held-out IRS patterns",
    "srr": "support recovery rate",
    "ser": "symbol error rate",
    "time_s": "run time",
    "nmse_history": "NMSE of the E-step mean per iteration",
    "cost_history": "SBL cost per iteration",
}


def _rst_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")


def _literal(value: Any) -> str:
    return f"``{value!r}``" if not isinstance(value, str) else f"``{value}``"


class _RstDirective(SphinxDirective):
    """Base: build reST lines, then parse them as the directive's content."""

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.Element()
        source = f"<{self.name} directive>"
        content = StringList()
        for i, line in enumerate(lines):
            content.append(line, source, i)
        self.state.nested_parse(content, self.content_offset, container)
        return list(container.children)


class ExperimentDirective(_RstDirective):
    """``.. krosbl-experiment:: NAME`` (options: ``:no-figures:``)."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"no-figures": directives.flag}

    def run(self) -> list[nodes.Node]:
        from krosbl.experiments import get_experiment

        exp = get_experiment(self.arguments[0])
        self.env.note_dependency(
            str(Path(__file__).resolve().parents[2] / "src/krosbl/experiments/registry.py")
        )
        lines: list[str] = []
        lines += self._summary(exp)
        lines += self._settings(exp)
        lines += self._commands(exp)
        if "no-figures" not in self.options:
            lines += self._figures(exp)
        return self._parse(lines)

    # -- parts -------------------------------------------------------------------------------

    def _summary(self, exp: Any) -> list[str]:
        algos = []
        for a in exp.algorithms:
            text = f"``{a.name}``"
            extra = []
            if a.method != a.name:
                extra.append(f"method ``{a.method}``")
            if a.preset_keys:
                extra.append("preset " + " / ".join(f"``{p}``" for p in a.preset_keys))
            else:
                extra.append("no solver settings")
            if a.beyond_paper:
                extra.append("beyond the paper")
            if not a.plotted:
                extra.append("computed, not plotted")
            if extra:
                text += " (" + "; ".join(extra) + ")"
            algos.append(text)
        metrics = ", ".join(
            f"{_rst_escape(m.label)} (``{m.column}``"
            f"{'' if m.statistic == 'mean' else f', {m.statistic}'}{', log axis' if m.log else ''})"
            for m in exp.metrics
        )
        presets = ", ".join(f"``{p}``" for p in exp.presets)
        t = exp.trials
        rows = [
            ("Experiment", f"``{exp.name}``"),
            ("What it shows", _rst_escape(exp.description)),
            ("Reproduces", _rst_escape(exp.reproduces)),
            ("Swept", f"{_rst_escape(exp.axis_label)} (column ``{exp.axis}``)"),
            ("Algorithms", ", ".join(algos)),
            ("Metrics", metrics),
            (
                "Trials",
                f"{t.default} by default, {t.quick} with ``--quick``, "
                f"{t.paper} with ``--paper`` (the paper's)",
            ),
            ("Solver presets", presets + " (print them with ``krosbl presets NAME``)"),
        ]
        if exp.panels:
            conditions = " × ".join(f"{sym} (``{col}``)" for col, sym in exp.panels.items())
            rows.append(("Conditions", f"one panel per {conditions}"))
        if getattr(exp, "kind", "sweep") == "history":
            rows.append(
                (
                    "Figures",
                    "one panel per sweep value, one curve per algorithm, against the iteration",
                )
            )
        out = [".. list-table::", "   :widths: 22 78", "   :class: krosbl-experiment", ""]
        for key, value in rows:
            out += [f"   * - {key}", f"     - {value}"]
        return [*out, ""]

    def _settings(self, exp: Any) -> list[str]:
        fields = getattr(exp.settings, "model_fields", {})
        skip = {"seed", "trials", "algorithms"}
        out = [
            ".. rubric:: Settings",
            "",
            "Defaults are the paper's; ``--quick`` replaces some with a tiny problem for CI. "
            "Any of them can be overridden from a TOML file (``krosbl run "
            f"{exp.name} --config settings.toml``).",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 25 40 35",
            "",
            "   * - setting",
            "     - default (paper)",
            "     - ``--quick``",
        ]
        for name, f in fields.items():
            if name in skip:
                continue
            quick = exp.quick.get(name, "")
            out += [
                f"   * - ``{name}``",
                f"     - {_literal(f.default)}",
                f"     - {_literal(quick) if quick != '' else ''}",
            ]
        extra = sorted(set(exp.quick) - set(fields))
        for name in extra:
            out += [f"   * - ``{name}``", "     - ", f"     - {_literal(exp.quick[name])}"]
        return [*out, ""]

    def _commands(self, exp: Any) -> list[str]:
        name = exp.name
        return [
            ".. rubric:: Running it",
            "",
            ".. code-block:: console",
            "",
            f"   $ krosbl run {name}               # {exp.trials.default} trial(s), "
            f"results/{name}/",
            f"   $ krosbl run {name} --paper       # the paper's {exp.trials.paper} trial(s)",
            f"   $ krosbl run {name} --quick       # tiny version for CI, results/{name}-quick/",
            f"   $ krosbl plot results/{name}      # redraw the figures from stored results",
            "",
            "Re-running the same command resumes an interrupted run. From Python:",
            "",
            ".. code-block:: python",
            "",
            "   from krosbl import experiments",
            "",
            f'   df = experiments.run_experiment("{name}", trials={exp.trials.default}, '
            f'out="results/{name}")',
            "   experiments.summarize(df)",
            "",
        ]

    def _figure_files(self, exp: Any) -> list[Path]:
        srcdir = Path(self.env.srcdir)
        folder = srcdir / FIGURE_DIR / exp.name
        files = sorted(folder.glob("*.png")) if folder.is_dir() else []
        files += sorted((srcdir / "figures").glob(f"{exp.name}.png"))
        files += sorted((srcdir / "figures").glob(f"{exp.name}[-_]*.png"))
        order = list(_FIGURE_CAPTIONS)
        return sorted(files, key=lambda p: (order.index(p.stem) if p.stem in order else 99, p.name))

    def _figures(self, exp: Any) -> list[str]:
        srcdir = Path(self.env.srcdir)
        files = self._figure_files(exp)
        out = [".. rubric:: Figures", ""]
        if not files:
            return [
                *out,
                ".. note::",
                "",
                "   No figure of this experiment is stored in the documentation yet. "
                "Generate the quick versions with ``python docs/figures/make_experiment_figures.py"
                f" {exp.name}``, or run the experiment (above): ``krosbl run`` writes the "
                "figures next to its results.",
                "",
            ]
        quick = any(FIGURE_DIR.as_posix() in p.relative_to(srcdir).as_posix() for p in files)
        if quick:
            out += [
                "These figures come from ``krosbl run "
                f"{exp.name} --quick`` (tiny problem, {exp.trials.quick} trial(s); see the "
                "``--quick`` column above), so that the documentation builds in seconds. They "
                "show what the experiment produces, not the paper's numbers: run it with "
                "``--paper`` for those.",
                "",
            ]
        for path in files:
            self.env.note_dependency(str(path))
            rel = "/" + path.relative_to(srcdir).as_posix()
            caption = _FIGURE_CAPTIONS.get(path.stem, path.stem.replace("_", " "))
            out += [
                f".. figure:: {rel}",
                f"   :alt: {exp.name}: {caption}",
                "   :width: 80%",
                "",
                f"   ``{exp.name}``: {caption}.",
                "",
            ]
        return out


class CliDirective(_RstDirective):
    """``.. krosbl-cli::``: the help text of ``krosbl`` and of every subcommand."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from krosbl import cli

        parser = cli.build_parser()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        lines = [".. code-block:: text", ""]
        lines += ["   " + ln for ln in _help(parser).splitlines()]
        lines.append("")
        for name, subparser in sub.choices.items():
            lines += [f".. rubric:: krosbl {name}", "", ".. code-block:: text", ""]
            lines += ["   " + ln for ln in _help(subparser).splitlines()]
            lines.append("")
        return self._parse(lines)


def _help(parser: argparse.ArgumentParser) -> str:
    """The parser's help, wrapped at 92 columns whatever the terminal (argparse reads COLUMNS)."""
    buf = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "92"
    try:
        with redirect_stdout(buf):
            parser.print_help()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return textwrap.dedent(buf.getvalue()).rstrip()


class MethodsDirective(_RstDirective):
    """``.. krosbl-methods::``: the table of methods (:func:`krosbl.available_methods`)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        import krosbl

        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", ""]
        lines += ["   * - method", "     - what it is"]
        for name, text in krosbl.available_methods().items():
            lines += [f"   * - ``{name}``", f"     - {_rst_escape(text)}"]
        return self._parse([*lines, ""])


class PresetsDirective(_RstDirective):
    """``.. krosbl-presets::``: which presets exist for which methods (``theory-settings``)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from krosbl import presets

        by_exp: dict[str, list[str]] = {}
        for experiment, method in presets.names():
            by_exp.setdefault(experiment, []).append(method)
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 70", ""]
        lines += ["   * - preset", "     - methods"]
        for experiment, methods in by_exp.items():
            lines += [
                f"   * - ``{experiment}``",
                "     - " + ", ".join(f"``{m}``" for m in methods),
            ]
        return self._parse([*lines, ""])


class MethodSettingsDirective(_RstDirective):
    """``.. krosbl-method-settings::``: every method's settings and neutral defaults, read from
    the registry (so the page cannot drift from the code)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from krosbl.methods import METHODS

        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", ""]
        lines += ["   * - method", "     - settings it reads (neutral default)"]
        for name, method in METHODS.items():
            cells = ", ".join(f"``{k}={v!r}``" for k, v in method.defaults.items()) or "none"
            lines += [f"   * - ``{name}``", f"     - {cells}"]
        return self._parse([*lines, ""])


class GalleryOrder:
    """sphinx-gallery sort key: the examples in reading order, then any others by name.

    Used as ``sphinx_gallery_conf["within_subsection_order"] = "krosbl_docs.GalleryOrder"``.
    """

    ORDER = (
        "plot_quickstart.py",
        "plot_methods_comparison.py",
        "plot_dkrosbl.py",
        "plot_irs_channel.py",
    )

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        return (self.ORDER.index(name) if name in self.ORDER else len(self.ORDER), name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _drop_missing_optional_docs(app: Sphinx, docname: str, source: list[str]) -> None:
    """Remove toctree entries of optional pages (``krosbl_optional_docs``) that do not exist."""
    srcdir = Path(app.srcdir)
    missing = [
        name
        for name in app.config.krosbl_optional_docs
        if not any((srcdir / f"{name}{suffix}").exists() for suffix in app.config.source_suffix)
    ]
    if not missing:
        return
    entries = {f"/{name}" for name in missing} | set(missing)
    kept = [ln for ln in source[0].splitlines(keepends=True) if ln.strip() not in entries]
    source[0] = "".join(kept)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("krosbl_optional_docs", [], "env", types=[list])
    app.connect("source-read", _drop_missing_optional_docs)
    app.add_directive("krosbl-experiment", ExperimentDirective)
    app.add_directive("krosbl-cli", CliDirective)
    app.add_directive("krosbl-methods", MethodsDirective)
    app.add_directive("krosbl-presets", PresetsDirective)
    app.add_directive("krosbl-method-settings", MethodSettingsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
