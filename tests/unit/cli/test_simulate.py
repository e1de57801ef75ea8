"""`trialkit simulate`: the files it writes, the same results on one worker or two, and bad
input reported without a traceback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from trialkit.cli.main import main
from trialkit.core.simulation import designs
from trialkit.prescreen.backends import spark_session, spark_unavailable_reason

SCENARIOS = ROOT / "scenarios" / "nct05532943.yaml"
QUICK = ["--trials", "4", "--seed", "3", "--pool", "60", "--quiet",
         "--scenario", "reference", "--scenario", "gate[related_serious_risk=0.3"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    found = {}
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"w{workers}")
        assert main(["simulate", str(SCENARIOS), "--out", str(out), "--workers",
                     str(workers), "--rows", *QUICK]) == 0
        found[workers] = out
    return found


def test_a_run_writes_its_summary_report_figures_and_rows(runs):
    out = runs[1]
    assert {p.name for p in out.iterdir()} == {"summary.json", "summary.md", "trials.csv",
                                               "gate.png", "duration.png"}
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["seed"], summary["trials"], summary["protocol"]["id"]) == (3, 4,
                                                                               "NCT05532943")
    assert [s["scenario"] for s in summary["scenarios"]] == [
        "reference", "gate[related_serious_risk=0.3]"]
    reference = summary["scenarios"][0]
    assert set(reference["gate_stop"]) == {"value", "mcse"}
    assert [e["endpoint"] for e in reference["endpoints"]] == [
        "edss_change", "arr", "mri_activity", "neda3"]
    [gate] = summary["gates"]
    assert [round(r["p_stop"], 3) for r in gate["p_stop"]][:4] == [0.265, 0.469, 0.738, 0.882]
    rows = (out / "trials.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 4 and rows[0].startswith("scenario,trial,")
    assert "± " in (out / "summary.md").read_text()


def test_one_worker_and_two_write_the_same_results(runs):
    one, two = (json.loads((runs[w] / "summary.json").read_text()) for w in (1, 2))
    assert one.pop("workers") == 1 and two.pop("workers") == 2
    assert one == two
    assert (runs[1] / "trials.csv").read_text() == (runs[2] / "trials.csv").read_text()


def test_a_protocol_the_scenario_file_cannot_simulate_is_a_usage_error(tmp_path, capsys):
    stroke = ROOT / "protocols" / "nct01716481.yaml"
    code = main(["simulate", str(SCENARIOS), "--protocol", str(stroke), "--out",
                 str(tmp_path), *QUICK])
    err = capsys.readouterr().err
    assert code == 2
    assert "this protocol's endpoints have no model in this scenario file" in err
    assert "Traceback" not in err


def test_a_missing_scenario_file_and_a_bad_option_are_usage_errors(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "none.yaml"), "--seed", "1", "--out",
                 str(tmp_path)]) == 2
    assert main(["simulate", str(SCENARIOS), "--seed", "1", "--trials", "0", "--out",
                 str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such scenario file" in err and "--trials" in err


def _characteristics(summary: dict) -> list[tuple[float, float, float, float]]:
    """Per scenario: the first endpoint's P(reject) and MCSE, the median duration (months)
    and the mean of patients screened, from either summary format (the reference model's
    trialkit-simulation/1, a design file's whole-protocol summary)."""
    found = []
    for s in summary["scenarios"]:
        if "whole_protocol" in s:
            whole, first = s["whole_protocol"], s["endpoints"][0]
            found.append((first["rejection"], first["mcse"],
                          whole["duration_months"]["p50"], whole["screened"]["mean"]))
        else:
            first = s["endpoints"][0]["rejection"]
            found.append((first["value"], first["mcse"],
                          s["duration_quantiles"]["p50"] / 30.4375, s["screened"]["value"]))
    return found


@pytest.mark.protocols("randomized")
def test_every_protocol_s_scenario_file_runs_the_whole_protocol_on_one_worker_or_two(
        trial, tmp_path):
    """`trialkit simulate scenarios/<stem>.yaml --protocol protocols/<stem>.yaml --rows`: the
    operating characteristics (power with MCSE, duration, patients screened) of the whole
    protocol, the same on one worker and two, with one row per simulated trial and the
    figures (P(reject) by scenario for a design file, the duration distribution)."""
    scenarios = ROOT / "scenarios" / f"{trial.stem}.yaml"
    summaries, rows = [], []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert main(["simulate", str(scenarios), "--protocol", str(trial.path), "--trials", "4",
                     "--seed", "3", "--pool", "60", "--quiet", "--workers", str(workers),
                     "--out", str(out), "--scenario", _first_scenario(scenarios),
                     "--rows"]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary.pop("workers") == workers
        assert summary["protocol"]["id"] == trial.protocol.identity.id
        summaries.append(summary)
        rows.append((out / "trials.csv").read_text())
        assert "± " in (out / "summary.md").read_text()
        written = {p.name for p in out.iterdir()}
        assert {"trials.csv", "duration.png"} <= written
        if designs.is_design_file(scenarios):
            assert "power.png" in written
    assert summaries[0] == summaries[1]
    assert rows[0] == rows[1]
    table = list(csv.DictReader(rows[0].splitlines()))
    assert len(table) == 4 and [r["trial"] for r in table] == ["0", "1", "2", "3"]
    assert {r["scenario"] for r in table} == {_first_scenario(scenarios)}
    assert all(float(r["duration_days"]) > 0 for r in table)
    [(power, mcse, months, screened)] = _characteristics(summaries[0])
    assert 0 <= power <= 1 and mcse >= 0
    assert months > 0
    target = trial.protocol.part(trial.protocol.randomization.part).enrolment_target
    assert screened >= target


def _first_scenario(path: Path) -> str:
    return str(yaml.safe_load(path.read_text())["scenarios"][0]["id"])


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.protocols("randomized")
def test_every_protocol_s_scenario_file_gives_the_same_results_on_spark(trial, tmp_path):
    """`--engine spark` maps the same trial tasks (a design file's as the reference model's)
    on Spark's local mode: summary and rows identical to the local engine's."""
    reason = spark_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    # Started here first, so its Python workers run this interpreter, where trialkit is
    # installed, whichever command would otherwise start the session.
    spark_session()
    scenarios = ROOT / "scenarios" / f"{trial.stem}.yaml"
    found = {}
    for engine in ("local", "spark"):
        out = tmp_path / engine
        assert main(["simulate", str(scenarios), "--protocol", str(trial.path), "--trials",
                     "20", "--seed", "11", "--pool", "60", "--quiet", "--workers", "1",
                     "--engine", engine, "--out", str(out), "--rows",
                     "--scenario", _first_scenario(scenarios)]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary.pop("engine") == engine
        summary.pop("workers")
        found[engine] = (summary, (out / "trials.csv").read_text())
    assert found["local"] == found["spark"]
    assert len(found["spark"][1].splitlines()) == 1 + 20


def test_a_design_file_without_a_population_writes_rows_and_power_and_refuses_spark(
        tmp_path, capsys):
    """Without a population only the randomized comparison runs, in this process: its rows
    (each endpoint's p and rejection) and the power figure are written; Spark has no trial
    tasks to map, which is said rather than ignored."""
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if not designs.is_design_file(path):
            continue
        raw = {k: v for k, v in yaml.safe_load(path.read_text()).items()
               if k not in ("population", "accrual", "conduct")}
        raw["outcomes"].pop("baseline_from", None)  # a record column needs a population
        bare = tmp_path / path.name
        bare.write_text(yaml.safe_dump(raw))
        protocol = ROOT / "protocols" / path.name
        out = tmp_path / path.stem
        assert main(["simulate", str(bare), "--protocol", str(protocol), "--seed", "1",
                     "--trials", "3", "--quiet", "--rows", "--out", str(out)]) == 0
        assert "power.png" in {p.name for p in out.iterdir()}
        table = list(csv.DictReader((out / "trials.csv").read_text().splitlines()))
        assert len(table) == 3 * len(raw["scenarios"])
        assert {f"endpoint.{e['id']}.reject" for e in raw["endpoints"]} <= set(table[0])
        assert main(["simulate", str(bare), "--protocol", str(protocol), "--seed", "1",
                     "--trials", "3", "--quiet", "--engine", "spark", "--out", str(out)]) == 2
        assert "without a population" in capsys.readouterr().err
