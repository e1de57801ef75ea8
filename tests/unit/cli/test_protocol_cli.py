"""`trialkit protocol validate | show | diff | schema` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_PROTOCOL, REFERENCE_TEXT_PATH
from trialkit.cli.main import main

TEXT = REFERENCE_TEXT_PATH.read_text(encoding="utf-8")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _governed_dates(protocol) -> list[str]:
    """Dates that interpretations govern (``show`` once crashed on them)."""
    import datetime as dt

    from trialkit.core.protocol.consistency import resolve

    return [value.isoformat() for i in protocol.interpretations for path in i.governs
            if isinstance(value := resolve(protocol, path), dt.date)]


@pytest.mark.protocols()
def test_every_protocol_validates_and_shows_its_forms_and_roles(trial, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["protocol", "validate", str(trial.path)]) == 0
    assert trial.protocol.identity.id in capsys.readouterr().out
    assert main(["protocol", "show", str(trial.path)]) == 0
    out = capsys.readouterr().out
    assert all(f.id in out for f in trial.protocol.forms)
    assert all(day in out for day in _governed_dates(trial.protocol))
    assert all(r.id in out for r in trial.protocol.roles)
    assert all(c.id in out for c in trial.protocol.eligibility.criteria)


def test_validate_prints_the_protocol_id_and_version(capsys):
    assert main(["protocol", "validate", str(REFERENCE_PROTOCOL)]) == 0
    out = capsys.readouterr().out
    assert "valid — NCT05532943, version " in out


def test_validate_warns_of_a_site_left_in_utc_and_refuses_a_zone_that_does_not_exist(
        tmp_path, capsys):
    utc = _write(tmp_path, "utc.yaml", TEXT.replace("      time_zone: Asia/Taipei\n", ""))
    assert main(["protocol", "validate", str(utc)]) == 0
    assert "identity.sites[CMUH].time_zone is not set" in capsys.readouterr().err
    assert main(["protocol", "validate", str(REFERENCE_PROTOCOL)]) == 0
    assert "time_zone" not in capsys.readouterr().err
    bad = _write(tmp_path, "bad.yaml", TEXT.replace("Asia/Taipei", "Asia/Taichung"))
    result = subprocess.run([sys.executable, "-m", "trialkit.cli.main", "protocol", "validate",
                             str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "time_zone" in result.stderr and "'Asia/Taichung' is not an IANA time zone" \
        in result.stderr


def test_validate_refuses_a_bad_file_with_exit_code_2_and_no_traceback(tmp_path):
    bad = _write(tmp_path, "bad.yaml", TEXT.replace("enrolment_target: 6", "enrolment_target: six"))
    result = subprocess.run([sys.executable, "-m", "trialkit.cli.main", "protocol", "validate",
                             str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "design.parts[0].enrolment_target" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_presents_design_gates_arms_schedule_criteria_and_assumptions(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["protocol", "show", str(REFERENCE_PROTOCOL)]) == 0
    out = capsys.readouterr().out
    for expected in ("NCT05532943", "Parts and arms", "Sequential enrolment in phase1",
                     "Safety Monitoring Committee", "Schedule of activities", "M12 Month 12",
                     "Eligibility criteria", "E12", "Readings and assumptions", "phase2a-size",
                     "design.parts[phase2a].enrolment_target = 35"):
        assert expected in out, expected


def test_show_presents_what_each_form_is_and_what_each_role_does(capsys, monkeypatch,
                                                                 reference_protocol):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["protocol", "show", str(REFERENCE_PROTOCOL)]) == 0
    out = capsys.readouterr().out
    assert "Forms" in out and "Roles" in out
    adverse = next(f for f in reference_protocol.forms if f.kind == "adverse_event")
    assert f"{adverse.id} {adverse.name}" in out and "adverse event" in out
    assert all(check.id in out for check in adverse.checks)
    told = next(r for r in reference_protocol.roles if r.notified_of)
    assert ", ".join(told.notified_of) in out
    assert all(r.workspace in out for r in reference_protocol.roles if r.workspace)


def test_diff_groups_changes_by_section(tmp_path, capsys):
    new = _write(tmp_path, "v2.yaml", TEXT.replace("wait_days: 7", "wait_days: 10").replace(
        "window: {before: 3, after: 3}", "window: {before: 2, after: 2}"))
    assert main(["protocol", "diff", str(REFERENCE_PROTOCOL), str(new)]) == 0
    out = capsys.readouterr().out
    assert "design:" in out and "gates.sequential_enrolment[0].wait_days: 7 → 10" in out
    assert "schedule:" in out and "schedule.visits[D28].window.before: 3 → 2" in out


def test_diff_as_json_carries_both_versions(tmp_path, capsys):
    new = _write(tmp_path, "v2.yaml", TEXT.replace("wait_days: 7", "wait_days: 10"))
    assert main(["protocol", "diff", "--json", str(REFERENCE_PROTOCOL), str(new)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["old_version"] != report["new_version"]
    assert report["changes"] == [{"section": "design", "kind": "changed",
                                  "path": "gates.sequential_enrolment[0].wait_days",
                                  "old": 7, "new": 10}]


def test_diff_of_identical_files_says_so(capsys):
    assert main(["protocol", "diff", str(REFERENCE_PROTOCOL), str(REFERENCE_PROTOCOL)]) == 0
    assert "No differences in meaning." in capsys.readouterr().out


def test_schema_is_written_as_json_schema(tmp_path):
    out = tmp_path / "schema.json"
    assert main(["protocol", "schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"identity", "design", "schedule", "eligibility"} <= set(schema["properties"])
