"""The ``run``, ``list`` and ``plot`` subcommands (argument parsing and printing only).

``krosbl.cli`` calls :func:`register` with its subparsers; ``python -m krosbl.experiments``
builds the same commands on its own parser.  Exit codes: 0 success, 1 a trial failed,
2 bad input (unknown experiment, invalid setting, unwritable folder or full disk, unreachable
scheduler, configuration mismatch, a missing package of the ``experiments`` extra),
130 interrupted.

Building the commands and ``list`` import nothing beyond NumPy: the experiment names come from
:mod:`.catalogue`; ``run`` and ``plot`` import the registry and the runner when they run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cli_types import positive_float, positive_int
from .catalogue import entries
from .errors import ClusterError, ExperimentError, TrialError

if TYPE_CHECKING:
    from .definitions import Experiment

__all__ = ["list_command", "plot_command", "register", "run_command"]


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be in 0 .. 2**63 - 1, got {value}")
    return value


def _error(command: str, message: object) -> None:
    print(f"krosbl {command}: error: {message}", file=sys.stderr)


def _log_to_stderr() -> None:
    logger = logging.getLogger("krosbl.experiments")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _print_summary(results: Any, experiment: Experiment, title: str) -> None:
    from rich.console import Console

    from .summary import print_summary, summarize

    columns = [m.column for m in experiment.metrics]
    columns += [m.reference for m in experiment.metrics if m.reference]
    console = Console(width=None if sys.stdout.isatty() else 200)
    print_summary(
        summarize(results, list(dict.fromkeys([*columns, "n_iter"]))),
        console,
        title=title,
        value_label=dict(experiment.value_labels),
        algorithm_label={a.name: a.label for a in experiment.algorithms},
    )


#: The ``run`` argument that runs every experiment.
ALL = "all"


def _run_one(name: str, out: Path, args: argparse.Namespace) -> int:
    """Run or resume experiment ``name`` into ``out`` and print its summary; the exit code."""
    from .registry import get_experiment
    from .runner import run_experiment

    try:
        experiment = get_experiment(name)
        results = run_experiment(
            name,
            trials=args.trials,
            out=out,
            workers=args.workers,
            config=args.config,
            quick=args.quick,
            progress="plain" if args.quiet else True,
            paper=args.paper,
            scheduler=args.scheduler,
            seed=args.seed,
            plot=not args.no_plot,
            connect_timeout=args.connect_timeout,
            worker_timeout=args.worker_timeout,
        )
    except ExperimentError as exc:
        _error("run", exc)
        return 2
    except TrialError as exc:
        remedy = "re-run to resume" if isinstance(exc, ClusterError) else "fix the cause and re-run"
        _error("run", f"{exc}; finished trials are stored in {out}: {remedy}")
        return 1
    _print_summary(results, experiment, f"{experiment.name} — {experiment.reproduces}")
    print(f"results: {out}")
    figures = sorted(Path(out).glob("*.png")) if not args.no_plot else []
    if figures:
        print("figures: " + ", ".join(str(f) for f in figures) + " (and .pdf beside each)")
    return 0


def run_command(args: argparse.Namespace) -> int:
    """``run EXPERIMENT`` (or ``run all``): run or resume, then print the summary tables.

    ``run all`` runs every experiment in turn, each into ``OUT/NAME`` (default: its own default
    folder); a failed experiment does not stop the others, and the exit code is the worst.
    """
    from .registry import list_experiments
    from .runner import default_out

    _log_to_stderr()
    if args.experiment != ALL:
        out = args.out if args.out is not None else default_out(args.experiment, args.quick)
        targets = [(args.experiment, out)]
    elif args.config is not None:
        _error("run", "--config cannot be used with 'all': each experiment has its own settings")
        return 2
    else:
        targets = [
            (e.name, args.out / e.name if args.out is not None else default_out(e.name, args.quick))
            for e in list_experiments()
        ]
    codes: dict[str, int] = {}
    for name, out in targets:
        try:
            codes[name] = _run_one(name, out, args)
        except KeyboardInterrupt:
            _error("run", f"interrupted; finished trials are stored in {out}; re-run to resume")
            return 130
    if len(targets) > 1:
        for name, out in targets:
            status = {0: "done", 1: "a trial failed", 2: "not run"}[codes[name]]
            print(f"{name:38s} {status:15s} {out}")
    return max(codes.values())


def list_command(args: argparse.Namespace) -> int:
    """``list``: one line per experiment."""
    experiments = entries()
    width = max(len(e.name) for e in experiments)
    for e in experiments:
        n = e.trials
        trials = f"{n} trial{'s' if n != 1 else ''}"
        print(f"{e.name:{width}s} {e.description}  [{e.reproduces}; {trials}]")
    return 0


def plot_command(args: argparse.Namespace) -> int:
    """``plot DIR``: redraw the figures and print the summary of stored results."""
    from .plots import plot_results
    from .registry import get_experiment
    from .storage import ResultStore

    try:
        paths = plot_results(args.directory, formats=args.format)
        store = ResultStore(args.directory)
        results = store.load()
        experiment = get_experiment(str((store.read_manifest() or {}).get("experiment")))
    except ExperimentError as exc:
        _error("plot", exc)
        return 2
    _print_summary(results, experiment, experiment.name)
    for path in paths:
        print(path)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``run``, ``list`` and ``plot`` subcommands.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The object returned by ``ArgumentParser.add_subparsers()``; each subparser gets
        ``func=handler`` with ``handler(args) -> int`` (the exit code).
    """
    _add_run(subparsers)
    lister = subparsers.add_parser("list", help="list the experiments")
    lister.set_defaults(func=list_command)
    _add_plot(subparsers)


def _add_run(subparsers: Any) -> None:
    """The ``run`` subcommand and its options."""
    names = ", ".join(e.name for e in entries())
    run = subparsers.add_parser(
        "run",
        help="run (or resume) an experiment",
        description="Run an experiment; re-running the same command resumes it.",
    )
    run.add_argument(
        "experiment",
        metavar="EXPERIMENT",
        help=f"one of: {names}; or '{ALL}' for every experiment in turn (each in OUT/NAME)",
    )
    run.add_argument("--trials", type=positive_int, help="number of trials")
    run.add_argument(
        "--out",
        type=Path,
        help="output folder (default results/EXPERIMENT; with 'all', the parent of one folder "
        "per experiment, default results/)",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        help="1: run here; N: N processes (default: all CPUs)",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786"
    )
    run.add_argument("--config", type=Path, metavar="TOML", help="settings overrides (TOML file)")
    size = run.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="tiny version (for CI)")
    size.add_argument("--paper", action="store_true", help="the paper's trial count")
    run.add_argument("--seed", type=_seed, help="root seed (overrides the config)")
    run.add_argument(
        "--quiet", action="store_true", help="plain log lines instead of a progress bar"
    )
    run.add_argument("--no-plot", action="store_true", help="do not write figures")
    run.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="seconds to wait for the Dask scheduler (default 5)",
    )
    run.add_argument(
        "--worker-timeout",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="stop when the Dask cluster has had no worker this long (default 60)",
    )
    run.set_defaults(func=run_command)


def _add_plot(subparsers: Any) -> None:
    """The ``plot`` subcommand and its options."""
    plot = subparsers.add_parser("plot", help="redraw figures and summary from stored results")
    plot.add_argument("directory", type=Path, metavar="DIR", help="an output folder of `run`")
    plot.add_argument(
        "--format",
        nargs="+",
        default=["png", "pdf"],
        metavar="FMT",
        help="figure formats (default: png pdf)",
    )
    plot.set_defaults(func=plot_command)
