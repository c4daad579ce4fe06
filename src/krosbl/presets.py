"""Named solver settings, looked up by ``(experiment, method)``: every row of the paper's
per-experiment settings table (the experiments use presets only; elsewhere a method runs on its
neutral defaults). Each spells out every setting the method reads at the authors' value, so a
change of a library default never changes a reproduction (``normalize`` is off: the authors'
code works in the units of ``y``).

Examples
--------
>>> from krosbl import presets
>>> presets.get("irs", "am-krosbl").prune_ratio
(0.01, 0.1, 0.001)
>>> presets.get("synthetic", "svd-krosbl", max_iter=20).max_iter
20
"""

from __future__ import annotations

from typing import Any

from .methods import get_method
from .settings import SolverSettings

__all__ = ["PRESETS", "get", "names"]

_FOUR = ("sbl", "am-krosbl", "svd-krosbl", "ksbl")

#: The authors' code's value of every setting, where a row does not say otherwise.
_AUTHORS: dict[str, Any] = {
    "normalize": False,
    "init": "norm",
    "prune_ratio": 1e-3,
    "prune_abs": 0.0,
    "tol": 1e-4,
    "max_iter": 150,
    "inner_tol": 1e-5,
    "inner_tol_type": "abs",
    "max_sweeps": None,
    "beta": 0.8,
    "coupled": None,
    "floor": 1e-5,
    "pc_a": 0.5,
    "pc_b": 1e-4,
    "pc_eta": 0.9,
    "pc_neighbours": "flat",
    "sparsity": 10,
    "omp_tol": 1e-2,
    "max_atoms": None,
    "noiseless": False,
}


def _S(method: str, **row: Any) -> SolverSettings:
    """The row's values over the authors' values, for the settings ``method`` reads."""
    reads = get_method(method).defaults
    return SolverSettings(method, **{k: v for k, v in _AUTHORS.items() if k in reads} | row)


def _only_read(settings: SolverSettings, **changes: Any) -> SolverSettings:
    """``settings`` with those of ``changes`` that its method reads."""
    return settings.replace(**{k: v for k, v in changes.items() if k in settings})


def _dkrosbl() -> SolverSettings:
    """dKroSBL (beyond the paper) in every experiment that runs it: its measured defaults, no
    refinement (the refinement made the mean NMSE worse on the IRS and synthetic suites)."""
    return _S(
        "dkrosbl",
        prune_ratio=1e-3,
        tol=1e-4,
        max_iter=150,
        hooi_sweeps=0,
        refine=False,
        refine_method="svd-krosbl",
        refine_iter=10,
    )


def _synthetic_row() -> dict[str, SolverSettings]:
    return {
        "sbl": _S("sbl", prune_ratio=1e-3, tol=1e-4, max_iter=150),
        "am-krosbl": _S(
            "am-krosbl", init="norm", prune_ratio=1e-2, inner_tol=1e-5, inner_tol_type="abs"
        ),
        "svd-krosbl": _S("svd-krosbl", init="norm", prune_ratio=1e-3),
        "ksbl": _S("ksbl", init="norm", prune_ratio=1e-2),
        "kron-omp": _S("kron-omp", sparsity=(10, 10, 10), omp_tol=1e-2),
        "oracle-ls": _S("oracle-ls"),
        "omp": _S("omp"),
        "dkrosbl": _dkrosbl(),
    }


def _long_runs(
    counts: tuple[int, int, int, int], prune: tuple[float, float, float, float] | None
) -> dict[str, SolverSettings]:
    """The convergence and unknown-noise rows (the paper's Figs. 2 and 4): no early stop
    (``tol = 0``), AM inner tolerance ``1e-10`` absolute, fixed iteration counts."""
    base = _synthetic_row()
    return {
        m: _only_read(base[m], prune_ratio=r, tol=0.0, max_iter=n, inner_tol=1e-10)
        for m, n, r in zip(_FOUR, counts, prune or (None,) * 4)
    }


def _learned_noise_sweep() -> dict[str, SolverSettings]:
    """The learned-noise sweep over ``M_1`` (the paper's Fig. 5)."""
    base = _synthetic_row()
    ratios = dict(zip(_FOUR, (1e-3, 5e-3, 5e-4, 5e-3)))
    return {m: base[m].replace(prune_ratio=r) for m, r in ratios.items()} | {"dkrosbl": _dkrosbl()}


def _rank() -> dict[str, SolverSettings]:
    base = _synthetic_row()
    return {
        m: _only_read(
            base[m], prune_ratio=None, tol=0.0, max_iter=150, inner_tol=1e-10, noiseless=True
        )
        for m in ("am-krosbl", "svd-krosbl", "sbl")
    }


def _irs(svd_ratio: float) -> dict[str, SolverSettings]:
    sweeps = {"init": "ones", "prune_abs": 1e-4, "inner_tol": 1e-4, "inner_tol_type": "rel"}
    return {
        "sbl": _S("sbl", prune_ratio=1e-4, tol=1e-4, max_iter=150),
        "pc-sbl": _S(
            "pc-sbl", prune_ratio=None, tol=1e-4, max_iter=150, pc_a=0.5, pc_b=1e-4, pc_eta=0.9
        ),
        "svd-krosbl": _S("svd-krosbl", init="ones", prune_ratio=svd_ratio, prune_abs=1e-4),
        "am-krosbl": _S("am-krosbl", prune_ratio=(1e-2, 1e-1, 1e-3), **sweeps),
        "pc-krosbl": _S(
            "pc-krosbl",
            prune_ratio=(1e-2, 1e-1, 1e-2),
            max_sweeps=9,
            coupled=(0, 2),
            beta=0.8,
            floor=1e-5,
            **sweeps,
        ),
        "oracle-ls": _S("oracle-ls"),
        "dkrosbl": _dkrosbl(),
    }


#: ``{experiment: {method: settings}}``: every row of the paper's settings table.
PRESETS: dict[str, dict[str, SolverSettings]] = {
    "synthetic": _synthetic_row(),
    "convergence-no-pruning": _long_runs((500, 2000, 500, 2000), None),
    "convergence-pruning": _long_runs((500, 2000, 500, 2000), (5e-4, 1e-3, 1e-3, 1e-3)),
    "unknown-noise-known": _long_runs((500, 4000, 200, 800), None),
    "unknown-noise-learned": _long_runs((500, 4000, 200, 1000), None),
    "learned-noise-measurements": _learned_noise_sweep(),
    "rank": _rank(),
    "irs": _irs(0.0),
    "irs-high-snr": _irs(1e-3),
    # The paper's second PC-KroSBL curve of the IRS figures, β = 0.5 (the IRS row's is 0.8).
    "irs-beta-0.5": {"pc-krosbl": _irs(0.0)["pc-krosbl"].replace(beta=0.5)},
}


def names() -> list[tuple[str, str]]:
    """All ``(experiment, method)`` preset names, in the order of :data:`PRESETS`.

    Returns
    -------
    list of tuple of (str, str)
    """
    return [(e, m) for e, row in PRESETS.items() for m in row]


def get(experiment: str, method: str, **overrides: Any) -> SolverSettings:
    """The preset for ``method`` in ``experiment``, with fields overridden.

    Parameters
    ----------
    experiment : str
        A key of :data:`PRESETS` (``"synthetic"``, ``"irs"``, …).
    method : str
        A method name (see :func:`krosbl.available_methods`).
    **overrides
        Settings fields to change (validated; an unknown field is a ``TypeError``).

    Returns
    -------
    SolverSettings

    Raises
    ------
    ValueError
        Unknown experiment or a method without a preset there (the message lists the valid ones).
    """
    if experiment not in PRESETS:
        raise ValueError(f"unknown preset {experiment!r}; valid presets are {sorted(PRESETS)}")
    row = PRESETS[experiment]
    if method not in row:
        raise ValueError(
            f"preset {experiment!r} has no settings for method {method!r}; it has {sorted(row)}"
        )
    return row[method].replace(**overrides) if overrides else row[method]
