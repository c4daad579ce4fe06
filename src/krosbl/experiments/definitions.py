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
    """One algorithm of an experiment and where its solver settings come from.

    Parameters
    ----------
    name : str
        Label in the results (``algorithm`` column) and in legends, e.g. ``"pc-krosbl-0.8"``.
    method : str
        The krosbl method it runs (``krosbl.recover`` / ``krosbl.irs.estimate`` name).
    options : mapping
        Extra keyword arguments of the method (e.g. ``{"beta": 0.5}``).
    plotted : bool
        Whether the figures show it (oracle LS is computed but not plotted, spec §7.1).
    """

    name: str
    method: str
    options: Mapping[str, Any] = field(default_factory=_empty)
    plotted: bool = True


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
    """

    column: str
    label: str
    log: bool = False


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
    presets : tuple of str
        The :mod:`krosbl.presets` experiment keys its solvers use (spec §9); the trial function
        takes every solver setting from them, and the results' fingerprint records them.
    trial_function : callable
        ``trial_function(ctx) -> list[Row]``; runs one trial (all sweep values and algorithms).
    quick : mapping
        Setting overrides applied by ``--quick`` (a tiny version for CI).
    metrics : tuple of Metric
        The quantities summarised and plotted.
    kind : {"sweep", "history"}
        ``"sweep"``: metrics against the sweep axis; ``"history"``: per-iteration paths
        (columns ``nmse_path`` / ``cost_path``), one panel per sweep value.
    value_labels : mapping
        Names of categorical sweep values (e.g. ``{0.0: "no pruning", 1.0: "pruning"}``).
    plot_x : callable or None
        ``plot_x(value, settings_dict) -> float`` maps a sweep value to the figure's x
        coordinate (e.g. ``M_1`` to ``M/N``); ``None`` plots the value itself.
    """

    name: str
    description: str
    reproduces: str
    axis: str
    axis_label: str
    algorithms: tuple[Algorithm, ...]
    trials: TrialCounts
    settings: type[ExperimentSettings]
    presets: tuple[str, ...]
    trial_function: TrialFunction
    quick: Mapping[str, Any] = field(default_factory=_empty)
    metrics: tuple[Metric, ...] = ()
    kind: Literal["sweep", "history"] = "sweep"
    value_labels: Mapping[float, str] = field(default_factory=_empty)
    plot_x: Callable[[float, Mapping[str, Any]], float] | None = None

    def algorithm(self, name: str) -> Algorithm:
        """The algorithm called ``name``.

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
        return f"{value:g}"


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
