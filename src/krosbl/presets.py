"""Named solver settings: every row of the paper's per-experiment table (spec §9).

A preset is a :class:`~krosbl.settings.SolverSettings` looked up by ``(experiment, method)``.
Experiments use presets and nothing else; krosbl's own defaults outside experiments are the
``"synthetic"`` rows (spec §7.1), and the ``"irs"`` rows for the two pattern-coupled methods.

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

from .settings import SolverSettings

__all__ = ["PRESETS", "default", "get", "names"]

_S = SolverSettings
_FOUR = ("sbl", "am-krosbl", "svd-krosbl", "ksbl")


def _synthetic_row() -> dict[str, SolverSettings]:
    return {
        "sbl": _S(prune_ratio=1e-3, tol=1e-4, max_iter=150),
        "am-krosbl": _S(init="norm", prune_ratio=1e-2, inner_tol=1e-5, inner_tol_type="abs"),
        "svd-krosbl": _S(init="norm", prune_ratio=1e-3),
        "ksbl": _S(init="norm", prune_ratio=1e-2),
        "kron-omp": _S(sparsity=(10, 10, 10), omp_tol=1e-2),
        "oracle-ls": _S(),
        "omp": _S(),
    }


def _long_runs(
    counts: tuple[int, int, int, int], prune: tuple[float, float, float, float] | None
) -> dict[str, SolverSettings]:
    """§9 rows 7.2-7.3: no early stop (tol 0), AM inner abs 1e-10, fixed iteration counts."""
    base = _synthetic_row()
    out = {}
    for k, method in enumerate(_FOUR):
        ratio = None if prune is None else prune[k]
        out[method] = base[method].replace(
            prune_ratio=ratio, tol=0.0, max_iter=counts[k], inner_tol=1e-10
        )
    return out


def _learned_noise_sweep() -> dict[str, SolverSettings]:
    """§9 row 7.4: learned σ² over M_1."""
    base = _synthetic_row()
    ratios = dict(zip(_FOUR, (1e-3, 5e-3, 5e-4, 5e-3)))
    return {m: base[m].replace(prune_ratio=r) for m, r in ratios.items()}


def _rank() -> dict[str, SolverSettings]:
    base = _synthetic_row()
    return {
        m: base[m].replace(prune_ratio=None, tol=0.0, max_iter=150, inner_tol=1e-10, noiseless=True)
        for m in ("am-krosbl", "svd-krosbl", "sbl")
    }


def _irs(svd_ratio: float) -> dict[str, SolverSettings]:
    return {
        "sbl": _S(prune_ratio=1e-4, tol=1e-4, max_iter=150),
        "pc-sbl": _S(prune_ratio=None, tol=1e-4, max_iter=150, pc_a=0.5, pc_b=1e-4, pc_eta=0.9),
        "svd-krosbl": _S(init="ones", prune_ratio=svd_ratio, prune_abs=1e-4),
        "am-krosbl": _S(
            init="ones",
            prune_ratio=(1e-2, 1e-1, 1e-3),
            prune_abs=1e-4,
            inner_tol=1e-4,
            inner_tol_type="rel",
        ),
        "pc-krosbl": _S(
            init="ones",
            prune_ratio=(1e-2, 1e-1, 1e-2),
            prune_abs=1e-4,
            inner_tol=1e-4,
            inner_tol_type="rel",
            max_sweeps=9,
            coupled=(0, 2),
            beta=0.8,
            floor=1e-5,
        ),
        "oracle-ls": _S(),
    }


#: ``{experiment: {method: settings}}`` — every row of spec §9.
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
    # §8.5: the second PC-KroSBL curve, β = 0.5 (the IRS row's β is 0.8; R16).
    "irs-beta-0.5": {"pc-krosbl": _irs(0.0)["pc-krosbl"].replace(beta=0.5)},
}

_DEFAULT_EXPERIMENT = {"pc-sbl": "irs", "pc-krosbl": "irs"}


def names() -> list[tuple[str, str]]:
    """All ``(experiment, method)`` preset names.

    Returns
    -------
    list of tuple of (str, str)
        Every ``(experiment, method)`` pair of :data:`PRESETS`, experiments in the order of
        :data:`PRESETS` and methods in the order of their row; each pair is valid for
        :func:`get`.
    """
    return [(e, m) for e, row in PRESETS.items() for m in row]


def get(experiment: str, method: str, **overrides: Any) -> SolverSettings:
    """The preset for ``method`` in ``experiment``, with fields overridden.

    Parameters
    ----------
    experiment : str
        A key of :data:`PRESETS` (``"synthetic"``, ``"irs"``, …).
    method : str
        A method name (see :func:`krosbl.methods`).
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


def default(method: str) -> SolverSettings:
    """krosbl's default settings for ``method``.

    The spec §7.1 rows; for the pattern-coupled methods the IRS rows, except that PC-KroSBL
    couples every factor and prunes each at ``r = 1e-2`` (the IRS row is specific to its three
    factors: it couples factors 0 and 2 and prunes at ``(1e-2, 1e-1, 1e-2)``).

    Parameters
    ----------
    method : str
        A method name (see :func:`krosbl.methods`).

    Returns
    -------
    SolverSettings
        ``get("irs", method)`` for ``"pc-sbl"``, the adjusted IRS row for ``"pc-krosbl"``
        (``coupled=None``, ``prune_ratio=1e-2``) and ``get("synthetic", method)`` otherwise.

    Raises
    ------
    ValueError
        If ``method`` has no default (no ``"synthetic"`` preset, or ``"irs"`` for the
        pattern-coupled methods); the message lists the methods of that preset row.
    """
    settings = get(_DEFAULT_EXPERIMENT.get(method, "synthetic"), method)
    if method == "pc-krosbl":
        return settings.replace(coupled=None, prune_ratio=1e-2)
    return settings
