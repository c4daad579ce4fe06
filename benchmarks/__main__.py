"""``python -m benchmarks``: run the benchmark cases, print their tables, store their JSON."""

from __future__ import annotations

import argparse
import sys

from krosbl.cli import discard_stdout
from krosbl.cli_types import output_file, positive_float, positive_int

from . import CASES, run_benchmark
from .report import progress_line


def _threads(text: str) -> int | None:
    return None if text == "auto" else positive_int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m benchmarks`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Time the solvers against each other, in one run, on fixed problems; print one "
            "table per case (median time per solve, ratio to the case's baseline, NMSE, "
            "iterations)."
        ),
    )
    parser.add_argument(
        "--json", type=output_file, metavar="PATH", help="also write the results as JSON"
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        metavar="N",
        help="solves per row; the median is reported (default 3)",
    )
    parser.add_argument("--quick", action="store_true", help="small problems (for CI)")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=list(CASES),
        metavar="CASE",
        help=f"cases to run (default all but paper): {', '.join(CASES)}",
    )
    parser.add_argument(
        "--threads",
        type=_threads,
        default=1,
        metavar="N|auto",
        help="BLAS threads during the benchmark (default 1; 'auto': the library default)",
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="a row starts no new solve after this much time (default 60)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks with command-line arguments; returns the exit code (0).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).
    """
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    report = run_benchmark(
        args.cases,
        quick=args.quick,
        repeat=args.repeat,
        budget_s=args.budget,
        threads=args.threads,
        progress=None if args.quiet else lambda row: print(progress_line(row), file=sys.stderr),
    )
    report.meta["command"] = " ".join(["python -m benchmarks", *argv])
    if args.json:  # before the tables: a reader that stops early loses no file
        report.write_json(args.json)
        print(f"wrote {args.json}", file=sys.stderr)
    try:
        report.print()
    except BrokenPipeError:  # the reader of stdout went away; the JSON is written
        discard_stdout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
