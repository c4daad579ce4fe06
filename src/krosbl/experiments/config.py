"""Experiment settings: validation, TOML overrides, resolution and the fingerprint.

Each experiment's settings are a pydantic model (a subclass of :class:`ExperimentSettings`)
whose defaults are the paper's.  :func:`resolve` layers, in order, the defaults, the
experiment's ``--quick`` overrides, a TOML file (or mapping) and the explicit ``seed``, and
validates the result: an unknown key or a wrong type is a :class:`ConfigError` naming the key.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .definitions import Experiment
from .errors import ConfigError

__all__ = [
    "RESULTS_FORMAT",
    "ExperimentSettings",
    "Resolved",
    "SnrDb",
    "fingerprint",
    "fingerprint_payload",
    "load_toml",
    "resolve",
]

#: Version of the on-disk results layout; part of every fingerprint, so that resuming a folder
#: of another layout is refused naming it (2: the rows hold ``err_sq`` and ``ref_sq``).
RESULTS_FORMAT = 2

#: An SNR in dB, within what the noise variance ``P / 10^(SNR/10)`` can represent.
SnrDb = Annotated[float, Field(ge=-100.0, le=200.0)]


class ExperimentSettings(BaseModel):
    """Settings shared by every experiment (subclasses add the problem's own).

    Subclasses declare ``values``, the sweep values, with the paper's as default.  Validation
    is strict (no string-to-number coercion, no NaN or infinity), unknown keys are refused, and
    neither the sweep values nor the algorithms may repeat.

    Parameters
    ----------
    seed : int
        Root seed; trial ``t`` draws from ``SeedSequence(seed).spawn(...)[t]``.
    trials : int or None
        Number of trials (``None``: the experiment's default). Not part of the fingerprint:
        more trials extend a stored run.
    algorithms : list of str or None
        The algorithms to run (``None``: all of the experiment's).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    seed: int = Field(default=0, ge=0, lt=2**63)
    trials: int | None = Field(default=None, gt=0)
    algorithms: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> ExperimentSettings:
        for key in ("values", "algorithms"):
            listed = getattr(self, key, None) or []
            repeated = sorted({v for v in listed if listed.count(v) > 1})
            if repeated:
                raise ValueError(f"key {key!r}: {repeated} listed more than once")
        return self


@dataclass(frozen=True)
class Resolved:
    """A validated configuration: the definition, its settings (``algorithms`` filled in)
    and the number of trials to have stored when the run ends."""

    experiment: Experiment
    settings: ExperimentSettings
    trials: int


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML settings file; a :class:`ConfigError` if it is unreadable or not TOML."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def _listify(value: Any) -> Any:
    """Tuples to lists (TOML has only lists; strict validation wants the declared type)."""
    if isinstance(value, tuple | list):
        return [_listify(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _listify(v) for k, v in value.items()}
    return value


def _explain(exc: ValidationError, model: type[BaseModel], source: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            valid = ", ".join(sorted(model.model_fields))
            lines.append(f"unknown key {key!r} (valid keys: {valid})")
        elif key:
            lines.append(f"key {key!r}: {err['msg']} (got {err['input']!r})")
        else:
            lines.append(str(err["msg"]).removeprefix("Value error, "))
    return f"invalid settings in {source}: " + "; ".join(lines)


def resolve(
    experiment: Experiment,
    *,
    config: str | Path | Mapping[str, Any] | ExperimentSettings | None = None,
    quick: bool = False,
    paper: bool = False,
    trials: int | None = None,
    seed: int | None = None,
) -> Resolved:
    """Validate and resolve an experiment's settings.

    Parameters
    ----------
    experiment : Experiment
        The definition.
    config : path, mapping, ExperimentSettings or None
        A TOML file, a mapping of overrides, or settings (applied after ``--quick``).
    quick, paper : bool
        Use the quick (tiny, for CI) version or the paper's trial count.
    trials : int or None
        Explicit trial count; beats ``quick``/``paper``, which beat ``trials`` in ``config``.
    seed : int or None
        Explicit root seed; beats ``config``.

    Returns
    -------
    Resolved

    Raises
    ------
    ConfigError
        Unknown key, wrong type or value, unknown algorithm, ``trials < 1``, or both
        ``quick`` and ``paper``.
    """
    if quick and paper:
        raise ConfigError("choose at most one of quick and paper")
    if trials is not None and (
        isinstance(trials, bool) or not isinstance(trials, int) or trials < 1
    ):
        raise ConfigError(f"trials must be an integer, at least 1, got {trials!r}")
    data: dict[str, Any] = dict(experiment.quick) if quick else {}
    source = "settings"
    if isinstance(config, ExperimentSettings):
        data.update(config.model_dump(exclude_unset=True))
    elif isinstance(config, Mapping):
        data.update(config)
    elif isinstance(config, str | Path):
        data.update(load_toml(config))
        source = f"config file {str(config)!r}"
    elif config is not None:
        raise ConfigError(
            "config must be a TOML file path, a mapping or ExperimentSettings, "
            f"got {type(config).__name__}"
        )
    if seed is not None:
        data["seed"] = seed
    model = experiment.settings
    try:
        settings = model.model_validate(_listify(data))
    except ValidationError as exc:
        raise ConfigError(_explain(exc, model, source)) from None
    chosen = settings.algorithms or list(experiment.algorithm_names)
    unknown = [a for a in chosen if a not in experiment.algorithm_names]
    if unknown:
        raise ConfigError(
            f"invalid settings in {source}: key 'algorithms': unknown algorithm(s) {unknown} "
            f"for {experiment.name!r}; valid: {', '.join(experiment.algorithm_names)}"
        )
    ordered = [a for a in experiment.algorithm_names if a in chosen]
    settings = settings.model_copy(update={"algorithms": ordered})
    counts = experiment.trials
    if trials is None:
        trials = counts.paper if paper else counts.quick if quick else settings.trials
    return Resolved(experiment, settings, trials or counts.default)


def fingerprint_payload(resolved: Resolved) -> dict[str, Any]:
    """What the fingerprint hashes: format, experiment, settings (less ``trials``), solvers.

    The solver settings are the :mod:`krosbl.presets` rows the selected algorithms name
    (``solvers.<preset>.<method>``), so a change of preset also changes the fingerprint.
    """
    from krosbl import presets  # the solver layer; imported only when fingerprinting

    experiment, settings = resolved.experiment, resolved.settings
    algorithms = [experiment.algorithm(n) for n in settings.algorithms or ()]
    solvers: dict[str, Any] = {}
    for algorithm in algorithms:
        for key in algorithm.preset_keys:
            row = solvers.setdefault(key, {})
            row[algorithm.method] = presets.get(key, algorithm.method).as_dict()
    return {
        "format": RESULTS_FORMAT,
        "experiment": experiment.name,
        "settings": settings.model_dump(mode="json", exclude={"trials"}),
        "algorithms": {a.name: {"method": a.method} for a in algorithms},
        "solvers": solvers,
    }


def fingerprint(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a fingerprint payload."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
