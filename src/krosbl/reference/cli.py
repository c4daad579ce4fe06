"""The ``krosbl verify-reference`` command and the standalone ``python -m krosbl.reference``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cli import discard_stdout
from ..cli_types import output_dir, output_file
from .fixtures import FIXTURES_DIR, find_fixtures
from .rows import format_table, rows_to_json
from .verify import verify_fixture

__all__ = ["main", "register"]


def _command(args: argparse.Namespace) -> int:
    """Handler of ``krosbl verify-reference``; returns the exit code."""
    try:
        fixtures = find_fixtures(args.directory)
        error = None if fixtures else f"no *.npz fixtures in {args.directory}"
    except NotADirectoryError as exc:
        fixtures, error = [], str(exc)
    if error is not None:
        print(f"krosbl verify-reference: error: {error}", file=sys.stderr)
        return 2
    rows = [row for npz in fixtures for row in verify_fixture(npz, estimates_dir=args.estimates)]
    if args.json is not None:  # before the table: a reader that stops early loses no file
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows_to_json(rows), indent=2) + "\n", encoding="utf-8")
    try:
        print(format_table(rows), flush=True)
    except BrokenPipeError:  # ``… | head``: the exit code still says whether every row is ok
        discard_stdout()
    return 0 if all(r.ok for r in rows) else 1


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=FIXTURES_DIR,
        help="directory of <name>.npz/.json fixtures (default: the fixtures installed with krosbl)",
    )
    parser.add_argument(
        "--json", type=output_file, metavar="PATH", help="write the rows as a JSON list"
    )
    parser.add_argument(
        "--estimates",
        type=output_dir,
        metavar="OUT_DIR",
        help="write each full-length estimate to OUT_DIR/<fixture>.<solver>.npy",
    )
    parser.set_defaults(func=_command)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``verify-reference`` subcommand to the ``krosbl`` command line.

    Parameters
    ----------
    subparsers : argparse subparsers action
        From ``ArgumentParser.add_subparsers``.

    Notes
    -----
    ``krosbl verify-reference [DIR] [--json PATH] [--estimates OUT_DIR]`` prints one row per
    (fixture, solver) and exits with 0 when every row is ok, 1 when one fails, 2 without any.
    """
    parser = subparsers.add_parser(
        "verify-reference",
        help="run every solver on the reference fixtures and compare with the stored outputs",
        description=(
            "Run krosbl on each fixture's stored inputs with its settings and iteration caps, "
            "and compare estimate, iterations, kept support, learned noise, NMSE and γ with "
            "the authors' outputs (sym_ keys where stored)."
        ),
    )
    _add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: ``python -m krosbl.reference [DIR] [--json PATH] [--estimates D]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m krosbl.reference", description="Verify krosbl against reference fixtures."
    )
    _add_arguments(parser)
    return int(_command(parser.parse_args(argv)))
