"""``krosbl solve``: run a method on arrays from a data file and save its :class:`Result`.

Example::

    krosbl solve data.mat --y y --factors A1 A2 A3 --method svd-krosbl \\
        --noise-var learn --settings my.toml --out result.npz

docs/snapshots-and-files.md describes the files. Exit codes: 0 solved; 2 bad input (a one-line
error); 3 the solver broke down numerically.
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["register", "solve_command"]


def _noise_var(text: str) -> float | None:
    if text == "learn":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number > 0 or 'learn', got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be finite and > 0 (or 'learn'), got {text!r}")
    return value


def _error(message: object, code: int = 2) -> int:
    print(f"krosbl solve: error: {message}", file=sys.stderr)
    return code


def _settings(path: Path | None) -> tuple[str | None, dict[str, Any]]:
    """``(preset, overrides)`` from a settings file (``(None, {})`` without one)."""
    if path is None:
        return None, {}
    try:
        values = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the settings file {str(path)!r}: {exc}") from None
    preset = values.pop("preset", None)
    if preset is not None and not isinstance(preset, str):
        raise ValueError(f"{str(path)!r}: preset must be a name, got {preset!r}")
    return preset, values


def _summary(result: Any, y: np.ndarray, factors: list[np.ndarray], out: Path) -> str:
    snapshots = f" × {y.shape[1]} snapshots" if y.ndim == 2 else ""
    shapes = " ⊗ ".join(f"{a.shape[0]}×{a.shape[1]}" for a in factors)
    state = "converged" if result.converged else "not converged"
    noise = "learned" if result.noise_learned else "given"
    sigma2 = "–" if result.noise_var is None else f"{result.noise_var:.4g} ({noise})"
    return (
        f"{result.method}: y of {y.shape[0]} entries{snapshots}, dictionary {shapes}\n"
        f"  x: {result.x.shape[0]} entries{snapshots}, {len(result.support)} kept\n"
        f"  iterations: {result.n_iter} ({state}), σ²: {sigma2}, time: {result.time_s:.3g} s\n"
        f"  result: {out}"
    )


def solve_command(args: argparse.Namespace) -> int:
    """``solve DATA``: read the arrays, run the method, save and summarise the result."""
    import krosbl
    from krosbl.datafile import DataFileError, read_arrays

    try:
        preset, overrides = _settings(args.settings)
        names = [args.y, *args.factors, *([args.support] if args.support else [])]
        arrays = read_arrays(args.data, names)
    except (FileNotFoundError, DataFileError, ValueError) as exc:
        return _error(exc)
    y = arrays[args.y]
    if y.ndim == 2 and y.shape[1] == 1:  # a MATLAB column vector: one snapshot
        y = y[:, 0]
    factors = [arrays[name] for name in args.factors]
    dictionary: Any = factors[0] if len(factors) == 1 else factors
    support = None
    if args.support:
        given = arrays[args.support]
        support = np.flatnonzero(given) if given.dtype == bool else given.ravel().astype(np.intp)
    out = args.out if args.out is not None else Path(f"{Path(args.data).stem}-{args.method}.npz")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = krosbl.recover(
                y,
                dictionary,
                args.method,
                args.noise_var,
                settings=preset,
                support=support,
                **overrides,
            )
    except (ValueError, TypeError) as exc:
        return _error(exc)
    except FloatingPointError as exc:
        return _error(exc, 3)
    for warning in caught:
        print(f"krosbl solve: warning: {warning.message}", file=sys.stderr)
    try:
        written = result.save(out)
    except OSError as exc:
        return _error(f"cannot write the result to {str(out)!r}: {exc.strerror or exc}")
    print(_summary(result, y, factors, written))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``solve`` subcommand to ``subparsers`` (of ``ArgumentParser.add_subparsers()``)."""
    p = subparsers.add_parser(
        "solve",
        help="solve y = A x + n for arrays in a .npz or .mat file and save the result",
        description=(
            "Run a method on arrays from a data file and write the result (.npz, read it "
            "with krosbl.Result.load)."
        ),
    )
    p.add_argument("data", type=Path, metavar="DATA", help="a .npz or .mat (v4–v7) file")
    p.add_argument("--y", required=True, metavar="NAME", help="the measurements (M,) or (M, T)")
    p.add_argument(
        "--factors",
        required=True,
        nargs="+",
        metavar="NAME",
        help="the Kronecker factors A1 A2 … (one name: a dense dictionary)",
    )
    p.add_argument("--method", default="svd-krosbl", help="see `krosbl.available_methods()`")
    p.add_argument(
        "--noise-var",
        type=_noise_var,
        default=None,
        metavar="VALUE|learn",
        help="the noise variance σ², or 'learn' (default)",
    )
    p.add_argument("--settings", type=Path, metavar="TOML", help="settings of the method")
    p.add_argument("--support", metavar="NAME", help="the true support, for oracle-ls")
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="result file (default DATA-METHOD.npz here)"
    )
    p.set_defaults(func=solve_command)
