"""Off-grid refinement of 1-D line spectra (krosbl.linespectral), on its own.

Cell search of He & Joseph (arXiv:2412.00310) and Gauss-Newton on the variable-projection cost.
"""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import linespectral as ls
from krosbl.linespectral import fit_line_spectrum, least_squares_gains, refine_angles

GRID = 18
STEP = 2 / GRID


def ula(n: int):
    k = np.arange(n)

    def atoms(theta):
        return np.exp(1j * np.pi * np.outer(k, theta)) / np.sqrt(n)

    def derivative(theta):
        return 1j * np.pi * k[:, None] * atoms(theta)

    return atoms, derivative


def problem(rng: np.random.Generator, n_paths: int, offset: float = 0.5):
    """True angles ``offset`` cells at most from distinct grid points two cells apart or more."""
    cells = rng.choice(np.arange(0, GRID, 2), size=n_paths, replace=False)
    start = -1 + STEP * cells + STEP / 2  # keep away from the ±1 wrap
    theta = start + offset * STEP * rng.uniform(-1, 1, n_paths)
    gains = (0.5 + rng.random(n_paths)) * np.exp(2j * np.pi * rng.random(n_paths))
    return start, theta, gains


@pytest.mark.parametrize("n", [8, 16, 64, 256])
@pytest.mark.parametrize("n_paths", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_free_off_grid_angles_and_gains_are_recovered(n, n_paths, seed):
    atoms, derivative = ula(n)
    start, theta, gains = problem(np.random.default_rng(seed), n_paths)
    y = atoms(theta) @ gains
    fit = refine_angles(y, atoms, start, width=STEP, derivative=derivative)
    assert fit.converged
    np.testing.assert_allclose(fit.angles, theta, atol=1e-6, rtol=0)
    np.testing.assert_allclose(fit.gains, gains, rtol=1e-6)
    assert fit.residual_sq < 1e-20 * np.linalg.norm(y) ** 2


@pytest.mark.parametrize("n", [16, 256])
def test_cell_search_alone_is_limited_by_its_resolution(n):
    atoms, _ = ula(n)
    start, theta, gains = problem(np.random.default_rng(3), 2)
    fit = refine_angles(atoms(theta) @ gains, atoms, start, width=STEP)
    assert fit.newton_steps == 0 and fit.sweeps >= 1
    resolution = STEP / (9 * 2**9)
    assert np.max(np.abs(fit.angles - theta)) < 2 * resolution
    assert np.max(np.abs(fit.angles - theta)) < np.max(np.abs(start - theta)) / 100


def test_newton_alone_converges_from_inside_the_basin():
    atoms, derivative = ula(32)
    rng = np.random.default_rng(4)
    _, theta, gains = problem(rng, 3)
    start = theta + 0.1 / 32 * rng.uniform(-1, 1, 3)
    fit = refine_angles(atoms(theta) @ gains, atoms, start, derivative=derivative)
    assert fit.sweeps == 0 and fit.newton_steps >= 1 and fit.converged
    np.testing.assert_allclose(fit.angles, theta, atol=1e-10, rtol=0)


def test_newton_alone_misses_narrow_beams_that_the_cell_search_finds():
    """A 256-element atom is 2/256 wide: half a cell (1/18) away, the gradient is useless."""
    atoms, derivative = ula(256)
    start, theta, gains = problem(np.random.default_rng(5), 1, offset=0.4)
    theta = start + 0.4 * STEP
    y = atoms(theta) @ gains
    newton = refine_angles(y, atoms, start, derivative=derivative)
    both = refine_angles(y, atoms, start, width=STEP, derivative=derivative)
    assert abs(newton.angles[0] - theta[0]) > 1e-3
    assert abs(both.angles[0] - theta[0]) < 1e-10


def test_real_atoms():
    k = np.arange(12)

    def atoms(t):
        return np.cos(np.pi * np.outer(k, t))

    def derivative(t):
        return -np.pi * k[:, None] * np.sin(np.pi * np.outer(k, t))

    theta, gains = np.array([0.23, 0.61]), np.array([1.0, -0.7])
    fit = refine_angles(atoms(theta) @ gains, atoms, [0.2, 0.65], width=0.1, derivative=derivative)
    np.testing.assert_allclose(fit.angles, theta, atol=1e-9)
    np.testing.assert_allclose(fit.gains, gains, rtol=1e-9)
    assert np.isrealobj(fit.gains)


def test_noise_moves_the_angles_little():
    atoms, derivative = ula(64)
    rng = np.random.default_rng(6)
    start, theta, gains = problem(rng, 2)
    y = atoms(theta) @ gains
    y = y + 0.01 * (rng.standard_normal(y.size) + 1j * rng.standard_normal(y.size))
    fit = refine_angles(y, atoms, start, width=STEP, derivative=derivative)
    assert np.max(np.abs(fit.angles - theta)) < 1e-3
    np.testing.assert_allclose(fit.gains, least_squares_gains(y, atoms(fit.angles)))


def test_zero_measurements():
    atoms, derivative = ula(8)
    fit = refine_angles(np.zeros(8, complex), atoms, [0.1], width=STEP, derivative=derivative)
    assert fit.gains[0] == 0 and fit.residual_sq == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give width"),
        ({"width": 0.0}, "width must be non-negative"),
        ({"width": np.nan}, "width must be non-negative"),
        ({"width": 0.1, "angles": []}, "angles must be"),
        ({"width": 0.1, "angles": [np.inf]}, "angles must be"),
        ({"width": 0.1, "y": np.ones((2, 4, 1))}, "y must be a non-empty 1-D or 2-D array"),
        ({"width": 0.1, "y": np.ones(5)}, r"atoms\(angles\) must have shape \(5, 1\)"),
    ],
)
def test_bad_input(kwargs, match):
    atoms, _ = ula(4)
    args = {"y": np.ones(4), "angles": [0.1], **kwargs}
    y, angles = args.pop("y"), args.pop("angles")
    with pytest.raises(ValueError, match=match):
        refine_angles(y, atoms, angles, **args)


@pytest.mark.parametrize("n", [16, 64, 256])
@pytest.mark.parametrize("n_paths", [1, 2, 3])
def test_greedy_fit_detects_and_refines_from_a_grid(n, n_paths):
    atoms, derivative = ula(n)
    _, theta, gains = problem(np.random.default_rng(n + n_paths), n_paths)
    grid = np.linspace(-1, 1, 4 * n, endpoint=False)
    fit = fit_line_spectrum(atoms(theta) @ gains, atoms, grid, n_paths, derivative=derivative)
    order = np.argsort(fit.angles)
    np.testing.assert_allclose(fit.angles[order], np.sort(theta), atol=1e-6, rtol=0)
    np.testing.assert_allclose(fit.gains[order], gains[np.argsort(theta)], rtol=1e-6)


def test_greedy_fit_stops_when_everything_is_explained():
    atoms, derivative = ula(32)
    y = atoms(np.array([0.2345])) @ np.array([1.0 + 1.0j])
    grid = np.linspace(-1, 1, 128, endpoint=False)
    fit = fit_line_spectrum(y, atoms, grid, 3, derivative=derivative)
    assert fit.angles.size == 1 and fit.angles[0] == pytest.approx(0.2345, abs=1e-12)


def test_greedy_fit_accepts_a_precomputed_dictionary():
    atoms, derivative = ula(16)
    grid = np.linspace(-1, 1, 64, endpoint=False)
    y = atoms(np.array([-0.4321])) @ np.array([2.0])
    fit = fit_line_spectrum(y, atoms, grid, 1, derivative=derivative, dictionary=atoms(grid))
    assert fit.angles[0] == pytest.approx(-0.4321, abs=1e-12)
    with pytest.raises(ValueError, match=r"dictionary must have shape \(16, 64\)"):
        fit_line_spectrum(y, atoms, grid, 1, dictionary=atoms(grid[:10]))


@pytest.mark.parametrize(
    ("n_paths", "candidates", "match"),
    [(0, np.linspace(-1, 1, 8), "n_paths"), (1, [0.0], "at least two")],
)
def test_greedy_fit_bad_input(n_paths, candidates, match):
    atoms, _ = ula(4)
    with pytest.raises(ValueError, match=match):
        fit_line_spectrum(np.ones(4), atoms, candidates, n_paths, width=0.1)


def test_zero_width_leaves_an_angle_to_newton():
    atoms, derivative = ula(16)
    theta, gains = np.array([-0.3, 0.41]), np.array([1.0, 1.0j])
    start = np.array([-0.3 + 1e-3, 0.41 + 0.04])
    y = atoms(theta) @ gains
    cell_only = refine_angles(y, atoms, start, width=[0.0, 0.1])
    assert cell_only.angles[0] == start[0]  # not searched, no Newton
    both = refine_angles(y, atoms, start, width=[0.0, 0.1], derivative=derivative)
    np.testing.assert_allclose(both.angles, theta, atol=1e-10)


def _mixed(n: int, m: int, seed: int):
    """An array seen through a random ``m × n`` mixing, as an IRS factor through its patterns."""
    mix = np.random.default_rng(seed).standard_normal((m, n)) / np.sqrt(m)
    atoms, derivative = ula(n)
    return (lambda t: mix @ atoms(t)), (lambda t: mix @ derivative(t))


def test_one_column_is_the_vector_fit():
    atoms, derivative = ula(32)
    _, theta, gains = problem(np.random.default_rng(3), 2)
    y = atoms(theta) @ gains + 0.01 * np.random.default_rng(4).standard_normal(32)
    grid = np.linspace(-1, 1, 256, endpoint=False)
    vector = fit_line_spectrum(y, atoms, grid, 2, derivative=derivative)
    column = fit_line_spectrum(y[:, None], atoms, grid, 2, derivative=derivative)
    np.testing.assert_array_equal(column.angles, vector.angles)
    np.testing.assert_array_equal(column.gains[:, 0], vector.gains)
    assert column.residual_sq == vector.residual_sq


def test_tasks_share_angles_that_few_tasks_resolve_alone():
    """Three paths, each task sees 6 mixtures of a 32-element array (as an IRS factor through
    its patterns): eight tasks together find the angles to rounding without noise, one task
    alone mostly does not."""
    grid = np.linspace(-1, 1, 256, endpoint=False)
    alone_wrong = 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        _, theta, _ = problem(rng, 3)
        tasks = [_mixed(32, 6, 10 * seed + t) for t in range(8)]
        gains = rng.standard_normal((3, 8)) + 1j * rng.standard_normal((3, 8))
        Y = np.column_stack([a(theta) @ g for (a, _), g in zip(tasks, gains.T)])
        atoms, derivatives = [a for a, _ in tasks], [d for _, d in tasks]
        joint = fit_line_spectrum(Y, atoms, grid, 3, derivative=derivatives)
        order = np.argsort(joint.angles)
        np.testing.assert_allclose(joint.angles[order], np.sort(theta), atol=1e-8)
        np.testing.assert_allclose(joint.gains[order], gains[np.argsort(theta)], atol=1e-6)
        alone = fit_line_spectrum(Y[:, 0], atoms[0], grid, 3, derivative=derivatives[0])
        alone_wrong += np.max(np.abs(np.sort(alone.angles) - np.sort(theta))) > 1e-3
    assert alone_wrong >= 3


def test_columns_need_one_atoms_each():
    atoms, _ = ula(8)
    with pytest.raises(ValueError, match="one callable per column"):
        refine_angles(np.ones((8, 3), complex), [atoms, atoms], [0.1], width=STEP)


def _ula(n: int):
    k = np.arange(n)
    return (
        lambda t: np.exp(1j * np.pi * np.outer(k, t)) / np.sqrt(n),
        lambda t: 1j * np.pi * k[:, None] * np.exp(1j * np.pi * np.outer(k, t)) / np.sqrt(n),
    )


@pytest.mark.parametrize("known_noise", [True, False])
def test_the_number_of_paths_is_estimated(known_noise: bool) -> None:
    atoms, derivative = _ula(32)
    grid = np.linspace(-1, 1, 256, endpoint=False)
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(20):
        angles = np.array([-0.5, 0.1, 0.55]) + rng.uniform(-0.03, 0.03, 3)
        clean = atoms(angles) @ (np.array([1.0, 0.8, 0.6]) * np.exp(2j * np.pi * rng.random(3)))
        noise_var = 0.01 * np.mean(np.abs(clean) ** 2)  # 20 dB
        noise = np.sqrt(noise_var / 2) * (rng.standard_normal(32) + 1j * rng.standard_normal(32))
        fit = ls.fit_line_spectrum(
            clean + noise,
            atoms,
            grid,
            derivative=derivative,
            noise_var=noise_var if known_noise else None,
        )
        counts.append(fit.angles.size)
    assert counts.count(3) >= 18, counts


def test_noiseless_data_get_exactly_their_paths() -> None:
    atoms, derivative = _ula(24)
    y = atoms(np.array([0.2071, -0.33])) @ np.array([1.0, 0.5j])
    grid = np.linspace(-1, 1, 192, endpoint=False)
    fit = ls.fit_line_spectrum(y, atoms, grid, None, derivative=derivative)
    assert fit.angles.size == 2
    # without the derivative the cell search leaves an angle error of width/4608: not a path
    assert ls.fit_line_spectrum(y, atoms, grid).angles.size == 2


def test_the_path_count_criterion_is_djuric_s_rule() -> None:
    # unknown σ²: N log(‖r‖²/N) + P (T + 3/2) log N (Djurić)
    n, t = 16, 2
    expected = n * t * np.log(8.0 / (n * t)) + 3 * (t + 1.5) * np.log(n * t)
    assert ls.path_count_criterion(8.0, 3, n, t) == pytest.approx(expected)
    # known σ², one column: each path must also beat the 10⁻³ false-alarm level of the largest
    # of M exponential noise cells, log(M/10⁻³) = log(16000) = 9.68 > 2.5 log 16 = 6.93
    assert ls.path_count_criterion(8.0, 3, n, 1, 0.5) == pytest.approx(16 + 3 * np.log(16000))
    # long data: Djurić's penalty is the larger, 2.5 log 4000 = 20.7 > log(4·10⁶) = 15.2
    assert ls.path_count_criterion(8.0, 2, 4000, 1, 0.5) == pytest.approx(16 + 5 * np.log(4000))
    # P (2T + 1) < 2MT: at most 3 paths in 6 complex entries (9 < 12), 1 in 3, capped by max_paths
    assert ls.identifiable_paths(6) == 3 and ls.identifiable_paths(3) == 1
    assert ls.identifiable_paths(100, max_paths=5) == 5
