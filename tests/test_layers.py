"""The base install: the library and the ``krosbl`` command with NumPy and SciPy alone.

The extras are made unimportable in a real ``krosbl`` process by a ``sys.meta_path`` finder
installed before krosbl is imported (:data:`BOOTSTRAP`); the commands that need them must exit
with code 2 and one line naming the ``pip install`` that fixes it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

import krosbl
from krosbl import extras
from krosbl.experiments import catalogue, list_experiments
from krosbl.reference import FIXTURES_DIR, find_fixtures

ROOT = Path(__file__).resolve().parents[1]

#: Every package of the ``experiments`` extra: what a base install does not have.
BLOCKED = ("pandas", "pyarrow", "dask", "distributed", "rich", "matplotlib", "pydantic")
BLOCKED += ("threadpoolctl",)

#: ``python -c BOOTSTRAP ARGS`` runs the ``krosbl`` command as if the extras were not installed.
BOOTSTRAP = f"""
import sys

class NoExtras:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NoExtras())
if sys.argv[1:2] == ["--python"]:
    exec(sys.argv[2])
    raise SystemExit(0)
from krosbl.cli import main
sys.argv[0] = "krosbl"
raise SystemExit(main())
"""

INSTALL = "pip install 'krosbl[experiments]'"


def base_krosbl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``krosbl ARGS`` in a process where no package of an extra can be imported."""
    return subprocess.run(
        [sys.executable, "-c", BOOTSTRAP, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def full_krosbl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``krosbl ARGS`` with everything installed."""
    return subprocess.run(
        [sys.executable, "-m", "krosbl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_bootstrap_blocks_the_extras() -> None:
    done = base_krosbl("--python", "import pandas")
    assert done.returncode == 1 and "No module named 'pandas'" in done.stderr


def test_library_imports_and_solves_without_extras() -> None:
    code = (
        "import sys, numpy as np, krosbl\n"
        "rng = np.random.default_rng(0)\n"
        "A = [rng.standard_normal((4, 6)) for _ in range(2)]\n"
        "x = np.zeros(36); x[[3, 20]] = 1.0\n"
        "y = krosbl.Kron(A) @ x + 0.01 * rng.standard_normal(16)\n"
        "res = krosbl.recover(y, A, method='am-krosbl', noise_var=1e-4)\n"
        "krosbl.irs.Scenario.paper()\n"
        f"loaded = sorted({{m.partition('.')[0] for m in sys.modules}} & set({BLOCKED!r}))\n"
        "print(res.x.shape, loaded)\n"
    )
    done = base_krosbl("--python", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(36,) []"


@pytest.mark.parametrize("command", [["--help"], ["run", "--help"], ["presets"], ["list"]])
def test_commands_that_need_no_extra(command: list[str]) -> None:
    base = base_krosbl(*command)
    assert base.returncode == 0 and not base.stderr, base.stderr
    assert base.stdout == full_krosbl(*command).stdout


def test_list_shows_every_experiment_without_extras() -> None:
    names = [line.split()[0] for line in base_krosbl("list").stdout.splitlines()]
    assert names == [e.name for e in list_experiments()]


@pytest.mark.parametrize(
    "command",
    [["run", "irs-snr"], ["run", "all", "--quick"], ["plot", "{tmp}"]],
    ids=["run", "run-all", "plot"],
)
def test_commands_that_need_the_extra_name_it(command: list[str], tmp_path: Path) -> None:
    done = base_krosbl(*(arg.format(tmp=tmp_path) for arg in command))
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"krosbl {command[0]}: error: needs ")
    assert done.stderr.rstrip().endswith(INSTALL)
    assert not any(tmp_path.iterdir())  # nothing was written


def test_catalogue_matches_the_registry() -> None:
    listed = [(e.name, e.description, e.reproduces, e.trials) for e in catalogue.entries()]
    defined = [(e.name, e.description, e.reproduces, e.trials.default) for e in list_experiments()]
    assert listed == defined


def test_catalogue_rejects_a_computed_field(tmp_path: Path) -> None:
    source = tmp_path / "registry.py"
    counts = "trials=TrialCounts(default=1)"
    source.write_text(
        f"X = (Experiment(name='a', description='d', reproduces='r', {counts}),\n"
        f"     Experiment(name='b', description=DESCRIPTION, reproduces='r', {counts}))\n"
    )
    with pytest.raises(ValueError, match="not literal"):
        catalogue.entries(source)


def test_extras_table_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for extra, packages in extras.EXTRAS.items():
        names = set()
        for requirement in project["optional-dependencies"][extra]:
            name, _, rest = requirement.partition("[")
            names.add(name.split(">")[0].split("=")[0].strip())
            if rest:  # dask[distributed]: the package of an extra of a dependency
                names.update(rest.split("]")[0].split(","))
        assert names == set(packages), extra
    assert set(BLOCKED) == set(extras.EXTRAS["experiments"])


def test_a_missing_module_of_no_extra_keeps_its_traceback() -> None:
    def handler(args: argparse.Namespace) -> int:
        import krosbl_no_such_module  # type: ignore[import-not-found]  # noqa: F401

        return 0

    with pytest.raises(ModuleNotFoundError, match="krosbl_no_such_module"):
        extras.call_handler(handler, argparse.Namespace(), "krosbl x")


def test_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("krosbl") == krosbl.__version__


def test_every_fixture_file_is_package_data() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    patterns = tool["setuptools"]["package-data"]["krosbl.reference"]
    files = [p.relative_to(FIXTURES_DIR.parent).as_posix() for p in FIXTURES_DIR.iterdir()]
    assert len(find_fixtures()) == 6
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)] == []
