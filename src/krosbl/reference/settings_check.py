"""The solver constants recorded in a fixture's JSON against the settings krosbl used."""

from __future__ import annotations

import math

from .calls import Case
from .fixtures import Fixture


def _expected_settings(fixture: Fixture, case: Case) -> dict[str, tuple[float, ...]]:
    """The constants the JSON records for a solver, as ``{settings field: values}`` (fields
    the row's method does not read included: :func:`_settings_mismatches` skips them)."""
    solver = fixture.params["solvers"][case.tag]
    internal = solver.get("internal", {})
    args = solver.get("args", {})
    exp: dict[str, tuple[float, ...]] = {}
    if all(f"r{i}" in internal for i in (1, 2, 3)):
        exp["prune_ratio"] = tuple(float(internal[f"r{i}"]) for i in (1, 2, 3))
    for key in ("r_rele", "r_relative"):
        if key in internal:
            exp["prune_ratio"] = (float(internal[key]),)
    if "r_absolute" in internal:
        exp["prune_abs"] = (float(internal["r_absolute"]),)
    thres = internal.get("thres", solver.get("thres"))
    if thres is not None:
        exp["tol"] = (float(thres),)
    inner = internal.get("thres_inner", solver.get("thres_inner_global"))
    if inner is not None:
        exp["inner_tol"] = (float(inner),)
    if "alpha" in solver or "beta" in solver:
        exp["beta"] = tuple(float(solver[k]) for k in ("alpha", "beta") if k in solver)
    if "floor" in internal:
        exp["floor"] = (float(internal["floor"]),)
    for key, name in (("a", "pc_a"), ("b", "pc_b"), ("eta", "pc_eta")):
        if key in internal:
            exp[name] = (float(internal[key]),)
    if "OMP_level" in args:
        exp["sparsity"] = tuple(float(v) for v in args["OMP_level"])
    if "epsilon" in args:
        exp["omp_tol"] = (float(args["epsilon"]),)
    return exp


def _settings_mismatches(fixture: Fixture, case: Case) -> list[str]:
    out = []
    for name, expected in _expected_settings(fixture, case).items():
        if name not in case.settings:  # a constant of the authors' code the method never reads
            continue
        value = case.settings[name]
        if value is None:
            got: tuple[float, ...] = ()
        else:
            got = tuple(float(v) for v in (value if isinstance(value, tuple) else (value,)))
        if len(got) == 1 and len(expected) > 1:
            got = got * len(expected)
        if len(expected) == 1 and len(got) > 1 and len(set(got)) == 1:
            got = got[:1]
        if len(got) != len(expected) or not all(
            math.isclose(g, e, rel_tol=1e-12, abs_tol=0.0)
            for g, e in zip(got, expected, strict=True)
        ):
            out.append(f"{name} {got} vs fixture {expected}")
    return out
