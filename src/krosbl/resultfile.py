"""The ``.npz`` file of a :class:`~krosbl.result.Result`: arrays as arrays, the rest as JSON.

Every array of the result is one entry of the archive, named after where it sits (``x``,
``gammas/0``, ``details/uncoupled/1``); the entry ``krosbl_result`` is a JSON text of the
other fields, in which an array is a reference to its entry. Nothing is pickled
(``allow_pickle=False``), so a file from elsewhere cannot run code. The JSON holds
``format_version`` (:data:`FORMAT_VERSION`) and the krosbl version that wrote it; a file of a
newer format is refused.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .settings import SolverSettings

__all__ = ["FORMAT_VERSION", "ResultFileError", "read_result_fields", "save_result"]

#: The format this krosbl writes, and the newest it reads.
FORMAT_VERSION = 1

_META = "krosbl_result"


class ResultFileError(ValueError):
    """A file that is not a krosbl result, is damaged, or was written by a newer format."""


def _encode(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, its arrays moved into ``arrays`` under names starting with ``key``."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{key}: arrays of Python objects cannot be saved without pickle")
        arrays[key] = value
        return {"array": key}
    if isinstance(value, SolverSettings):
        return {"settings": value.method, "values": _encode(value.as_dict(), key, arrays)}
    if isinstance(value, dict):
        items = [[_encode(k, key, {}), _encode(v, f"{key}/{k}", arrays)] for k, v in value.items()]
        return {"dict": items}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": _encode(value.item(), key, arrays)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, complex):
        return {"complex": [_encode(value.real, key, {}), _encode(value.imag, key, {})]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{key}: a {type(value).__name__} cannot be saved in a result file")


def _decode(value: Any, archive: Any) -> Any:
    """The inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v, archive) for v in value]
    if not isinstance(value, dict):
        return value
    (kind, content), *rest = value.items()
    if kind == "array":
        return archive[content]
    if kind == "settings":
        return SolverSettings(content, **_decode(rest[0][1], archive))
    if kind == "scalar":
        return np.dtype(content).type(_decode(rest[0][1], archive))
    if kind == "dict":
        return {_decode(k, archive): _decode(v, archive) for k, v in content}
    if kind == "tuple":
        return tuple(_decode(v, archive) for v in content)
    if kind == "float":
        return float(content)
    if kind == "complex":
        return complex(*content)
    raise ResultFileError(f"unknown entry {kind!r}")


def save_result(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` (a :class:`~krosbl.result.Result`) to ``path`` (``.npz`` is appended
    if missing); returns the path.

    Raises
    ------
    TypeError
        A field (e.g. in ``details``) holds something other than numbers, strings, arrays of
        numbers, lists, tuples, dicts or settings.
    """
    arrays: dict[str, np.ndarray] = {}
    encoded = {f.name: _encode(getattr(result, f.name), f.name, arrays) for f in fields(result)}
    meta = {"format_version": FORMAT_VERSION, "krosbl_version": __version__, "fields": encoded}
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    entries: dict[str, Any] = {_META: np.array(json.dumps(meta)), **arrays}
    np.savez(target, allow_pickle=False, **entries)
    return target


def read_result_fields(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The fields of a result written by :func:`save_result`, by name
    (:meth:`krosbl.Result.load` builds the result from them).

    Raises
    ------
    FileNotFoundError
        No such file.
    ResultFileError
        Not a krosbl result file, a damaged one, or one of a newer format version.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ResultFileError(f"{os.fspath(path)!r} is not a .npz file: {exc}") from None
    with archive:
        if _META not in archive.files:
            raise ResultFileError(f"{os.fspath(path)!r} is a .npz file but not a krosbl result")
        try:
            meta = json.loads(str(archive[_META]))
            version = int(meta["format_version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ResultFileError(f"{os.fspath(path)!r}: damaged result header ({exc})") from None
        if version > FORMAT_VERSION:
            raise ResultFileError(
                f"{os.fspath(path)!r} was written by krosbl {meta.get('krosbl_version')} in "
                f"result format {version}; this krosbl reads format {FORMAT_VERSION} and "
                "older: upgrade krosbl to read it"
            )
        try:
            return {k: _decode(v, archive) for k, v in meta["fields"].items()}
        except KeyError as exc:
            raise ResultFileError(f"{os.fspath(path)!r}: missing array {exc}") from None
