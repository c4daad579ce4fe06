"""Which krosbl call reproduces which solver row of a fixture (:func:`cases`, :func:`solve`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from krosbl import presets
from krosbl.api import Result, recover
from krosbl.irs import irs_settings
from krosbl.methods import get_method
from krosbl.operators import Kron
from krosbl.settings import SolverSettings

from .fixtures import Fixture

__all__ = ["Case", "cases", "solve"]


# tag -> (method, learned noise, fixed overrides); docs/theory.md, "The paper's experiments",
# and the fixtures' README.
_SYNTHETIC_TAGS: dict[str, tuple[str, bool, dict[str, Any]]] = {
    "csbl": ("sbl", False, {}),
    "am": ("am-krosbl", False, {}),
    "svd": ("svd-krosbl", False, {}),
    "ksbl": ("ksbl", False, {}),
    "csbl_un": ("sbl", True, {}),
    "am_un": ("am-krosbl", True, {}),
    "svd_un": ("svd-krosbl", True, {}),
    "ksbl_un": ("ksbl", True, {}),
    "komp": ("kron-omp", False, {}),
    "ols": ("oracle-ls", False, {}),
    "omp": ("omp", False, {}),
}
_IRS_TAGS: dict[str, tuple[str, bool, dict[str, Any]]] = {
    "svd": ("svd-krosbl", False, {}),
    "am": ("am-krosbl", False, {}),
    "pc08": ("pc-krosbl", False, {"beta": 0.8}),
    "pc05": ("pc-krosbl", False, {"beta": 0.5}),
    "csbl": ("sbl", False, {}),
    "pcsbl": ("pc-sbl", False, {}),
}
_GREEDY = ("kron-omp", "omp", "oracle-ls")
_KRONECKER = ("am-krosbl", "svd-krosbl", "ksbl", "pc-krosbl")


@dataclass(frozen=True)
class Case:
    """One solver row of a fixture and the krosbl call that reproduces it.

    Parameters
    ----------
    tag : str
        The fixture's solver tag (``"svd"``, ``"pc08"``, ``"ksbl_un"``, ``"komp"``, …).
    method : str
        The krosbl method name.
    noise_learned : bool
        Whether ``σ²`` is learned (``noise_var=None``).
    settings : SolverSettings
        Settings passed to :func:`krosbl.recover` (preset, iteration cap of the fixture,
        per-tag overrides such as ``beta``).
    """

    tag: str
    method: str
    noise_learned: bool
    settings: SolverSettings


def _max_iter(fixture: Fixture, tag: str) -> int | None:
    solver = fixture.params["solvers"][tag]
    value = solver.get("numItr") if fixture.kind == "irs" else solver.get("args", {}).get("R_max")
    return None if value is None else int(value)


def _case(fixture: Fixture, tag: str) -> Case:
    table = _IRS_TAGS if fixture.kind == "irs" else _SYNTHETIC_TAGS
    if tag not in table:
        raise ValueError(f"unknown {fixture.kind} solver tag {tag!r}; known: {sorted(table)}")
    method, learned, overrides = table[tag]
    if fixture.kind == "irs":
        base = irs_settings(method, fixture.snr_db)
        if base is None:
            raise ValueError(f"no IRS preset for method {method!r}")
    else:
        base = presets.get("learned-noise-measurements" if learned else "synthetic", method)
    cap = _max_iter(fixture, tag)
    if cap is not None and method not in _GREEDY:
        overrides = {**overrides, "max_iter": cap}
    return Case(tag, method, learned, base.replace(**overrides) if overrides else base)


def cases(fixture: Fixture) -> list[Case]:
    """The krosbl call of every solver row of a fixture (presets and iteration caps as in
    :doc:`/reference-fixtures`, "How each row is run").

    Parameters
    ----------
    fixture : Fixture

    Returns
    -------
    list of Case
        One per tag of ``params.solvers``, in the JSON's order.

    Raises
    ------
    ValueError
        For a tag this module does not know.
    """
    return [_case(fixture, tag) for tag in fixture.tags]


def solve(fixture: Fixture, case: Case) -> Result:
    """Run krosbl on a fixture's stored inputs.

    Parameters
    ----------
    fixture : Fixture
    case : Case

    Returns
    -------
    Result
    """
    noise_var = None if case.noise_learned else fixture.noise_var
    takes_support = get_method(case.method).takes_support
    support = fixture.arrays["suppTrue_idx0"] if takes_support else None
    return recover(
        fixture.arrays["y"],
        Kron(fixture.factors),
        case.method,
        noise_var,
        settings=case.settings,
        support=support,
    )
