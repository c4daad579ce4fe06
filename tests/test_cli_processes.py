"""Options of every ``krosbl`` subcommand as a user runs them: the installed command, a process.

Each test runs the ``krosbl`` console script (``python -m krosbl.cli`` where it is not
installed) on the smallest sizes the command allows and checks exit code, messages and files.
Covered here: what no other test runs as a process (verify-reference on a directory of small
or malformed fixtures, ``run --paper``/``--quick`` defaults, figures of ``run`` and
``plot --format``, bad values); ``run --scheduler`` is tested elsewhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from krosbl.reference import FIXTURES_DIR

SCRIPT = Path(sys.executable).with_name("krosbl")
KROSBL = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "krosbl.cli"]

#: A synthetic-snr sweep of one SNR and two algorithms on 10³ unknowns (a trial: ~0.1 s).
TINY_TOML = (
    "n = [10, 10, 10]\nm = [4, 5, 6]\nk = 2\nvalues = [10.0]\n"
    'algorithms = ["svd-krosbl", "oracle-ls"]\ntrials = 5\n'
)

#: The solver rows of the smallest installed fixture, ``syn_p01`` (≈ 1 s for all of them).
SYN_TAGS = ["csbl", "am", "svd", "ksbl", "csbl_un", "am_un", "svd_un", "ksbl_un"]
SYN_TAGS += ["komp", "ols", "omp"]


def krosbl(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``krosbl ARGS`` to the end."""
    return subprocess.run(
        [*KROSBL, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def closed_stdout(*command: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its stdout read by nobody (``command | head -c 0``)."""
    proc = subprocess.Popen(
        list(map(str, command)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def assert_user_error(done: subprocess.CompletedProcess[str], command: str, *needles: str) -> None:
    """Exit code 2, nothing on stdout, no traceback, one ``krosbl CMD: error:`` line last."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert not done.stdout and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"krosbl {command}: error: "), done.stderr
    for needle in needles:
        assert needle in last, last


# --------------------------------------------------------------------------------------------
# the command itself and presets


def test_no_command_prints_the_help_and_exits_2() -> None:
    done = krosbl()
    assert done.returncode == 2 and done.stdout.startswith("usage: krosbl")
    for command in ("presets", "run", "list", "plot", "verify-reference", "solve"):
        assert command in done.stdout


def test_presets_unknown_method_of_a_known_preset() -> None:
    done = krosbl("presets", "irs", "nope")
    assert_user_error(done, "presets", "'irs' has no settings for method 'nope'", "svd-krosbl")


# --------------------------------------------------------------------------------------------
# verify-reference


@pytest.mark.slow
def test_verify_reference_directory_json_and_estimates(tmp_path: Path) -> None:
    fixtures, estimates = tmp_path / "fx", tmp_path / "est"
    rows_json = tmp_path / "new" / "rows.json"
    fixtures.mkdir()
    for suffix in (".npz", ".json"):
        shutil.copy(FIXTURES_DIR / f"syn_p01{suffix}", fixtures)
    done = krosbl("verify-reference", fixtures, "--json", rows_json, "--estimates", estimates)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith(f"{len(SYN_TAGS)} rows: {len(SYN_TAGS)} ok, 0 failed")
    rows = json.loads(rows_json.read_text(encoding="utf-8"))
    assert [(r["fixture"], r["solver"], r["ok"]) for r in rows] == [
        ("syn_p01", tag, True) for tag in SYN_TAGS
    ]
    assert sorted(p.name for p in estimates.iterdir()) == sorted(
        f"syn_p01.{tag}.npy" for tag in SYN_TAGS
    )
    assert np.load(estimates / "syn_p01.svd.npy").shape == (15**3,)


def _malformed_fixtures(folder: Path) -> dict[str, str]:
    """One broken fixture per way to break it; the reason each row must give."""
    folder.mkdir()
    npz, meta = FIXTURES_DIR / "syn_p01.npz", FIXTURES_DIR / "syn_p01.json"
    (folder / "a_truncated.npz").write_bytes(npz.read_bytes()[:1000])
    (folder / "b_list_json.npz").write_bytes(npz.read_bytes())
    (folder / "b_list_json.json").write_text("[1, 2]")
    with np.load(npz) as z:
        np.savez(folder / "c_no_snr.npz", **{k: z[k] for k in z.files if k != "SNR"})
    (folder / "d_bad_json.npz").write_bytes(npz.read_bytes())
    (folder / "d_bad_json.json").write_text("{not json")
    (folder / "e_no_solvers.npz").write_bytes(npz.read_bytes())
    (folder / "e_no_solvers.json").write_text('{"params": {"solvers": {}}}')
    (folder / "f_solver_not_object.npz").write_bytes(npz.read_bytes())
    (folder / "f_solver_not_object.json").write_text('{"params": {"solvers": {"svd": 5}}}')
    for stem in ("a_truncated", "c_no_snr"):
        shutil.copy(meta, folder / f"{stem}.json")
    return {
        "a_truncated": "a_truncated.npz: not a readable .npz archive",
        "b_list_json": "b_list_json.json: expected a JSON object",
        "c_no_snr": "c_no_snr.npz: missing array(s) SNR",
        "d_bad_json": "d_bad_json.json: not valid JSON",
        "e_no_solvers": "no solver rows",
        "f_solver_not_object": "f_solver_not_object.json: expected a JSON object",
    }


def test_verify_reference_malformed_fixtures_fail_their_rows(tmp_path: Path) -> None:
    reasons = _malformed_fixtures(tmp_path / "fx")
    rows_json = tmp_path / "rows.json"
    done = krosbl("verify-reference", tmp_path / "fx", "--json", rows_json)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{len(reasons)} rows: 0 ok, {len(reasons)} failed" in done.stdout
    rows = json.loads(rows_json.read_text(encoding="utf-8"))
    assert [(r["fixture"], r["solver"], r["ok"]) for r in rows] == [
        (name, "*", False) for name in reasons
    ]
    for row in rows:
        assert reasons[row["fixture"]] in row["reason"], row


@pytest.mark.parametrize("module", ["krosbl.cli", "krosbl.reference"])
def test_verify_reference_exit_code_and_json_survive_a_closed_stdout(
    tmp_path: Path, module: str
) -> None:
    """``krosbl verify-reference DIR --json F | head``: F is written, a failed row is exit 1."""
    fixtures, rows_json = tmp_path / "fx", tmp_path / "rows.json"
    fixtures.mkdir()
    (fixtures / "broken.npz").write_bytes(b"not a zip")
    shutil.copy(FIXTURES_DIR / "syn_p01.json", fixtures / "broken.json")
    command = [sys.executable, "-m", module]
    command += ["verify-reference"] if module == "krosbl.cli" else []
    done = closed_stdout(*command, fixtures, "--json", rows_json)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert [r["fixture"] for r in json.loads(rows_json.read_text(encoding="utf-8"))] == ["broken"]


@pytest.mark.parametrize(
    ("kind", "needle"), [("missing", "not a directory"), ("empty", "no *.npz")]
)
def test_verify_reference_bad_directory(tmp_path: Path, kind: str, needle: str) -> None:
    path = tmp_path / "nope" if kind == "missing" else tmp_path
    assert_user_error(krosbl("verify-reference", path), "verify-reference", needle)


# --------------------------------------------------------------------------------------------
# run and plot


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture(scope="module")
def plotted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``run synthetic-snr`` of one tiny trial with its figures: the folder and stdout."""
    root = tmp_path_factory.mktemp("run")
    (root / "tiny.toml").write_text(TINY_TOML)
    out = root / "out"
    args = ("--config", root / "tiny.toml", "--trials", "1", "--workers", "1", "--quiet")
    done = krosbl("run", "synthetic-snr", *args, "--out", out)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.mark.slow
def test_run_writes_figures_by_default(plotted_run: tuple[Path, str]) -> None:
    out, stdout = plotted_run
    figures = sorted(p.name for p in out.iterdir() if p.is_file() and p.suffix != ".json")
    assert figures == sorted(f"{m}.{f}" for m in ("nmse", "srr", "time_s") for f in ("pdf", "png"))
    assert f"figures: {out / 'nmse.png'}" in stdout and f"results: {out}" in stdout


@pytest.mark.slow
def test_plot_writes_only_the_formats_asked(plotted_run: tuple[Path, str], tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(plotted_run[0], out)
    for figure in [*out.glob("*.png"), *out.glob("*.pdf")]:
        figure.unlink()
    done = krosbl("plot", out, "--format", "svg")
    assert done.returncode == 0, done.stderr
    written = [str(out / f"{m}.svg") for m in ("nmse", "srr", "time_s")]
    assert done.stdout.splitlines()[-3:] == written
    names = sorted(p.name for p in out.glob("*.*"))
    assert names == ["manifest.json", "nmse.svg", "srr.svg", "time_s.svg"]


@pytest.mark.slow
def test_plot_cannot_write_a_figure(plotted_run: tuple[Path, str], tmp_path: Path) -> None:
    """A figure that cannot be written (here: a folder in its place; for a user, often a
    read-only results folder) is a one-line error, not a traceback."""
    out = tmp_path / "copy"
    shutil.copytree(plotted_run[0], out)
    (out / "nmse.png").unlink()
    (out / "nmse.png").mkdir()
    done = krosbl("plot", out, "--format", "png")
    assert_user_error(done, "plot", f"cannot write {str(out / 'nmse.png')!r}")


def test_run_quick_default_folder_and_trial_count(tmp_path: Path, tiny: Path) -> None:
    """``--quick`` writes results/EXPERIMENT-quick with the quick trial count (2), which beats
    the config's ``trials = 5``; ``--no-plot`` writes no figure."""
    args = ("--config", tiny, "--quick", "--workers", "1", "--quiet", "--no-plot")
    done = krosbl("run", "synthetic-snr", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "results" / "synthetic-snr-quick"
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        "trial-000000.parquet",
        "trial-000001.parquet",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "parts"]
    assert "results: results/synthetic-snr-quick" in done.stdout
    assert "figures:" not in done.stdout


def test_run_paper_asks_for_the_papers_trial_count(tmp_path: Path, tiny: Path) -> None:
    """``--paper`` beats the config's ``trials = 5``: the first progress line says 200."""
    command = [*KROSBL, "run", "synthetic-snr", "--config", str(tiny), "--paper"]
    command += ["--workers", "1", "--quiet", "--no-plot", "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = next((line for line in proc.stderr if " done (" in line), "")
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert line.startswith("synthetic-snr: trial 0 done (1/200, "), line


def _bad_run_args(tmp_path: Path, tiny: Path) -> dict[str, tuple[list[str | Path], str]]:
    (tmp_path / "bad.toml").write_text("values = [10.0\n")
    (tmp_path / "a-file").write_text("")
    return {
        "seed": (["--seed", "-1"], "argument --seed: must be in 0 .. 2**63 - 1, got -1"),
        "quick-paper": (["--quick", "--paper"], "not allowed with argument"),
        "missing-config": (["--config", tmp_path / "nope.toml"], "cannot read config file"),
        "bad-toml": (["--config", tmp_path / "bad.toml"], "is not valid TOML"),
        "out-is-a-file": (
            ["--config", tiny, "--out", tmp_path / "a-file"],
            "cannot write results to",
        ),
    }


@pytest.mark.parametrize(
    "case", ["seed", "quick-paper", "missing-config", "bad-toml", "out-is-a-file"]
)
def test_run_bad_values(tmp_path: Path, tiny: Path, case: str) -> None:
    args, needle = _bad_run_args(tmp_path, tiny)[case]
    done = krosbl("run", "synthetic-snr", *args, cwd=tmp_path)
    assert_user_error(done, "run", needle)
    assert not (tmp_path / "results").exists()


def test_python_dash_m_krosbl_is_the_krosbl_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "krosbl", "presets", "irs", "svd-krosbl"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "prune_abs" in done.stdout


def test_experiments_module_survives_a_closed_stdout() -> None:
    """Its reader is gone before it writes (as ``… list | head -c 0``): exit 0, no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "krosbl.experiments", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
