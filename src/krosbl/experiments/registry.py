"""The experiments krosbl knows, by name."""

from __future__ import annotations

from types import MappingProxyType

from .definitions import Algorithm, Experiment, Metric, TrialCounts
from .errors import ExperimentError
from .trials import convergence, irs, synthetic

__all__ = ["EXPERIMENTS", "get_experiment", "list_experiments"]

_SYNTHETIC_ALGORITHMS = (
    Algorithm("sbl", "sbl"),
    Algorithm("am-krosbl", "am-krosbl"),
    Algorithm("svd-krosbl", "svd-krosbl"),
    Algorithm("ksbl", "ksbl"),
    Algorithm("kron-omp", "kron-omp"),
    Algorithm("oracle-ls", "oracle-ls", plotted=False),
)
_SBL_FAMILY = _SYNTHETIC_ALGORITHMS[:4]
_SYNTHETIC_METRICS = (
    Metric("nmse", "NMSE", log=True),
    Metric("srr", "support recovery rate"),
    Metric("time_s", "run time (s)", log=True),
)
# --quick sizes: N_i = 10 is the smallest Kronecker OMP's preset (s_i = 10 atoms) allows.
_TINY = MappingProxyType({"n": [10, 10, 10], "m": [4, 5, 6], "k": 2})
_TINY_14 = MappingProxyType({"n": [6, 6, 6], "m": [5, 5, 6], "k": 2})

_DEFINITIONS = (
    Experiment(
        name="synthetic-snr",
        description="NMSE, SRR and time vs SNR (M_1 = 8, K = 3), five algorithms + oracle LS",
        reproduces="Fig. 3 (a), spec §7.1",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.SnrSettings,
        presets=("synthetic",),
        trial_function=synthetic.snr_trial,
        quick={**_TINY, "values": [10.0, 30.0]},
        metrics=_SYNTHETIC_METRICS,
    ),
    Experiment(
        name="synthetic-measurements",
        description="NMSE, SRR and time vs M_1 (K = 3, 25 dB; σ² from the 14-row A_1)",
        reproduces="Fig. 3 (b), spec §7.1 (R5)",
        axis="m1",
        axis_label="measurement ratio M_1 M_2 M_3 / N³",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.MeasurementsSettings,
        presets=("synthetic",),
        trial_function=synthetic.measurements_trial,
        quick={**_TINY, "m": [6, 5, 6], "values": [4, 6]},
        metrics=_SYNTHETIC_METRICS,
        plot_x=synthetic.measurements_x,
    ),
    Experiment(
        name="synthetic-sparsity",
        description="NMSE, SRR and time vs K (M_1 = 8, 25 dB; nested supports)",
        reproduces="Fig. 3 (c), spec §7.1 (R6)",
        axis="k",
        axis_label="non-zeros per factor K",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.SparsitySettings,
        presets=("synthetic",),
        trial_function=synthetic.sparsity_trial,
        quick={"n": [10, 10, 10], "m": [4, 5, 6], "values": [1, 2]},
        metrics=_SYNTHETIC_METRICS,
    ),
    Experiment(
        name="convergence",
        description="NMSE of the E-step mean and cost per iteration, without / with pruning",
        reproduces="Fig. 2, spec §7.2 (R8)",
        axis="pruning",
        axis_label="pruning",
        algorithms=_SBL_FAMILY,
        trials=TrialCounts(default=1, quick=1, paper=1),
        settings=convergence.ConvergenceSettings,
        presets=tuple(convergence.CONVERGENCE_PRESETS.values()),
        trial_function=convergence.convergence_trial,
        quick=_TINY_14,
        metrics=(
            Metric("nmse", "final NMSE", log=True),
            Metric("time_s", "run time (s)", log=True),
        ),
        kind="history",
        value_labels={0.0: "no pruning", 1.0: "pruning"},
    ),
    Experiment(
        name="unknown-noise",
        description="convergence with known vs learned noise variance (block-sparse x)",
        reproduces="Fig. 4, spec §7.3",
        axis="learned_noise",
        axis_label="noise variance",
        algorithms=_SBL_FAMILY,
        trials=TrialCounts(default=1, quick=1, paper=1),
        settings=convergence.UnknownNoiseSettings,
        presets=tuple(convergence.NOISE_PRESETS.values()),
        trial_function=convergence.unknown_noise_trial,
        quick=_TINY_14,
        metrics=(Metric("nmse", "final NMSE", log=True), Metric("noise_var", "σ²", log=True)),
        kind="history",
        value_labels={0.0: "known σ²", 1.0: "learned σ²"},
    ),
    Experiment(
        name="irs-snr",
        description="IRS-MIMO channel NMSE, SER and run time vs SNR, six estimators",
        reproduces="Fig. 6-8, spec §8",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=(
            Algorithm("svd-krosbl", "svd-krosbl"),
            Algorithm("am-krosbl", "am-krosbl"),
            Algorithm("pc-sbl", "pc-sbl"),
            Algorithm("pc-krosbl-0.8", "pc-krosbl", MappingProxyType({"beta": 0.8})),
            Algorithm("pc-krosbl-0.5", "pc-krosbl", MappingProxyType({"beta": 0.5})),
            Algorithm("sbl", "sbl"),
        ),
        trials=TrialCounts(default=16, quick=1, paper=50),
        settings=irs.IrsSettings,
        presets=("irs", "irs-high-snr"),
        trial_function=irs.irs_trial,
        quick={
            "n_ms": 3,
            "n_bs": 4,
            "n_irs": 32,
            "grid": 8,
            "spread": 2,
            "n_pilots": 2,
            "n_patterns": 3,
            "values": [10.0, 20.0],
            "n_symbols": 2000,
        },
        metrics=(
            Metric("nmse", "channel NMSE", log=True),
            Metric("ser", "symbol error rate", log=True),
            Metric("time_s", "run time (s)", log=True),
        ),
    ),
)

#: All experiments by name (read-only).
EXPERIMENTS: MappingProxyType[str, Experiment] = MappingProxyType({e.name: e for e in _DEFINITIONS})


def list_experiments() -> list[Experiment]:
    """All experiment definitions, in the order ``krosbl list`` shows them."""
    return list(EXPERIMENTS.values())


def get_experiment(name: str) -> Experiment:
    """The definition of experiment ``name``.

    Raises
    ------
    ExperimentError
        If there is no such experiment (the message lists the valid names).
    """
    try:
        return EXPERIMENTS[name]
    except (KeyError, TypeError):
        raise ExperimentError(
            f"unknown experiment {name!r}; valid experiments: {', '.join(EXPERIMENTS)}"
        ) from None
