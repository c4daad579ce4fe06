"""Estimator classes in the scikit-learn style, one per method, all thin over :func:`recover`.

``fit(A, y)`` takes the dictionary (a :class:`~krosbl.Kron`, a list of factors, or a dense
matrix for the unstructured methods) and the measurements; fitted attributes end in ``_``.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .api import Result, recover
from .operators import Kron
from .settings import SolverSettings

__all__ = [
    "KSBL",
    "OMP",
    "PCSBL",
    "SBL",
    "AMKroSBL",
    "KronOMP",
    "NotFittedError",
    "OracleLS",
    "PCKroSBL",
    "SVDKroSBL",
]


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before :meth:`fit` (as scikit-learn's exception of that name)."""


class _Recovery:
    """Shared machinery: parameters, ``fit``, ``predict``, ``get_params``/``set_params``."""

    _method: ClassVar[str]
    #: constructor parameters that are not settings overrides
    _not_settings: ClassVar[tuple[str, ...]] = ("noise_var", "settings", "support")

    def __init__(
        self,
        noise_var: float | None = None,
        *,
        settings: SolverSettings | str | None = None,
        max_iter: int | None = None,
        tol: float | None = None,
    ) -> None:
        self.noise_var = noise_var
        self.settings = settings
        self.max_iter = max_iter
        self.tol = tol

    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (scikit-learn protocol)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> _Recovery:
        """Set parameters; an unknown name is a ``ValueError`` listing the valid ones."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"{type(self).__name__}({args})"

    def _recover_kwargs(self) -> dict[str, Any]:
        params = self.get_params()
        kwargs = {k: v for k, v in params.items() if k not in self._not_settings and v is not None}
        kwargs["settings"] = self.settings
        if "support" in params:
            kwargs["support"] = params["support"]
        return kwargs

    def fit(self, A: Kron | list[ArrayLike] | NDArray, y: ArrayLike) -> _Recovery:
        """Recover the sparse coefficients from ``y ≈ A x``.

        Parameters
        ----------
        A : Kron, list of array_like or ndarray
            Dictionary or its Kronecker factors.
        y : array_like, shape (M,)
            Measurements.

        Returns
        -------
        self
        """
        result = recover(y, A, self._method, self.noise_var, **self._recover_kwargs())
        self._store(result)
        return self

    def _store(self, result: Result) -> None:
        self.result_ = result
        self.coef_ = result.x
        self.gamma_ = result.gamma
        self.gammas_ = result.gammas
        self.support_ = result.support
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.noise_var_ = result.noise_var
        self.cost_ = result.cost
        self.n_features_in_ = result.x.shape[0]

    def predict(self, A: Kron | list[ArrayLike] | NDArray) -> NDArray:
        """``A @ coef_``: the noiseless measurements implied by the fit.

        Parameters
        ----------
        A : Kron, list of array_like or ndarray
            Dictionary or its Kronecker factors, with as many columns as the fit.

        Returns
        -------
        ndarray, shape (M,)

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")
        op = A if isinstance(A, Kron) else Kron(A) if isinstance(A, list | tuple) else np.asarray(A)
        if op.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"A has {op.shape[1]} columns but the fit has {self.coef_.shape[0]}")
        return op @ self.coef_


class SBL(_Recovery):
    """Classic sparse Bayesian learning (EM), unstructured prior (Tipping 2001; spec §2).

    Parameters
    ----------
    noise_var : float or None
        Known ``σ²``; ``None`` learns it.
    settings : SolverSettings or str, optional
        Settings or a preset name (:mod:`krosbl.presets`).
    max_iter, tol : optional
        Override the preset's ``R_max`` and outer tolerance.

    Attributes
    ----------
    coef_ : ndarray
        The estimate. Also ``gamma_``, ``gammas_``, ``support_``, ``n_iter_``, ``converged_``,
        ``noise_var_``, ``cost_`` and ``result_`` (the full :class:`~krosbl.Result`).

    Examples
    --------
    >>> import numpy as np, krosbl
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((30, 60)); x = np.zeros(60); x[[4, 40]] = [1.0, -2.0]
    >>> est = krosbl.SBL(noise_var=1e-6).fit(A, A @ x)
    >>> sorted(np.flatnonzero(np.abs(est.coef_) > 0.1).tolist())
    [4, 40]
    """

    _method = "sbl"


class PCSBL(_Recovery):
    """Pattern-coupled SBL (Fang et al. 2015, as modified by He & Joseph; spec §4.2).

    Parameters are those of :class:`SBL`.
    """

    _method = "pc-sbl"


class AMKroSBL(_Recovery):
    """AM-KroSBL: Kronecker SBL with alternating minimisation over the factors (spec §2.2).

    Parameters are those of :class:`SBL`. ``fit`` needs a :class:`~krosbl.Kron` or a list of
    factors.
    """

    _method = "am-krosbl"


class SVDKroSBL(_Recovery):
    """SVD-KroSBL: Kronecker SBL with a rank-one SVD M-step (spec §2.3).

    Parameters are those of :class:`SBL`.
    """

    _method = "svd-krosbl"


class KSBL(_Recovery):
    """The earlier Kronecker SBL the paper compares against (spec §2.4).

    Parameters are those of :class:`SBL`.
    """

    _method = "ksbl"


class PCKroSBL(_Recovery):
    """PC-KroSBL: pattern-coupled AM-KroSBL for block-sparse factors (spec §4.1).

    Parameters
    ----------
    noise_var, settings, max_iter, tol
        As :class:`SBL`.
    beta : float or tuple of float, optional
        Coupling of neighbours within each coupled factor (paper: 0.8 and 0.5).
    coupled : tuple of int, optional
        The coupled factors (default: every factor; the IRS preset couples ``(0, 2)``).
    """

    _method = "pc-krosbl"

    def __init__(
        self,
        noise_var: float | None = None,
        *,
        settings: SolverSettings | str | None = None,
        max_iter: int | None = None,
        tol: float | None = None,
        beta: float | tuple[float, ...] | None = None,
        coupled: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(noise_var, settings=settings, max_iter=max_iter, tol=tol)
        self.beta = beta
        self.coupled = coupled


class KronOMP(_Recovery):
    """Kronecker OMP (Caiafa & Cichocki 2013; spec §5).

    Parameters
    ----------
    sparsity : int or tuple of int, optional
        Atoms per factor (default 10 each).
    settings : SolverSettings or str, optional
        Settings or a preset name.
    """

    _method = "kron-omp"

    def __init__(
        self,
        *,
        sparsity: int | tuple[int, ...] | None = None,
        settings: SolverSettings | str | None = None,
    ) -> None:
        self.noise_var = None
        self.settings = settings
        self.sparsity = sparsity


class OMP(_Recovery):
    """Orthogonal matching pursuit on any dictionary, stopped at ``‖r‖ ≤ σ√M`` (spec §5).

    Parameters
    ----------
    noise_var : float, optional
        Noise variance for the stopping rule.
    max_atoms : int, optional
        Cap on atoms (default: ``min(M, N)``).
    """

    _method = "omp"

    def __init__(self, noise_var: float | None = None, *, max_atoms: int | None = None) -> None:
        self.noise_var = noise_var
        self.settings = None
        self.max_atoms = max_atoms


class OracleLS(_Recovery):
    """Least squares on a known support (spec §5).

    Parameters
    ----------
    support : array_like of int
        The true support (flat indices).
    """

    _method = "oracle-ls"

    def __init__(self, support: ArrayLike | None = None) -> None:
        self.noise_var = None
        self.settings = None
        self.support = support
