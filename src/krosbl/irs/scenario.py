"""The settings of an IRS-MIMO uplink experiment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from krosbl.irs.training import PATTERN_PHASES
from krosbl.validation import check_int, check_real

__all__ = ["Scenario"]

# (field, name in messages, minimum) of the integer settings.
_COUNTS = (
    ("n_ms", "n_ms", 1),
    ("n_bs", "n_bs", 1),
    ("n_irs", "n_irs (L)", 2),
    ("grid", "grid (G)", 2),
    ("spread", "spread (s)", 1),
    ("n_pilots", "n_pilots (K1)", 1),
    ("n_patterns", "n_patterns (K2)", 1),
    ("n_trials", "n_trials", 1),
)


@dataclass(frozen=True)
class Scenario:
    """Validated settings of the IRS-aided MIMO uplink channel-estimation experiment.

    The defaults are the paper's (see :meth:`paper`).

    Parameters
    ----------
    n_ms : int, default 6
        Antennas at the mobile station, ``N_m``.
    n_bs : int, default 16
        Antennas at the base station, ``N_b``.
    n_irs : int, default 256
        IRS elements ``L`` (a uniform linear array); at least 2.
    grid : int, default 18
        Angular grid points ``G``; at least 2.
    spread : int, default 3
        Angular spread ``s``: grid points per arrival cluster (IRS and BS); ``1 <= s <= G``.
    n_pilots : int, default 3
        Pilot blocks ``K1`` (columns of the pilot matrix ``X``); at least 1.
    n_patterns : int, default 6
        IRS phase patterns ``K2``; ``1 <= K2 <= L``.
    snr_db : sequence of float, default (4, 8, 12, 16, 20)
        The SNRs (dB) of a run; finite, at least one (any iterable, e.g. an array, is stored as
        a tuple of floats).
    n_trials : int, default 50
        Channel realisations per run; at least 1.
    off_grid : float, default 0.0
        Off-grid level ``ρ ∈ [0, 1]``. After the on-grid draw, every angle (MS departure, IRS
        departure, each member of the IRS and of the BS arrival cluster) is moved by its own
        offset ``ρ·u·(2/G)``, ``u ~ U(−½, ½)``, and wrapped to ``[−1, 1)``; ``ρ = 1`` spreads
        the angles uniformly over their grid cells. ``0`` is the paper's on-grid model, trial
        for trial.
    pattern_phases : {"binary", "continuous"}, default "binary"
        The IRS phases of the patterns (:func:`krosbl.irs.draw_patterns`): the paper's 0 or π
        (entries ``±1/√L``), or continuous, ``e^{jϑ}/√L`` with ``ϑ ~ U[0, 2π)``.

    Raises
    ------
    ValueError
        If a setting is out of range; the message names the parameter.
    TypeError
        If a count is not an integer or an SNR is not a real number.

    Notes
    -----
    He & Joseph (IEEE TSP 2024), Section VI; docs/theory.md, "IRS-MIMO channel estimation".
    The measurement has ``K2·K1·N_b`` entries (288 in the paper) and the angular unknown
    ``G³`` (5832). With ``off_grid > 0`` the grid dictionaries no longer fit the channel
    exactly (the off-grid model of He & Joseph, arXiv:2412.00310).

    Examples
    --------
    >>> from krosbl.irs import Scenario
    >>> sc = Scenario.paper()
    >>> sc.n_measurements, sc.unknown_shape
    (288, (18, 18, 18))
    >>> Scenario(n_irs=1)
    Traceback (most recent call last):
    ...
    ValueError: n_irs (L) must be >= 2, got 1
    """

    n_ms: int = 6
    n_bs: int = 16
    n_irs: int = 256
    grid: int = 18
    spread: int = 3
    n_pilots: int = 3
    n_patterns: int = 6
    snr_db: Sequence[float] = (4.0, 8.0, 12.0, 16.0, 20.0)
    n_trials: int = 50
    off_grid: float = 0.0
    pattern_phases: str = "binary"

    def __post_init__(self) -> None:
        for name, label, minimum in _COUNTS:
            value = check_int(label, getattr(self, name), minimum=minimum)
            object.__setattr__(self, name, value)
        if self.spread > self.grid:
            raise ValueError(f"spread (s) must be <= grid (G) = {self.grid}, got {self.spread}")
        if self.n_patterns > self.n_irs:
            raise ValueError(
                f"n_patterns (K2) must be <= n_irs (L) = {self.n_irs}, got {self.n_patterns}"
            )
        if isinstance(self.snr_db, str) or not isinstance(self.snr_db, Iterable):
            raise TypeError(f"snr_db must be a sequence of numbers, got {self.snr_db!r}")
        snrs = tuple(check_real("snr_db", v) for v in self.snr_db)
        if not snrs:
            raise ValueError("snr_db must hold at least one SNR")
        object.__setattr__(self, "snr_db", snrs)
        object.__setattr__(
            self, "off_grid", check_real("off_grid", self.off_grid, low=0.0, high=1.0)
        )
        if self.pattern_phases not in PATTERN_PHASES:
            raise ValueError(
                f"pattern_phases must be one of {PATTERN_PHASES}, got {self.pattern_phases!r}"
            )

    @classmethod
    def paper(cls) -> Scenario:
        """Return the paper's scenario.

        Returns
        -------
        Scenario
            6 MS antennas, 16 BS antennas, a 256-element IRS (uniform linear array), ``G = 18``,
            ``s = 3``, ``K1 = 3``, ``K2 = 6``, SNRs (4, 8, 12, 16, 20) dB, 50 trials: the
            defaults, those of the paper's IRS experiment (Figs. 6–8; ``PC-KroSBL/main.m``).
        """
        return cls()

    @property
    def n_measurements(self) -> int:
        """Length of the measurement vector, ``K2·K1·N_b``."""
        return self.n_patterns * self.n_pilots * self.n_bs

    @property
    def unknown_shape(self) -> tuple[int, int, int]:
        """Shape ``(G, G, G)`` of the angular unknown (IRS difference, MS, BS)."""
        return (self.grid, self.grid, self.grid)
