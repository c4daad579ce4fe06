"""The top-level ``krosbl`` command as a user runs it: a real process, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import krosbl


def krosbl_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "krosbl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version() -> None:
    done = krosbl_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"krosbl {krosbl.__version__}"


def test_presets_listing_one_and_unknown() -> None:
    listing = krosbl_cli("presets")
    assert listing.returncode == 0 and "irs" in listing.stdout
    one = krosbl_cli("presets", "irs", "am-krosbl")
    assert one.returncode == 0 and "[irs / am-krosbl]" in one.stdout
    for name in ("nope", "IRS"):
        bad = krosbl_cli("presets", name)
        assert bad.returncode == 2 and not bad.stdout
        assert f"unknown preset {name!r}" in bad.stderr and "Traceback" not in bad.stderr


def test_output_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    verify = krosbl_cli("verify-reference", tmp_path, "--estimates", blocker / "est")
    assert verify.returncode == 2 and "argument --estimates: cannot write" in verify.stderr


def test_plot_format_is_checked(tmp_path: Path) -> None:
    done = krosbl_cli("plot", tmp_path, "--format", "bogus")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "unknown figure format(s) ['bogus']" in done.stderr and "png" in done.stderr


def test_subpackages_are_attributes_after_import() -> None:
    code = "import krosbl; print(krosbl.irs.Scenario.paper().grid, krosbl.experiments.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["18", "krosbl.experiments"], done.stderr


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    """``krosbl presets | head -c 0``: the pipe is closed before krosbl writes; the command
    ends quietly with status 0 (``pipefail`` reports krosbl's status)."""
    done = subprocess.run(
        f"set -o pipefail; {sys.executable} -m krosbl.cli presets | head -c 0",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
    )
    assert done.returncode == 0 and "BrokenPipeError" not in done.stderr, done.stderr
