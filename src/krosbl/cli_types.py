"""Argument types (``argparse`` ``type=`` callables) shared by the ``krosbl`` subcommands: a
bad value is a one-line usage error with exit code 2 *before* any work starts."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

__all__ = ["output_dir", "output_file", "positive_float", "positive_int"]


def positive_int(text: str) -> int:
    """An integer ``≥ 1``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number ``> 0``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _check_writable(path: Path, text: str) -> Path:
    """``path`` (a folder to write into, made if missing), checked that it can take a file."""
    absolute = path.absolute()  # its last ancestor, the root, exists
    base = next(p for p in (absolute, *absolute.parents) if p.exists())
    if not base.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {str(base)!r} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=base):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: {exc.strerror or exc} in {str(base)!r}"
        ) from None
    return path


def output_dir(text: str) -> Path:
    """A folder that exists and is writable, or can be created."""
    return _check_writable(Path(text), text)


def output_file(text: str) -> Path:
    """A file path whose folder exists and is writable, or can be created."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    _check_writable(path.parent, text)
    return path
