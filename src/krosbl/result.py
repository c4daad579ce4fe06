"""The record every method returns: :class:`Result`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .resultfile import read_result_fields, save_result
from .settings import SolverSettings

__all__ = ["Result"]


@dataclass
class Result:
    """Outcome of one recovery.

    Attributes
    ----------
    x : ndarray
        Estimate of the unknown, flat, ``numpy.kron`` order, zeros at pruned entries.
    method : str
        The method that produced it.
    support : ndarray of int
        Flat indices of the entries kept (not pruned; selected, for greedy methods).
    n_iter : int
        Iterations run.
    converged : bool
        Whether the stopping tolerance was met before the iteration cap.
    noise_var : float or None
        ``σ²`` used at the end (learned when ``noise_learned``).
    noise_learned : bool
        Whether ``σ²`` was estimated.
    time_s : float
        Solver time: the iterations only (set-up and the final re-estimate excluded).
    x_var : ndarray or None
        SBL family: the posterior marginal variance ``Σ_x[j, j]`` of each entry under the
        final hyperparameters, zero at pruned entries (``None`` for greedy methods).
    gamma : ndarray or None
        Final prior variances, full length (PC-SBL: ``1/α``, as the authors' code returns).
    gammas : list of ndarray or None
        Kronecker methods: final factor hyperparameters, full length ``N_i``, zeros at pruned
        entries.
    cost : ndarray
        SBL objective ``log det Σ_y + yᴴΣ_y⁻¹y`` at each iteration's E-step.
    mean_history : list of ndarray
        Per-iteration E-step means (with ``record_history=True``).
    settings : SolverSettings or None
        The settings used.
    message : str
        A note on anything unusual (e.g. all-zero measurements).
    details : dict
        Method-specific extras (PC-SBL ``alpha``; the sweep methods ``n_sweeps`` and
        ``uncoupled``; greedy ``residual_norm``, ``factor_support``).
    """

    x: NDArray
    method: str
    support: NDArray
    n_iter: int
    converged: bool
    noise_var: float | None
    noise_learned: bool
    time_s: float
    x_var: NDArray | None = None
    gamma: NDArray | None = None
    gammas: list[NDArray] | None = None
    cost: NDArray = field(default_factory=lambda: np.zeros(0))
    mean_history: list[NDArray] = field(default_factory=list)
    settings: SolverSettings | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the result to a ``.npz`` file (appended to ``path`` if missing), every field
        exactly and nothing pickled (:mod:`krosbl.resultfile`).

        Parameters
        ----------
        path : str or path-like
            Where to write.

        Returns
        -------
        pathlib.Path
            The file written.

        Examples
        --------
        >>> import numpy as np, krosbl, tempfile, pathlib
        >>> res = krosbl.recover(np.ones(4), [np.eye(2), np.eye(2)], "svd-krosbl", 1e-2)
        >>> path = res.save(pathlib.Path(tempfile.mkdtemp()) / "res")
        >>> back = krosbl.Result.load(path)
        >>> bool(np.array_equal(back.x, res.x)) and back.settings == res.settings
        True
        """
        return save_result(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Result:
        """Read a result written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A ``.npz`` file of :meth:`save`.

        Returns
        -------
        Result

        Raises
        ------
        krosbl.resultfile.ResultFileError
            Not a krosbl result, a damaged file, or one of a newer format version.
        """
        return cls(**read_result_fields(path))
