"""Experiment settings: defaults, --quick/--paper, TOML overrides, errors, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from krosbl import presets
from krosbl.experiments import ConfigError, ExperimentError, get_experiment, list_experiments
from krosbl.experiments.config import fingerprint, fingerprint_payload, resolve

NAMES = [
    "synthetic-snr",
    "synthetic-measurements",
    "synthetic-sparsity",
    "convergence",
    "unknown-noise",
    "synthetic-unknown-noise-measurements",
    "rank",
    "irs-snr",
    "irs-offgrid",
    "irs-blocks",
    "irs-offsbl",
]


def test_registry_lists_every_experiment_in_order() -> None:
    assert [e.name for e in list_experiments()] == NAMES


def test_unknown_experiment_lists_valid_names() -> None:
    with pytest.raises(ExperimentError, match="unknown experiment 'nope'") as info:
        get_experiment("nope")
    for name in NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_valid_and_use_existing_presets(name: str) -> None:
    experiment = get_experiment(name)
    resolved = resolve(experiment)
    assert resolved.trials == experiment.trials.default
    assert resolved.settings.algorithms == list(experiment.algorithm_names)
    for key in experiment.presets:
        row = presets.PRESETS[key]
        assert any(a.method in row for a in experiment.algorithms)
    # every algorithm's method has a preset in at least one of the experiment's rows (the
    # IRS module's own estimators, preset None, take no settings)
    for algorithm in (a for a in experiment.algorithms if a.preset is not None):
        assert any(algorithm.method in presets.PRESETS[k] for k in experiment.presets)
    # quick and paper resolve too
    assert resolve(experiment, quick=True).trials == experiment.trials.quick
    assert resolve(experiment, paper=True).trials == experiment.trials.paper


def test_default_settings_are_the_papers() -> None:
    snr = resolve(get_experiment("synthetic-snr")).settings
    assert snr.model_dump(exclude={"algorithms", "seed", "trials"}) == {
        "n": [15, 15, 15],
        "m": [8, 12, 15],
        "k": 3,
        "values": [5.0, 10.0, 15.0, 20.0, 25.0, 30.0],
    }
    m = resolve(get_experiment("synthetic-measurements")).settings
    assert m.model_dump(include={"m", "values", "snr_db"}) == {
        "m": [14, 12, 15],
        "values": [6, 8, 10, 12, 14],
        "snr_db": 25.0,
    }
    irs = resolve(get_experiment("irs-snr")).settings
    assert irs.values == [4.0, 8.0, 12.0, 16.0, 20.0]
    assert get_experiment("irs-snr").trials.paper == 50
    assert get_experiment("synthetic-snr").trials.paper == 200


def test_precedence_trials_and_seed(tmp_path: Path) -> None:
    experiment = get_experiment("synthetic-snr")
    toml = tmp_path / "c.toml"
    toml.write_text("trials = 7\nseed = 3\n")
    assert resolve(experiment, config=toml).trials == 7
    assert resolve(experiment, config=toml, quick=True).trials == experiment.trials.quick
    assert resolve(experiment, config=toml, trials=4).trials == 4
    assert resolve(experiment, config=toml).settings.seed == 3
    assert resolve(experiment, config=toml, seed=9).settings.seed == 9


def test_toml_overrides_every_kind_of_setting(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [10, 20]\n"
        'algorithms = ["svd-krosbl", "sbl"]\n'
    )
    settings = resolve(get_experiment("synthetic-snr"), config=toml).settings
    assert settings.n == [10, 10, 10] and settings.values == [10.0, 20.0]
    assert settings.algorithms == ["sbl", "svd-krosbl"]  # definition order


def test_unknown_key_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("snr = [1, 2]\n")
    with pytest.raises(ConfigError, match=r"unknown key 'snr'") as info:
        resolve(get_experiment("synthetic-snr"), config=toml)
    assert "bad.toml" in str(info.value) and "values" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('k = "three"', "k"),
        ("n = 15", "n"),
        ('values = ["a"]', "values.0"),
        ("trials = 0", "trials"),
        ("seed = -1", "seed"),
        ("k = 1.5", "k"),
        ("n = [15, 15]", "n"),
    ],
)
def test_wrong_type_or_value_is_named(tmp_path: Path, text: str, key: str) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text(text + "\n")
    with pytest.raises(ConfigError, match=rf"key '{key}'"):
        resolve(get_experiment("synthetic-snr"), config=toml)


def test_cross_field_checks_name_the_key() -> None:
    with pytest.raises(ConfigError, match="key 'values'"):
        resolve(get_experiment("synthetic-measurements"), config={"values": [15]})
    with pytest.raises(ConfigError, match="key 'values'"):
        resolve(get_experiment("synthetic-sparsity"), config={"values": [3, 2]})
    with pytest.raises(ConfigError, match="key 'k'"):
        resolve(get_experiment("synthetic-snr"), config={"k": 16})
    with pytest.raises(ConfigError, match="n_irs"):
        resolve(get_experiment("irs-snr"), config={"n_irs": 1})


def test_unknown_algorithm_lists_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown algorithm.*'omp'.*svd-krosbl"):
        resolve(get_experiment("synthetic-snr"), config={"algorithms": ["omp"]})


def test_bad_trials_and_files(tmp_path: Path) -> None:
    experiment = get_experiment("synthetic-snr")
    with pytest.raises(ConfigError, match="at least 1"):
        resolve(experiment, trials=0)
    with pytest.raises(ConfigError, match="cannot read config file"):
        resolve(experiment, config=tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("k = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve(experiment, config=broken)
    with pytest.raises(ConfigError, match="at most one"):
        resolve(experiment, quick=True, paper=True)


def test_fingerprint_ignores_trials_but_not_settings() -> None:
    experiment = get_experiment("synthetic-snr")

    def fp(**kw: object) -> str:
        return fingerprint(fingerprint_payload(resolve(experiment, **kw)))  # type: ignore[arg-type]

    assert fp(trials=3) == fp(trials=30)
    assert fp() != fp(seed=1)
    assert fp() != fp(quick=True)
    assert fp() != fp(config={"algorithms": ["sbl"]})
    payload = fingerprint_payload(resolve(experiment))
    assert payload["solvers"]["synthetic"]["am-krosbl"]["inner_tol"] == 1e-5


@pytest.mark.parametrize(
    ("experiment", "config", "message"),
    [
        ("synthetic-snr", {"values": [float("nan")]}, "key 'values.0'.*finite"),
        ("irs-snr", {"values": [4.0, float("-inf")]}, "key 'values.1'.*finite"),
        ("synthetic-measurements", {"snr_db": float("nan")}, "key 'snr_db'.*finite"),
        ("synthetic-snr", {"values": [1e6]}, "key 'values.0'.*less than or equal to 200"),
        ("synthetic-snr", {"values": [10.0, 20.0, 10.0]}, r"key 'values': \[10.0\] listed"),
        ("synthetic-snr", {"algorithms": ["sbl", "sbl"]}, "key 'algorithms'.*listed more"),
    ],
)
def test_non_finite_out_of_range_and_repeated_values_are_named(
    experiment: str, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(get_experiment(experiment), config=config)


def test_undecodable_file_and_non_path_config(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00k = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve(get_experiment("synthetic-snr"), config=binary)
    with pytest.raises(ConfigError, match="got int"):
        resolve(get_experiment("synthetic-snr"), config=3)  # type: ignore[arg-type]
