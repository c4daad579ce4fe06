"""Experiments use presets and nothing else (docs/theory.md, theory-settings).

Every (algorithm, sweep value) of every registered experiment resolves its solver settings to
exactly one :data:`krosbl.presets.PRESETS` row, and the trial code hands the solver that row
unchanged: no keyword override, no settings built elsewhere.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest

import krosbl.api
import krosbl.batch_api
from krosbl import presets
from krosbl.api import Result
from krosbl.experiments import get_experiment, list_experiments
from krosbl.experiments.config import fingerprint_payload, resolve
from krosbl.experiments.definitions import Algorithm, Experiment, TrialContext
from krosbl.experiments.executors import trial_seed_sequence
from krosbl.irs import irs_settings
from krosbl.irs.estimate import IRS_METHODS
from krosbl.settings import SolverSettings

NAMES = [e.name for e in list_experiments()]


def _values(experiment: Experiment) -> list[float]:
    """The default sweep values and the ``--quick`` ones."""
    default = resolve(experiment).settings.values  # type: ignore[attr-defined]
    quick = resolve(experiment, quick=True).settings.values  # type: ignore[attr-defined]
    return sorted({float(v) for v in [*default, *quick]})


@pytest.mark.parametrize("name", NAMES)
def test_every_algorithm_names_an_existing_preset(name: str) -> None:
    experiment = get_experiment(name)
    for algorithm in experiment.algorithms:
        if algorithm.preset is None:  # the IRS module's own estimators take no settings
            assert algorithm.method in IRS_METHODS and not algorithm.preset_keys
            assert all(algorithm.settings(v) is None for v in _values(experiment))
            continue
        for key in algorithm.preset_keys:
            assert key in presets.PRESETS, (name, algorithm.name, key)
            assert algorithm.method in presets.PRESETS[key], (name, algorithm.name, key)
        for value in _values(experiment):
            key = algorithm.preset_for(value)
            assert key is not None
            assert algorithm.settings(value) is presets.PRESETS[key][algorithm.method]
    assert set(experiment.presets) == {k for a in experiment.algorithms for k in a.preset_keys}


def test_the_paper_rows_are_the_ones_named() -> None:
    """Which preset row each experiment's algorithms take, per sweep value (theory-settings)."""

    def keys(name: str, value: float) -> dict[str, str]:
        return {a.name: a.preset_for(value) for a in get_experiment(name).algorithms}

    for name in ("synthetic-snr", "synthetic-measurements", "synthetic-sparsity"):
        assert set(keys(name, 10.0).values()) == {"synthetic"}
    assert set(keys("convergence", 0.0).values()) == {"convergence-no-pruning"}
    assert set(keys("convergence", 1.0).values()) == {"convergence-pruning"}
    assert set(keys("unknown-noise", 0.0).values()) == {"unknown-noise-known"}
    assert set(keys("unknown-noise", 1.0).values()) == {"unknown-noise-learned"}
    assert set(keys("synthetic-unknown-noise-measurements", 14.0).values()) == {
        "learned-noise-measurements"
    }
    assert set(keys("rank", 14.0).values()) == {"rank"}
    assert all(presets.get("rank", a.method).noiseless for a in get_experiment("rank").algorithms)
    irs = keys("irs-snr", 20.0)
    assert irs["pc-krosbl-0.5"] == "irs-beta-0.5" and irs["pc-krosbl-0.8"] == "irs"
    assert irs["svd-krosbl"] == "irs" and keys("irs-snr", 25.0)["svd-krosbl"] == "irs-high-snr"
    assert presets.get("irs-beta-0.5", "pc-krosbl") == presets.get("irs", "pc-krosbl").replace(
        beta=0.5
    )


@pytest.mark.parametrize("snr", [4.0, 20.0, 24.9, 25.0, 30.0])
def test_irs_presets_agree_with_irs_settings(snr: float) -> None:
    """The experiment and ``krosbl.irs.estimate``'s default pick the same row at every SNR."""
    for algorithm in get_experiment("irs-snr").algorithms:
        if algorithm.name != "pc-krosbl-0.5":
            assert algorithm.settings(snr) is irs_settings(algorithm.method, snr)


# -- the trial code passes the preset and nothing else ----------------------------------------


class _Spy:
    """Stands in for ``krosbl.recover``: records each call, returns an all-zero estimate."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        y: Any,
        A: Any,
        method: str = "svd-krosbl",
        noise_var: float | None = None,
        *,
        settings: Any = None,
        support: Any = None,
        record_history: bool = False,
        callback: Any = None,
        **overrides: Any,
    ) -> Result:
        self.calls.append(
            {"method": method, "settings": settings, "overrides": overrides, "noise_var": noise_var}
        )
        n = A.shape[1] if hasattr(A, "shape") else int(np.prod([a.shape[1] for a in A]))
        columns = np.shape(y)[1:]  # snapshots: one column of x per column of y
        return Result(
            x=np.zeros((n, *columns), dtype=np.result_type(np.asarray(y).dtype, np.float64)),
            method=method,
            support=np.zeros(0, dtype=np.intp),
            n_iter=1,
            converged=True,
            noise_var=noise_var,
            noise_learned=noise_var is None,
            time_s=0.0,
            gamma=np.zeros(n),
            settings=settings,
        )

    def batch(
        self,
        Y: Any,
        A: Any,
        method: str = "svd-krosbl",
        noise_var: Any = None,
        *,
        settings: Any = None,
        **overrides: Any,
    ) -> list[Result]:
        """Stands in for ``krosbl.recover_batch``: one recorded call per row."""
        each = noise_var if isinstance(noise_var, list) else [noise_var] * len(Y)
        return [self(y, A, method, nv, settings=settings, **overrides) for y, nv in zip(Y, each)]

    def tasks(
        self,
        Y: Any,
        dictionaries: Any,
        method: str = "svd-krosbl",
        noise_var: Any = None,
        *,
        settings: Any = None,
        **overrides: Any,
    ) -> Result:
        """Stands in for ``krosbl.recover_tasks``: one recorded call for all the tasks."""
        return self(Y, dictionaries[0], method, noise_var, settings=settings, **overrides)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    """Replace ``krosbl.recover``, ``krosbl.recover_batch`` and ``krosbl.recover_tasks``
    wherever a krosbl module imported them."""
    fake = _Spy()
    real = {
        "recover": krosbl.api.recover,
        "recover_batch": krosbl.batch_api.recover_batch,
        "recover_tasks": krosbl.api.recover_tasks,
    }
    stand_in = {"recover": fake, "recover_batch": fake.batch, "recover_tasks": fake.tasks}
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] != "krosbl":
            continue
        for name, function in real.items():
            if getattr(module, name, None) is function:
                monkeypatch.setattr(module, name, stand_in[name])
    return fake


def _key(method: str, settings: SolverSettings) -> tuple[str, str]:
    return method, repr(settings)


@pytest.mark.parametrize("name", NAMES)
def test_trials_pass_exactly_the_preset(name: str, spy: _Spy) -> None:
    experiment = get_experiment(name)
    # the paper's sweep values, so that e.g. every IRS SNR is exercised; quick sizes
    quick = resolve(experiment, quick=True).settings
    paper = resolve(experiment).settings
    settings = quick.model_copy(update={"values": paper.values})  # type: ignore[attr-defined]
    if name == "irs-snr":  # also an SNR with SVD-KroSBL's high-SNR row
        settings = settings.model_copy(update={"values": [*paper.values, 25.0]})  # type: ignore[attr-defined]
    if name in ("synthetic-measurements", "synthetic-unknown-noise-measurements", "rank"):
        settings = quick  # M_1 values must fit the quick m[0]
    ctx = TrialContext(experiment, settings, 0, trial_seed_sequence(settings.seed, 0))
    rows = experiment.trial_function(ctx)

    chosen: list[Algorithm] = list(ctx.algorithms)
    values = [float(v) for v in settings.values]  # type: ignore[attr-defined]
    # irs-offgrid and irs-blocks run every condition in one trial
    conditions = len(settings.conditions()) if hasattr(settings, "conditions") else 1
    solved = [a for a in chosen if a.preset is not None]  # the others call no krosbl solver
    blocks = getattr(settings, "blocks", 1)  # irs-blocks: each block alone, or one joint call

    def calls(a: Algorithm) -> int:
        return 1 if a.name.endswith("-joint") else blocks

    expected = Counter(
        _key(a.method, presets.PRESETS[str(a.preset_for(v))][a.method])
        for v in values
        for a in solved
        for _ in range(conditions * calls(a))
    )
    assert [c["overrides"] for c in spy.calls] == [{}] * len(spy.calls)
    for call in spy.calls:
        assert isinstance(call["settings"], SolverSettings)
    assert Counter(_key(c["method"], c["settings"]) for c in spy.calls) == expected
    # each row is one of those calls, labelled with its algorithm and value
    assert Counter((r["algorithm"], r["value"]) for r in rows) == Counter(
        (a.name, v) for v in values for a in chosen for _ in range(conditions)
    )


def test_fingerprint_records_the_rows_used() -> None:
    payload = fingerprint_payload(resolve(get_experiment("irs-snr")))
    assert payload["solvers"]["irs-beta-0.5"] == {
        "pc-krosbl": presets.get("irs-beta-0.5", "pc-krosbl").as_dict()
    }
    assert set(payload["solvers"]["irs-high-snr"]) == {"svd-krosbl"}
    assert payload["algorithms"]["pc-krosbl-0.5"] == {"method": "pc-krosbl"}
