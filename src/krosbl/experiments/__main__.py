"""``python -m krosbl.experiments {run,list,plot}``: the experiment commands on their own."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .commands import register


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m krosbl.experiments",
        description="Reproduce the experiments of He & Joseph (IEEE TSP 2024).",
    )
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
