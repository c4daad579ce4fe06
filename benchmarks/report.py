"""The report: machine description, one plain-text table per case, and the JSON file."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from threadpoolctl import threadpool_info

from .cases import CaseResult
from .measure import Row

__all__ = [
    "SCHEMA",
    "Report",
    "format_bytes",
    "format_speedup",
    "format_time",
    "machine_info",
    "progress_line",
    "table",
]

#: Identifies the layout of the JSON file.
SCHEMA = "krosbl-benchmarks/1"


# --------------------------------------------------------------------------------------------
# formatting


def format_time(v: float) -> str:
    """Seconds as ``1.23 s``, ``45.6 ms`` or ``789 µs``."""
    if v >= 1.0:
        return f"{v:.2f} s"
    if v >= 1e-3:
        return f"{v * 1e3:.1f} ms"
    return f"{v * 1e6:.0f} µs"


def _ratio(v: float) -> str:
    return f"{v:.3g}" if v >= 0.01 else f"{v:.2e}"


def format_speedup(v: float) -> str:
    """A factor as ``123×`` (from 10) or ``4.5×``."""
    return f"{v:.0f}×" if v >= 10 else f"{v:.2g}×"


def _sci(v: float) -> str:
    return f"{v:.2e}"


def format_bytes(v: float) -> str:
    """Bytes as ``1.23 GiB`` or ``456 MiB``."""
    return f"{v / 2**30:.2f} GiB" if v >= 2**30 else f"{v / 2**20:.0f} MiB"


@dataclass(frozen=True)
class Column:
    """A table column: header, the row field it shows and how."""

    header: str
    key: str
    fmt: Callable[[Any], str] = str
    always: bool = False
    kinds: tuple[str, ...] = ("compare", "scale", "iteration", "paper")


COLUMNS = (
    Column("case", "case", always=True),
    Column("problem", "problem"),
    Column("method", "method", always=True),
    Column("time/solve", "time_s", format_time, True, ("compare", "scale")),
    Column("time/trial", "time_s", format_time, True, ("paper",)),
    Column("paper trials", "trials", str, kinds=("paper",)),
    Column("estimate", "estimate_s", format_time, True, ("paper",)),
    Column("EM iteration", "time_s", format_time, True, ("iteration",)),
    Column("posterior", "posterior_s", format_time),
    Column("ratio", "ratio", _ratio, True, ("compare", "scale", "iteration")),
    Column("NMSE", "nmse", _sci, True, ("compare", "scale")),
    Column("ch. NMSE", "channel_nmse", _sci),
    Column("n_iter", "n_iter", str, True, ("compare", "scale", "iteration")),
    Column("sweeps", "sweeps", str),
    Column("solve: iteration", "solve_iteration_s", format_time),
    Column("solve: posterior", "solve_posterior_s", format_time),
    Column("solve ratio", "solve_ratio", _ratio),
    Column("Result.time_s", "solver_time_s", format_time, kinds=("compare", "scale")),
    Column("solves", "n_solves", str, True, ("compare", "scale", "iteration")),
    Column("trials timed", "n_solves", str, True, ("paper",)),
    Column("peak RSS", "peak_rss", format_bytes),
    Column("RSS@start", "rss_before_solve", format_bytes),
    Column("traced", "traced_peak", format_bytes),
    Column("estimate", "memory_estimate", format_bytes),
    Column("paper s", "paper_s", format_time),
    Column("× paper", "faster_than_paper", format_speedup),
)


def _cell(row: Row, column: Column) -> str:
    value = row.value(column.key)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = column.fmt(value)
    return f"{text} (base)" if column.key == "ratio" and row.baseline else text


def _columns(result: CaseResult) -> list[Column]:
    kind, rows = result.case.kind, result.rows
    shown = []
    for col in COLUMNS:
        if kind not in col.kinds:
            continue
        if col.key == "problem":
            if len(result.problems) > 1 or kind == "paper":
                shown.append(col)
        elif col.always or any(r.value(col.key) is not None for r in rows):
            shown.append(col)
    return shown


def _problem_line(info: dict[str, Any]) -> str:
    if "trials" in info:  # an experiment of the ``paper`` case
        return f"  experiment {info['name']}: {info['trials']} trials at the paper's settings"

    def shape(key: str) -> str:
        return "(" + ", ".join(str(v) for v in info.get(key, ())) + ")"

    k = f", K = {info['k']} per factor" if "k" in info else ""
    return (
        f"  problem {info.get('name')}: N = {shape('in_shape')}, M = {shape('out_shape')}{k}, "
        f"{info.get('snr_db')} dB, seed {info.get('seed')} — {info.get('kind')}"
    )


def _footer(result: CaseResult) -> list[str]:
    lines = [f"  note: {n}" for n in result.case.notes]
    return lines + [f"  {r.method}: {r.error}" for r in result.rows if r.error]


def table(result: CaseResult) -> str:
    """One case as a plain-text table, with its problems above and its notes below."""
    cols = _columns(result)
    cells = [[c.header for c in cols]] + [[_cell(r, c) for c in cols] for r in result.rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cols))]
    text = ["  ".join(map(str.ljust, line, widths)).rstrip() for line in cells]
    text.insert(1, "  ".join("-" * w for w in widths))
    head = f"== {result.case.name}: {result.case.title}"
    problems = [_problem_line(info) for info in result.problems]
    return "\n".join([head, *problems, *text, *_footer(result)])


# --------------------------------------------------------------------------------------------
# the report


def machine_info(threads: int | None) -> dict[str, Any]:
    """Versions, CPU, BLAS thread pools and load: what the timings depend on."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "blas_threads_limit": threads,
        "load_average": list(os.getloadavg()),
    }
    try:
        info["scikit_learn"] = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover
        info["scikit_learn"] = None
    info["threadpools"] = [
        {k: p.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer")}
        for p in threadpool_info()
    ]
    return info


def _jsonable(obj: Any) -> Any:
    """Plain JSON values: NaN and inf become ``None``, NumPy scalars Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@dataclass
class Report:
    """Everything one run of the benchmarks measured.

    Attributes
    ----------
    results : list of CaseResult
        One per case, in the order run.
    meta : dict
        Run settings and :func:`machine_info`.
    """

    results: list[CaseResult] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        """All rows, case after case."""
        return [row for result in self.results for row in result.rows]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: ``schema``, ``meta``, ``cases`` and ``rows``."""
        cases = [
            {
                "name": r.case.name,
                "title": r.case.title,
                "kind": r.case.kind,
                "baseline": r.case.baseline,
                "problems": r.problems,
                "notes": list(r.case.notes),
            }
            for r in self.results
        ]
        rows = [asdict(row) for row in self.rows]
        return _jsonable({"schema": SCHEMA, "meta": self.meta, "cases": cases, "rows": rows})

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` to ``path`` (parent folders are created)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def header(self) -> str:
        """Two lines on the run: settings and machine."""
        m = self.meta
        loads = "/".join(f"{v:.1f}" for v in m["load_average"])
        threads = m["blas_threads_limit"] or "BLAS default"
        size = "quick" if m["quick"] else "full"
        return (
            f"benchmarks — repeat {m['repeat']} (median), {size} sizes, "
            f"BLAS threads: {threads}\n"
            f"{m['platform']}, {m['cpu_count']} CPUs, numpy {m['numpy']}, "
            f"scipy {m['scipy']}; load average at start {loads}"
        )

    def print(self, file: Any = None) -> None:
        """Print the header and one plain-text table per case."""
        print(self.header(), file=file)
        for result in self.results:
            print("\n" + table(result), file=file, flush=True)


def progress_line(row: Row) -> str:
    """One line on a measured row (for stderr while the benchmarks run)."""
    done = row.error or f"{format_time(row.time_s or 0.0)} × {row.n_solves}"
    return f"[benchmarks] {row.case:10s} {row.problem:18s} {row.method:24s} {done}"
