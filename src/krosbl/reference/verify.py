"""Run and check the solver rows of fixtures: :func:`verify_fixture` and
:func:`verify_directory` run each row and :func:`compare` its result with the stored outputs
(estimate, iterations, support, noise, ``γ``, NMSE, the solver constants of the JSON)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from krosbl import metrics
from krosbl.api import Result
from krosbl.irs import channel_nmse, rebuild_channels

from .calls import _GREEDY, _KRONECKER, Case, _case, solve
from .fixtures import FIXTURES_DIR, Fixture, find_fixtures, load_fixture
from .rows import DENSE_HIGH_SNR_DB, DENSE_HIGH_SNR_RTOL, RTOL, Row

__all__ = ["Target", "compare", "verify_directory", "verify_fixture"]


Target = Literal["auto", "sym", "plain"]


def _as_reference(ref: NDArray[Any], ours: NDArray[Any]) -> NDArray[Any]:
    """Drop the tiny imaginary parts of a complex reference of a real problem (README)."""
    ref = np.asarray(ref)
    if np.iscomplexobj(ref) and not np.iscomplexobj(ours):
        return ref.real
    return ref


def _tolerance(fixture: Fixture, case: Case) -> float:
    if case.method == "sbl" and fixture.snr_db >= DENSE_HIGH_SNR_DB:
        return DENSE_HIGH_SNR_RTOL
    return RTOL


def _target_prefix(fixture: Fixture, tag: str, target: Target) -> tuple[str, str]:
    est = "mu_x" if fixture.kind == "irs" else "x"
    has_sym = f"sym_{tag}_{est}" in fixture.arrays
    if target == "auto":
        target = "sym" if has_sym and tag in fixture.sym_tags() else "plain"
    if target == "sym":
        if not has_sym:
            raise KeyError(f"{fixture.name}: no sym_ keys for solver {tag!r}")
        return "sym", f"sym_{tag}_"
    if f"{tag}_{est}" not in fixture.arrays:
        raise KeyError(f"{fixture.name}: no stored estimate {tag}_{est}")
    return "plain", f"{tag}_"


def compare(
    fixture: Fixture,
    case: Case,
    result: Result,
    *,
    target: Target = "auto",
    seconds: float | None = None,
) -> Row:
    """Compare a krosbl result with a fixture's stored outputs for one solver row.

    Parameters
    ----------
    fixture : Fixture
    case : Case
        The row (from :func:`cases`).
    result : Result
        krosbl's output for that row (from :func:`solve`).
    target : {"auto", "sym", "plain"}
        Which reference keys to compare against. ``"auto"`` takes the ``sym_`` keys where the
        fixture has them (the Hermitian-eigensolver arithmetic, departure R1 in
        docs/reproduction.md) and the plain keys otherwise; ``"plain"`` forces the authors'
        published outputs.
    seconds : float, optional
        Solve time to record.

    Returns
    -------
    Row

    Raises
    ------
    KeyError
        If the requested reference keys are not stored.
    """
    kind, prefix = _target_prefix(fixture, case.tag, target)
    a = fixture.arrays
    tol = _tolerance(fixture, case)
    row = Row(fixture.name, case.tag, case.method, kind, tol, seconds=seconds)
    problems: list[str] = []

    est_key = f"{prefix}mu_x" if fixture.kind == "irs" else f"{prefix}x"
    x = np.asarray(result.x)
    row.rel_error = _rel(x, _as_reference(a[est_key], x))
    if not row.rel_error <= tol:
        problems.append(f"estimate differs ({row.rel_error:.2g})")

    if case.method not in _GREEDY and f"{prefix}n_iter" in a:
        row.n_iter_ref, row.n_iter = int(a[f"{prefix}n_iter"]), int(result.n_iter)
        if row.n_iter != row.n_iter_ref:
            problems.append(f"n_iter {row.n_iter} vs {row.n_iter_ref}")

    row.support_equal = _check_support(fixture, case, result, prefix, problems)

    if case.noise_learned and f"{prefix}noise_var" in a:
        ours = math.nan if result.noise_var is None else float(result.noise_var)
        row.noise_rel_error = _rel(np.asarray(ours), np.asarray(float(a[f"{prefix}noise_var"])))
        if not row.noise_rel_error <= tol:
            problems.append(f"noise variance differs ({row.noise_rel_error:.2g})")

    row.gamma_rel_error = _gamma_error(fixture, case, result, prefix)
    if row.gamma_rel_error is not None and not row.gamma_rel_error <= tol:
        problems.append(f"gamma differs ({row.gamma_rel_error:.2g})")

    _check_nmse(fixture, case, result, prefix, row, problems)

    mismatches = _settings_mismatches(fixture, case)
    row.settings_equal = not mismatches
    if mismatches:
        problems.append("settings: " + "; ".join(mismatches))

    row.ok = not problems
    row.reason = None if row.ok else "; ".join(problems)
    return row


def _rel(a: NDArray[Any], b: NDArray[Any]) -> float:
    """``‖a − b‖ / ‖b‖`` (0 when both vanish, inf when only ``b`` does)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return math.inf
    num = float(np.linalg.norm((a - b).ravel()))
    den = float(np.linalg.norm(b.ravel()))
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


def _factor_keeps(support: NDArray[Any], shape: Sequence[int]) -> list[set[int]]:
    idx = np.unravel_index(np.asarray(support, dtype=np.intp), tuple(shape))
    return [set(np.unique(i).tolist()) for i in idx]


def _check_support(
    fixture: Fixture, case: Case, result: Result, prefix: str, problems: list[str]
) -> bool | None:
    arrays = fixture.arrays
    ours = set(np.asarray(result.support).tolist())
    if case.method in _GREEDY:
        ref_x = arrays[f"{case.tag}_x"]
        if set(np.flatnonzero(ref_x).tolist()) != ours:
            problems.append("support differs")
            return False
        return True
    key = f"{prefix}keep_idx0"
    if key not in arrays:
        return None
    equal = True
    if set(arrays[key].tolist()) != ours:
        problems.append(f"kept support differs ({len(ours)} vs {arrays[key].size})")
        equal = False
    if case.method in _KRONECKER:
        shape = [f.shape[1] for f in fixture.factors]
        for i, keep in enumerate(_factor_keeps(result.support, shape), start=1):
            fkey = f"{prefix}keep{i}_idx0"
            if fkey in arrays and set(arrays[fkey].tolist()) != keep:
                problems.append(f"factor {i} kept set differs")
                equal = False
    return equal


def _gamma_error(fixture: Fixture, case: Case, result: Result, prefix: str) -> float | None:
    arrays = fixture.arrays
    errors = []
    if result.gamma is not None and f"{prefix}gamma" in arrays:
        errors.append(_rel(result.gamma, arrays[f"{prefix}gamma"]))
    if result.gammas is not None:
        for i, g in enumerate(result.gammas, start=1):
            gkey, kkey = f"{prefix}gamma{i}", f"{prefix}keep{i}_idx0"
            if gkey in arrays and kkey in arrays:
                keep = arrays[kkey]
                fits = keep.max(initial=-1) < g.size
                errors.append(_rel(g[keep], arrays[gkey]) if fits else math.inf)
    return max(errors) if errors else None


def _stored_channels(h: NDArray[Any], n_bs: int, n_ms: int) -> NDArray[Any]:
    """``(N_b·N_m, K2)`` column-major channels → ``(K2, N_b, N_m)`` (README "Channels")."""
    return np.stack([h[:, k].reshape(n_ms, n_bs).T for k in range(h.shape[1])])


def _check_nmse(
    fixture: Fixture, case: Case, result: Result, prefix: str, row: Row, problems: list[str]
) -> None:
    a = fixture.arrays
    x = np.asarray(result.x)
    tol, per_pattern = row.tolerance, []
    if fixture.kind == "irs":
        h_hat = rebuild_channels(x, a["H_p1"], a["A1"], a["A2"])
        n_bs, n_ms = h_hat.shape[1], h_hat.shape[2]
        truth = _stored_channels(a["Htrue"], n_bs, n_ms)
        if f"{prefix}H_re" in a:
            ref_h = _stored_channels(a[f"{prefix}H_re"], n_bs, n_ms)
            row.channel_rel_error = _rel(h_hat, ref_h)
            if not row.channel_rel_error <= tol:
                problems.append(f"channels differ ({row.channel_rel_error:.2g})")
        row.nmse = channel_nmse(h_hat, truth)
        if f"{prefix}nmse_per_pattern" in a:
            per = np.linalg.norm(h_hat - truth, axis=(1, 2)) ** 2
            per /= np.linalg.norm(truth, axis=(1, 2)) ** 2
            per_pattern = [_rel(per, a[f"{prefix}nmse_per_pattern"])]
    else:
        truth = a["x_true"]
        row.nmse = metrics.nmse(x, truth)
        if case.tag == "omp":  # the authors' OMP returns ‖x̂ − x‖/‖x‖, unsquared (README)
            row.nmse = math.sqrt(row.nmse)
        if f"{prefix}srr" in a:
            srr = metrics.support_recovery_rate(x, truth)
            row.srr_equal = math.isclose(srr, float(a[f"{prefix}srr"]), rel_tol=1e-9)
            if not row.srr_equal:
                problems.append(f"SRR {srr:.4g} vs {float(a[f'{prefix}srr']):.4g}")
    errors = []
    if f"{prefix}nmse" in a:
        row.nmse_ref = float(a[f"{prefix}nmse"])
        errors.append(_rel(np.asarray(row.nmse), np.asarray(row.nmse_ref)))
    row.nmse_rel_error = max(errors + per_pattern) if errors or per_pattern else None
    if row.nmse_rel_error is not None and not row.nmse_rel_error <= tol:
        problems.append(f"NMSE differs ({row.nmse_rel_error:.2g})")


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
        values = () if value is None else value if isinstance(value, tuple) else (value,)
        got = tuple(float(v) for v in values)
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
    out_dir = None if estimates_dir is None else Path(estimates_dir)
    if out_dir is not None:
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
