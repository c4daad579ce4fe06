"""Run and check every solver row of a fixture, or of a directory of fixtures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .calls import Case, _case, solve
from .checks import compare
from .fixtures import FIXTURES_DIR, Fixture, find_fixtures, load_fixture
from .rows import Row

__all__ = ["verify_directory", "verify_fixture"]


def _failed(fixture: str, solver: str, reason: str, **fields: Any) -> Row:
    return Row(fixture, solver, ok=False, reason=reason, **fields)


def _run_case(fixture: Fixture, case: Case, estimates_dir: Path | None) -> Row:
    start = time.perf_counter()
    try:
        result = solve(fixture, case)
    except Exception as exc:
        return _failed(
            fixture.name, case.tag, f"solver error: {type(exc).__name__}: {exc}", method=case.method
        )
    seconds = time.perf_counter() - start
    if estimates_dir is not None:
        np.save(estimates_dir / f"{fixture.name}.{case.tag}.npy", np.asarray(result.x))
    try:
        return compare(fixture, case, result, seconds=seconds)
    except (KeyError, ValueError) as exc:
        return _failed(fixture.name, case.tag, f"cannot compare: {exc}", method=case.method)


def verify_fixture(
    fixture: Fixture | str | Path, *, estimates_dir: str | Path | None = None
) -> list[Row]:
    """Run and check every solver row of one fixture.

    Parameters
    ----------
    fixture : Fixture, str or Path
        A loaded fixture or the path of its ``.npz``/``.json`` file.
    estimates_dir : str or Path, optional
        If given, each full-length estimate is written to
        ``estimates_dir/<fixture>.<solver>.npy`` (the directory is created).

    Returns
    -------
    list of Row
        One per solver row; a solver that raises gives a failing row, not an exception, and
        so does a fixture that cannot be loaded or has no solver row (one row, solver ``"*"``).
    """
    if not isinstance(fixture, Fixture):
        path = Path(fixture)
        try:
            fixture = load_fixture(path)
        except (OSError, ValueError) as exc:
            return [_failed(path.with_suffix("").name, "*", f"cannot load fixture: {exc}")]
    if not fixture.tags:
        return [_failed(fixture.name, "*", "no solver rows (params.solvers is empty)")]
    out_dir = None
    if estimates_dir is not None:
        out_dir = Path(estimates_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for tag in fixture.tags:
        try:
            case = _case(fixture, tag)
        except ValueError as exc:
            rows.append(_failed(fixture.name, tag, str(exc)))
            continue
        rows.append(_run_case(fixture, case, out_dir))
    return rows


def verify_directory(
    path: str | Path = FIXTURES_DIR, *, estimates_dir: str | Path | None = None
) -> list[Row]:
    """Run and check every solver row of every fixture in a directory.

    Parameters
    ----------
    path : str or Path
        Directory of ``<name>.npz`` / ``<name>.json`` pairs (default: the fixtures installed
        with krosbl, :data:`~krosbl.reference.FIXTURES_DIR`).
    estimates_dir : str or Path, optional
        Write every full-length estimate to ``estimates_dir/<fixture>.<solver>.npy``.

    Returns
    -------
    list of Row
        Ordered by fixture name, then by the JSON's solver order.

    Raises
    ------
    NotADirectoryError
        If ``path`` is not a directory.
    """
    rows: list[Row] = []
    for npz in find_fixtures(path):
        rows.extend(verify_fixture(npz, estimates_dir=estimates_dir))
    return rows
