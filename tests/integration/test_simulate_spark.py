"""`trialkit simulate --engine spark`: the grid's tasks run on Spark (local mode) and give the
same results as the local engine, trial for trial."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from trialkit.cli.main import main
from trialkit.prescreen.backends import spark_session, spark_unavailable_reason

SCENARIOS = ROOT / "scenarios" / "nct05532943.yaml"
RUN = ["--trials", "6", "--seed", "17", "--pool", "60", "--quiet", "--rows",
       "--scenario", "reference", "--scenario", "efficacy[disability_change=-0.5"]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_and_the_local_engine_simulate_the_same_trials(tmp_path):
    reason = spark_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    # The session may already exist, started by a pre-screen in the same process (as in the
    # suite): the simulation's Python workers must still find trialkit.
    spark_session()
    local, spark = tmp_path / "local", tmp_path / "spark"
    assert main(["simulate", str(SCENARIOS), "--out", str(local), "--workers", "1", *RUN]) == 0
    assert main(["simulate", str(SCENARIOS), "--out", str(spark), "--engine", "spark",
                 *RUN]) == 0
    ours, theirs = (json.loads((folder / "summary.json").read_text())
                    for folder in (local, spark))
    assert (ours.pop("engine"), theirs.pop("engine")) == ("local", "spark")
    ours.pop("workers"), theirs.pop("workers")
    assert ours == theirs
    assert (local / "trials.csv").read_text() == (spark / "trials.csv").read_text()
