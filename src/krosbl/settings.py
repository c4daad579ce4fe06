"""Solver settings: each is declared and checked once here (:data:`SETTINGS`); a method
declares which it reads and its defaults (:func:`declare_method`); a :class:`SolverSettings`
holds exactly those."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .updates import SAFETY_MAX_SWEEPS
from .validation import check_int, check_real

__all__ = ["SETTINGS", "Setting", "SolverSettings", "declare_method"]


def _plain(value: Any) -> Any:
    """A list as a tuple and NumPy scalars as Python numbers (settings are stored as such)."""
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _values(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _each(kind: str, check_one: Callable, per_factor: bool, optional: bool) -> Callable:
    """A checker of one value (a tuple of them when ``per_factor``, ``None`` when ``optional``)."""

    def check(name: str, value: Any) -> Any:
        if optional and value is None:
            return None
        if isinstance(value, tuple) and not per_factor:
            raise TypeError(f"setting {name!r} must be a single {kind}, got {value!r}")
        for v in _values(value):
            check_one(f"setting {name!r}", v)
        return value

    return check


def _real(
    low: float = 0.0,
    high: float = math.inf,
    *,
    open_low: bool = False,
    open_high: bool = False,
    per_factor: bool = False,
    optional: bool = False,
) -> Callable[[str, Any], Any]:
    """A checker of real numbers in an interval."""
    one = partial(check_real, low=low, high=high, open_low=open_low, open_high=open_high)
    return _each("real number", one, per_factor, optional)


def _integer(low: int, *, per_factor: bool = False, optional: bool = False) -> Callable:
    """A checker of integers ``≥ low``."""
    return _each("integer", partial(check_int, minimum=low), per_factor, optional)


def _choice(*choices: str) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if value not in choices:
            raise ValueError(f"setting {name!r} must be one of {choices}, got {value!r}")
        return value

    return check


def _flag(name: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise TypeError(f"setting {name!r} must be True or False, got {value!r}")
    return value


def _factor_indices(name: str, value: Any) -> Any:
    value = _integer(0, per_factor=True, optional=True)(name, value)
    if value is not None:
        value = _values(value)
        if len(set(value)) != len(value):
            raise ValueError(f"setting {name!r} names a factor twice: {value!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One solver setting.

    Attributes
    ----------
    name : str
        The keyword it is passed as.
    doc : str
        What it means and which values it takes.
    check : callable
        ``check(name, value) -> value``: raises ``TypeError``/``ValueError`` naming the
        setting, or returns the value in its stored form.
    """

    name: str
    doc: str
    check: Callable[[str, Any], Any]

    def validate(self, value: Any) -> Any:
        """The value in its stored form (lists as tuples, NumPy scalars as Python numbers)."""
        return self.check(self.name, _plain(value))


_CATALOGUE = (
    Setting(
        "normalize",
        "Solve on y / s with s = ‖y‖/√M (and σ²/s²) and scale the estimate back, so that the "
        "result of c·y is c times the result of y; thresholds act in normalised units.",
        _flag,
    ),
    Setting(
        "init",
        "Initial factor hyperparameters: 'ones' (every γ_i = 1) or 'norm' "
        "(γ_i = N_i^{-1/2} for i < I, γ_I = Π_{i<I} N_i^{1/2}); both give ⊗γ_i = 1.",
        _choice("ones", "norm"),
    ),
    Setting(
        "prune_ratio",
        "Relative pruning threshold r in [0, 1): an entry is dropped once its variance falls "
        "below r times the largest (one value, or one per factor); None switches pruning off.",
        _real(0.0, 1.0, open_high=True, per_factor=True, optional=True),
    ),
    Setting(
        "prune_abs",
        "Absolute pruning threshold on the factor variances (Kronecker methods), ≥ 0.",
        _real(),
    ),
    Setting(
        "tol",
        "Stop once the relative change of the embedded γ (PC-SBL: of the mean) is at most tol; "
        "0 runs all max_iter iterations.",
        _real(),
    ),
    Setting("max_iter", "Maximum number of EM iterations.", _integer(1)),
    Setting("inner_tol", "Tolerance of the inner factor sweeps, ≥ 0.", _real()),
    Setting(
        "inner_tol_type",
        "Whether inner_tol bounds the 'rel'ative or 'abs'olute change of ⊗γ_i between sweeps.",
        _choice("rel", "abs"),
    ),
    Setting(
        "max_sweeps",
        "Cap on the inner sweeps per iteration; None: none in the paper's sense (a safety cap "
        f"of {SAFETY_MAX_SWEEPS} applies and warns).",
        _integer(1, optional=True),
    ),
    Setting(
        "beta",
        "Coupling β ∈ [0, 1] of neighbours within each coupled factor (one value or one per "
        "coupled factor).",
        _real(0.0, 1.0, per_factor=True),
    ),
    Setting(
        "coupled",
        "The coupled factors (0-based, each at most once); None couples every factor.",
        _factor_indices,
    ),
    Setting("floor", "Floor ε ≥ 0 of a coupled factor, γ̃_i = ε + C_i g_i.", _real()),
    Setting(
        "kernel",
        "The inner sweeps in 'numpy' (the reference) or compiled by 'numba' (the same "
        "arithmetic in one call; needs pip install 'krosbl[fast]').",
        _choice("numpy", "numba"),
    ),
    Setting("pc_a", "PC-SBL Gamma hyperprior shape a ≥ 0.", _real()),
    Setting("pc_b", "PC-SBL Gamma hyperprior rate b > 0.", _real(open_low=True)),
    Setting("pc_eta", "PC-SBL coupling η ∈ [0, 1] of each entry with its neighbours.", _real(0, 1)),
    Setting(
        "pc_neighbours",
        "PC-SBL neighbours: along the 'flat' index (as the authors' code) or along each "
        "'axes' of the unknown's tensor (needs the Kronecker factors).",
        _choice("flat", "axes"),
    ),
    Setting(
        "sparsity",
        "Kronecker OMP: atoms per factor (one value or one per factor); None: min(M_i, N_i).",
        _integer(1, per_factor=True, optional=True),
    ),
    Setting("omp_tol", "Kronecker OMP: stop at relative residual ‖r‖/‖y‖ ≤ omp_tol.", _real()),
    Setting("max_atoms", "OMP: cap on atoms; None: min(M, N).", _integer(1, optional=True)),
    Setting(
        "noiseless",
        "Use the noiseless limit σ² → 0 of the posterior (the solver then takes no noise_var).",
        _flag,
    ),
    Setting(
        "hooi_sweeps",
        "dKroSBL: alternating rank-one refinement sweeps after the sequential SVD split, ≥ 0.",
        _integer(0),
    ),
    Setting("refine", "dKroSBL: refine the decomposition estimate on the full problem.", _flag),
    Setting(
        "refine_method",
        "dKroSBL: the Kronecker method of the refinement ('svd-krosbl' or 'am-krosbl').",
        _choice("svd-krosbl", "am-krosbl"),
    ),
    Setting("refine_iter", "dKroSBL: iterations of the refinement, ≥ 0.", _integer(0)),
)

#: Every setting any method reads, by name.
SETTINGS: dict[str, Setting] = {s.name: s for s in _CATALOGUE}

#: The settings each method reads, with its defaults, by method name (:func:`declare_method`).
_DECLARED: dict[str, Mapping[str, Any]] = {}


def declare_method(name: str, defaults: Mapping[str, Any]) -> None:
    """Declare the settings (names of :data:`SETTINGS`) method ``name`` (lower case) reads,
    with its defaults; :mod:`krosbl.methods` declares every method of its registry."""
    _DECLARED[name] = defaults


class SolverSettings(Mapping[str, Any]):
    """The validated, immutable settings of one method.

    Parameters
    ----------
    method : str
        The method the settings belong to (see :func:`krosbl.available_methods`), case-insensitive.
    **values
        Settings that method reads; those not given take the method's defaults.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or a value is out of range or not an allowed choice.
    TypeError
        If a setting is not one the method reads (the message lists those it reads), or a
        value has the wrong type.

    Notes
    -----
    Read as attributes (``settings.max_iter``) or as a mapping; :meth:`replace` returns a copy.

    Examples
    --------
    >>> from krosbl import SolverSettings
    >>> s = SolverSettings("svd-krosbl", max_iter=50)
    >>> s.max_iter, s.replace(tol=0.0).tol
    (50, 0.0)
    >>> SolverSettings("svd-krosbl", beta=0.3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: method 'svd-krosbl' does not read setting(s) ['beta']; it reads ['init', ...]
    """

    __slots__ = ("_method", "_values")

    def __init__(self, method: str, /, **values: Any) -> None:
        if not isinstance(method, str) or method.lower() not in _DECLARED:
            raise ValueError(f"unknown method {method!r}; valid methods are {sorted(_DECLARED)}")
        method = method.lower()
        defaults = _DECLARED[method]
        unknown = sorted(set(values) - set(defaults))
        if unknown:
            raise TypeError(
                f"method {method!r} does not read setting(s) {unknown}; it reads {sorted(defaults)}"
            )
        checked = {k: SETTINGS[k].validate(v) for k, v in {**defaults, **values}.items()}
        object.__setattr__(self, "_method", method)
        object.__setattr__(self, "_values", checked)

    @property
    def method(self) -> str:
        """The method these settings belong to."""
        return self._method

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"method {self._method!r} has no setting {name!r}; it reads {sorted(self._values)}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SolverSettings is immutable: use .replace(...)")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SolverSettings):
            return NotImplemented
        return self._method == other._method and self._values == other._values

    def __hash__(self) -> int:
        return hash((self._method, tuple(sorted(self._values.items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"SolverSettings({self._method!r}, {args})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._method, self._values))

    def replace(self, **changes: Any) -> SolverSettings:
        """A checked copy with ``changes`` applied (``self`` is unchanged).

        Parameters
        ----------
        **changes
            New values of settings the method reads.

        Returns
        -------
        SolverSettings

        Raises
        ------
        TypeError, ValueError
            As :class:`SolverSettings`.
        """
        return SolverSettings(self._method, **{**self._values, **changes})

    def per_factor(self, name: str, n_factors: int) -> tuple[Any, ...]:
        """A scalar-or-tuple setting as one value per factor.

        Parameters
        ----------
        name : str
            Setting name, e.g. ``"prune_ratio"`` or ``"sparsity"``.
        n_factors : int
            Number of Kronecker factors ``I``.

        Returns
        -------
        tuple
            ``n_factors`` copies of a scalar (or ``None``), or the tuple of that length.

        Raises
        ------
        ValueError
            If a tuple's length is not ``n_factors``.
        """
        values = _values(self._values[name])
        if len(values) == 1:
            return values * n_factors
        if len(values) != n_factors:
            raise ValueError(
                f"setting {name!r} has {len(values)} values but the problem has {n_factors} factors"
            )
        return values

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary."""
        return dict(self._values)


def _rebuild(method: str, values: dict[str, Any]) -> SolverSettings:
    return SolverSettings(method, **values)
