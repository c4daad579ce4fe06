"""Solver settings: one validated, frozen record shared by every method.

A preset (:mod:`krosbl.presets`), a TOML table and keyword overrides are all the same thing:
a :class:`SolverSettings`.  Each method reads the fields it uses and ignores the rest.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np

__all__ = ["SAFETY_MAX_SWEEPS", "SolverSettings"]

#: Cap on AM inner sweeps where the paper's code has none (spec §2.2, Appendix A R7).
SAFETY_MAX_SWEEPS = 10_000

Ratio = float | tuple[float, ...] | None


def _plain(value: Any) -> Any:
    """A list as a tuple and NumPy scalars as Python numbers (settings are stored as such)."""
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class SolverSettings:
    """Settings of the SBL-family and greedy solvers (spec §9).

    Parameters
    ----------
    init : {"norm", "ones"}
        Initial factor hyperparameters of the Kronecker methods. ``"norm"``:
        ``γ_i = N_i^{-1/2}`` for ``i < I`` and ``γ_I = Π_{i<I} N_i^{1/2}``; ``"ones"``: all ones.
        Classic SBL always starts from ``γ = 1``, PC-SBL from ``D = 1``.
    prune_ratio : float, tuple of float or None
        Relative pruning threshold ``r`` in ``[0, 1)`` (per factor for the Kronecker methods, a
        scalar is used for every factor). ``None`` switches pruning off.
    prune_abs : float
        Absolute pruning threshold ``r_abs`` of the Kronecker methods (spec §2.1).
    tol : float
        Outer tolerance on the relative change of the embedded ``γ`` (on ``μ`` for PC-SBL).
        ``0`` runs all ``max_iter`` iterations.
    max_iter : int
        Maximum number of EM iterations ``R_max``.
    inner_tol : float
        Tolerance of the inner sweeps of AM-KroSBL and PC-KroSBL.
    inner_tol_type : {"abs", "rel"}
        Whether ``inner_tol`` bounds the absolute or relative change of ``⊗γ_i``.
    max_sweeps : int or None
        Cap on the inner sweeps; ``None`` means no cap in the paper's sense (a safety cap of
        :data:`~krosbl.settings.SAFETY_MAX_SWEEPS` applies and warns when reached).
    beta : float or tuple of float
        PC-KroSBL coupling ``β_i ∈ [0, 1]`` of the coupled factors (one value, or one per
        coupled factor).
    coupled : tuple of int or None
        Factors coupled by PC-KroSBL (0-based, each at most once); ``None`` couples every
        factor.
    floor : float
        PC-KroSBL floor ``ε`` in ``γ̃_i = ε + C_i g_i``.
    pc_a, pc_b, pc_eta : float
        PC-SBL hyperprior parameters ``a ≥ 0``, ``b > 0`` and coupling ``η ∈ [0, 1]``
        (spec §4.2).
    pc_neighbours : {"flat", "axes"}
        PC-SBL neighbourhood: along the flat index as the reference (Appendix A R12), or
        along each axis of the unknown's tensor (needs a :class:`~krosbl.Kron`).
    sparsity : int or tuple of int
        Kronecker OMP atoms per factor ``s_i``.
    omp_tol : float
        Kronecker OMP relative residual tolerance ``ε``.
    max_atoms : int or None
        OMP atom cap (``None``: ``min(M, N)``).
    noiseless : bool
        Use the noiseless-limit posterior ``σ² → 0`` (spec §2.6, the rank experiment); the
        solver then takes no ``noise_var``.

    Notes
    -----
    Settings are validated once, on construction; :meth:`replace` returns a validated copy.
    """

    init: Literal["norm", "ones"] = "norm"
    prune_ratio: Ratio = 1e-3
    prune_abs: float = 0.0
    tol: float = 1e-4
    max_iter: int = 150
    inner_tol: float = 1e-5
    inner_tol_type: Literal["abs", "rel"] = "abs"
    max_sweeps: int | None = None
    beta: float | tuple[float, ...] = 0.8
    coupled: tuple[int, ...] | None = None
    floor: float = 1e-5
    pc_a: float = 0.5
    pc_b: float = 1e-4
    pc_eta: float = 0.9
    pc_neighbours: Literal["flat", "axes"] = "flat"
    sparsity: int | tuple[int, ...] = 10
    omp_tol: float = 1e-2
    max_atoms: int | None = None
    noiseless: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _plain(getattr(self, f.name)))
        self._check_choice("init", ("norm", "ones"))
        self._check_choice("inner_tol_type", ("abs", "rel"))
        self._check_choice("pc_neighbours", ("flat", "axes"))
        if not isinstance(self.noiseless, bool):
            raise TypeError(f"setting 'noiseless' must be True or False, got {self.noiseless!r}")
        self._check_numbers("prune_ratio", allow_none=True, high=1.0, open_high=True)
        for name in ("prune_abs", "tol", "inner_tol", "floor", "pc_a", "omp_tol"):
            self._check_numbers(name)
        self._check_numbers("pc_b", open_low=True)
        self._check_numbers("pc_eta", high=1.0)
        self._check_numbers("beta", high=1.0)
        self._check_int("max_iter", low=1)
        self._check_int("max_sweeps", low=1, allow_none=True)
        self._check_int("max_atoms", low=1, allow_none=True)
        self._check_int("sparsity", low=1)
        self._check_int("coupled", low=0, allow_none=True)
        if self.coupled is not None and len(set(self.coupled)) != len(self.coupled):
            raise ValueError(f"setting 'coupled' names a factor twice: {self.coupled!r}")

    def _check_choice(self, name: str, choices: tuple[str, ...]) -> None:
        value = getattr(self, name)
        if value not in choices:
            raise ValueError(f"setting {name!r} must be one of {choices}, got {value!r}")

    def _values(self, name: str) -> tuple[Any, ...]:
        value = getattr(self, name)
        return value if isinstance(value, tuple) else (value,)

    def _check_numbers(
        self,
        name: str,
        *,
        high: float = math.inf,
        open_low: bool = False,
        open_high: bool = False,
        allow_none: bool = False,
    ) -> None:
        """Each value a real number in ``[0, high]`` (``open_*``: that end excluded)."""
        if allow_none and getattr(self, name) is None:
            return
        closed_high = not open_high and math.isfinite(high)
        interval = f"{'(' if open_low else '['}0, {high:g}{']' if closed_high else ')'}"
        for v in self._values(name):
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(f"setting {name!r} must be a real number, got {v!r}")
            x = float(v)
            below = x <= 0 if open_low else x < 0
            above = x >= high if open_high else x > high
            if not math.isfinite(x) or below or above:
                raise ValueError(f"setting {name!r} must be finite and in {interval}, got {v!r}")

    def _check_int(self, name: str, *, low: int, allow_none: bool = False) -> None:
        if allow_none and getattr(self, name) is None:
            return
        for v in self._values(name):
            if isinstance(v, bool) or not isinstance(v, Integral):
                raise TypeError(f"setting {name!r} must be an integer, got {v!r}")
            if v < low:
                raise ValueError(f"setting {name!r} must be ≥ {low}, got {v!r}")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of all settings fields."""
        return tuple(f.name for f in fields(cls))

    def replace(self, **changes: Any) -> SolverSettings:
        """Return a validated copy with ``changes`` applied.

        Parameters
        ----------
        **changes
            New values of settings fields, by field name.

        Returns
        -------
        SolverSettings
            A new, validated record (``self`` is unchanged; without ``changes``, an equal copy).

        Raises
        ------
        TypeError
            If a name in ``changes`` is not a settings field (the message lists the valid ones),
            or a new value has the wrong type.
        ValueError
            If a new value is out of range or not one of the allowed choices.
        """
        unknown = sorted(set(changes) - set(self.field_names()))
        if unknown:
            raise TypeError(
                f"unknown setting(s) {unknown}; valid settings are {list(self.field_names())}"
            )
        return dataclasses.replace(self, **changes)

    def per_factor(self, name: str, n_factors: int) -> tuple[Any, ...]:
        """Broadcast a scalar-or-tuple field to one value per factor.

        Parameters
        ----------
        name : str
            Field name, e.g. ``"prune_ratio"``, ``"beta"`` or ``"sparsity"``.
        n_factors : int
            Number of Kronecker factors ``I``.

        Returns
        -------
        tuple
            ``n_factors`` copies of a scalar (or ``None``) or of a 1-tuple's value; a tuple of
            length ``n_factors`` as it is.

        Raises
        ------
        ValueError
            If a tuple's length is not ``n_factors``.
        """
        values = self._values(name)
        if len(values) == 1:
            return values * n_factors
        if len(values) != n_factors:
            raise ValueError(
                f"setting {name!r} has {len(values)} values but the problem has {n_factors} factors"
            )
        return values

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary."""
        return dataclasses.asdict(self)
