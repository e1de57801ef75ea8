"""`trialkit registry export | import` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.interop.ctgov.conftest import CTGOV, XML_RECORD
from trialkit.cli.main import main
from trialkit.core.protocol import load_protocol
from trialkit.interop.ctgov import study_errors


def test_export_prints_a_valid_api_v2_record(capsys):
    assert main(["registry", "export", str(REFERENCE_PROTOCOL), "--format", "ctgov-json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["protocolSection"]["identificationModule"]["nctId"] == "NCT05532943"
    assert study_errors(record, closed=True) == []


def test_export_writes_to_the_output_file(tmp_path, capsys):
    out = tmp_path / "record.json"
    assert main(["registry", "export", str(REFERENCE_PROTOCOL), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text(encoding="utf-8"))["hasResults"] is False


def test_export_of_a_broken_protocol_exits_2_naming_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(REFERENCE_PROTOCOL.read_text(encoding="utf-8").replace(
        "phases: [PHASE1, PHASE2]", "phases: [PHASE1/2]"), encoding="utf-8")
    assert main(["registry", "export", str(bad)]) == 2
    assert "design.phases[0]" in capsys.readouterr().err


def test_export_refuses_an_unknown_format(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["registry", "export", str(REFERENCE_PROTOCOL), "--format", "ctgov-xml"])
    assert exit_.value.code == 2
    assert "invalid choice: 'ctgov-xml'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["NCT04207047.json", XML_RECORD])
def test_import_writes_a_skeleton_that_loads(name, tmp_path, capsys):
    out = tmp_path / "skeleton.yaml"
    assert main(["registry", "import", str(CTGOV / name), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    protocol = load_protocol(out)
    assert protocol.identity.id == name.split(".")[0]


def test_import_prints_the_skeleton_when_no_output_is_given(capsys):
    assert main(["registry", "import", str(CTGOV / "NCT06408259.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Protocol skeleton imported from the ClinicalTrials.gov record "
                          "NCT06408259 (NCT06408259.json).")
    assert "rule: sex ==" not in out and "rule: age >= 10 and age <= 17" in out


@pytest.mark.parametrize(("content", "message"), [
    ("just some notes\n", "not a registry record"),
    ('{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}',
     "lacks required field(s): protocolSection.identificationModule.briefTitle"),
    ('{"studies": []}', "search result with 0 studies"),
])
def test_import_of_bad_input_exits_2_with_the_reason_and_writes_nothing(
        content, message, tmp_path, capsys):
    record, out = tmp_path / "record.txt", tmp_path / "out.yaml"
    record.write_text(content, encoding="utf-8")
    assert main(["registry", "import", str(record), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"trialkit: {record}: ") and message in err
    assert not out.exists()


def test_import_of_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["registry", "import", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_input_shows_no_traceback_from_the_console_script(tmp_path: Path):
    record = tmp_path / "record.json"
    record.write_text("{broken", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "trialkit.cli.main", "registry", "import",
                             str(record)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "not valid JSON" in result.stderr
