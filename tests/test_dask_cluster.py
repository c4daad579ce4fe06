"""``krosbl run --scheduler`` against real ``dask scheduler`` / ``dask worker`` processes.

Each test starts a scheduler and workers on the loopback as separate processes, runs the
``krosbl`` command as a process, and compares what it stored with a local run of the same seed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import distributed
import pytest
from conftest import assert_equals_a_local_run, sweep_args

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CONFIG = (
    "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [5.0, 15.0, 25.0, 35.0]\n"
    'algorithms = ["svd-krosbl", "ksbl", "oracle-ls"]\n'
)
TRIALS = 12


class Cluster:
    """A scheduler and workers, each a ``dask`` process on 127.0.0.1."""

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        self.logs = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []
        self.files: list[BinaryIO] = []
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"
        )
        self.workers: list[subprocess.Popen[bytes]] = []

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"dask-{len(self.processes)}.log", "wb")
        self.files.append(log)
        process = subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def add_workers(self, n: int) -> None:
        """Start ``n`` one-thread workers without a nanny (a killed one stays dead) and wait
        until the scheduler counts them."""
        for _ in range(n):
            self.workers.append(
                self._start(
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                )
            )
        alive = sum(w.poll() is None for w in self.workers)
        with distributed.Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(alive, timeout=60)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.files:
            log.close()


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _command(tmp_path: Path, out: Path, *extra: str) -> list[str]:
    config = tmp_path / "run.toml"
    config.write_text(CONFIG)
    return [str(BIN / "krosbl"), *sweep_args(config, out, TRIALS, *extra)]


def _assert_equals_local(out: Path, tmp_path: Path) -> None:
    assert_equals_a_local_run(out, tmp_path / "run.toml", TRIALS, tmp_path / "local")
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        f"trial-{t:06d}.parquet" for t in range(TRIALS)
    ]


def _kill_worker_after_two_trials(
    command: list[str], parts: Path, worker: subprocess.Popen[bytes]
) -> subprocess.Popen[str]:
    """Start ``command`` and ``kill -9`` ``worker`` once two trials are stored."""
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if len(list(parts.glob("trial-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    return run


def test_run_on_a_scheduler_address_equals_a_local_run(tmp_path: Path, cluster: Cluster) -> None:
    cluster.add_workers(2)
    out = tmp_path / "dask"
    done = subprocess.run(
        _command(tmp_path, out, "--scheduler", cluster.address),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and f"results: {out}" in done.stdout
    _assert_equals_local(out, tmp_path)
    # both workers ran trials: the rows do not depend on how the trials were split
    logs = [(tmp_path / f"dask-{i}.log").read_text() for i in (1, 2)]
    assert all(log for log in logs)


def test_a_worker_killed_mid_run_loses_nothing(tmp_path: Path, cluster: Cluster) -> None:
    cluster.add_workers(2)
    out = tmp_path / "dask"
    command = _command(tmp_path, out, "--scheduler", cluster.address)
    run = _kill_worker_after_two_trials(command, out / "parts", cluster.workers[0])
    stored_at_kill = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("trial-*")}
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert 2 <= len(stored_at_kill) < TRIALS, "the worker was not killed mid-run"
    # what was stored before the kill is neither rewritten nor duplicated
    parts = out / "parts"
    assert {n: (parts / n).stat().st_mtime_ns for n in stored_at_kill} == stored_at_kill
    assert stderr.count(": trial ") == TRIALS
    _assert_equals_local(out, tmp_path)


def test_a_cluster_left_without_workers_stops_and_a_rerun_resumes(
    tmp_path: Path, cluster: Cluster
) -> None:
    cluster.add_workers(1)
    out = tmp_path / "dask"
    command = _command(tmp_path, out, "--scheduler", cluster.address, "--worker-timeout", "2")
    run = _kill_worker_after_two_trials(command, out / "parts", cluster.workers[0])
    _, stderr = run.communicate(timeout=120)
    stored = sorted(p.name for p in (out / "parts").glob("trial-*.parquet"))
    assert run.returncode == 1, stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    assert "has had no worker for 2 s" in errors[0] and "re-run to resume" in errors[0]
    missing = [t for t in range(TRIALS) if f"trial-{t:06d}.parquet" not in stored]
    assert f"trials {missing[0]}, " in errors[0] and 2 <= len(stored) < TRIALS
    assert not list((out / "parts").glob(".*.tmp")) and not (out / ".lock").exists()

    cluster.add_workers(1)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(stored)} of {TRIALS} trials already stored" in resumed.stderr
    _assert_equals_local(out, tmp_path)
