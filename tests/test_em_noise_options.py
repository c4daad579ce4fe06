"""run_em's learned-noise options: the starting value and the floor."""

from __future__ import annotations

import numpy as np
import pytest

from krosbl.em import initial_noise_var, run_em
from krosbl.posterior import Posterior
from krosbl.priors import FlatPrior
from krosbl.updates import ClassicUpdate

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 10))
    x = np.zeros(10)
    x[[2, 7]] = [1.0, -2.0]
    return a @ x + 0.1 * rng.standard_normal(6), a


def _one_iteration(y: np.ndarray, a: np.ndarray, **kwargs: float) -> tuple[float, Posterior]:
    seen: list[Posterior] = []
    (out,) = run_em(
        y,
        a,
        FlatPrior(np.ones(10)),
        ClassicUpdate(),
        prune_ratios=None,
        prune_abs=0.0,
        tol=0.0,
        max_iter=1,
        noise_var=None,
        callback=lambda t, prior, post: seen.append(post),
        **kwargs,
    )
    return out.noise_var, seen[0]


@pytest.mark.parametrize("start", [None, 0.37])
def test_init_noise_var_is_the_first_e_steps_noise(start: float | None) -> None:
    y, a = _problem()
    sigma2, post = _one_iteration(y, a, init_noise_var=start)
    used = initial_noise_var(y) if start is None else start
    assert sigma2 == pytest.approx((post.residual_sq + used * post.dof) / len(y))


def test_noise_floor_bounds_the_start_and_every_update() -> None:
    y, a = _problem()
    floor = 5.0
    sigma2, post = _one_iteration(y, a, init_noise_var=1e-3, noise_floor=floor)
    assert sigma2 == pytest.approx(max((post.residual_sq + floor * post.dof) / len(y), floor))
    # Noise-free data: without a floor the learned σ² falls below 1e-4; with it, it stops there.
    rng = np.random.default_rng(1)
    a2 = rng.standard_normal((6, 10))
    x = np.zeros(10)
    x[[1, 4]] = [1.0, 0.5]
    learned = []
    for floor in (0.0, 1e-4):
        (out,) = run_em(
            a2 @ x,
            a2,
            FlatPrior(np.ones(10)),
            ClassicUpdate(),
            prune_ratios=(1e-3,),
            prune_abs=0.0,
            tol=1e-6,
            max_iter=200,
            noise_var=None,
            noise_floor=floor,
        )
        learned.append(out.noise_var)
    assert learned[0] < 1e-4
    assert learned[1] == 1e-4
