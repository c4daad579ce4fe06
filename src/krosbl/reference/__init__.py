"""Verify krosbl against the reference fixtures: the authors' MATLAB code run on fixed problems.

A fixture is a pair ``<name>.npz`` (inputs and outputs, 0-based indices) and ``<name>.json``
(problem, per-solver call, iteration cap and internal constants); six ship in
:data:`FIXTURES_DIR` (format in its ``README.md``). For every solver row (a *tag*: ``svd``,
``pc08``, ``ksbl_un``, ``komp``, …) this package runs the matching :func:`krosbl.recover` call
and compares the outcome with the stored one (the ``sym_`` keys where stored;
:doc:`/reference-fixtures` gives the checks and their tolerances).

Examples
--------
>>> from krosbl import reference
>>> [p.name for p in reference.find_fixtures()][:2]
['irs_p01.npz', 'irs_p02.npz']
>>> rows = reference.verify_directory()  # doctest: +SKIP
>>> all(row.ok for row in rows)  # doctest: +SKIP
True
"""

from __future__ import annotations

from .calls import Case, cases, solve
from .cli import main, register
from .fixtures import FIXTURES_DIR, Fixture, find_fixtures, load_fixture
from .fixtures import Kind as Kind
from .rows import DENSE_HIGH_SNR_DB, DENSE_HIGH_SNR_RTOL, RTOL, Row, format_table, rows_to_json
from .verify import Target as Target
from .verify import compare, verify_directory, verify_fixture

__all__ = [
    "DENSE_HIGH_SNR_DB",
    "DENSE_HIGH_SNR_RTOL",
    "FIXTURES_DIR",
    "RTOL",
    "Case",
    "Fixture",
    "Row",
    "cases",
    "compare",
    "find_fixtures",
    "format_table",
    "load_fixture",
    "main",
    "register",
    "rows_to_json",
    "solve",
    "verify_directory",
    "verify_fixture",
]
