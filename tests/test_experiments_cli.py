"""The ``run``/``list``/``plot`` commands as a user runs them: subprocesses, bad input, SIGKILL."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_equals_a_local_run, sweep_args

from krosbl.experiments.commands import register

TINY_TOML = "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [10.0, 30.0]\n"


def cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m krosbl.experiments ARGS``."""
    return subprocess.run(
        [sys.executable, "-m", "krosbl.experiments", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


def test_register_builds_the_three_subcommands() -> None:
    parser = argparse.ArgumentParser(prog="krosbl")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["run", "irs-snr", "--quick", "--workers", "2"])
    assert args.func.__name__ == "run_command" and args.quick and args.workers == 2
    assert parser.parse_args(["list"]).func.__name__ == "list_command"
    assert parser.parse_args(["plot", "d"]).directory == Path("d")
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "irs-snr", "--quick", "--paper"])
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "irs-snr", "--workers", "2", "--scheduler", "tcp://h:1"])


def test_list() -> None:
    done = cli("list")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
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


def _assert_user_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def test_unknown_experiment(tmp_path: Path) -> None:
    done = cli("run", "nope", "--out", tmp_path / "o")
    _assert_user_error(done, "unknown experiment 'nope'", "synthetic-snr", "irs-snr")


def test_toml_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("snr_dbs = [1]\n")
    _assert_user_error(cli("run", "synthetic-snr", "--config", bad), "unknown key 'snr_dbs'")
    bad.write_text('k = "three"\n')
    _assert_user_error(cli("run", "synthetic-snr", "--config", bad), "key 'k'", "integer")


def test_trials_zero() -> None:
    _assert_user_error(cli("run", "synthetic-snr", "--trials", "0"), "--trials", "at least 1")


def test_unwritable_out(tmp_path: Path, tiny: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = cli("run", "synthetic-snr", "--config", tiny, "--out", blocker / "out")
    _assert_user_error(done, "cannot write results to", "a-file")


def test_unreachable_scheduler_is_a_quick_clear_error(tmp_path: Path, tiny: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    done = cli(
        "run",
        "synthetic-snr",
        "--config",
        tiny,
        "--out",
        tmp_path / "o",
        "--scheduler",
        f"tcp://127.0.0.1:{port}",
    )
    elapsed = time.monotonic() - start
    _assert_user_error(done, "cannot connect to the Dask scheduler", str(port))
    assert elapsed < 20, elapsed  # 5 s connect timeout plus start-up


@pytest.mark.slow
def test_config_change_into_existing_out_is_refused(tmp_path: Path, tiny: Path) -> None:
    out = tmp_path / "o"
    first = cli(
        "run",
        "synthetic-snr",
        "--config",
        tiny,
        "--out",
        out,
        "--trials",
        "1",
        "--workers",
        "1",
        "--quiet",
        "--no-plot",
    )
    assert first.returncode == 0, first.stderr
    assert "results:" in first.stdout and "svd-krosbl" in first.stdout
    again = cli(
        "run",
        "synthetic-snr",
        "--config",
        tiny,
        "--out",
        out,
        "--trials",
        "1",
        "--seed",
        "5",
        "--no-plot",
    )
    _assert_user_error(again, "different configuration", "settings.seed: 0 -> 5")
    plotted = cli("plot", out)
    assert plotted.returncode == 0, plotted.stderr
    assert (out / "nmse.png").exists() and (out / "nmse.pdf").exists()
    _assert_user_error(cli("plot", tmp_path / "empty"), "no krosbl results")


KILL_CONFIG = (
    "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [5.0, 15.0, 25.0, 35.0]\n"
    'algorithms = ["svd-krosbl", "ksbl", "oracle-ls"]\n'
)
KILL_TRIALS = 12


def _kill_command(tmp_path: Path, out: Path) -> list[str]:
    config = tmp_path / "kill.toml"
    config.write_text(KILL_CONFIG)
    args = sweep_args(config, out, KILL_TRIALS, "--workers", "2")
    return [sys.executable, "-m", "krosbl.experiments", *args]


def _signal_mid_sweep(command: list[str], parts: Path, signum: int) -> subprocess.Popen[str]:
    """Start ``command``, and send ``signum`` to its process group once 2 trials are stored."""
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # as from a terminal, even when the tests run as a background job (which ignores SIGINT)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(parts.glob("trial-*.parquet"))) >= 2:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signum)  # the driver and its pool workers, as a terminal does
    return proc


@pytest.mark.slow
def test_ctrl_c_stores_every_trial_it_reports_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    command = _kill_command(tmp_path, out)
    proc = _signal_mid_sweep(command, out / "parts", signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted; finished trials are stored" in stderr and "Traceback" not in stderr
    stored = sorted(p.name for p in (out / "parts").glob("trial-*.parquet"))
    reported = [line for line in stderr.splitlines() if ": trial " in line]
    assert 2 <= len(stored) < KILL_TRIALS and len(reported) == len(stored)
    assert not (out / ".lock").exists() and not list((out / "parts").glob(".*.tmp"))
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(stored)} of {KILL_TRIALS} trials already stored" in resumed.stderr


@pytest.mark.slow
def test_sigkill_then_resume_computes_each_trial_once(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    command = _kill_command(tmp_path, out)
    config = tmp_path / "kill.toml"
    parts = out / "parts"
    proc = _signal_mid_sweep(command, parts, signal.SIGKILL)
    proc.communicate(timeout=120)
    survivors = {p.name: p.stat().st_mtime_ns for p in parts.glob("trial-*.parquet")}
    assert 2 <= len(survivors) < KILL_TRIALS, "the run was not interrupted mid-sweep"
    assert (out / ".lock").exists()  # left behind by the killed driver

    resumed = subprocess.run(
        [*command[:-4], "--workers", "1", "--quiet", "--no-plot"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(survivors)} of {KILL_TRIALS} trials already stored" in resumed.stderr
    computed = [line for line in resumed.stderr.splitlines() if ": trial " in line]
    assert len(computed) == KILL_TRIALS - len(survivors)
    # parts written before the kill were not recomputed
    assert {n: (parts / n).stat().st_mtime_ns for n in survivors} == survivors
    assert sorted(p.name for p in parts.iterdir()) == [
        f"trial-{t:06d}.parquet" for t in range(KILL_TRIALS)
    ]

    assert_equals_a_local_run(out, config, KILL_TRIALS, tmp_path / "reference")


@pytest.mark.slow
def test_run_all_runs_every_experiment_into_its_own_folder(tmp_path: Path, tiny: Path) -> None:
    args = ("run", "all", "--quick", "--trials", "1", "--workers", "1", "--quiet", "--no-plot")
    out = tmp_path / "all"
    done = cli(*args, "--out", out)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in cli("list").stdout.splitlines()]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        assert [p.name for p in (out / name / "parts").iterdir()] == ["trial-000000.parquet"]
        assert f"{name} " in done.stdout and str(out / name) in done.stdout
    again = cli(*args, "--out", out)
    assert again.returncode == 0 and again.stderr.count("computing 0") == len(names)
    _assert_user_error(cli("run", "all", "--config", tiny), "--config cannot be used with 'all'")
