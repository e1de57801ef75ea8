"""`trialkit simulate`: the files it writes, the same results on one worker or two, and bad
input reported without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from trialkit.cli.main import main
from trialkit.core.simulation import designs

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
    """`trialkit simulate scenarios/<stem>.yaml --protocol protocols/<stem>.yaml`: the
    operating characteristics (power with MCSE, duration, patients screened) of the whole
    protocol, the same on one worker and two."""
    scenarios = ROOT / "scenarios" / f"{trial.stem}.yaml"
    summaries = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert main(["simulate", str(scenarios), "--protocol", str(trial.path), "--trials", "4",
                     "--seed", "3", "--pool", "60", "--quiet", "--workers", str(workers),
                     "--out", str(out), "--scenario", _first_scenario(scenarios)]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary.pop("workers") == workers
        assert summary["protocol"]["id"] == trial.protocol.identity.id
        summaries.append(summary)
        assert "± " in (out / "summary.md").read_text()
    assert summaries[0] == summaries[1]
    [(power, mcse, months, screened)] = _characteristics(summaries[0])
    assert 0 <= power <= 1 and mcse >= 0
    assert months > 0
    target = trial.protocol.part(trial.protocol.randomization.part).enrolment_target
    assert screened >= target


def _first_scenario(path: Path) -> str:
    return str(yaml.safe_load(path.read_text())["scenarios"][0]["id"])


def test_a_design_file_refuses_the_options_it_cannot_honour(tmp_path, capsys):
    files = [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if designs.is_design_file(p)]
    assert files
    for path in files:
        for option in (["--engine", "spark"], ["--rows"]):
            assert main(["simulate", str(path), "--seed", "1", "--trials", "2", "--out",
                         str(tmp_path), *option]) == 2
            assert "not available for a design-level scenario file" in capsys.readouterr().err
