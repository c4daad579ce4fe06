"""A disk that fills up mid-run: a one-line error, exit 2, nothing partly stored, and a re-run
that resumes to the rows of an uninterrupted run.

The full disk is a real one where this process may mount a small tmpfs (root on Linux), and
an ``OSError(ENOSPC)`` raised inside the part writer of a real ``krosbl`` process everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_equals_a_local_run, sweep_args

CONFIG = (
    "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [5.0, 25.0]\n"
    'algorithms = ["svd-krosbl", "oracle-ls"]\n'
)
TRIALS = 8

# A ``krosbl run`` whose part writer fills the disk at trial 3: it writes half the part,
# then fails as a full disk does.
FULL_AT_TRIAL_3 = """
import errno, os, sys
import pandas as pd
from krosbl.cli import main

write = pd.DataFrame.to_parquet

def to_parquet(frame, path, *args, **kwargs):
    if ".trial-000003.parquet" in str(path):
        with open(path, "wb") as fh:
            fh.write(b"PAR1" + bytes(100))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return write(frame, path, *args, **kwargs)

pd.DataFrame.to_parquet = to_parquet
sys.exit(main(sys.argv[1:]))
"""


def _args(tmp_path: Path, out: Path, workers: int) -> list[str]:
    config = tmp_path / "run.toml"
    config.write_text(CONFIG)
    return sweep_args(config, out, TRIALS, "--workers", str(workers))


def _krosbl(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("krosbl")), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _assert_full_disk_error(done: subprocess.CompletedProcess[str], out: Path) -> None:
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"'{out}" in errors[0] and "no space left on the device" in errors[0], errors[0]
    assert errors[0].endswith("free space, then re-run to resume"), errors[0]
    assert not list((out / "parts").glob(".*.tmp")) and not (out / ".lock").exists()


def _assert_resumes(tmp_path: Path, out: Path, workers: int, stored: list[str]) -> None:
    resumed = _krosbl(*_args(tmp_path, out, workers))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(stored)} of {TRIALS} trials already stored" in resumed.stderr
    assert_equals_a_local_run(out, tmp_path / "run.toml", TRIALS, tmp_path / "uninterrupted")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_enospc_at_a_part_write_stops_cleanly_and_resumes(tmp_path: Path, workers: int) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", FULL_AT_TRIAL_3, *_args(tmp_path, out, workers)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    _assert_full_disk_error(done, out)
    assert "cannot write trial 3 to" in done.stderr
    stored = sorted(p.name for p in (out / "parts").glob("trial-*.parquet"))
    assert "trial-000003.parquet" not in stored
    if workers == 1:  # in order: the trials before 3 are stored, none after
        assert stored == [f"trial-{t:06d}.parquet" for t in range(3)]
    for name in stored:  # each stored part is whole
        assert len(pd.read_parquet(out / "parts" / name)) > 0
    _assert_resumes(tmp_path, out, workers, stored)


@contextlib.contextmanager
def _small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Write zeros to ``disk`` until the device is full; the filler file."""
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(bytes(1 << 16))
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_real_full_disk_mid_run_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    with _small_tmpfs(tmp_path / "disk", "4m") as disk:
        out = disk / "out"
        run = subprocess.Popen(
            [str(Path(sys.executable).with_name("krosbl")), *_args(tmp_path, out, 1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            if len(list((out / "parts").glob("trial-*.parquet"))) >= 2:
                break
            time.sleep(0.01)
        filler = _fill(disk)
        stdout, stderr = run.communicate(timeout=120)
        done = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
        stored = sorted(p.name for p in (out / "parts").glob("trial-*.parquet"))
        assert 2 <= len(stored) < TRIALS, "the disk did not fill mid-run"
        _assert_full_disk_error(done, out)
        filler.unlink()
        _assert_resumes(tmp_path, out, 1, stored)


@pytest.mark.slow
def test_figures_that_cannot_be_written_after_every_trial_is_stored(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _args(tmp_path, out, 1)
    assert _krosbl(*args).returncode == 0
    (out / "nmse.png").mkdir()  # a figure's path that cannot be written
    done = _krosbl(*[a for a in args if a != "--no-plot"])
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"every trial is stored in '{out}'" in errors[0] and "nmse.png" in errors[0]
    assert errors[0].endswith(f"then run 'krosbl plot {out}'"), errors[0]
