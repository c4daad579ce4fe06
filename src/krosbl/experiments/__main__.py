"""``python -m krosbl.experiments {run,list,plot}``: the experiment commands on their own."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..cli import discard_stdout
from ..extras import call_handler
from .commands import register


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m krosbl.experiments",
        description="Reproduce the experiments of He & Joseph (IEEE TSP 2024).",
    )
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    try:
        return call_handler(args.func, args, f"krosbl {args.command}")
    except BrokenPipeError:  # the reader went away (``… list | head``): not an error
        discard_stdout()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
