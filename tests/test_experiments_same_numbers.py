"""Same seeds, same numbers: ``irs-snr --quick`` reproduces values stored before a refactoring.

``tests/data/irs_snr_quick.json`` holds every row of ``krosbl run irs-snr --quick`` (one trial,
two SNRs, six estimators) as stored on 3 December 2026, before the experiment runner was
rewritten; timing columns are left out. A change of runner, storage or executor must not move
these numbers; a deliberate change of a solver or a preset that does is re-recorded with the
command in the file. Algorithms added beyond the paper (dKroSBL) run beside the stored ones and
must leave their numbers unchanged (they draw their symbol-error noise from a stream of their
own).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import QuickRuns

from krosbl.experiments import get_experiment

STORED = Path(__file__).parent / "data" / "irs_snr_quick.json"


def test_irs_snr_quick_reproduces_the_stored_numbers(quick_runs: QuickRuns) -> None:
    stored = json.loads(STORED.read_text())["rows"]
    df, _ = quick_runs("irs-snr")  # the session's run, also checked by test_experiments_quick
    beyond = {a.name for a in get_experiment("irs-snr").algorithms if a.beyond_paper}
    assert beyond == {"dkrosbl"}
    assert len(df[~df["algorithm"].isin(beyond)]) == len(stored)
    for want in stored:
        got = df[(df["algorithm"] == want["algorithm"]) & (df["value"] == want["snr_db"])]
        assert len(got) == 1, want
        row = got.iloc[0]
        assert (row["trial"], row["seed"], row["param"]) == (want["trial"], want["seed"], "snr_db")
        assert (row["n_iter"], bool(row["converged"])) == (want["n_iter"], want["converged"])
        for column in ("nmse", "ser", "noise_var"):
            np.testing.assert_allclose(row[column], want[column], rtol=1e-12, err_msg=column)
