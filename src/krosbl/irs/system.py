"""A measured IRS system and one measurement of it: the input of every IRS estimator.

``y = Y.ravel()`` with ``Y[k, t, b] = (H_k X)[b, t]`` (pattern ``k``, pilot ``t``, BS antenna
``b``) and ``H_k = H_2 diag(ψ_k) H_1`` the cascaded channel under the ``k``-th IRS reflection;
docs/your-system.md converts other layouts (e.g. MATLAB's column-major ``[BS, pilot, pattern]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.irs.arrays import array_dictionary
from krosbl.irs.factors import Factors, build_factors, rebuild_channels
from krosbl.irs.paths import Paths
from krosbl.operators import Kron
from krosbl.validation import check_array, check_int

__all__ = ["Measurement", "System"]

#: Default angular grid of the on-grid estimators of a :class:`System`: ``G = 18``, the paper's.
DEFAULT_GRID = 18


def _training(value: ArrayLike, name: str, shape: str) -> NDArray[np.complex128]:
    """A read-only complex copy of a 2-D training matrix, finite and non-empty."""
    out = np.array(check_array(np.asarray(value), name), dtype=np.complex128)
    if out.ndim != 2 or 0 in out.shape:
        raise ValueError(f"{name} must be a non-empty matrix of shape {shape}, got {out.shape}")
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class System:
    """The training of an IRS-aided uplink: pilots, IRS reflections and the BS array.

    Parameters
    ----------
    pilots : array_like, shape (N_m, K1)
        Pilot matrix ``X``: column ``t`` is what the ``N_m`` MS antennas send in slot ``t``.
    patterns : array_like, shape (L, K2)
        IRS reflections ``Ψ = [ψ_1, …, ψ_K2]``, real or complex, any scaling: column ``k`` is
        the diagonal of the ``k``-th reflection (e.g. ``e^{jϑ}/√L`` for phases ``ϑ``).
    n_bs : int
        BS antennas ``N_b`` (a uniform linear array with half-wavelength spacing).
    grid : int, default 18
        Angular grid ``G`` of the on-grid estimators (``G³`` unknowns); the off-grid
        estimators do not use it.

    Raises
    ------
    ValueError
        If a matrix is not 2-D and non-empty, holds NaN or inf, or ``n_bs`` or ``grid`` is
        below 1 (``grid`` below 2).

    Notes
    -----
    Every array is a ULA, ``a_n(θ) = e^{jπkθ}/√n``, ``k = 0, …, n−1``, ``θ ∈ [−1, 1)`` the sine
    of the angle. A path through the IRS sees ``a_L(θ_d)ᴴ diag(ψ) a_L(θ_a)``, a function of
    ``δ = θ_d − θ_a`` only (He & Joseph, IEEE TSP 2024, Section VI), the IRS factor's
    parameter. On the grid ``y = (F_1 ⊗ F_2 ⊗ F_3) z`` (:attr:`factors`; the paper's eq. (38)).

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import irs
    >>> rng = np.random.default_rng(0)
    >>> psi = np.exp(2j * np.pi * rng.random((64, 8))) / 8
    >>> system = irs.System(pilots=np.eye(4), patterns=psi, n_bs=8)
    >>> system.measurement_shape, system.n_measurements
    ((8, 4, 8), 256)
    """

    pilots: NDArray[np.complex128]
    patterns: NDArray[np.complex128]
    n_bs: int
    grid: int = DEFAULT_GRID

    def __post_init__(self) -> None:
        object.__setattr__(self, "pilots", _training(self.pilots, "pilots", "(N_m, K1)"))
        object.__setattr__(self, "patterns", _training(self.patterns, "patterns", "(L, K2)"))
        object.__setattr__(self, "n_bs", check_int("n_bs", self.n_bs, minimum=1))
        object.__setattr__(self, "grid", check_int("grid", self.grid, minimum=2))

    @property
    def n_ms(self) -> int:
        """MS antennas ``N_m``."""
        return int(self.pilots.shape[0])

    @property
    def n_irs(self) -> int:
        """IRS elements ``L``."""
        return int(self.patterns.shape[0])

    @property
    def measurement_shape(self) -> tuple[int, int, int]:
        """``(K2, K1, N_b)``: the axes of ``Y`` (pattern, pilot, BS antenna)."""
        return (int(self.patterns.shape[1]), int(self.pilots.shape[1]), self.n_bs)

    @property
    def n_measurements(self) -> int:
        """``K2·K1·N_b``: the length of ``y``."""
        return int(np.prod(self.measurement_shape))

    @cached_property
    def factors(self) -> Factors:
        """The on-grid factors ``(F1, F2, F3)`` (:func:`krosbl.irs.build_factors`)."""
        return build_factors(self.patterns, self.pilots, self.n_bs, self.grid)

    @property
    def operator(self) -> Kron:
        """The on-grid measurement operator ``F1 ⊗ F2 ⊗ F3``."""
        return Kron(self.factors)

    def rebuild(self, z_hat: ArrayLike) -> NDArray[np.complex128]:
        """Rebuild the cascaded channels ``Ĥ_k`` of the training patterns from a grid estimate.

        Parameters
        ----------
        z_hat : array_like, shape (G, G, G) or (G³,)
            Angular estimate (axes: IRS difference, MS, BS).

        Returns
        -------
        ndarray of complex128, shape (K2, N_b, N_m)
            :func:`krosbl.irs.rebuild_channels` with this system's factors.
        """
        ms = array_dictionary(self.n_ms, self.grid)
        return rebuild_channels(z_hat, self.factors.f1, ms, self.factors.f3)

    def measurement(
        self, y: ArrayLike, noise_var: float | None = None, paths: Paths | None = None
    ) -> Measurement:
        """Return ``Measurement(self, y, noise_var, paths)``."""
        return Measurement(self, np.asarray(y, dtype=np.complex128), noise_var, paths)


@dataclass(frozen=True, eq=False)
class Measurement:
    """One measurement ``y`` of a :class:`System`.

    Parameters
    ----------
    system : System
        The pilots, IRS patterns and BS antennas the measurement was taken with.
    y : array_like, shape (K2·K1·N_b,) or (K2, K1, N_b)
        ``Y[k, t, b] = (H_k X)[b, t] + noise`` (pattern, pilot, BS antenna), flattened in C
        order when 1-D.
    noise_var : float, optional
        Noise variance per complex entry when known; ``None`` (the default) lets the
        estimators learn it.
    paths : Paths, optional
        The true paths of the channel, when known (a simulation): the ``"oracle-angles"``
        estimator uses their angles.

    Raises
    ------
    ValueError
        If ``y`` does not hold ``K2·K1·N_b`` entries of that layout, holds NaN or inf, or
        ``noise_var`` is not a positive finite number.
    TypeError
        If ``system`` is not a :class:`System`.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import irs
    >>> system = irs.System(np.eye(2), np.eye(4)[:, :3], n_bs=4)
    >>> irs.Measurement(system, np.zeros(5))
    Traceback (most recent call last):
    ...
    ValueError: y must hold K2·K1·N_b = 3·2·4 = 24 entries (pattern, pilot, BS antenna), got (5,)
    """

    system: System
    y: NDArray[np.complex128]
    noise_var: float | None = None
    paths: Paths | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.system, System):
            raise TypeError(f"system must be a krosbl.irs.System, got {type(self.system).__name__}")
        shape = self.system.measurement_shape
        y = np.array(check_array(np.asarray(self.y), "y"), dtype=np.complex128)
        if y.shape not in (shape, (int(np.prod(shape)),)):
            k2, k1, nb = shape
            raise ValueError(
                f"y must hold K2·K1·N_b = {k2}·{k1}·{nb} = {k2 * k1 * nb} entries "
                f"(pattern, pilot, BS antenna), got {y.shape}"
            )
        y = y.reshape(-1)
        y.flags.writeable = False
        object.__setattr__(self, "y", y)
        if self.noise_var is not None:
            value = float(self.noise_var)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"noise_var must be a positive finite number, got {value}")
            object.__setattr__(self, "noise_var", value)
