"""``krosbl solve`` as a user runs it: a real process on .npz and .mat files in a temporary
folder, its result file against ``krosbl.recover``, and every bad input as a one-line error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

import krosbl

KROSBL = str(Path(sys.executable).with_name("krosbl"))


def _solve(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KROSBL, "solve", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def _data(snapshots: int | None = None, complex_: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    factors = [rng.standard_normal((m, n)) for m, n in ((4, 6), (5, 7), (3, 5))]
    if complex_:
        factors = [f + 1j * rng.standard_normal(f.shape) for f in factors]
    x = np.kron(np.kron(np.eye(6)[1], np.eye(7)[[2, 3]].sum(0)), np.eye(5)[4])
    x = x[:, None] * rng.standard_normal((1, snapshots or 1))
    y = krosbl.Kron(factors) @ x + 0.01 * rng.standard_normal((60, snapshots or 1))
    return {"y": y if snapshots else y[:, 0], "A1": factors[0], "A2": factors[1], "A3": factors[2]}


def _assert_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("krosbl solve: error: "), done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("snapshots", [None, 3])
def test_solve_an_npz_equals_recover(tmp_path: Path, snapshots: int | None, is_complex) -> None:
    data = _data(snapshots, is_complex)
    np.savez(tmp_path / "data.npz", **data)
    settings = tmp_path / "my.toml"
    settings.write_text("max_iter = 60\nprune_ratio = 1e-3\n")
    out = tmp_path / "result.npz"
    done = _solve(
        tmp_path / "data.npz", "--y", "y", "--factors", "A1", "A2", "A3",
        "--method", "am-krosbl", "--noise-var", "1e-4", "--settings", settings, "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    saved = krosbl.Result.load(out)
    expected = krosbl.recover(
        data["y"], [data["A1"], data["A2"], data["A3"]], "am-krosbl", 1e-4,
        max_iter=60, prune_ratio=1e-3,
    )  # fmt: skip
    np.testing.assert_allclose(saved.x, expected.x, rtol=1e-12, atol=1e-14)
    assert saved.x.shape == ((210, snapshots) if snapshots else (210,))
    np.testing.assert_array_equal(saved.support, expected.support)
    assert saved.settings == expected.settings and saved.settings.max_iter == 60
    assert saved.n_iter == expected.n_iter and saved.noise_var == 1e-4
    assert f"iterations: {expected.n_iter}" in done.stdout and str(out) in done.stdout


def test_solve_a_mat_file_learning_the_noise(tmp_path: Path) -> None:
    data = _data()
    savemat(tmp_path / "data.mat", {**data, "y": data["y"][:, None]})  # a MATLAB column
    done = _solve("data.mat", "--y", "y", "--factors", "A1", "A2", "A3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = krosbl.Result.load(tmp_path / "data-svd-krosbl.npz")  # the default output
    expected = krosbl.recover(data["y"], [data["A1"], data["A2"], data["A3"]], "svd-krosbl")
    assert saved.noise_learned and saved.x.shape == (210,)
    np.testing.assert_allclose(saved.x, expected.x, rtol=1e-12, atol=1e-14)
    assert "(learned)" in done.stdout


def test_a_dense_dictionary_and_the_oracle_support(tmp_path: Path) -> None:
    data = _data()
    A = np.kron(np.kron(data["A1"], data["A2"]), data["A3"])
    support = np.flatnonzero(np.abs(krosbl.recover(data["y"], A, "sbl", 1e-4).x) > 0.1)
    np.savez(tmp_path / "d.npz", y=data["y"], A=A, s=support)
    out = tmp_path / "o.npz"
    done = _solve(tmp_path / "d.npz", "--y", "y", "--factors", "A", "--method", "oracle-ls",
                  "--support", "s", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(krosbl.Result.load(out).support, support)


@pytest.mark.slow
def test_bad_input_is_one_line_naming_the_problem(tmp_path: Path) -> None:
    data = _data()
    np.savez(tmp_path / "d.npz", **data)
    d = tmp_path / "d.npz"
    out = ("--out", tmp_path / "o.npz")
    _assert_error(_solve(d, "--y", "y", "--factors", "A1", "A9", *out), "no array 'A9'", "A1, A2")
    _assert_error(_solve(tmp_path / "none.npz", "--y", "y", "--factors", "A1"), "no such data")
    np.savez(tmp_path / "short.npz", **{**data, "y": data["y"][:-1]})
    _assert_error(
        _solve(tmp_path / "short.npz", "--y", "y", "--factors", "A1", "A2", "A3", *out),
        "length 59",
        "60 rows",
    )
    bad = data["y"].copy()
    bad[5] = np.inf
    np.savez(tmp_path / "inf.npz", **{**data, "y": bad})
    _assert_error(
        _solve(tmp_path / "inf.npz", "--y", "y", "--factors", "A1", "A2", "A3", *out), "inf"
    )
    args = (d, "--y", "y", "--factors", "A1", "A2", "A3", *out)
    _assert_error(_solve(*args, "--method", "nope"), "nope")
    toml = tmp_path / "bad.toml"
    toml.write_text("max_iter = \n")
    _assert_error(_solve(*args, "--settings", toml), "cannot read the settings file")
    toml.write_text("inner_tol = 1e-3\n")
    _assert_error(_solve(*args, "--settings", toml), "inner_tol")  # svd-krosbl does not read it
    done = _solve(*args, "--noise-var", "-1")
    assert done.returncode == 2 and "'learn'" in done.stderr


def test_a_matlab_v73_file_says_what_to_do(tmp_path: Path) -> None:
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Dec  7 2026 HDF5 schema"
    v73 = tmp_path / "big.mat"
    v73.write_bytes(header.ljust(116, b" ") + bytes(8) + b"\x00\x02IM" + bytes(512))
    done = _solve(v73, "--y", "y", "--factors", "A1", "A2")
    _assert_error(done, "MATLAB v7.3 (HDF5)", "'-v7'", ".npz")


def test_solve_needs_only_the_base_install(tmp_path: Path) -> None:
    from test_layers import base_krosbl

    np.savez(tmp_path / "d.npz", **_data())
    out = tmp_path / "o.npz"
    done = base_krosbl("solve", tmp_path / "d.npz", "--y", "y", "--factors", "A1", "A2", "A3",
                       "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert krosbl.Result.load(out).x.shape == (210,)
