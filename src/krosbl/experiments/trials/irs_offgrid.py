"""IRS channels off the angular grid (beyond the paper): training and held-out NMSE, SER vs SNR.

The paper's IRS scenario with every angle moved off the grid by up to ``ρ`` half-cells
(:class:`krosbl.irs.Scenario` ``off_grid``), for several off-grid levels ``ρ`` and pattern
counts ``K2``: each (ρ, K2) is a condition, scored as in ``irs-snr``
(:func:`~krosbl.experiments.trials.irs.irs_rows`) plus the NMSE on fresh IRS patterns
(:func:`krosbl.irs.heldout_nmse`).

Randomness: for the same seed every condition sees the same grid draw of the geometry (the
channels of trial ``t`` differ across conditions only by their off-grid offsets and pattern
count); condition ``c`` (in the order of ``off_grid`` × ``n_patterns``) draws its noise,
symbols, SER noise and held-out patterns from the trial's generators ``5c … 5c + 4``.
"""

from __future__ import annotations

from itertools import product

from pydantic import Field, model_validator

from ..definitions import Row, TrialContext
from .irs import STREAMS, IrsScenarioSettings, irs_rows, simulate

__all__ = ["OffgridSettings", "offgrid_trial"]


class OffgridSettings(IrsScenarioSettings):
    """Settings of ``irs-offgrid``: the paper's scenario, several ``ρ`` and ``K2``.

    ``off_grid`` are the off-grid levels ``ρ ∈ [0, 1]``, ``n_patterns`` the training pattern
    counts ``K2``, ``heldout_patterns`` the fresh patterns of the held-out NMSE.
    """

    off_grid: list[float] = Field(default=[0.0, 0.5], min_length=1)
    n_patterns: list[int] = Field(default=[6, 20, 40], min_length=1)
    heldout_patterns: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _check(self) -> OffgridSettings:
        for key in ("off_grid", "n_patterns"):
            listed = getattr(self, key)
            if len(set(listed)) != len(listed):
                raise ValueError(f"key {key!r}: values listed more than once, got {listed}")
        if self.heldout_patterns > self.n_irs:
            raise ValueError(
                f"key 'heldout_patterns': must be at most n_irs = {self.n_irs}, "
                f"got {self.heldout_patterns}"
            )
        for rho, k2 in self.conditions():
            try:
                self.scenario_with(1, k2, rho)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"scenario (off_grid {rho}, n_patterns {k2}): {exc}") from None
        return self

    def conditions(self) -> list[tuple[float, int]]:
        """Every ``(ρ, K2)``, ``ρ`` outermost."""
        return list(product(self.off_grid, self.n_patterns))


def offgrid_trial(ctx: TrialContext) -> list[Row]:
    """One channel realisation per condition, every SNR and algorithm."""
    s = ctx.settings
    assert isinstance(s, OffgridSettings)
    conditions = s.conditions()
    streams = ctx.generators(STREAMS * len(conditions))
    rows: list[Row] = []
    for c, (rho, k2) in enumerate(conditions):
        trial = simulate(s, s.scenario_with(ctx.trial + 1, k2, rho), ctx.trial)
        scored = irs_rows(ctx, trial, streams[STREAMS * c : STREAMS * (c + 1)], s.heldout_patterns)
        rows += [{**row, "off_grid": rho, "n_patterns": k2} for row in scored]
    return rows
