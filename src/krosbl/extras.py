"""Optional dependencies: which extra installs which package, and what a command says without it.

The solvers need only NumPy and SciPy; the experiment commands import the packages of the
``experiments`` extra when they run, so ``krosbl --help`` works on a base install.
:func:`call_handler` turns the ``ModuleNotFoundError`` of such a package into one line naming
the ``pip install`` that fixes it.

Examples
--------
>>> missing_extra(ModuleNotFoundError("No module named 'pandas'", name="pandas"))
'experiments'
>>> missing_extra(ModuleNotFoundError("No module named 'pandas.io'", name="pandas.io"))
'experiments'
>>> missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
True
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType

__all__ = ["EXTRAS", "call_handler", "install_hint", "missing_extra"]

#: The import names of the packages each extra of ``pyproject.toml`` installs.
EXTRAS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "experiments": (
            "pandas",
            "pyarrow",
            "dask",
            "distributed",
            "rich",
            "matplotlib",
            "pydantic",
            "threadpoolctl",
        ),
    }
)


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra whose package ``exc`` did not find.

    Parameters
    ----------
    exc : ModuleNotFoundError
        The error of a failed import.

    Returns
    -------
    str or None
        The name of the extra (a key of :data:`EXTRAS`) that installs the missing top-level
        package, or ``None`` if the package belongs to no extra (a bug, not a missing extra).
    """
    package = (exc.name or "").partition(".")[0]
    return next((extra for extra, pkgs in EXTRAS.items() if package in pkgs), None)


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, e.g. ``pip install 'krosbl[experiments]'``.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`.

    Returns
    -------
    str
    """
    return f"pip install 'krosbl[{extra}]'"


def call_handler(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, prog: str
) -> int:
    """Run a command handler; a missing optional package is a one-line error with exit code 2.

    Parameters
    ----------
    handler : callable
        ``handler(args) -> int``, the exit code; it imports what it needs when it runs.
    args : argparse.Namespace
        The parsed arguments.
    prog : str
        The command as the user typed it, e.g. ``"krosbl run"``, to start the error line.

    Returns
    -------
    int
        The handler's exit code, or 2 after printing to stderr, e.g. ``krosbl run: error:
        needs pandas, part of the experiments extra: pip install 'krosbl[experiments]'``.

    Raises
    ------
    ModuleNotFoundError
        If the missing module is not a package of an extra (a bug; its traceback is kept).
    """
    try:
        return int(handler(args))
    except ModuleNotFoundError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        package = (exc.name or "").partition(".")[0]
        print(
            f"{prog}: error: needs {package}, part of the {extra} extra: {install_hint(extra)}",
            file=sys.stderr,
        )
        return 2
