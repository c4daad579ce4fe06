"""The experiments krosbl knows, by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from krosbl.irs.estimate import HIGH_SNR_DB

from .definitions import Algorithm, Experiment, Metric, TrialCounts
from .errors import ExperimentError
from .trials import convergence, irs, irs_blocks, irs_offgrid, irs_offsbl, rank, synthetic

__all__ = ["EXPERIMENTS", "get_experiment", "list_experiments"]

_SBL_METHODS = ("sbl", "am-krosbl", "svd-krosbl", "ksbl")


def _same_preset(methods: tuple[str, ...], preset: str) -> tuple[Algorithm, ...]:
    return tuple(Algorithm(m, m, preset) for m in methods)


def _by_variant(presets: Mapping[int, str]) -> tuple[Algorithm, ...]:
    """The four SBL methods with preset ``presets[0]`` at variant 0 and ``presets[1]`` at 1."""
    return tuple(Algorithm(m, m, presets[0], preset_from={1.0: presets[1]}) for m in _SBL_METHODS)


def _dkrosbl(preset: str) -> Algorithm:
    """dKroSBL (He & Joseph, arXiv:2310.07869), beside the paper's curves where the signal is
    rank one; an IRS trial solves its SNRs in one batch (docs/performance.md)."""
    return Algorithm("dkrosbl", "dkrosbl", preset, beyond_paper=True, batched=True)


def _offgrid(name: str, **options: object) -> Algorithm:
    """The off-grid estimator (beyond the paper) with options of its own."""
    return Algorithm(name, "offgrid", None, beyond_paper=True, options=options)


_TIME = Metric("time_s", "run time (s)", log=True)
_FINAL_NMSE = Metric("nmse", "final NMSE", log=True)
_SYNTHETIC_ALGORITHMS = (
    *_same_preset((*_SBL_METHODS, "kron-omp"), "synthetic"),
    _dkrosbl("synthetic"),
    Algorithm("oracle-ls", "oracle-ls", "synthetic", plotted=False),
)
_SYNTHETIC_METRICS = (
    Metric("nmse", "NMSE", log=True),
    Metric("srr", "support recovery rate"),
    _TIME,
)
_IRS_QUICK = MappingProxyType(
    {
        "n_ms": 3,
        "n_bs": 4,
        "n_irs": 32,
        "grid": 8,
        "spread": 2,
        "n_pilots": 2,
        "values": [10.0, 20.0],
        "n_symbols": 2000,
    }
)
_PATHS = (
    Metric("nmse_path", "NMSE of the E-step mean", log=True),
    Metric("cost_path", "cost L(γ)"),
)
# --quick sizes: N_i = 10 is the smallest Kronecker OMP's preset (s_i = 10 atoms) allows.
_TINY = MappingProxyType({"n": [10, 10, 10], "m": [4, 5, 6], "k": 2})
_TINY_14 = MappingProxyType({"n": [6, 6, 6], "m": [5, 5, 6], "k": 2})

_DEFINITIONS = (
    Experiment(
        name="synthetic-snr",
        description="NMSE, SRR and time vs SNR (M_1 = 8, K = 3), five algorithms + oracle LS",
        reproduces="Fig. 3 (a)",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.SnrSettings,
        trial_function=synthetic.snr_trial,
        quick={**_TINY, "values": [10.0, 30.0]},
        metrics=_SYNTHETIC_METRICS,
    ),
    Experiment(
        name="synthetic-measurements",
        description="NMSE, SRR and time vs M_1 (K = 3, 25 dB; σ² from the 14-row A_1)",
        reproduces="Fig. 3 (b), departure R5 of docs/reproduction.md",
        axis="m1",
        axis_label="measurement ratio M_1 M_2 M_3 / N³",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.MeasurementsSettings,
        trial_function=synthetic.measurements_trial,
        quick={**_TINY, "m": [6, 5, 6], "values": [4, 6]},
        metrics=_SYNTHETIC_METRICS,
        plot_x=synthetic.measurements_x,
    ),
    Experiment(
        name="synthetic-sparsity",
        description="NMSE, SRR and time vs K (M_1 = 8, 25 dB; nested supports)",
        reproduces="Fig. 3 (c), departure R6 of docs/reproduction.md",
        axis="k",
        axis_label="non-zeros per factor K",
        algorithms=_SYNTHETIC_ALGORITHMS,
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.SparsitySettings,
        trial_function=synthetic.sparsity_trial,
        quick={"n": [10, 10, 10], "m": [4, 5, 6], "values": [1, 2]},
        metrics=_SYNTHETIC_METRICS,
    ),
    Experiment(
        name="convergence",
        description="NMSE of the E-step mean and cost per iteration, without / with pruning",
        reproduces="Fig. 2, departure R8 of docs/reproduction.md",
        axis="pruning",
        axis_label="pruning",
        algorithms=_by_variant(convergence.CONVERGENCE_PRESETS),
        trials=TrialCounts(default=1, quick=1, paper=1),
        settings=convergence.ConvergenceSettings,
        trial_function=convergence.convergence_trial,
        quick=_TINY_14,
        metrics=(_FINAL_NMSE, _TIME),
        kind="history",
        histories=_PATHS,
        value_labels={0.0: "no pruning", 1.0: "pruning"},
    ),
    Experiment(
        name="unknown-noise",
        description="convergence with known vs learned noise variance (block-sparse x)",
        reproduces="Fig. 4",
        axis="learned_noise",
        axis_label="noise variance",
        algorithms=_by_variant(convergence.NOISE_PRESETS),
        trials=TrialCounts(default=1, quick=1, paper=1),
        settings=convergence.UnknownNoiseSettings,
        trial_function=convergence.unknown_noise_trial,
        quick=_TINY_14,
        metrics=(_FINAL_NMSE, Metric("noise_var", "σ²", log=True)),
        kind="history",
        histories=_PATHS,
        value_labels={0.0: "known σ²", 1.0: "learned σ²"},
    ),
    Experiment(
        name="synthetic-unknown-noise-measurements",
        description="NMSE, SRR, time and learned σ² vs M_1, every method learning σ² (25 dB)",
        reproduces="Fig. 5, departure R5 of docs/reproduction.md",
        axis="m1",
        axis_label="measurement ratio M_1 M_2 M_3 / N³",
        algorithms=(
            *_same_preset(_SBL_METHODS, "learned-noise-measurements"),
            _dkrosbl("learned-noise-measurements"),
        ),
        trials=TrialCounts(default=10, quick=2, paper=200),
        settings=synthetic.MeasurementsSettings,
        trial_function=synthetic.learned_noise_measurements_trial,
        quick={**_TINY, "m": [6, 5, 6], "values": [4, 6]},
        metrics=(
            *_SYNTHETIC_METRICS,
            Metric(
                "noise_var",
                "σ² learned (dashed: true)",
                log=True,
                reference="true_noise_var",
                reference_label="true σ²",
            ),
        ),
        plot_x=synthetic.measurements_x,
    ),
    Experiment(
        name="rank",
        description="rank of Λ and of the second-stage SVD matrix per iteration, noiseless",
        reproduces="the paper's rank study",
        axis="m1",
        axis_label="M_1",
        algorithms=_same_preset(("am-krosbl", "svd-krosbl", "sbl"), "rank"),
        trials=TrialCounts(default=1, quick=1, paper=1),
        settings=rank.RankSettings,
        trial_function=rank.rank_trial,
        quick={**_TINY_14, "values": [4, 5]},
        metrics=(Metric("rank", "final rank (larger of the two stages)"), _FINAL_NMSE, _TIME),
        kind="history",
        histories=(
            Metric("rank_path", "rank: max(rank Λ, rank of stage-2 matrix)"),
            Metric("nmse_path", "NMSE of the E-step mean", log=True),
        ),
        history_log_x=False,
        value_format="M_1 = {:g}",
    ),
    Experiment(
        name="irs-snr",
        description="IRS-MIMO channel NMSE, SER and run time vs SNR, six estimators",
        reproduces="Figs. 6–8",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=(
            # SVD-KroSBL prunes relatively from 25 dB ("irs-high-snr"; krosbl.irs.irs_settings)
            Algorithm("svd-krosbl", "svd-krosbl", "irs", {HIGH_SNR_DB: "irs-high-snr"}),
            Algorithm("am-krosbl", "am-krosbl", "irs"),
            Algorithm("pc-sbl", "pc-sbl", "irs"),
            Algorithm("pc-krosbl-0.8", "pc-krosbl", "irs"),
            Algorithm("pc-krosbl-0.5", "pc-krosbl", "irs-beta-0.5"),
            Algorithm("sbl", "sbl", "irs"),
            _dkrosbl("irs"),
        ),
        trials=TrialCounts(default=16, quick=1, paper=50),
        settings=irs.IrsSettings,
        trial_function=irs.irs_trial,
        quick={**_IRS_QUICK, "n_patterns": 3},
        metrics=(
            Metric("nmse", "channel NMSE", log=True),
            Metric("ser", "symbol error rate", log=True),
            _TIME,
        ),
    ),
    Experiment(
        name="irs-offgrid",
        description="IRS channels off the grid: training and held-out NMSE, SER vs SNR per ρ, K2",
        reproduces="beyond the paper: off-grid angles (arXiv 2412.00310)",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=(
            Algorithm("pc-krosbl-0.8", "pc-krosbl", "irs"),
            Algorithm("svd-krosbl", "svd-krosbl", "irs", {HIGH_SNR_DB: "irs-high-snr"}),
            _dkrosbl("irs"),
            _offgrid("offgrid"),
            _offgrid("offgrid-3-1-3", n_paths=(3, 1, 3)),
            _offgrid("offgrid-snapped", snap_to_grid=True),
            Algorithm("oracle-angles", "oracle-angles", None, beyond_paper=True),
        ),
        trials=TrialCounts(default=16, quick=1, paper=50),
        settings=irs_offgrid.OffgridSettings,
        trial_function=irs_offgrid.offgrid_trial,
        quick={**_IRS_QUICK, "n_patterns": [4, 12], "heldout_patterns": 20},
        metrics=(
            Metric("nmse", "training NMSE (mean over patterns, the paper's)", log=True),
            Metric("nmse", "training NMSE (pooled over trials)", log=True, statistic="pooled"),
            Metric("heldout_nmse", "held-out NMSE (fresh patterns)", log=True),
            Metric("ser", "symbol error rate", log=True),
            _TIME,
        ),
        panels={"off_grid": "ρ", "n_patterns": "K2"},
    ),
    Experiment(
        name="irs-blocks",
        description="IRS channels in several coherence blocks: joint against independent NMSE",
        reproduces="beyond the paper: shared angles over coherence blocks (M-SBL, multi-task)",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=(
            Algorithm("svd-krosbl", "svd-krosbl", "irs"),
            Algorithm("svd-krosbl-joint", "svd-krosbl", "irs", beyond_paper=True),
            Algorithm("am-krosbl", "am-krosbl", "irs"),
            Algorithm("am-krosbl-joint", "am-krosbl", "irs", beyond_paper=True),
            Algorithm("dkrosbl", "dkrosbl", "irs", beyond_paper=True),
            Algorithm("dkrosbl-joint", "dkrosbl", "irs", beyond_paper=True),
        ),
        trials=TrialCounts(default=16, quick=1, paper=50),
        settings=irs_blocks.BlocksSettings,
        trial_function=irs_blocks.blocks_trial,
        quick={**_IRS_QUICK, "n_patterns": 3, "blocks": 2},
        metrics=(
            Metric("nmse", "channel NMSE (mean over blocks)", log=True),
            Metric(
                "nmse", "channel NMSE (pooled over blocks and trials)", log=True, statistic="pooled"
            ),
            Metric("time_s", "run time of all blocks (s)", log=True),
        ),
        panels={"fresh_patterns": "fresh patterns"},
    ),
    Experiment(
        name="irs-offsbl",
        description="the authors' off-grid IRS system: training and held-out NMSE, time vs SNR",
        reproduces="the channel-estimation comparison of arXiv 2412.00310 (offSBL)",
        axis="snr_db",
        axis_label="SNR (dB)",
        algorithms=(
            Algorithm("offsbl", "offsbl", None),
            _offgrid("offgrid"),
            _offgrid("offgrid-3-1-1", n_paths=(3, 1, 1)),
            Algorithm("dkrosbl", "dkrosbl", "irs", beyond_paper=True),
            Algorithm("oracle-angles", "oracle-angles", None, beyond_paper=True),
        ),
        trials=TrialCounts(default=8, quick=1, paper=50),
        settings=irs_offsbl.OffSBLSettings,
        trial_function=irs_offsbl.offsbl_trial,
        quick={
            "n_irs": 32,
            "n_patterns": 8,
            "n_pilots": 6,
            "grid": 12,
            "heldout_patterns": 8,
            "values": [0.0, 20.0],
        },
        metrics=(
            Metric("nmse", "training NMSE (mean over patterns, the authors')", log=True),
            Metric("nmse", "training NMSE (pooled over trials)", log=True, statistic="pooled"),
            Metric("heldout_nmse", "held-out NMSE (fresh patterns)", log=True),
            _TIME,
        ),
    ),
)

#: All experiments by name (read-only).
EXPERIMENTS: MappingProxyType[str, Experiment] = MappingProxyType({e.name: e for e in _DEFINITIONS})


def list_experiments() -> list[Experiment]:
    """All experiment definitions, in the order ``krosbl list`` shows them.

    Returns
    -------
    list of Experiment
        The values of :data:`EXPERIMENTS`, in definition order (a new list on every call).
    """
    return list(EXPERIMENTS.values())


def get_experiment(name: str) -> Experiment:
    """The definition of experiment ``name``.

    Parameters
    ----------
    name : str
        Command-line name of the experiment, a key of :data:`EXPERIMENTS` (e.g. ``"irs-snr"``).

    Returns
    -------
    Experiment
        The definition registered under ``name``.

    Raises
    ------
    ExperimentError
        If there is no such experiment, or ``name`` is not hashable (the message lists the
        valid names).
    """
    try:
        return EXPERIMENTS[name]
    except (KeyError, TypeError):
        raise ExperimentError(
            f"unknown experiment {name!r}; valid experiments: {', '.join(EXPERIMENTS)}"
        ) from None
