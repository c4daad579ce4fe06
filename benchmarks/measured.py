"""The measured numbers of the README and the docs, written from the stored measurements.

Every measured number of the documents in :data:`DOCUMENTS` sits in a block ::

    <!-- measured: NAME -->
    ...
    <!-- /measured -->

whose content :data:`BLOCKS` ``[NAME]`` writes from the files of ``docs/measurements/``:
``benchmarks/*.json``, runs of ``python -m benchmarks --json`` (each case in one of them;
``meta`` says when, with which command and under which load), and ``experiments.json``, the
wall times of ``krosbl run`` (each with its command and date). After a new measurement, from
the checkout::

    python -m benchmarks.measured           # rewrite the blocks
    python -m benchmarks.measured --check   # exit 1 if a block differs from the files

``tests/test_measured_docs.py`` runs the check, so the README and the docs quote the same
values, those of the files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .report import format_bytes, format_speedup, format_time

__all__ = ["BLOCKS", "DOCUMENTS", "ROOT", "Measurements", "main", "render"]

#: The checkout.
ROOT = Path(__file__).resolve().parents[1]

#: The documents whose blocks are written, relative to :data:`ROOT`.
DOCUMENTS = ("README.md", "docs/performance.md", "docs/experiments.md")

BLOCK = re.compile(r"(<!-- measured: ([\w-]+) -->\n)(.*?)(<!-- /measured -->)", re.DOTALL)


@dataclass(frozen=True)
class Measurements:
    """The stored measurements (``docs/measurements/*.json``) with lookups for the blocks.

    Parameters
    ----------
    folder : Path
        The folder of ``benchmarks/*.json`` and ``experiments.json``.
    """

    folder: Path

    @cached_property
    def runs(self) -> list[dict[str, Any]]:
        """The JSON documents of the benchmark runs, by file name."""
        paths = sorted((self.folder / "benchmarks").glob("*.json"))
        return [json.loads(path.read_text(encoding="utf-8")) for path in paths]

    @cached_property
    def experiments(self) -> dict[str, Any]:
        """The wall times of the experiments."""
        return dict(json.loads((self.folder / "experiments.json").read_text(encoding="utf-8")))

    def rows(self, case: str, problem: str | None = None) -> list[dict[str, Any]]:
        """The rows of ``case`` (on ``problem``), in the order measured."""
        return [
            r
            for run in self.runs
            for r in run["rows"]
            if r["case"] == case and problem in (None, r["problem"])
        ]

    def meta(self, case: str) -> dict[str, Any]:
        """The ``meta`` of the run that measured ``case``."""
        (found,) = [run["meta"] for run in self.runs if case in run["meta"]["cases"]]
        return dict(found)

    def row(self, case: str, problem: str, method: str) -> dict[str, Any]:
        """The one row of ``method`` on ``problem`` in ``case``."""
        (found,) = [r for r in self.rows(case, problem) if r["method"] == method]
        return found


# --------------------------------------------------------------------------------------------
# formatting


def _table(header: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    """A Markdown table."""
    rows = [header, ["---"] * len(header), *lines]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def _speedup(row: dict[str, Any]) -> str:
    """The baseline's time over the row's (``ratio`` is the row's over the baseline's)."""
    return "1 (baseline)" if row["baseline"] else format_speedup(1.0 / row["ratio"])


def _duration(seconds: float) -> str:
    """``4 min 38 s``, or ``96 s`` under two minutes."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _sci(value: float) -> str:
    """``7.5·10⁻⁷``."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _published(row: dict[str, Any]) -> tuple[str, str]:
    """The authors' published time and how many times krosbl's is below it (on the paper's
    problem size only)."""
    extra = row["extra"]
    published = f"{extra['paper_s']:.0f} s" if "paper_s" in extra else "—"
    below = extra.get("faster_than_paper")
    return published, "—" if below is None else format_speedup(below)


# --------------------------------------------------------------------------------------------
# the blocks


def _run(m: Measurements) -> str:
    """The runs: date, machine, versions, and each command with its load."""
    meta = m.runs[0]["meta"]
    lines = [
        f"Measured on {meta['date'][:10]} on {meta['cpu_count']} cores shared with other "
        f"work, one BLAS thread, Python {meta['python']}, NumPy {meta['numpy']}, SciPy "
        f"{meta['scipy']}, with the solvers of each case taking turns:\n\n"
    ]
    for run in m.runs:
        load = run["meta"]["load_average"][0]
        lines.append(f"- `{run['meta']['command']}` (load average {load:.1f} at the start)\n")
    return "".join(lines)


def _irs(m: Measurements) -> str:
    """The ``irs`` medians over the trials, with the authors' published times."""
    lines = []
    for r in m.rows("irs", "median"):
        published, below = _published(r)
        time, channel = format_time(r["time_s"]), f"{r['extra']['channel_nmse']:.3f}"
        lines.append([r["method"], time, _speedup(r), channel, published, below])
    header = ["method", "time per solve", "× faster than dense SBL", "channel NMSE"]
    table = _table([*header, "published (MATLAB)", "published / krosbl"], lines)
    return f"Measured with {_source(m, 'irs')}:\n\n{table}"


def _source(m: Measurements, case: str) -> str:
    """Where the numbers of ``case`` come from: command, date and load of its run."""
    meta = m.meta(case)
    return (
        f"`{meta['command']}`, {meta['date'][:10]}, {meta['cpu_count']} cores with a load "
        f"average of {meta['load_average'][0]:.1f} at the start"
    )


def _scale_sentence(m: Measurements) -> str:
    """One sentence on the ``scale`` case: SVD-KroSBL's time and peak memory, dKroSBL's time."""
    (problem,) = _problems(m, "scale")
    svd, dk = (m.row("scale", problem["name"], method) for method in ("svd-krosbl", "dkrosbl"))
    size = f"{problem['n_unknowns']:,} unknowns"
    return (
        f"SVD-KroSBL solves {size} in {format_time(svd['time_s'])} within "
        f"{format_bytes(svd['extra']['peak_rss'])} of peak memory, dKroSBL in "
        f"{format_time(dk['time_s'])}, measured with {_source(m, 'scale')}.\n"
    )


def _scale(m: Measurements) -> str:
    """The ``scale`` rows: time, iterations, peak memory, the estimate of the solver's arrays."""
    lines = []
    for r in m.rows("scale"):
        x = r["extra"]
        memory = [format_bytes(x[k]) for k in ("peak_rss", "rss_before_solve", "memory_estimate")]
        lines.append([r["method"], format_time(r["time_s"]), str(r["n_iter"]), *memory])
    header = ["method", "time per solve", "iterations", "peak RSS", "RSS before the solve"]
    return _table([*header, "`memory_estimate`"], lines)


def _irs_sized_snr(m: Measurements) -> str:
    """SVD-KroSBL against dense classic SBL at each SNR of ``irs-sized-snr``."""
    lines = []
    for info in _problems(m, "irs-sized-snr"):
        svd, dense = (
            m.row("irs-sized-snr", info["name"], s) for s in ("svd-krosbl", "sbl (dense)")
        )
        times = [format_time(svd["time_s"]), format_time(dense["time_s"])]
        lines.append([f"{info['snr_db']:g} dB", *times, _speedup(svd), str(dense["n_iter"])])
    header = ["SNR", "SVD-KroSBL", "classic SBL, dense", "× faster", "dense SBL iterations"]
    return _table(header, lines)


def _compare(case: str) -> Callable[[Measurements], str]:
    """The block of a one-problem ``compare`` case: every row against dense classic SBL."""

    def block(m: Measurements) -> str:
        lines = [
            [r["method"], format_time(r["time_s"]), _speedup(r), _sci(r["nmse"]), str(r["n_iter"])]
            for r in m.rows(case)
        ]
        header = ["method", "time per solve", "× faster than dense SBL", "NMSE", "iterations"]
        return _table(header, lines)

    return block


def _synthetic_sbl(m: Measurements) -> str:
    """The ``synthetic-sbl`` draws and their medians."""
    labels = ("plain dense EM", "sbl (dense)", "sbl (Kron)")
    lines = []
    for info in [*_problems(m, "synthetic-sbl"), {"name": "median", "seed": "median"}]:
        rows = [m.row("synthetic-sbl", info["name"], label) for label in labels]
        times = [format_time(r["time_s"]) for r in rows]
        iterations = "" if info["name"] == "median" else str(rows[0]["n_iter"])
        lines.append([str(info["seed"]), *times, _speedup(rows[2]), iterations])
    header = ["draw (seed)", *labels, "plain / Kron", "iterations"]
    return _table(header, lines)


def _iteration(m: Measurements) -> str:
    """One EM iteration over one posterior: the first iteration, and over a full solve."""
    lines = []
    for r in m.rows("iteration"):
        x = r["extra"]
        first = f"{format_time(r['time_s'])} / {format_time(x['posterior_s'])} = {r['ratio']:.2g}"
        solve = (
            f"{format_time(x['solve_iteration_s'])} / {format_time(x['solve_posterior_s'])} "
            f"= {x['solve_ratio']:.2g}"
        )
        lines.append([r["problem"], r["method"], first, solve])
    return _table(["problem", "method", "first iteration", "mean over a full solve"], lines)


def _batch(m: Measurements) -> str:
    """Batched over one-by-one time per problem, per method and batch size."""
    problems = [info["name"] for info in _problems(m, "batch")]
    lines = []
    for r in m.rows("batch", problems[0]):
        if r["method"].endswith("batched"):
            cells = []
            for problem in problems:
                batched = m.row("batch", problem, r["method"])
                alone = m.row("batch", problem, r["method"].replace("batched", "one by one"))
                cells.append(
                    f"{format_time(batched['time_s'])} / {format_time(alone['time_s'])} "
                    f"= {batched['ratio']:.2f}"
                )
            lines.append([r["method"].removesuffix(" batched"), *cells])
    draws = [f"B = {info['draws']}" for info in _problems(m, "batch")]
    return _table(["method", *draws], lines)


def _problems(m: Measurements, case: str) -> list[dict[str, Any]]:
    (found,) = [c["problems"] for run in m.runs for c in run["cases"] if c["name"] == case]
    return list(found)


def _wall_s(e: dict[str, Any], startup_s: float) -> float:
    """The wall time at the paper's trial count (extrapolated from a subset if need be)."""
    scale = e["paper_trials"] / e["trials_run"]
    return e["wall_s"] if scale == 1 else (e["wall_s"] - startup_s) * scale + startup_s


def _wall(m: Measurements, e: dict[str, Any]) -> str:
    seconds = _wall_s(e, m.experiments["startup_s"])
    if e["trials_run"] == e["paper_trials"]:
        return _duration(seconds)
    return f"≈ {seconds / 60:.0f} min ({e['trials_run']} trials in {_duration(e['wall_s'])})"


def _experiments(m: Measurements) -> str:
    """The wall time of each experiment at the paper's trial count, beside the published one."""
    lines = [
        [
            f"`{e['name']}` ({e['figure']})",
            str(e["paper_trials"]),
            _wall(m, e),
            e["published"] or "—",
        ]
        for e in m.experiments["experiments"]
    ]
    header = ["experiment", "paper's trials", "krosbl, 2 cores", "reference implementation"]
    return _table(header, lines)


def _experiments_commands(m: Measurements) -> str:
    """The wall time of each experiment with the date and command of its run."""
    lines = [
        [f"`{e['name']}`", str(e["paper_trials"]), _wall(m, e), e["date"], f"`{e['command']}`"]
        for e in m.experiments["experiments"]
    ]
    return _table(["experiment", "paper's trials", "wall time, 2 cores", "date", "command"], lines)


def _experiments_total(m: Measurements) -> str:
    """One sentence on the time of all experiments in turn."""
    experiments = m.experiments["experiments"]
    total = sum(_wall_s(e, m.experiments["startup_s"]) for e in experiments)
    one_trial = [e for e in experiments if e["paper_trials"] == 1]
    single = sum(e["wall_s"] for e in one_trial)
    return (
        f"All of them in turn take about {total / 3600:.1f} h on two cores; the "
        f"{len(one_trial)} one-trial experiments ({single / 60:.0f} min together) cannot be "
        "spread over more workers, the others scale with `--workers`.\n"
    )


#: Block name → the function writing its content.
BLOCKS: dict[str, Callable[[Measurements], str]] = {
    "run": _run,
    "irs": _irs,
    "irs-sized-snr": _irs_sized_snr,
    "irs-sized": _compare("irs-sized"),
    "synthetic": _compare("synthetic"),
    "synthetic-sbl": _synthetic_sbl,
    "scale": _scale,
    "scale-sentence": _scale_sentence,
    "iteration": _iteration,
    "batch": _batch,
    "experiments": _experiments,
    "experiments-commands": _experiments_commands,
    "experiments-total": _experiments_total,
}


def render(text: str, measurements: Measurements) -> str:
    """``text`` with the content of every measured block written afresh.

    Parameters
    ----------
    text : str
        A Markdown document.
    measurements : Measurements
        The stored measurements.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        A block of an unknown name.
    """

    def block(match: re.Match[str]) -> str:
        return match[1] + BLOCKS[match[2]](measurements) + match[4]

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or ``--check``) the measured blocks of :data:`DOCUMENTS`; the exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measured")
    parser.add_argument("--check", action="store_true", help="exit 1 if a block is stale")
    args = parser.parse_args(argv)
    measurements = Measurements(ROOT / "docs" / "measurements")
    stale = []
    for name in DOCUMENTS:
        path = ROOT / name
        text = path.read_text(encoding="utf-8")
        new = render(text, measurements)
        if new != text:
            stale.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "stale" if args.check else "rewritten"
    for name in stale:
        print(f"{name}: {verb}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
