"""Coherence blocks of one IRS channel: the same angles, fresh gains (and patterns), one noise
variance, and their joint estimate (snapshots or tasks) against krosbl's solvers."""

from __future__ import annotations

import numpy as np
import pytest

import krosbl
from krosbl import irs

SMALL = irs.Scenario(n_ms=3, n_bs=4, n_irs=16, grid=8, spread=2, n_pilots=2, n_patterns=4)


@pytest.mark.parametrize("fresh", [False, True])
def test_blocks_share_the_angles_and_redraw_the_gains(fresh: bool) -> None:
    run = irs.Run(SMALL, seed=3)
    blocks = run.blocks(1, 3, fresh_patterns=fresh)
    assert blocks[0].y0.tobytes() == run.trial(1).y0.tobytes()  # block 0 is the trial
    again = irs.Run(SMALL, seed=3).blocks(1, 3, fresh_patterns=fresh)
    for a, b in zip(blocks, again):  # reproducible from the seed alone
        assert a.y0.tobytes() == b.y0.tobytes()
    first = blocks[0]
    for b in blocks[1:]:
        g, g0 = b.geometry, first.geometry
        assert (g.ms_departure, g.irs_arrival, g.irs_departure, g.bs_arrival) == (
            g0.ms_departure, g0.irs_arrival, g0.irs_departure, g0.bs_arrival,
        )  # fmt: skip
        np.testing.assert_array_equal(b.support, first.support)
        assert not np.allclose(b.z, first.z) and not np.allclose(g.irs_gains, g0.irs_gains)
        assert np.array_equal(b.patterns, first.patterns) != fresh
        np.testing.assert_allclose(b.y0, b.operator @ b.z.ravel(), atol=1e-12)


def test_observe_blocks_uses_one_noise_variance() -> None:
    blocks = irs.Run(SMALL, seed=4).blocks(0, 3)
    observations = irs.observe_blocks(blocks, 10.0, rng=0)
    power = np.mean([b.signal_power for b in blocks])
    assert {o.noise_var for o in observations} == {power / 10.0}
    noise = np.concatenate([o.y - b.y0 for o, b in zip(observations, blocks)])
    assert 0.8 < np.mean(np.abs(noise) ** 2) / (power / 10.0) < 1.2
    with pytest.raises(ValueError, match="non-empty"):
        irs.observe_blocks([], 10.0)


@pytest.mark.parametrize("fresh", [False, True])
def test_joint_estimate_is_the_snapshot_or_task_solve(fresh: bool) -> None:
    blocks = irs.Run(SMALL, seed=5).blocks(0, 3, fresh_patterns=fresh)
    observations = irs.observe_blocks(blocks, 15.0, rng=1)
    estimates = irs.estimate_joint(observations, "svd-krosbl", settings=None, max_iter=40)
    Y = np.column_stack([o.y for o in observations])
    if fresh:
        ops = [b.operator for b in blocks]
        direct = krosbl.recover_tasks(Y, ops, "svd-krosbl", observations[0].noise_var, max_iter=40)
    else:
        direct = krosbl.recover(
            Y, blocks[0].operator, "svd-krosbl", observations[0].noise_var, max_iter=40
        )
    for b, (est, block) in enumerate(zip(estimates, blocks)):
        np.testing.assert_array_equal(est.z.ravel(), direct.x[:, b])
        np.testing.assert_array_equal(est.H, block.rebuild(direct.x[:, b]))
        assert est.z_var is not None and est.z_var.shape == est.z.shape
        assert est.observation is observations[b]


def test_joint_estimate_refuses_what_it_cannot_join() -> None:
    blocks = irs.Run(SMALL, seed=6).blocks(0, 2)
    separate = [b.observe(10.0, rng=0) for b in blocks]  # each block at its own σ²
    with pytest.raises(ValueError, match="noise variances differ"):
        irs.estimate_joint(separate, "svd-krosbl")
    joint = irs.observe_blocks(blocks, 10.0, rng=0)
    with pytest.raises(ValueError, match="takes one measurement vector"):
        irs.estimate_joint(joint, "kron-omp")


def test_offgrid_joint_of_one_block_is_the_single_estimate() -> None:
    scenario = irs.Scenario(off_grid=0.5, n_patterns=12)
    blocks = irs.Run(scenario, seed=8).blocks(0, 1)
    obs = irs.observe_blocks(blocks, 20.0, rng=2)
    joint = irs.estimate_joint(obs, "offgrid")[0]
    single = irs.estimate(obs[0], "offgrid")
    for name in ("irs", "ms", "bs", "gains"):
        np.testing.assert_array_equal(getattr(joint.paths, name), getattr(single.paths, name))


def test_offgrid_joint_learns_the_angles_from_every_blocks_patterns() -> None:
    """``K2 = 6`` patterns per block do not resolve the IRS angles off the grid; four blocks of
    fresh patterns do (held-out NMSE, fresh patterns, noise-free)."""
    scenario = irs.Scenario(off_grid=0.5, n_patterns=6)
    blocks = irs.Run(scenario, seed=9).blocks(1, 4, fresh_patterns=True)
    obs = irs.observe_blocks(blocks, 60.0, rng=3)
    joint = irs.estimate_joint(obs, "offgrid")
    single = irs.estimate(obs[0], "offgrid")
    heldout = [irs.heldout_nmse(e, b, rng=5) for e, b in zip(joint, blocks)]
    assert max(heldout) < 1e-3, heldout
    assert irs.heldout_nmse(single, blocks[0], rng=5) > 100 * heldout[0]
    oracle = irs.estimate_joint(obs, "oracle-angles")  # each block on its own true angles
    assert [e.observation for e in oracle] == obs
