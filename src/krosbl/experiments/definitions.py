"""Experiment definitions as data: what is swept, which algorithms run, how many trials.

An :class:`Experiment` is a frozen record.  The runner, storage, summaries and plots read it;
only its ``trial_function`` computes anything, and it computes exactly one trial: every sweep
value and every algorithm of that trial, on data drawn from the trial's own
:class:`numpy.random.SeedSequence`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from krosbl import presets
from krosbl.settings import SolverSettings

if TYPE_CHECKING:
    from .config import ExperimentSettings

__all__ = [
    "Algorithm",
    "Experiment",
    "Metric",
    "Row",
    "TrialContext",
    "TrialCounts",
    "TrialFunction",
]

#: One result row as a trial function returns it (the runner adds the bookkeeping columns).
Row = dict[str, Any]


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Algorithm:
    """One algorithm of an experiment and the preset its solver settings come from.

    Experiments use presets and nothing else (spec §9): an algorithm names the
    :data:`krosbl.presets.PRESETS` row of its settings, and the trial passes exactly
    ``presets.get(key, method)`` to the solver, with no per-algorithm options.  Variants of a
    method (e.g. PC-KroSBL with ``β = 0.5``) are preset rows of their own.

    Parameters
    ----------
    name : str
        Label in the results (``algorithm`` column) and in legends, e.g. ``"pc-krosbl-0.8"``.
    method : str
        The krosbl method it runs (``krosbl.recover`` / ``krosbl.irs.estimate`` name).
    preset : str
        The :data:`krosbl.presets.PRESETS` key of its settings (e.g. ``"irs-beta-0.5"``).
    preset_from : mapping of float to str
        Preset keys that replace ``preset`` from a sweep value upward: at sweep value ``v``
        the key of the largest threshold ``≤ v`` is used, ``preset`` below every threshold.
        E.g. ``{25.0: "irs-high-snr"}`` (SVD-KroSBL's IRS pruning from 25 dB, spec §9) or
        ``{1.0: "convergence-pruning"}`` (the pruning variant, sweep value 1).
    plotted : bool
        Whether the figures show it (oracle LS is computed but not plotted, spec §7.1).

    Examples
    --------
    >>> a = Algorithm("svd-krosbl", "svd-krosbl", "irs", preset_from={25.0: "irs-high-snr"})
    >>> a.preset_for(20.0), a.preset_for(25.0)
    ('irs', 'irs-high-snr')
    """

    name: str
    method: str
    preset: str
    preset_from: Mapping[float, str] = field(default_factory=_empty)
    plotted: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "preset_from", MappingProxyType(dict(self.preset_from)))

    def preset_for(self, value: float) -> str:
        """The preset key at sweep value ``value``.

        Parameters
        ----------
        value : float
            A sweep value of the experiment.

        Returns
        -------
        str
            The :data:`krosbl.presets.PRESETS` key: that of the largest ``preset_from``
            threshold ``≤ value``, or ``preset`` if ``value`` is below every threshold.
        """
        key = self.preset
        for threshold in sorted(self.preset_from):
            if value >= threshold:
                key = self.preset_from[threshold]
        return key

    @property
    def preset_keys(self) -> tuple[str, ...]:
        """Every preset key the algorithm may use, ``preset`` first."""
        keys = [self.preset, *(self.preset_from[t] for t in sorted(self.preset_from))]
        return tuple(dict.fromkeys(keys))

    def settings(self, value: float) -> SolverSettings:
        """The solver settings at sweep value ``value``: ``presets.get(key, method)``, unchanged.

        Parameters
        ----------
        value : float
            A sweep value of the experiment.

        Returns
        -------
        SolverSettings
            The preset of ``method`` in the row :meth:`preset_for` gives at ``value``.

        Raises
        ------
        ValueError
            If the preset row has no settings for the method (or the key is not a preset).
        """
        return presets.get(self.preset_for(value), self.method)


@dataclass(frozen=True)
class TrialCounts:
    """Trial counts of an experiment: built-in default, ``--quick`` and ``--paper``."""

    default: int
    quick: int
    paper: int


@dataclass(frozen=True)
class Metric:
    """A result column summarised and plotted against the sweep axis.

    Parameters
    ----------
    column : str
        Column of the results table (``nmse``, ``srr``, ``ser``, ``time_s``, ...).
    label : str
        Axis label.
    log : bool
        Whether the paper plots it on a log axis.
    reference : str or None
        A column drawn in the same figure as a dashed black line (its mean over the trials
        of each sweep value), e.g. the true ``σ²`` beside the learned one.
    reference_label : str
        The legend entry of that line.
    """

    column: str
    label: str
    log: bool = False
    reference: str | None = None
    reference_label: str = "reference"


@dataclass(frozen=True)
class Experiment:
    """The definition of one experiment.

    Parameters
    ----------
    name : str
        Command-line name, e.g. ``"irs-snr"``.
    description : str
        One line for ``krosbl list``.
    reproduces : str
        The paper's figure / spec section it reproduces.
    axis : str
        Name of the swept quantity (the ``param`` column), e.g. ``"snr_db"``.
    axis_label : str
        Its axis label in the figures.
    algorithms : tuple of Algorithm
        All algorithms, in legend order.
    trials : TrialCounts
        Default, quick and paper trial counts.
    settings : type of ExperimentSettings
        The pydantic model of the experiment's settings; its defaults are the paper's.
    trial_function : callable
        ``trial_function(ctx) -> list[Row]``; runs one trial (all sweep values and algorithms).
    quick : mapping
        Setting overrides applied by ``--quick`` (a tiny version for CI).
    metrics : tuple of Metric
        The quantities summarised and plotted.
    kind : {"sweep", "history"}
        ``"sweep"``: metrics against the sweep axis; ``"history"``: per-iteration paths
        (list columns such as ``nmse_path``), one panel per sweep value.
    histories : tuple of Metric
        ``kind="history"``: the list columns plotted against the iteration, one figure each
        (``<column without _path>_history.png``).
    history_log_x : bool
        Whether the history figures use a log iteration axis.
    value_labels : mapping
        Names of categorical sweep values (e.g. ``{0.0: "no pruning", 1.0: "pruning"}``).
    value_format : str
        How other sweep values are shown (``str.format`` with the value), e.g. ``"M_1 = {:g}"``.
    plot_x : callable or None
        ``plot_x(value, settings_dict) -> float`` maps a sweep value to the figure's x
        coordinate (e.g. ``M_1`` to ``M/N``); ``None`` plots the value itself.

    Notes
    -----
    The solver settings are not part of the definition beyond the preset keys its algorithms
    name (:attr:`presets`): every solve of a trial uses ``algorithm.settings(value)``.
    """

    name: str
    description: str
    reproduces: str
    axis: str
    axis_label: str
    algorithms: tuple[Algorithm, ...]
    trials: TrialCounts
    settings: type[ExperimentSettings]
    trial_function: TrialFunction
    quick: Mapping[str, Any] = field(default_factory=_empty)
    metrics: tuple[Metric, ...] = ()
    kind: Literal["sweep", "history"] = "sweep"
    histories: tuple[Metric, ...] = ()
    history_log_x: bool = True
    value_labels: Mapping[float, str] = field(default_factory=_empty)
    value_format: str = "{:g}"
    plot_x: Callable[[float, Mapping[str, Any]], float] | None = None

    @property
    def presets(self) -> tuple[str, ...]:
        """The :data:`krosbl.presets.PRESETS` keys the algorithms use (spec §9), in order."""
        keys = [key for a in self.algorithms for key in a.preset_keys]
        return tuple(dict.fromkeys(keys))

    def algorithm(self, name: str) -> Algorithm:
        """The algorithm called ``name``.

        Parameters
        ----------
        name : str
            The algorithm's ``name`` (its label, e.g. ``"pc-krosbl-0.8"``, not its method).

        Returns
        -------
        Algorithm
            The first of :attr:`algorithms` with that name.

        Raises
        ------
        KeyError
            If the experiment has no such algorithm.
        """
        for algorithm in self.algorithms:
            if algorithm.name == name:
                return algorithm
        raise KeyError(name)

    @property
    def algorithm_names(self) -> tuple[str, ...]:
        """Names of all algorithms, in legend order."""
        return tuple(a.name for a in self.algorithms)

    def value_label(self, value: float) -> str:
        """How a sweep value is shown (its categorical label, else the number)."""
        if value in self.value_labels:
            return self.value_labels[value]
        return self.value_format.format(value)


@dataclass(frozen=True)
class TrialContext:
    """Everything one trial needs, as handed to an experiment's ``trial_function``.

    Parameters
    ----------
    experiment : Experiment
        The definition.
    settings : ExperimentSettings
        The resolved settings (sweep ``values`` and ``algorithms`` filled in).
    trial : int
        Trial index.
    seed_sequence : numpy.random.SeedSequence
        ``SeedSequence(settings.seed).spawn(...)[trial]``: the trial's only source of randomness.
    """

    experiment: Experiment
    settings: ExperimentSettings
    trial: int
    seed_sequence: np.random.SeedSequence

    @property
    def algorithms(self) -> tuple[Algorithm, ...]:
        """The selected algorithms, in the definition's order."""
        chosen = set(self.settings.algorithms or self.experiment.algorithm_names)
        return tuple(a for a in self.experiment.algorithms if a.name in chosen)

    def generators(self, n: int) -> list[np.random.Generator]:
        """``n`` independent generators: the trial seed sequence's first ``n`` children.

        Equal to ``seed_sequence.spawn(n)`` on a fresh sequence, but pure: calling it twice
        gives the same generators.
        """
        ss = self.seed_sequence
        return [
            np.random.default_rng(
                np.random.SeedSequence(
                    ss.entropy, spawn_key=(*ss.spawn_key, i), pool_size=ss.pool_size
                )
            )
            for i in range(n)
        ]


TrialFunction = Callable[[TrialContext], list[Row]]
