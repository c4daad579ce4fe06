"""Experiment definitions as data: what is swept, which algorithms run, how many trials.

An :class:`Experiment` is a frozen record; only its ``trial_function`` computes, one trial
(every sweep value and algorithm) from the trial's own :class:`numpy.random.SeedSequence`.
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

__all__ = ["Algorithm", "Experiment", "Metric", "Row", "TrialContext", "TrialCounts"]

#: One result row as a trial function returns it (the runner adds the bookkeeping columns).
Row = dict[str, Any]


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Algorithm:
    """One algorithm of an experiment and the preset rows its solver settings come from.

    The solver gets exactly ``presets.get(row, method)``; a variant of a method (e.g.
    PC-KroSBL with ``β = 0.5``) is a preset row of its own.

    Parameters
    ----------
    name : str
        Name in the results (``algorithm`` column), e.g. ``"pc-krosbl-0.8"``.
    method : str
        The krosbl method it runs (a ``krosbl.recover`` / ``krosbl.irs.estimate`` name).
    preset : str or None
        The :data:`krosbl.presets.PRESETS` row of its settings; ``None`` for the IRS module's
        own estimators (``"offgrid"``, ``"oracle-angles"``).
    preset_from : mapping of float to str
        Rows that replace ``preset`` from a sweep value upward: at value ``v`` the row of the
        largest threshold ``≤ v``, e.g. ``{25.0: "irs-high-snr"}``.
    plotted : bool
        Whether the figures show it (oracle LS is stored, not plotted).
    beyond_paper : bool
        Not one of the paper's algorithms (e.g. dKroSBL): its :attr:`label` says so, and it
        draws shared random quantities (the IRS symbol-error noise) from a stream of its own,
        leaving the paper's curves unchanged for the same seed.
    batched : bool
        Solve a trial's observations at every sweep value in one :func:`krosbl.recover_batch`
        call (same results to rounding; the IRS trials, where it pays).
    options : mapping of str to Any
        Keyword arguments of the IRS module's own estimators (e.g. ``n_paths`` of ``"offgrid"``).

    Examples
    --------
    >>> a = Algorithm("svd-krosbl", "svd-krosbl", "irs", preset_from={25.0: "irs-high-snr"})
    >>> a.preset_for(20.0), a.preset_for(25.0)
    ('irs', 'irs-high-snr')
    >>> Algorithm("dkrosbl", "dkrosbl", "irs", beyond_paper=True).label
    'dkrosbl (beyond the paper)'
    """

    name: str
    method: str
    preset: str | None
    preset_from: Mapping[float, str] = field(default_factory=_empty)
    plotted: bool = True
    beyond_paper: bool = False
    batched: bool = False
    options: Mapping[str, Any] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        object.__setattr__(self, "preset_from", MappingProxyType(dict(self.preset_from)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def label(self) -> str:
        """How legends and summary tables name it: ``name``, marked if beyond the paper."""
        return f"{self.name} (beyond the paper)" if self.beyond_paper else self.name

    def preset_for(self, value: float) -> str | None:
        """The preset row at sweep value ``value`` (``None``: the method takes no settings)."""
        key = self.preset
        for threshold in sorted(self.preset_from):
            if value >= threshold:
                key = self.preset_from[threshold]
        return key

    @property
    def preset_keys(self) -> tuple[str, ...]:
        """Every preset row the algorithm may use, ``preset`` first."""
        keys = [self.preset, *(self.preset_from[t] for t in sorted(self.preset_from))]
        return tuple(dict.fromkeys(k for k in keys if k is not None))

    def settings(self, value: float) -> SolverSettings | None:
        """``presets.get(row, method)`` at sweep value ``value`` (``None``: no preset row).

        Raises
        ------
        ValueError
            If the row has no settings for the method (or is not a preset).
        """
        key = self.preset_for(value)
        return None if key is None else presets.get(key, self.method)


@dataclass(frozen=True)
class TrialCounts:
    """Trial counts of an experiment: built-in default, ``--quick`` and ``--paper``."""

    default: int
    quick: int
    paper: int


@dataclass(frozen=True)
class Metric:
    """A result column summarised and plotted against the sweep axis (or the iteration).

    Parameters
    ----------
    column : str
        Column of the results table (``nmse``, ``srr``, ``ser``, ``time_s``, ``nmse_path``, ...).
    label : str
        Axis label.
    log : bool
        Whether the paper plots it on a log axis.
    reference : str or None
        A column drawn in the same figure as a dashed black line (its mean per sweep value),
        e.g. the true ``σ²`` beside the learned one; ``reference_label`` is its legend entry.
    statistic : {"mean", "median", "pooled"}
        What is plotted per sweep value (:func:`~krosbl.experiments.summarize`): the mean with
        its 95 % interval, the median, or the pooled ratio (``nmse`` only:
        ``Σ err_sq / Σ ref_sq`` over trials); it names the figure (:attr:`stem`).
    """

    column: str
    label: str
    log: bool = False
    reference: str | None = None
    reference_label: str = "reference"
    statistic: Literal["mean", "median", "pooled"] = "mean"

    @property
    def stem(self) -> str:
        """File name of its figure, without the extension."""
        return self.column if self.statistic == "mean" else f"{self.column}_{self.statistic}"


@dataclass(frozen=True)
class Experiment:
    """The definition of one experiment.

    Parameters
    ----------
    name, description, reproduces : str
        Command-line name (``"irs-snr"``), one line for ``krosbl list``, the paper's figure.
    axis, axis_label : str
        The swept quantity (the ``param`` column, e.g. ``"snr_db"``) and its axis label.
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
        ``"sweep"``: metrics against the sweep axis; ``"history"``: the list columns of
        ``histories`` against the iteration (``<column without _path>_history.png``), one
        panel per sweep value, on a log iteration axis if ``history_log_x``.
    value_labels : mapping
        Names of categorical sweep values (e.g. ``{0.0: "no pruning", 1.0: "pruning"}``);
        other values are shown with ``value_format`` (e.g. ``"M_1 = {:g}"``).
    plot_x : callable or None
        ``plot_x(value, settings_dict) -> float``: a sweep value's x coordinate in the figures
        (e.g. ``M_1`` to ``M/N``); ``None`` plots the value itself.
    panels : mapping of str to str
        Result columns that split the sweep into conditions, with their symbols, e.g.
        ``{"off_grid": "ρ", "n_patterns": "K2"}``: the summary has a row per condition, and
        each figure one panel per condition (rows: the first column's values).
    """

    name: str
    description: str
    reproduces: str
    axis: str
    axis_label: str
    algorithms: tuple[Algorithm, ...]
    trials: TrialCounts
    settings: type[ExperimentSettings]
    trial_function: Callable[[TrialContext], list[Row]]
    quick: Mapping[str, Any] = field(default_factory=_empty)
    metrics: tuple[Metric, ...] = ()
    kind: Literal["sweep", "history"] = "sweep"
    histories: tuple[Metric, ...] = ()
    history_log_x: bool = True
    value_labels: Mapping[float, str] = field(default_factory=_empty)
    value_format: str = "{:g}"
    plot_x: Callable[[float, Mapping[str, Any]], float] | None = None
    panels: Mapping[str, str] = field(default_factory=_empty)

    @property
    def presets(self) -> tuple[str, ...]:
        """The :data:`krosbl.presets.PRESETS` rows the algorithms use, in order."""
        return tuple(dict.fromkeys(key for a in self.algorithms for key in a.preset_keys))

    @property
    def algorithm_names(self) -> tuple[str, ...]:
        """Names of all algorithms, in legend order."""
        return tuple(a.name for a in self.algorithms)

    def algorithm(self, name: str) -> Algorithm:
        """The algorithm called ``name`` (its label, not its method); ``KeyError`` if none."""
        for algorithm in self.algorithms:
            if algorithm.name == name:
                return algorithm
        raise KeyError(name)

    def value_label(self, value: float) -> str:
        """How a sweep value is shown (its categorical label, else the number)."""
        return self.value_labels.get(value, self.value_format.format(value))


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
        """``n`` independent generators, the children ``seed_sequence.spawn(n)`` would give
        (pure: a second call gives the same generators)."""
        ss = self.seed_sequence
        return [
            np.random.default_rng(
                np.random.SeedSequence(
                    ss.entropy, spawn_key=(*ss.spawn_key, i), pool_size=ss.pool_size
                )
            )
            for i in range(n)
        ]
