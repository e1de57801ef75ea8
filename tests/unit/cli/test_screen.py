"""`trialkit screen`: JSON and JSON Lines output, checklists, and malformed records in a batch."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, REFERENCE_PROTOCOL
from trialkit.cli.main import main

RECORDS = FIXTURES / "records"
PROTOCOL = ["--protocol", str(REFERENCE_PROTOCOL)]


def test_one_record_prints_one_result_in_the_documented_shape(capsys):
    assert main(["screen", str(RECORDS / "eligible.json"), "--json", *PROTOCOL]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"patient_id", "protocol", "verdict", "criteria", "missing"}
    assert result["patient_id"] == "SCR-0001" and result["verdict"] == "eligible"
    assert result["protocol"]["id"] == "NCT05532943" and len(result["protocol"]["version"]) == 64
    assert [c["id"] for c in result["criteria"]] == \
        [f"I{i}" for i in range(1, 8)] + [f"E{i}" for i in range(1, 13)]
    i2 = result["criteria"][1]
    assert set(i2) == {"id", "kind", "status", "explanation", "evidence"}
    assert i2["kind"] == "inclusion" and i2["status"] == "met"
    assert "42" in i2["explanation"] and "2026-11-02" in i2["explanation"]
    assert {"table": "patient", "field": "birth_date", "value": "1984-05-12"} in i2["evidence"]
    assert result["missing"] == []


def test_a_batch_goes_on_past_a_malformed_record_and_exits_2(capsys):
    code = main(["screen", str(RECORDS / "batch_with_malformed.json"), "--json", *PROTOCOL])
    out, err = capsys.readouterr()
    assert code == 2
    results = json.loads(out)
    assert [(r["patient_id"], r["verdict"]) for r in results] == [
        ("SCR-0001", "eligible"), ("SCR-0002", "incomplete"), ("SCR-0003", "ineligible")]
    assert results[1]["missing"][0].startswith("I5: no APTT")
    assert "batch_with_malformed.json[3] (patient SCR-0004): labs[5].unit: unknown unit " \
           "'mg/dl'" in err
    assert "1 of 4 record(s) rejected" in err
    assert "Traceback" not in err


def test_jsonl_prints_one_result_per_line(capsys):
    code = main(["screen", str(RECORDS / "batch_with_malformed.json"), "--jsonl", *PROTOCOL])
    lines = capsys.readouterr().out.splitlines()
    assert code == 2
    assert [json.loads(line)["patient_id"] for line in lines] == ["SCR-0001", "SCR-0002",
                                                                   "SCR-0003"]


def test_several_files_print_an_array(capsys):
    eligible = str(RECORDS / "eligible.json")
    assert main(["screen", eligible, eligible, "--json", *PROTOCOL]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_as_of_dates_a_record_without_consent_or_index(capsys):
    undated = str(RECORDS / "undated.json")
    assert main(["screen", undated, "--json", *PROTOCOL]) == 2
    assert "index_date: missing" in capsys.readouterr().err
    assert main(["screen", undated, "--json", "--as-of", "2026-11-20", *PROTOCOL]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "eligible"


def test_the_checklist_shows_the_verdict_each_criterion_and_what_is_missing(capsys):
    assert main(["screen", str(RECORDS / "batch_with_malformed.json"), *PROTOCOL]) == 2
    out = capsys.readouterr().out
    assert "SCR-0001 — NCT05532943" in out and "ELIGIBLE" in out
    assert "SCR-0002" in out and "INCOMPLETE" in out
    assert "? I5   inclusion unknown" in out
    assert "To decide:" in out and "- I5: no APTT" in out
    assert "✗ I1   inclusion not_met  Attestation 'Willing to sign informed consent': no." in out


def test_an_unreadable_file_is_reported_without_a_traceback(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["screen", str(broken), str(RECORDS / "eligible.json"), "--json",
                 *PROTOCOL]) == 2
    out, err = capsys.readouterr()
    assert "broken.json: (file): not JSON" in err
    assert json.loads(out)[0]["patient_id"] == "SCR-0001"


def test_a_bad_as_of_date_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["screen", str(RECORDS / "eligible.json"), "--as-of", "tomorrow", *PROTOCOL])
    assert info.value.code == 2
    assert "'tomorrow' is not a date" in capsys.readouterr().err


def test_without_a_protocol_the_command_says_how_to_name_one(capsys, monkeypatch):
    monkeypatch.delenv("TRIALKIT_PROTOCOL", raising=False)
    assert main(["screen", str(RECORDS / "eligible.json"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "--protocol FILE" in err and "TRIALKIT_PROTOCOL" in err
    assert "Traceback" not in err


def test_the_protocol_may_come_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("TRIALKIT_PROTOCOL", str(REFERENCE_PROTOCOL))
    assert main(["screen", str(RECORDS / "eligible.json"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "eligible"
