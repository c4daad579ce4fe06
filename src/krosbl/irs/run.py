"""A run of the IRS experiment: shared training signals and reproducible trials."""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np
from numpy.typing import NDArray

from krosbl.irs.scenario import Scenario
from krosbl.irs.training import draw_patterns, draw_pilots
from krosbl.irs.trial import Trial, simulate_trial

__all__ = ["Run"]


class Run:
    """The trials of one IRS experiment run, each reproducible on its own.

    By default the pilots and patterns are drawn once per run and shared by all trials
    (departure R3 in docs/reproduction.md). A pattern whose cascaded channel vanishes is
    redrawn and kept for the later trials (departure R2), so trial ``i`` depends on trials
    ``0..i−1`` (simulated on demand and cached), not on the order of calls.

    Parameters
    ----------
    scenario : Scenario
        Experiment settings.
    seed : int or numpy.random.SeedSequence or None
        Root of all randomness. The run uses the children of ``SeedSequence(seed)``, the same as
        ``SeedSequence(seed).spawn(1 + n_trials)``: child 0 draws the run's pilots ``X`` and
        patterns ``Ψ`` (in that order), child ``1 + i`` draws trial ``i``. A given
        ``SeedSequence`` is not modified (its spawn counter is ignored). ``None`` takes fresh
        entropy (see ``seed_sequence.entropy``).
    redraw_per_trial : bool, default False
        If True, every trial draws its own ``X`` and ``Ψ`` (first, from its own child) instead
        of sharing the run's.

    Examples
    --------
    >>> from krosbl import irs
    >>> run = irs.Run(irs.Scenario.paper(), seed=7)
    >>> trial = run.trial(0)
    >>> trial.H.shape, trial.y0.shape, len(run)
    ((6, 16, 6), (288,), 50)
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        *,
        redraw_per_trial: bool = False,
    ) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
        if not (seed is None or isinstance(seed, np.random.SeedSequence)):
            if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
                raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.scenario = scenario
        self.redraw_per_trial = bool(redraw_per_trial)
        self.seed_sequence = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )
        self.pilots, self.patterns = self._draw_training(self._generator(0))
        # _pattern_states[i] = patterns in effect at the start of trial i (shared mode).
        self._pattern_states: list[NDArray[np.float64]] = [self.patterns]

    def _generator(self, *child: int) -> np.random.Generator:
        """Generator of descendant ``child`` of the seed sequence (0: run level, 1 + i: trial
        i, (1 + i, b): block b of trial i)."""
        root = self.seed_sequence
        seed = np.random.SeedSequence(
            root.entropy, spawn_key=(*root.spawn_key, *child), pool_size=root.pool_size
        )
        return np.random.default_rng(seed)

    def _draw_training(self, rng: np.random.Generator) -> tuple[NDArray[np.complex128], NDArray]:
        sc = self.scenario
        pilots = draw_pilots(rng, sc.n_ms, sc.n_pilots)
        patterns = draw_patterns(rng, sc.n_irs, sc.n_patterns, sc.pattern_phases)
        pilots.flags.writeable = False
        patterns.flags.writeable = False
        return pilots, patterns

    def __len__(self) -> int:
        return self.scenario.n_trials

    def __iter__(self) -> Iterator[Trial]:
        return (self.trial(i) for i in range(len(self)))

    def __repr__(self) -> str:
        return (
            f"Run(scenario={self.scenario!r}, seed={self.seed_sequence.entropy!r}, "
            f"redraw_per_trial={self.redraw_per_trial})"
        )

    def trial(self, index: int) -> Trial:
        """Return trial ``index``; the same index always gives the same trial.

        Parameters
        ----------
        index : int
            Trial index, ``0 <= index < scenario.n_trials``.

        Returns
        -------
        Trial
            Channels, angular truth, support, noiseless measurement and factors, drawn from the
            trial's own generator in the reference code's order: (``X``, ``Ψ`` if
            ``redraw_per_trial``), then ``m``, ``a_0``, ``d``, ``b_0``, ``α_a``, ``α_b``, then
            any pattern redraw.

        Raises
        ------
        ValueError
            If ``index`` is outside the run's trials.
        TypeError
            If ``index`` is not an integer.
        """
        if isinstance(index, bool) or not isinstance(index, Integral):
            raise TypeError(f"index must be an integer, got {index!r}")
        if not 0 <= index < len(self):
            raise ValueError(f"index must be in 0..{len(self) - 1} (n_trials), got {index}")
        index = int(index)
        if self.redraw_per_trial:
            rng = self._generator(1 + index)
            pilots, patterns = self._draw_training(rng)
            return simulate_trial(self.scenario, index, rng, pilots, patterns)
        while len(self._pattern_states) <= index:
            self._simulate_shared(len(self._pattern_states) - 1)
        return self._simulate_shared(index)

    def blocks(self, index: int, count: int, *, fresh_patterns: bool = False) -> list[Trial]:
        """Trial ``index`` and ``count − 1`` further coherence blocks of its channel.

        Parameters
        ----------
        index : int
            Trial index.
        count : int
            Number of blocks ``B ≥ 1``; block 0 is :meth:`trial` itself.
        fresh_patterns : bool, default False
            Each further block draws its own IRS patterns (:meth:`krosbl.irs.Trial.block`).

        Returns
        -------
        list of Trial
            The blocks: the same angles, fresh gains; block ``b ≥ 1`` draws from child ``b`` of
            the trial's seed.

        Examples
        --------
        >>> from krosbl import irs
        >>> blocks = irs.Run(irs.Scenario.paper(), seed=7).blocks(0, 3)
        >>> [b.geometry.irs_arrival for b in blocks] == [blocks[0].geometry.irs_arrival] * 3
        True
        """
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 1:
            raise ValueError(f"count must be a positive integer, got {count!r}")
        first = self.trial(index)
        rest = [
            first.block(self._generator(1 + index, b), fresh_patterns=fresh_patterns)
            for b in range(1, int(count))
        ]
        return [first, *rest]

    def _simulate_shared(self, index: int) -> Trial:
        """Simulate a trial with the shared patterns and record the state it leaves."""
        rng = self._generator(1 + index)
        trial = simulate_trial(self.scenario, index, rng, self.pilots, self._pattern_states[index])
        if len(self._pattern_states) == index + 1:
            self._pattern_states.append(trial.patterns)
        return trial
