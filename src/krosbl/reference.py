"""Verify krosbl against the reference fixtures: the authors' MATLAB code run on fixed problems.

A fixture is a pair ``<name>.npz`` (inputs and outputs, 0-based indices) and ``<name>.json``
(problem, per-solver call, iteration cap and internal constants); the format is described in
``tests/data/reference/README.md``. For every solver row of a fixture (a *tag*: ``svd``, ``am``,
``pc08``, ``ksbl_un``, ``komp``, …) this module runs the matching :func:`krosbl.recover` call
with the fixture's settings and iteration cap and compares the outcome with the stored one:

* estimate ``‖x̂ − x_ref‖ / ‖x_ref‖ ≤ 1e-6`` (classic SBL at SNR ≥ 30 dB: ``1e-4``, spec
  Appendix A, R15), and the rebuilt IRS channels ``Ĥ`` likewise;
* iteration count equal;
* kept support equal as a set (``keep_idx0`` and the per-factor ``keep1/2/3_idx0``; for the
  greedy baselines the non-zeros of the stored estimate);
* learned noise variance (``*_un`` rows) within the same relative tolerance;
* NMSE (synthetic ``nmse`` and ``srr`` recomputed from the estimate with :mod:`krosbl.metrics`;
  IRS channel NMSE, spec §6.3) equal to the stored values;
* final ``γ`` (full length, and the factor ``γ_i`` on their kept indices) within tolerance;
* the solver constants recorded in the JSON (pruning thresholds, tolerances, coupling, OMP
  levels) equal to the settings krosbl used.

Where the fixture stores a ``sym_`` version of a solver (the authors' code with the per-factor
matrices symmetrised before ``eig``, spec Appendix A, R1) those keys are the target; otherwise
the plain keys are.

Examples
--------
>>> from krosbl import reference
>>> rows = reference.verify_directory("tests/data/reference")  # doctest: +SKIP
>>> all(row.ok for row in rows)  # doctest: +SKIP
True

From the shell: ``krosbl verify-reference tests/data/reference --json rows.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from . import metrics, presets
from .api import Result, recover
from .irs import channel_nmse, irs_settings, rebuild_channels
from .operators import Kron
from .settings import SolverSettings

__all__ = [
    "DENSE_HIGH_SNR_DB",
    "DENSE_HIGH_SNR_RTOL",
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

#: Relative tolerance of every comparison (README "How to compare").
RTOL = 1e-6
#: Tolerance for classic SBL at high SNR, where the reference's ``pinv``/``inv`` loses digits
#: (spec Appendix A, R15).
DENSE_HIGH_SNR_RTOL = 1e-4
#: SNR (dB) from which :data:`DENSE_HIGH_SNR_RTOL` applies to classic SBL.
DENSE_HIGH_SNR_DB = 30.0

Kind = Literal["irs", "synthetic"]
Target = Literal["auto", "sym", "plain"]

# tag -> (method, learned noise, fixed overrides); spec §7, §8.5 and the fixtures' README.
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
class Fixture:
    """One reference problem: the arrays of ``<name>.npz`` and the JSON metadata.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"irs_p01"``.
    kind : {"irs", "synthetic"}
        Which experiment the problem belongs to (spec §8 or §7).
    arrays : mapping of str to ndarray
        Every array of the ``.npz`` file.
    params : dict
        ``params`` of the JSON file: ``problem``, ``solvers`` and ``sym``.
    """

    name: str
    kind: Kind
    arrays: Mapping[str, NDArray[Any]]
    params: dict[str, Any]

    @property
    def snr_db(self) -> float:
        """SNR of the problem in dB."""
        return float(self.arrays["SNR"])

    @property
    def noise_var(self) -> float:
        """The known noise variance ``σ²`` given to the solvers."""
        return float(self.arrays["noise_var"])

    @property
    def factors(self) -> list[NDArray[Any]]:
        """The dictionary factors, ``numpy.kron`` order."""
        names = ("H_p1", "H_p2", "A2") if self.kind == "irs" else ("A1", "A2", "A3")
        return [np.asarray(self.arrays[n]) for n in names]

    @property
    def tags(self) -> list[str]:
        """The solver tags of the fixture, in the JSON's order."""
        return list(self.params.get("solvers", {}))

    def sym_tags(self) -> set[str]:
        """Tags stored a second time with symmetrised ``eig`` inputs (``sym_`` keys)."""
        return set(self.params.get("sym", {}).get("solvers", []))


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


@dataclass
class Row:
    """Outcome of one (fixture, solver) comparison.

    Fields that do not apply to a row are ``None`` (e.g. ``noise_rel_error`` with a known
    ``σ²``, ``n_iter`` for the greedy baselines, ``channel_rel_error`` for synthetic problems).

    Attributes
    ----------
    fixture, solver : str
        Fixture name and solver tag.
    method : str or None
        The krosbl method run.
    target : {"sym", "plain"} or None
        Which reference keys were compared (``sym_<tag>_…`` or ``<tag>_…``).
    tolerance : float
        Relative tolerance applied to this row.
    rel_error : float or None
        ``‖x̂ − x_ref‖ / ‖x_ref‖`` of the full-length estimate.
    channel_rel_error : float or None
        IRS only: the same for the rebuilt channels ``Ĥ`` against ``<t>_H_re``.
    n_iter_ref, n_iter : int or None
        EM iterations of the reference and of krosbl.
    support_equal : bool or None
        Kept support (and per-factor kept sets) equal as sets.
    noise_rel_error : float or None
        Relative error of the learned noise variance (``*_un`` rows).
    gamma_rel_error : float or None
        Largest relative error of the final ``γ`` (full length) and of the factor ``γ_i`` on
        their kept indices.
    nmse, nmse_ref : float or None
        NMSE recomputed from krosbl's estimate (synthetic: spec §6.1, in the fixture's
        convention, i.e. unsquared for ``omp``; IRS: channel NMSE, spec §6.3) and the stored one.
    nmse_rel_error : float or None
        Relative difference of the two (IRS: also over the per-pattern terms).
    srr_equal : bool or None
        Synthetic: support recovery rate recomputed from the estimate equals the stored one.
    settings_equal : bool or None
        The solver constants recorded in the JSON equal krosbl's settings.
    seconds : float or None
        Wall time of the krosbl solve.
    ok : bool
        Every applicable check passed.
    reason : str or None
        Why the row failed (``None`` when ``ok``).
    """

    fixture: str
    solver: str
    method: str | None = None
    target: str | None = None
    tolerance: float = RTOL
    rel_error: float | None = None
    channel_rel_error: float | None = None
    n_iter_ref: int | None = None
    n_iter: int | None = None
    support_equal: bool | None = None
    noise_rel_error: float | None = None
    gamma_rel_error: float | None = None
    nmse: float | None = None
    nmse_ref: float | None = None
    nmse_rel_error: float | None = None
    srr_equal: bool | None = None
    settings_equal: bool | None = None
    seconds: float | None = None
    ok: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (non-finite floats become ``None``)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[f.name] = value
        return out


# ---------------------------------------------------------------------------------------------
# loading


def find_fixtures(directory: str | Path) -> list[Path]:
    """The fixture files (``*.npz``) of a directory, sorted by name.

    Parameters
    ----------
    directory : str or Path
        Directory holding ``<name>.npz`` / ``<name>.json`` pairs.

    Returns
    -------
    list of Path

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not a directory.
    """
    path = Path(directory)
    if not path.is_dir():
        raise NotADirectoryError(f"not a directory: {path}")
    return sorted(path.glob("*.npz"))


def load_fixture(path: str | Path) -> Fixture:
    """Load one fixture.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file, the ``.json`` file or the common stem.

    Returns
    -------
    Fixture

    Raises
    ------
    FileNotFoundError
        If either file of the pair is missing.
    ValueError
        If the arrays are neither an IRS nor a synthetic problem.
    """
    p = Path(path)
    stem = p.with_suffix("") if p.suffix in (".npz", ".json") else p
    npz, meta = stem.with_suffix(".npz"), stem.with_suffix(".json")
    for f in (npz, meta):
        if not f.is_file():
            raise FileNotFoundError(f"fixture file missing: {f}")
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    params = json.loads(meta.read_text(encoding="utf-8")).get("params", {})
    if {"H_p1", "H_p2", "A2"} <= arrays.keys():
        kind: Kind = "irs"
    elif {"A1", "A2", "A3"} <= arrays.keys():
        kind = "synthetic"
    else:
        raise ValueError(f"{npz.name}: neither an IRS (H_p1, H_p2, A2) nor a synthetic fixture")
    return Fixture(stem.name, kind, arrays, params)


# ---------------------------------------------------------------------------------------------
# which call reproduces which row


def _max_iter(fixture: Fixture, tag: str) -> int | None:
    solver = fixture.params["solvers"][tag]
    if fixture.kind == "irs":
        value = solver.get("numItr")
    else:
        value = solver.get("args", {}).get("R_max")
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
    elif learned:
        base = presets.get("learned-noise-measurements", method)
    else:
        base = presets.get("synthetic", method)
    changes = dict(overrides)
    cap = _max_iter(fixture, tag)
    if cap is not None and method not in _GREEDY:
        changes["max_iter"] = cap
    return Case(tag, method, learned, base.replace(**changes) if changes else base)


def cases(fixture: Fixture) -> list[Case]:
    """The krosbl call of every solver row of a fixture.

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

    Notes
    -----
    Synthetic rows use the ``"synthetic"`` preset (known ``σ²``) or
    ``"learned-noise-measurements"`` (``*_un``, spec §9 row 7.4); IRS rows use
    :func:`krosbl.irs.irs_settings` (``"irs-high-snr"`` for SVD-KroSBL at ≥ 25 dB). The
    iteration cap is the JSON's ``args.R_max`` (synthetic) or ``numItr`` (IRS).
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
    support = fixture.arrays["suppTrue_idx0"] if case.method == "oracle-ls" else None
    return recover(
        fixture.arrays["y"],
        Kron(fixture.factors),
        case.method,
        noise_var,
        settings=case.settings,
        support=support,
    )


# ---------------------------------------------------------------------------------------------
# comparison


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


def _expected_settings(fixture: Fixture, case: Case) -> dict[str, tuple[float, ...]]:
    """The constants the JSON records for a solver, as ``{settings field: values}``."""
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
    if inner is not None and case.method in ("am-krosbl", "pc-krosbl"):
        exp["inner_tol"] = (float(inner),)
    if case.method == "pc-krosbl":
        exp["beta"] = tuple(float(solver[k]) for k in ("alpha", "beta") if k in solver)
        if "floor" in internal:
            exp["floor"] = (float(internal["floor"]),)
    for key, name in (("a", "pc_a"), ("b", "pc_b"), ("eta", "pc_eta")):
        if case.method == "pc-sbl" and key in internal:
            exp[name] = (float(internal[key]),)
    if "OMP_level" in args:
        exp["sparsity"] = tuple(float(v) for v in args["OMP_level"])
    if "epsilon" in args:
        exp["omp_tol"] = (float(args["epsilon"]),)
    return exp


def _settings_mismatches(fixture: Fixture, case: Case) -> list[str]:
    out = []
    for name, expected in _expected_settings(fixture, case).items():
        value = getattr(case.settings, name)
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
                if keep.max(initial=-1) >= g.size:
                    errors.append(math.inf)
                else:
                    errors.append(_rel(g[keep], arrays[gkey]))
    return max(errors) if errors else None


def _irs_channels(fixture: Fixture, x: NDArray[Any]) -> NDArray[Any]:
    a = fixture.arrays
    return rebuild_channels(x, a["H_p1"], a["A1"], a["A2"])


def _stored_channels(h: NDArray[Any], n_bs: int, n_ms: int) -> NDArray[Any]:
    """``(N_b·N_m, K2)`` column-major channels → ``(K2, N_b, N_m)`` (README "Channels")."""
    return np.stack([h[:, k].reshape(n_ms, n_bs).T for k in range(h.shape[1])])


def _check_nmse(
    fixture: Fixture,
    case: Case,
    result: Result,
    prefix: str,
    row: Row,
    problems: list[str],
) -> None:
    a = fixture.arrays
    x = np.asarray(result.x)
    tol = row.tolerance
    if fixture.kind == "irs":
        h_hat = _irs_channels(fixture, x)
        n_bs, n_ms = h_hat.shape[1], h_hat.shape[2]
        truth = _stored_channels(a["Htrue"], n_bs, n_ms)
        if f"{prefix}H_re" in a:
            ref_h = _stored_channels(a[f"{prefix}H_re"], n_bs, n_ms)
            row.channel_rel_error = _rel(h_hat, ref_h)
            if not row.channel_rel_error <= tol:
                problems.append(f"channels differ ({row.channel_rel_error:.2g})")
        row.nmse = channel_nmse(h_hat, truth)
        errors = []
        if f"{prefix}nmse" in a:
            row.nmse_ref = float(a[f"{prefix}nmse"])
            errors.append(_rel(np.asarray(row.nmse), np.asarray(row.nmse_ref)))
        if f"{prefix}nmse_per_pattern" in a:
            per = np.linalg.norm(h_hat - truth, axis=(1, 2)) ** 2
            per /= np.linalg.norm(truth, axis=(1, 2)) ** 2
            errors.append(_rel(per, a[f"{prefix}nmse_per_pattern"]))
        row.nmse_rel_error = max(errors) if errors else None
    else:
        truth = a["x_true"]
        value = metrics.nmse(x, truth)
        if case.tag == "omp":  # the authors' OMP returns ‖x̂ − x‖/‖x‖, unsquared (README)
            value = math.sqrt(value)
        row.nmse = value
        if f"{prefix}nmse" in a:
            row.nmse_ref = float(a[f"{prefix}nmse"])
            row.nmse_rel_error = _rel(np.asarray(value), np.asarray(row.nmse_ref))
        if f"{prefix}srr" in a:
            srr = metrics.support_recovery_rate(x, truth)
            row.srr_equal = math.isclose(srr, float(a[f"{prefix}srr"]), rel_tol=1e-9)
            if not row.srr_equal:
                problems.append(f"SRR {srr:.4g} vs {float(a[f'{prefix}srr']):.4g}")
    if row.nmse_rel_error is not None and not row.nmse_rel_error <= tol:
        problems.append(f"NMSE differs ({row.nmse_rel_error:.2g})")


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
        fixture has them (the Hermitian-eigensolver arithmetic of spec §3, Appendix A R1) and
        the plain keys otherwise; ``"plain"`` forces the authors' published outputs.
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


# ---------------------------------------------------------------------------------------------
# running


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
        One per solver row; a solver that raises gives a failing row, not an exception.
    """
    if not isinstance(fixture, Fixture):
        path = Path(fixture)
        try:
            fixture = load_fixture(path)
        except (OSError, ValueError) as exc:
            return [_failed(path.with_suffix("").name, "*", f"cannot load fixture: {exc}")]
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


def verify_directory(path: str | Path, *, estimates_dir: str | Path | None = None) -> list[Row]:
    """Run and check every solver row of every fixture in a directory.

    Parameters
    ----------
    path : str or Path
        Directory of ``<name>.npz`` / ``<name>.json`` pairs (e.g. ``tests/data/reference``).
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


# ---------------------------------------------------------------------------------------------
# output and command line


def rows_to_json(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Rows as a JSON-ready list of dicts (``None`` where a field does not apply)."""
    return [row.as_dict() for row in rows]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table with one line per row and a summary line.

    Parameters
    ----------
    rows : sequence of Row

    Returns
    -------
    str
    """
    head = (
        f"{'fixture':10s} {'solver':8s} {'keys':5s} {'rel_err':>8s} {'n_iter':>7s} "
        f"{'support':>7s} {'noise':>8s} {'gamma':>8s} {'nmse_err':>8s} {'H_err':>8s} "
        f"{'time':>6s}  status"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        n_iter = "-" if r.n_iter is None else f"{r.n_iter}/{r.n_iter_ref}"
        support = {None: "-", True: "same", False: "DIFF"}[r.support_equal]
        secs = "-" if r.seconds is None else f"{r.seconds:.1f}s"
        status = "ok" if r.ok else f"FAIL: {r.reason}"
        lines.append(
            f"{r.fixture:10s} {r.solver:8s} {r.target or '-':5s} {_fmt(r.rel_error):>8s} "
            f"{n_iter:>7s} {support:>7s} {_fmt(r.noise_rel_error):>8s} "
            f"{_fmt(r.gamma_rel_error):>8s} {_fmt(r.nmse_rel_error):>8s} "
            f"{_fmt(r.channel_rel_error):>8s} {secs:>6s}  {status}"
        )
    n_bad = sum(not r.ok for r in rows)
    lines.append(f"{len(rows)} rows: {len(rows) - n_bad} ok, {n_bad} failed")
    return "\n".join(lines)


def _command(args: argparse.Namespace) -> int:
    """Handler of ``krosbl verify-reference``; returns the exit code."""
    try:
        fixtures = find_fixtures(args.directory)
    except NotADirectoryError as exc:
        print(f"krosbl verify-reference: error: {exc}", file=sys.stderr)
        return 2
    if not fixtures:
        print(
            f"krosbl verify-reference: error: no *.npz fixtures in {args.directory}",
            file=sys.stderr,
        )
        return 2
    rows: list[Row] = []
    for npz in fixtures:
        rows.extend(verify_fixture(npz, estimates_dir=args.estimates))
    print(format_table(rows))
    if args.json is not None:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows_to_json(rows), indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.ok for r in rows) else 1


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="directory of <name>.npz/.json fixtures")
    parser.add_argument("--json", metavar="PATH", help="write the rows as a JSON list")
    parser.add_argument(
        "--estimates",
        metavar="OUT_DIR",
        help="write each full-length estimate to OUT_DIR/<fixture>.<solver>.npy",
    )
    parser.set_defaults(func=_command)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``verify-reference`` subcommand to the ``krosbl`` command line.

    Parameters
    ----------
    subparsers : argparse subparsers action
        From ``ArgumentParser.add_subparsers``.

    Notes
    -----
    ``krosbl verify-reference DIR [--json PATH] [--estimates OUT_DIR]`` prints one row per
    (fixture, solver) and exits with 1 if any row fails, 0 otherwise (2 if ``DIR`` holds no
    fixture).
    """
    parser = subparsers.add_parser(
        "verify-reference",
        help="run every solver on the reference fixtures and compare with the stored outputs",
        description=(
            "Run krosbl on each fixture's stored inputs with its settings and iteration caps, "
            "and compare estimate, iterations, kept support, learned noise, NMSE and γ with "
            "the authors' outputs (sym_ keys where stored)."
        ),
    )
    _add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: ``python -m krosbl.reference DIR [--json PATH] [--estimates D]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m krosbl.reference", description="Verify krosbl against reference fixtures."
    )
    _add_arguments(parser)
    return int(_command(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
