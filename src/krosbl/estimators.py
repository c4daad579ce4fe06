"""Estimator classes in the scikit-learn style, one per method, all thin over :func:`recover`.

Every setting the method reads is a constructor parameter with the method's neutral default;
constructor and ``Parameters`` are built from the method's declaration (:mod:`krosbl.methods`).
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .api import recover
from .methods import get_method
from .operators import Kron
from .result import Result
from .settings import SETTINGS

__all__ = [
    "KSBL",
    "OMP",
    "PCSBL",
    "SBL",
    "AMKroSBL",
    "DKroSBL",
    "KronOMP",
    "NotFittedError",
    "OracleLS",
    "PCKroSBL",
    "SVDKroSBL",
]

_KW, _POS = inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD
_NOISE_DOC = (
    "noise_var : float or None\n    Known noise variance ``σ² > 0``; ``None`` learns it (SBL) "
    "or is not used."
)
_SETTINGS_DOC = (
    "settings : str or SolverSettings, optional\n"
    '    A preset name (e.g. ``"irs"``) or settings of this method, as the base; the '
    "setting\n    parameters below override it where they differ from their defaults."
)
_SUPPORT_DOC = "support : array_like of int\n    The true support (flat indices)."


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before :meth:`fit` (as scikit-learn's exception of that name)."""


def _parameters_doc(method_name: str, takes_noise: bool) -> str:
    method = get_method(method_name)
    items = [_NOISE_DOC] if takes_noise else []
    items.append(_SETTINGS_DOC)
    if method.takes_support:
        items.append(_SUPPORT_DOC)
    for name, default in method.defaults.items():
        items.append(f"{name} : default {default!r}\n    {SETTINGS[name].doc}")
    body = "\n".join("    " + line for item in items for line in item.splitlines())
    return "\n    Parameters\n    ----------\n" + body + "\n"


class _Recovery:
    """Shared machinery: the generated constructor, ``fit``, ``predict``, parameters."""

    _method: ClassVar[str]
    settings: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        method = get_method(cls._method)
        takes_noise = method.uses_noise_var
        params = [inspect.Parameter("self", _POS)]
        if takes_noise:
            params.append(inspect.Parameter("noise_var", _POS, default=None))
        params.append(inspect.Parameter("settings", _KW, default=None))
        if method.takes_support:
            params.append(inspect.Parameter("support", _KW, default=None))
        params += [inspect.Parameter(k, _KW, default=v) for k, v in method.defaults.items()]
        signature = inspect.Signature(params)

        def __init__(self: _Recovery, *args: Any, **kwargs: Any) -> None:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = signature  # type: ignore[attr-defined]
        __init__.__doc__ = f"Set the parameters of :class:`{cls.__name__}`."
        cls.__init__ = __init__  # type: ignore[assignment,method-assign]
        head, sep, examples = (cls.__doc__ or "").partition("\n    Examples\n")
        doc, tail = _parameters_doc(cls._method, takes_noise), sep + examples.rstrip(" ")
        cls.__doc__ = f"{head.rstrip()}\n{doc}{_ATTRIBUTES}{tail}"

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (scikit-learn protocol).

        Parameters
        ----------
        deep : bool
            Unused (no nested estimators).

        Returns
        -------
        dict
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> _Recovery:
        """Set parameters; an unknown name is a ``ValueError`` listing the valid ones.

        Returns
        -------
        self
        """
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()
        }
        args = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])
        )
        return f"{type(self).__name__}({args})"

    def _overrides(self) -> dict[str, Any]:
        """Setting parameters that differ from the method's defaults (or all, without a base)."""
        defaults = get_method(self._method).defaults
        if self.settings is None:
            return {k: getattr(self, k) for k in defaults}
        return {k: getattr(self, k) for k, d in defaults.items() if not _same(getattr(self, k), d)}

    def fit(self, A: Kron | list[ArrayLike] | NDArray, y: ArrayLike) -> _Recovery:
        """Recover the sparse coefficients from ``y ≈ A x``.

        Parameters
        ----------
        A : Kron, list of array_like or ndarray
            Dictionary or its Kronecker factors.
        y : array_like, shape (M,) or (M, T)
            Measurements; ``T`` columns are snapshots sharing one support (``coef_``: ``(N, T)``).

        Returns
        -------
        self
        """
        result = recover(
            y,
            A,
            self._method,
            getattr(self, "noise_var", None),
            settings=self.settings,
            support=getattr(self, "support", None),
            **self._overrides(),
        )
        self._store(result)
        return self

    def _store(self, result: Result) -> None:
        self.result_ = result
        self.coef_ = result.x
        self.coef_var_ = result.x_var
        for name in ("gamma", "gammas", "support", "n_iter", "converged", "noise_var", "cost"):
            setattr(self, f"{name}_", getattr(result, name))
        self.n_features_in_ = result.x.shape[0]

    def predict(self, A: Kron | list[ArrayLike] | NDArray) -> NDArray:
        """``A @ coef_``: the noiseless measurements implied by the fit.

        Parameters
        ----------
        A : Kron, list of array_like or ndarray
            Dictionary or its Kronecker factors, with as many columns as the fit.

        Returns
        -------
        ndarray, shape (M,) or (M, T)

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


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


_ATTRIBUTES = """
    Attributes
    ----------
    coef_ : ndarray
        The estimate.
    coef_var_ : ndarray or None
        Posterior marginal variance of each coefficient (zero at pruned entries): the
        diagonal of what scikit-learn's ``ARDRegression`` calls ``sigma_``, on every entry.
    result_ : Result
        The full result; also ``gamma_``, ``gammas_``, ``support_``, ``n_iter_``,
        ``converged_``, ``noise_var_``, ``cost_``.
"""


class SBL(_Recovery):
    """Classic sparse Bayesian learning (EM) with an unstructured prior (Tipping 2001).

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
    """Pattern-coupled SBL (Fang et al. 2015, as the paper's authors modified it)."""

    _method = "pc-sbl"


class AMKroSBL(_Recovery):
    """AM-KroSBL: Kronecker SBL, alternating minimisation over the factors (He & Joseph 2024)."""

    _method = "am-krosbl"


class SVDKroSBL(_Recovery):
    """SVD-KroSBL: Kronecker SBL with a rank-one SVD M-step (He & Joseph 2024)."""

    _method = "svd-krosbl"


class KSBL(_Recovery):
    """KSBL, the earlier Kronecker SBL the paper compares against."""

    _method = "ksbl"


class PCKroSBL(_Recovery):
    """PC-KroSBL: pattern-coupled AM-KroSBL for block-sparse factors (He & Joseph 2024)."""

    _method = "pc-krosbl"


class DKroSBL(_Recovery):
    """dKroSBL: a rank-one split of ``y``, then one small SBL per factor (He & Joseph,
    arXiv:2310.07869); for rank-one ``x = x_1 ⊗ … ⊗ x_I``."""

    _method = "dkrosbl"


class KronOMP(_Recovery):
    """Kronecker OMP (Caiafa & Cichocki 2013)."""

    _method = "kron-omp"


class OMP(_Recovery):
    """Orthogonal matching pursuit on any dictionary, stopped at ``‖r‖ ≤ σ√M``."""

    _method = "omp"


class OracleLS(_Recovery):
    """Least squares on a known support."""

    _method = "oracle-ls"
