"""The ``krosbl`` command line: argument parsing only. Each module that owns a subcommand adds
it with ``register(subparsers)``, which imports no optional dependency
(:func:`krosbl.extras.call_handler`)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__, presets
from .extras import call_handler

__all__ = ["build_parser", "discard_stdout", "main"]

_COMMAND_MODULES = ("krosbl.experiments.commands", "krosbl.reference", "krosbl.solve_command")


def _presets_command(args: argparse.Namespace) -> int:
    if args.experiment is None:
        for experiment, method in presets.names():
            print(f"{experiment:28s} {method}")
        return 0
    try:
        if args.experiment not in presets.PRESETS:
            presets.get(args.experiment, "")  # raises, listing the valid presets
        methods = [args.method] if args.method else sorted(presets.PRESETS[args.experiment])
        rows = [(m, presets.get(args.experiment, m)) for m in methods]
    except ValueError as exc:
        print(f"krosbl presets: error: {exc}", file=sys.stderr)
        return 2
    for method, settings in rows:
        print(f"[{args.experiment} / {method}]")
        for key, value in settings.as_dict().items():
            print(f"  {key:15s} = {value!r}")
    return 0


def discard_stdout() -> None:
    """Send the rest of stdout to ``os.devnull`` after a ``BrokenPipeError`` (its reader went
    away, ``krosbl … | head``): else Python meets the closed pipe again when it flushes at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def build_parser() -> argparse.ArgumentParser:
    """The ``krosbl`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="krosbl",
        description="Bayesian recovery of Kronecker-structured sparse vectors (KroSBL).",
    )
    parser.add_argument("--version", action="version", version=f"krosbl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("presets", help="list the paper's solver presets or print one")
    p.add_argument("experiment", nargs="?", help="preset experiment, e.g. irs or synthetic")
    p.add_argument("method", nargs="?", help="method, e.g. am-krosbl")
    p.set_defaults(func=_presets_command)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return call_handler(args.func, args, f"krosbl {args.command}")
    except BrokenPipeError:  # the reader went away (``krosbl presets | head``): not an error
        discard_stdout()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
