"""Golden outputs of the EM solvers, stored before a change of the engine to hold it to them.

``python tests/data/golden/make_golden.py`` solves every case of :func:`cases` (small
fixed-seed problems: each EM method × known/learned noise × 1–4 factors × its options × real
and complex, through ``krosbl.recover``, ``krosbl.recover_tasks`` and ``krosbl.recover_batch``)
and writes ``golden.npz`` beside this file. ``tests/test_golden.py`` solves the same cases
with the code under test and compares. Importing this module solves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import krosbl
from krosbl import Kron

HERE = Path(__file__).parent
GOLDEN = HERE / "golden.npz"

#: ``(out_shape, in_shape)`` for 1–4 factors.
SHAPES = {
    1: ((12,), (20,)),
    2: ((4, 4), (6, 5)),
    3: ((3, 3, 4), (4, 3, 5)),
    4: ((2, 2, 3, 3), (3, 2, 3, 3)),
}

#: Method → option sets (each a dict of settings) run on top of the method's defaults.
OPTIONS: dict[str, list[dict[str, Any]]] = {
    "sbl": [{}, {"prune_ratio": None}, {"normalize": False}],
    "pc-sbl": [{}, {"pc_neighbours": "axes"}],
    "svd-krosbl": [{}, {"init": "norm"}, {"prune_ratio": None}, {"prune_abs": 1e-6}],
    "am-krosbl": [
        {},
        {"init": "norm", "inner_tol": 1e-6, "inner_tol_type": "abs"},
        {"prune_ratio": None, "max_sweeps": 3},
        {"kernel": "numba"},
    ],
    "ksbl": [{}, {"prune_ratio": None}, {"kernel": "numba"}],
    "pc-krosbl": [
        {},
        {"beta": 0.5, "floor": 1e-4, "inner_tol": 1e-5, "max_sweeps": 20},
        {"coupled": (0,)},
        {"kernel": "numba"},
    ],
    "dkrosbl": [{}, {"refine": True}, {"refine": True, "refine_method": "am-krosbl"}],
}

#: Methods :func:`krosbl.recover_batch` steps together (the others solve one by one).
BATCHED = ("svd-krosbl", "am-krosbl", "ksbl", "pc-krosbl", "dkrosbl")

MAX_ITER = 40


def problem(seed: int, n_factors: int, complex_: bool, snapshots: int = 0) -> dict[str, Any]:
    """A fixed-seed problem: Gaussian factors, a Kronecker-sparse ``x`` (rank one, two
    non-zeros per factor), noise of standard deviation 0.02; ``snapshots`` columns if > 0."""
    rng = np.random.default_rng(seed)
    out_shape, in_shape = SHAPES[n_factors]
    factors = []
    for m, n in zip(out_shape, in_shape):
        a = rng.standard_normal((m, n))
        factors.append(a + 1j * rng.standard_normal((m, n)) if complex_ else a)
    columns = max(snapshots, 1)
    xs = []
    for _ in range(columns):
        x = np.ones(1)
        for n in in_shape:
            xi = np.zeros(n, dtype=complex if complex_ else float)
            xi[[1, n - 2]] = 0.6 + rng.random(2)
            if complex_:
                xi = xi * np.exp(2j * np.pi * rng.random(n))
            x = np.kron(x, xi)
        xs.append(x)
    X = np.stack(xs, axis=1)
    Y = Kron(factors) @ X
    noise = rng.standard_normal(Y.shape)
    if complex_:
        noise = (noise + 1j * rng.standard_normal(Y.shape)) / np.sqrt(2)
    Y = Y + 0.02 * noise
    return {"y": Y if snapshots else Y[:, 0], "factors": factors, "x": X, "noise": 0.02 * noise}


def _runs(method: str, variant: bool) -> Iterator[tuple[int, str, bool]]:
    """``(factors, noise, complex)`` of a method's default options (every combination) or of
    an option variant (3 factors, known noise real and learned noise complex)."""
    if variant:
        yield from ((3, "known", False), (3, "learned", True))
        return
    for n_factors in (2, 3, 4) if method == "dkrosbl" else (1, 2, 3, 4):
        for noise in ("known", "learned"):
            for complex_ in (False, True):
                yield n_factors, noise, complex_


def cases() -> Iterator[dict[str, Any]]:
    """Every case: a JSON-able description that :func:`solve` runs."""
    seed = 0
    for method, option_sets in OPTIONS.items():
        for k, options in enumerate(option_sets):
            for n_factors, noise, complex_ in _runs(method, k > 0):
                seed += 1
                base = {
                    "method": method,
                    "options": options,
                    "factors": n_factors,
                    "noise": noise,
                    "complex": complex_,
                    "seed": seed,
                }
                yield {**base, "call": "recover"}
                if method in BATCHED and (k > 0 or n_factors in (1, 3)):
                    yield {**base, "call": "batch"}
                if k == 0 and n_factors == 3 and method != "dkrosbl":
                    yield {**base, "call": "snapshots"}
                    yield {**base, "call": "tasks"}
    for method in ("sbl", "svd-krosbl", "am-krosbl"):
        for complex_ in (False, True):
            seed += 1
            yield {
                "method": method,
                "options": {"noiseless": True},
                "factors": 2,
                "noise": "learned",
                "complex": complex_,
                "seed": seed,
                "call": "recover",
            }


def name(case: dict[str, Any]) -> str:
    """A readable key of the case."""
    options = ",".join(f"{k}={v}" for k, v in sorted(case["options"].items()))
    kind = "c" if case["complex"] else "r"
    return (
        f"{case['call']}|{case['method']}|I={case['factors']}|{case['noise']}|{kind}|"
        f"{options}|{case['seed']}"
    )


def _outputs(result: krosbl.Result) -> dict[str, np.ndarray]:
    out = {
        "x": np.asarray(result.x),
        "n_iter": np.array(result.n_iter),
        "support": np.asarray(result.support),
        "noise_var": np.array(np.nan if result.noise_var is None else result.noise_var),
        "cost": np.asarray(result.cost, dtype=float),
    }
    if "n_sweeps" in result.details:
        out["n_sweeps"] = np.asarray(result.details["n_sweeps"], dtype=int)
    if "factor_iterations" in result.details:
        out["factor_iterations"] = np.asarray(result.details["factor_iterations"], dtype=int)
    return out


def _nudge(y: np.ndarray, on: bool) -> np.ndarray:
    """``y`` with every entry moved by about one unit in the last place (``on``), else ``y``."""
    if not on:
        return y
    signs = np.random.default_rng(0).choice([-1.0, 1.0], size=y.shape)
    return y * (1.0 + signs * 2.0**-52)


def solve(case: dict[str, Any], nudge: bool = False) -> list[dict[str, np.ndarray]]:
    """The outputs of the case (one per problem of a batch, else one); ``nudge``: with ``y``
    moved by about one unit in the last place (:func:`_nudge`)."""
    complex_, n_factors = case["complex"], case["factors"]
    options = {"max_iter": MAX_ITER, **case["options"]}
    method, call = case["method"], case["call"]
    known = case["noise"] == "known"
    if call == "batch":
        parts = [problem(case["seed"] * 10 + b, n_factors, complex_) for b in range(3)]
        Y = np.stack([p["y"] for p in parts])
        noise_var = [4e-4, 5e-4, 4.5e-4] if known else None
        A = parts[0]["factors"]
        results = krosbl.recover_batch(_nudge(Y, nudge), A, method, noise_var, **options)
        return [_outputs(r) for r in results]
    if call == "tasks":
        shared = problem(case["seed"], n_factors, complex_, snapshots=3)
        dictionaries = [
            Kron(problem(case["seed"] * 10 + t, n_factors, complex_)["factors"]) for t in range(3)
        ]
        Y = (
            np.stack([op @ x for op, x in zip(dictionaries, shared["x"].T)], axis=1)
            + shared["noise"]
        )
        nv = 4e-4 if known else None
        result = krosbl.recover_tasks(_nudge(Y, nudge), dictionaries, method, nv, **options)
        return [_outputs(result)]
    snapshots = 3 if call == "snapshots" else 0
    p = problem(case["seed"], n_factors, complex_, snapshots=snapshots)
    nv = 4e-4 if known and not case["options"].get("noiseless") else None
    return [_outputs(krosbl.recover(_nudge(p["y"], nudge), p["factors"], method, nv, **options))]


#: The stored outputs, in the order :func:`pack` lays them out.
FIELDS = ("n_iter", "support", "n_sweeps", "factor_iterations", "noise_var", "cost", "x", "rtol")
#: The fields that must match exactly.
EXACT = ("n_iter", "support", "n_sweeps", "factor_iterations")

#: The least tolerance of a comparison of ``x``, ``σ²`` and the cost.
RTOL = 1e-10


def pack(outputs: dict[str, np.ndarray]) -> tuple[list[int], list[float]]:
    """One run's outputs as integers (for each field its length, its kind — 0 integer,
    1 real, 2 complex — then, for an integer field, its values) and floats (the real fields'
    values, complex ones as real pairs; arrays flattened); a missing field is a length of −1."""
    ints: list[int] = []
    floats: list[float] = []
    for field in FIELDS:
        if field not in outputs:
            ints.append(-1)
            continue
        value = np.ravel(outputs[field])
        if value.dtype.kind in "iu":
            ints += [len(value), 0, *value.tolist()]
        else:
            complex_ = np.iscomplexobj(value)
            ints += [len(value), 2 if complex_ else 1]
            floats += (value.astype(complex).view(float) if complex_ else value).tolist()
    return ints, floats


def unpack(ints: np.ndarray, floats: np.ndarray) -> dict[str, np.ndarray]:
    """The outputs :func:`pack` laid out."""
    out: dict[str, np.ndarray] = {}
    i = f = 0
    for field in FIELDS:
        length = int(ints[i])
        i += 1
        if length < 0:
            continue
        kind = int(ints[i])
        i += 1
        if kind == 0:
            out[field], i = ints[i : i + length], i + length
        else:
            width = length * kind
            value, f = floats[f : f + width], f + width
            out[field] = value.view(complex) if kind == 2 else value
    return out


def load() -> dict[str, dict[str, np.ndarray]]:
    """The stored outputs by ``name(case)#problem``."""
    with np.load(GOLDEN) as data:
        keys, ints, floats = data["keys"], data["ints"], data["floats"]
        int_at, float_at = data["int_offsets"], data["float_offsets"]
    return {
        str(key): unpack(ints[int_at[k] : int_at[k + 1]], floats[float_at[k] : float_at[k + 1]])
        for k, key in enumerate(keys)
    }


def _cost_scale(cost: np.ndarray) -> float:
    """The scale a difference of costs is relative to: ``max(max |cost|, 1)``."""
    return max(float(np.abs(cost[np.isfinite(cost)]).max(initial=0.0)), 1.0)


def tolerance(outputs: dict[str, np.ndarray], nudged: dict[str, np.ndarray]) -> float | None:
    """The tolerance of a run: :data:`RTOL`, or 10× how far ``x``, ``σ²`` and the cost moved
    when ``y`` moved by one unit in the last place if that is more; ``None`` (a fragile run,
    not stored) if an iteration or sweep count or the support moved."""
    for field in EXACT:
        if field in outputs and not np.array_equal(outputs[field], nudged[field]):
            return None
    moved = np.linalg.norm(outputs["x"] - nudged["x"]) / max(np.linalg.norm(outputs["x"]), 1e-300)
    sigma2, nudged_sigma2 = float(outputs["noise_var"]), float(nudged["noise_var"])
    if sigma2 > 0:  # 0 in the noiseless limit
        moved = max(moved, abs(nudged_sigma2 / sigma2 - 1.0))
    cost = np.nan_to_num(outputs["cost"] - nudged["cost"])  # nan in the noiseless limit
    moved = max(moved, np.abs(cost).max(initial=0.0) / _cost_scale(outputs["cost"]))
    return max(RTOL, 10.0 * float(moved))


def main() -> None:
    """Solve every case and write ``golden.npz`` (the runs :func:`tolerance` finds fragile
    are left out)."""
    keys: list[str] = []
    ints: list[list[int]] = []
    floats: list[list[float]] = []
    with threadpool_limits(1):  # as the test runs them
        for case in cases():
            for b, (outputs, nudged) in enumerate(zip(solve(case), solve(case, nudge=True))):
                rtol = tolerance(outputs, nudged)
                if rtol is None:
                    continue
                keys.append(f"{name(case)}#{b}")
                packed = pack({**outputs, "rtol": np.array(rtol)})
                ints.append(packed[0])
                floats.append(packed[1])
    np.savez_compressed(
        GOLDEN,
        keys=np.array(keys),
        ints=np.concatenate([np.asarray(i, dtype=np.int64) for i in ints]),
        floats=np.concatenate([np.asarray(f, dtype=float) for f in floats]),
        int_offsets=np.cumsum([0] + [len(i) for i in ints]),
        float_offsets=np.cumsum([0] + [len(f) for f in floats]),
    )
    print(f"{len(keys)} runs -> {GOLDEN}")


if __name__ == "__main__":
    main()
