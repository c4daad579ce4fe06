"""The EM solvers against golden outputs stored from an earlier version of the engine.

``tests/data/golden/make_golden.py`` wrote them (run it again only to accept a deliberate
change of the results). Iteration and sweep counts and supports must match exactly; ``x``,
``σ²`` and the cost to ``1e-10``, or, in the few runs where one unit in the last place of
``y`` moves them more, to ten times that (the tolerance stored with each run). Runs where it
moves a count or the support are not stored.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

_SCRIPT = Path(__file__).parent / "data" / "golden" / "make_golden.py"


def _golden_module():
    spec = importlib.util.spec_from_file_location("make_golden", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_golden", module)
    spec.loader.exec_module(module)
    return module


golden = _golden_module()
CASES = list(golden.cases())
STORED = golden.load()


def _check(key: str, new: dict[str, np.ndarray], old: dict[str, np.ndarray]) -> None:
    assert set(new) == set(old) - {"rtol"}, key
    for field in golden.EXACT:
        if field in old:
            np.testing.assert_array_equal(new[field], old[field], err_msg=f"{key}: {field}")
    rtol = float(old["rtol"][0])
    scale = np.linalg.norm(old["x"])
    assert np.linalg.norm(new["x"] - old["x"]) <= rtol * scale, f"{key}: x"
    np.testing.assert_allclose(new["noise_var"], old["noise_var"], rtol=rtol, err_msg=key)
    atol = rtol * golden._cost_scale(old["cost"])
    np.testing.assert_allclose(new["cost"], old["cost"], rtol=0, atol=atol, err_msg=key)


def test_almost_every_case_is_stored() -> None:
    keys = {f"{golden.name(c)}#0" for c in CASES}
    assert len(keys & set(STORED)) >= 0.9 * len(keys)
    assert np.median([float(v["rtol"][0]) for v in STORED.values()]) == golden.RTOL


@pytest.mark.parametrize("method", list(golden.OPTIONS))
def test_golden_outputs(method: str) -> None:
    with threadpool_limits(1):
        for case in (c for c in CASES if c["method"] == method):
            key = golden.name(case)
            for b, outputs in enumerate(golden.solve(case)):
                if f"{key}#{b}" in STORED:
                    new = golden.unpack(*(np.asarray(p) for p in golden.pack(outputs)))
                    _check(f"{key}#{b}", new, STORED[f"{key}#{b}"])
