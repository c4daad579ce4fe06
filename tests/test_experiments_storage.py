"""Result storage (atomic parts, manifest, lock), summaries and plots on a real tiny run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from krosbl.experiments import (
    ExperimentError,
    load_results,
    plot_results,
    run_experiment,
    summarize,
)
from krosbl.experiments.storage import COLUMNS, ResultStore, to_frame

TINY = {"n": [10, 10, 10], "m": [4, 5, 6], "k": 2, "values": [10.0, 30.0]}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("runs") / "snr"
    df = run_experiment("synthetic-snr", trials=3, out=out, workers=1, config=TINY, progress=False)
    return out, df


def test_run_layout_and_columns(tiny_run: tuple[Path, pd.DataFrame]) -> None:
    out, df = tiny_run
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        f"trial-{t:06d}.parquet" for t in range(3)
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment"] == "synthetic-snr" and len(manifest["fingerprint"]) == 64
    assert list(df.columns[: len(COLUMNS)]) == list(COLUMNS)
    # one row per (trial, algorithm, sweep value)
    assert len(df) == 3 * 7 * 2
    assert not df.duplicated(["trial", "algorithm", "value"]).any()
    assert set(df["param"]) == {"snr_db"} and set(df["experiment"]) == {"synthetic-snr"}
    assert df["ser"].isna().all()  # not applicable to synthetic runs
    oracle = df[df["algorithm"] == "oracle-ls"]
    assert oracle["n_iter"].isna().all() and oracle["converged"].isna().all()
    assert (oracle["srr"] == 1).all()
    for name in ("png", "pdf"):
        for metric in ("nmse", "srr", "time_s"):
            assert (out / f"{metric}.{name}").stat().st_size > 0
    pd.testing.assert_frame_equal(load_results(out), df)


def test_one_x_per_trial_and_snr_defined_noise(tiny_run: tuple[Path, pd.DataFrame]) -> None:
    _, df = tiny_run
    # σ² = P / 10^{SNR/10} with the same y_0 (same x and matrices) at every SNR of a trial
    sigma = df[df["algorithm"] == "sbl"].pivot(index="trial", columns="value", values="noise_var")
    np.testing.assert_allclose(sigma[10.0] / sigma[30.0], 100.0, rtol=1e-12)
    assert sigma[10.0].nunique() == 3  # a new x per trial


def test_summary_statistics(tiny_run: tuple[Path, pd.DataFrame]) -> None:
    _, df = tiny_run
    table = summarize(df)
    row = table[(table["algorithm"] == "svd-krosbl") & (table["value"] == 30.0)].iloc[0]
    values = df[(df["algorithm"] == "svd-krosbl") & (df["value"] == 30.0)]["nmse"].to_numpy()
    assert row["trials"] == 3
    assert row["nmse_mean"] == pytest.approx(values.mean())
    half = 4.302652729911275 * values.std(ddof=1) / np.sqrt(3)  # t_{0.975, 2}
    assert row["nmse_hi"] - row["nmse_mean"] == pytest.approx(half)
    assert "ser_mean" not in table  # all-NaN metrics are left out
    assert list(table["algorithm"][:7]) == [
        "sbl",
        "am-krosbl",
        "svd-krosbl",
        "ksbl",
        "kron-omp",
        "dkrosbl",
        "oracle-ls",
    ]
    # the energies: one trial's pooled NMSE is its NMSE
    np.testing.assert_allclose(df["err_sq"] / df["ref_sq"], df["nmse"], rtol=1e-10)


def test_rerun_is_a_no_op_and_more_trials_extend(tiny_run: tuple[Path, pd.DataFrame]) -> None:
    out, df = tiny_run
    before = {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()}
    again = run_experiment(
        "synthetic-snr", trials=3, out=out, workers=1, config=TINY, progress=False, plot=False
    )
    pd.testing.assert_frame_equal(again, df)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()} == before
    fewer = run_experiment(
        "synthetic-snr", trials=2, out=out, workers=1, config=TINY, progress=False, plot=False
    )
    pd.testing.assert_frame_equal(fewer, df[df["trial"] < 2].reset_index(drop=True))


def test_config_change_is_refused_naming_the_difference(
    tiny_run: tuple[Path, pd.DataFrame],
) -> None:
    out, _ = tiny_run
    with pytest.raises(ExperimentError, match=r"settings\.k: 2 -> 3") as info:
        run_experiment("synthetic-snr", trials=1, out=out, config={**TINY, "k": 3}, plot=False)
    assert "--out" in str(info.value)


def test_plot_results_from_files_only(tiny_run: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    out, _ = tiny_run
    paths = plot_results(out, formats=["png"])
    assert sorted(p.name for p in paths) == ["nmse.png", "srr.png", "time_s.png"]
    with pytest.raises(ExperimentError, match="no krosbl results"):
        plot_results(tmp_path)


def test_atomic_part_write_and_stale_temp_cleanup(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r")
    store.prepare({"experiment": "x"}, "f" * 64)
    frame = to_frame([{"algorithm": "a", "trial": 17, "seed": 0, "value": 1.0, "nmse": 0.5}])
    path = store.write_trial(17, frame)
    assert path.name == "trial-000017.parquet"
    assert [p.name for p in store.parts.iterdir()] == ["trial-000017.parquet"]
    (store.parts / ".trial-000018.parquet.abc.tmp").write_bytes(b"half")
    assert store.completed() == {17}
    with store.lock():
        assert not list(store.parts.glob(".*.tmp"))
        with pytest.raises(ExperimentError, match="another run"):
            with store.lock():
                pass
    assert not store.lock_path.exists()
    loaded = store.load()
    assert loaded["nmse"].tolist() == [0.5] and loaded["converged"].isna().all()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r")
    store.prepare({"experiment": "x"}, "f" * 64)
    pid = os.fork()
    if pid == 0:  # child exits at once; its pid is then free
        os._exit(0)
    os.waitpid(pid, 0)
    import socket

    store.lock_path.write_text(f"{socket.gethostname()} {pid}")
    with store.lock():
        assert store.lock_path.read_text().endswith(str(os.getpid()))


def test_unwritable_out_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExperimentError, match="cannot write results"):
        run_experiment("synthetic-snr", trials=1, out=blocker / "sub", config=TINY, plot=False)


def test_parts_without_manifest_are_refused(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    to_frame([{"algorithm": "a", "trial": 0, "seed": 0}]).to_parquet(
        tmp_path / "parts" / "trial-000000.parquet"
    )
    with pytest.raises(ExperimentError, match="no manifest"):
        run_experiment("synthetic-snr", trials=1, out=tmp_path, config=TINY, plot=False)


def test_solver_setting_changes_are_named(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r")
    old = {"experiment": "x", "solvers": {"irs": {"sbl": {"max_iter": 150}}}}
    store.prepare(old, "a" * 64)
    changed = {"experiment": "x", "solvers": {"irs": {"sbl": {"max_iter": 150, "tol": 1e-5}}}}
    with pytest.raises(ExperimentError, match=r"solvers\.irs\.sbl\.tol: \(unset\) -> 1e-05"):
        store.prepare(changed, "c" * 64)
    with pytest.raises(ExperimentError, match=r"max_iter: 150 -> 100"):
        store.prepare({**old, "solvers": {"irs": {"sbl": {"max_iter": 100}}}}, "d" * 64)


def test_a_folder_with_other_files_is_not_written_into(tmp_path: Path) -> None:
    (tmp_path / "nmse.png").write_bytes(b"the user's own figure")
    with pytest.raises(ExperimentError, match=r"not empty.*nmse\.png.*no krosbl results"):
        run_experiment("synthetic-snr", trials=1, out=tmp_path, config=TINY, plot=False)
    assert (tmp_path / "nmse.png").read_bytes() == b"the user's own figure"
    assert not (tmp_path / "parts").exists()


def test_a_folder_of_another_experiment_says_so_first(
    tiny_run: tuple[Path, pd.DataFrame],
) -> None:
    out, _ = tiny_run
    with pytest.raises(ExperimentError, match="experiment 'synthetic-snr', not 'irs-snr'"):
        run_experiment("irs-snr", trials=1, out=out, quick=True, plot=False)


def test_results_files_follow_the_umask(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r")
    store.prepare({"experiment": "x"}, "f" * 64)
    part = store.write_trial(0, to_frame([{"algorithm": "a", "trial": 0, "seed": 0}]))
    # like any file the process creates
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    assert (part.stat().st_mode & 0o777) == expected
    assert (store.manifest_path.stat().st_mode & 0o777) == expected


def test_unknown_progress_mode_is_refused_before_any_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="progress must be True, False, 'rich' or 'plain'"):
        run_experiment("synthetic-snr", trials=1, out=tmp_path / "o", config=TINY, progress="x")
    assert not (tmp_path / "o").exists()
