"""Result.save / Result.load: an exact round trip through .npz, without pickle."""

from __future__ import annotations

import json
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl.resultfile import FORMAT_VERSION, ResultFileError

METHODS = ["sbl", "pc-sbl", "am-krosbl", "svd-krosbl", "pc-krosbl", "ksbl", "dkrosbl"]
METHODS += ["kron-omp", "omp", "oracle-ls"]


def _assert_identical(a: Any, b: Any, where: str) -> None:
    """Equal values of equal types; arrays bit for bit with the same dtype and shape."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            _assert_identical(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def _problem(is_complex: bool):
    rng = np.random.default_rng(7)
    factors = random_factors(rng, (5, 6), (7, 8), is_complex)
    x = kron_sparse(rng, (7, 8), 2, is_complex)
    y = krosbl.Kron(factors) @ x + 0.01 * rng.standard_normal(30)
    return y, factors, np.flatnonzero(x)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_round_trips_exactly(method: str, is_complex: bool, tmp_path: Path) -> None:
    y, factors, support = _problem(is_complex)
    A = factors if method not in ("sbl", "pc-sbl", "omp", "oracle-ls") else krosbl.Kron(factors)
    kw: dict[str, Any] = {"support": support} if method == "oracle-ls" else {}
    noise_var = None if method in ("am-krosbl", "sbl") else 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # dKroSBL: "y does not look rank one"
        result = krosbl.recover(y, A, method, noise_var, record_history=method == "sbl", **kw)
    path = result.save(tmp_path / "result")
    assert path == tmp_path / "result.npz"
    loaded = krosbl.Result.load(path)
    for field in fields(krosbl.Result):
        _assert_identical(getattr(result, field.name), getattr(loaded, field.name), field.name)
    with np.load(path, allow_pickle=False) as archive:  # a plain archive, readable anywhere
        assert np.array_equal(archive["x"], result.x)


def test_a_newer_format_is_refused_naming_the_version(tmp_path: Path) -> None:
    result = krosbl.recover(np.ones(4), [np.eye(2), np.eye(2)], "svd-krosbl", 1e-2)
    path = result.save(tmp_path / "r.npz")
    with np.load(path) as archive:
        entries = {k: archive[k] for k in archive.files}
    meta = json.loads(str(entries["krosbl_result"]))
    meta.update(format_version=FORMAT_VERSION + 1, krosbl_version="9.0")
    entries["krosbl_result"] = np.array(json.dumps(meta))
    np.savez(path, **entries)
    with pytest.raises(ResultFileError, match=r"krosbl 9\.0 in result format 2.*upgrade krosbl"):
        krosbl.Result.load(path)


def test_files_that_are_not_results(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", y=np.ones(3))
    with pytest.raises(ResultFileError, match="not a krosbl result"):
        krosbl.Result.load(tmp_path / "other.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ResultFileError, match=r"not a \.npz file"):
        krosbl.Result.load(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError):
        krosbl.Result.load(tmp_path / "missing.npz")
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, krosbl_result=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ResultFileError):  # object arrays would need pickle: never loaded
        krosbl.Result.load(pickled)
