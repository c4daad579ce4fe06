"""Write the experiment figures shown in the documentation (docs/paper/*).

For each experiment (all by default) this runs ``krosbl run NAME --quick`` in a temporary folder,
one worker, and copies the PNG figures to ``docs/figures/experiments/NAME/``, where the
``krosbl-experiment`` directive of the docs finds them. The quick runs take a few seconds to
half a minute each; their figures illustrate the experiments, they are not the paper's numbers.

Usage (needs the ``experiments`` extra)::

    python docs/figures/make_experiment_figures.py             # every experiment
    python docs/figures/make_experiment_figures.py irs-snr     # some of them
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "experiments"


def make(name: str) -> list[Path]:
    """Run experiment ``name`` with ``--quick`` and copy its PNG figures; returns them."""
    from krosbl.experiments import run_experiment

    target = OUT / name
    with tempfile.TemporaryDirectory(prefix=f"krosbl-{name}-") as tmp:
        run_experiment(name, out=tmp, workers=1, quick=True, progress=False, plot=True)
        figures = sorted(Path(tmp).glob("*.png"))
        if not figures:
            raise RuntimeError(f"krosbl run {name} --quick wrote no PNG figure in {tmp}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        return [Path(shutil.copy2(f, target / f.name)) for f in figures]


def main() -> None:
    """Command line: the experiment names (default all)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from krosbl.experiments import get_experiment, list_experiments

    names = [e.name for e in list_experiments()]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "experiments",
        nargs="*",
        metavar="NAME",
        help=f"experiments to draw (default all): {', '.join(names)}",
    )
    args = parser.parse_args()
    for name in args.experiments:
        get_experiment(name)  # an unknown name fails here, listing the valid ones
    for name in args.experiments or names:
        for path in make(name):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
