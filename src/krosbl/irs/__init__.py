"""IRS-MIMO uplink channel estimation (He & Joseph, IEEE TSP 2024, Section VI).

A mobile station (``N_m`` antennas) sends pilots ``X`` through an intelligent reflecting
surface (``L`` elements, a uniform linear array) to a base station (``N_b`` antennas), once per
IRS phase pattern ``ψ_k``. On an angular grid of ``G`` points the ``K2·K1·N_b`` measurements are
``y = (F1 ⊗ F2 ⊗ F3) z + n`` with a sparse angular channel ``z`` of shape ``(G, G, G)``, so
the Kronecker solvers of :mod:`krosbl` apply. The model is stated in docs/theory.md, section
"IRS-MIMO channel estimation", and the simulation in docs/irs.md.

Examples
--------
>>> import numpy as np
>>> from krosbl import irs
>>> run = irs.Run(irs.Scenario.paper(), seed=7)
>>> trial = run.trial(0)
>>> obs = trial.observe(snr_db=12, rng=np.random.default_rng(0))
>>> est = irs.estimate(obs, method="pc-krosbl", beta=0.8)
>>> nmse = irs.channel_nmse(est, trial)
"""

from krosbl.irs.arrays import array_dictionary, array_response, grid_angles, wrap_angles
from krosbl.irs.channel import cascaded_channels, physical_channels, redraw_weak_patterns
from krosbl.irs.estimate import (
    Estimate,
    estimate,
    estimate_batch,
    estimate_joint,
    irs_methods,
    irs_settings,
)
from krosbl.irs.factors import (
    Factors,
    build_factors,
    pattern_atoms,
    pattern_factor,
    pilot_atoms,
    pilot_factor,
    rebuild_channels,
)
from krosbl.irs.geometry import (
    Geometry,
    PathAngles,
    angular_channel,
    angular_support,
    draw_geometry,
)
from krosbl.irs.metrics import channel_nmse, heldout_nmse, paths_of, pooled_nmse
from krosbl.irs.offsbl import OffSBLFit, offsbl_estimate
from krosbl.irs.offsbl_scenario import OffSBLScenario, OffSBLTrial
from krosbl.irs.paths import Paths, true_paths
from krosbl.irs.run import Run
from krosbl.irs.scenario import Scenario
from krosbl.irs.ser import QPSK, draw_symbols, qpsk_ser, symbol_error_rate
from krosbl.irs.system import Measurement, System
from krosbl.irs.training import draw_patterns, draw_pilots
from krosbl.irs.trial import Observation, Trial, observe_blocks, simulate_trial

__all__ = [
    "QPSK",
    "Estimate",
    "Factors",
    "Geometry",
    "Measurement",
    "Observation",
    "OffSBLFit",
    "OffSBLScenario",
    "OffSBLTrial",
    "PathAngles",
    "Paths",
    "Run",
    "Scenario",
    "System",
    "Trial",
    "angular_channel",
    "angular_support",
    "array_dictionary",
    "array_response",
    "build_factors",
    "cascaded_channels",
    "channel_nmse",
    "draw_geometry",
    "draw_patterns",
    "draw_pilots",
    "draw_symbols",
    "estimate",
    "estimate_batch",
    "estimate_joint",
    "grid_angles",
    "heldout_nmse",
    "irs_methods",
    "irs_settings",
    "observe_blocks",
    "offsbl_estimate",
    "paths_of",
    "pattern_atoms",
    "pattern_factor",
    "physical_channels",
    "pilot_atoms",
    "pilot_factor",
    "pooled_nmse",
    "qpsk_ser",
    "rebuild_channels",
    "redraw_weak_patterns",
    "simulate_trial",
    "symbol_error_rate",
    "true_paths",
    "wrap_angles",
]
