"""trialkit's conformance checker: CDISC's own sample passes it, and broken copies of the sample
(and of a hand-built study) each fail with the rule, dataset, variable and row named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import FIXTURES
from tests.unit.interop.sdtm import domains
from trialkit.interop.sdtm.check import Finding, check_folder, errors
from trialkit.interop.sdtm.datasetjson import Study
from trialkit.interop.sdtm.rules import rules
from trialkit.interop.sdtm.submission import write_domains

MSG = FIXTURES / "sdtm-msg"
SCHEMA = json.loads((FIXTURES / "analysis" / "dataset-json-1.1.schema.json").read_text())
STUDY = Study("STUDY1", "STUDY1", "MDV.1", "2026-12-03T00:00:00", "0.1.0")


@pytest.fixture()
def sample(tmp_path) -> Path:
    folder = tmp_path / "msg"
    shutil.copytree(MSG, folder)
    return folder


def _edit(folder: Path, dataset: str, change: Any) -> None:
    """Apply ``change(document, column_index)`` to one Dataset-JSON file of ``folder``."""
    path = folder / f"{dataset}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    index = {c["name"]: i for i, c in enumerate(document["columns"])}
    change(document, index)
    path.write_text(json.dumps(document), encoding="utf-8")


def _only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in errors(findings) if f.rule == rule]


def test_every_dataset_of_the_cdisc_sample_is_valid_dataset_json():
    paths = sorted(MSG.glob("*.json"))
    assert len(paths) == 28
    for path in paths:
        jsonschema.Draft201909Validator(SCHEMA).validate(json.loads(path.read_text()))


def test_the_cdisc_sample_has_no_error_under_any_rule():
    findings = check_folder(MSG)
    assert errors(findings) == []
    # The sample ships AEDECOD empty (MedDRA is licensed): reported, as a warning.
    assert {f.rule for f in findings if f.severity == "warning"} >= {"TK-SD-04"}


def test_every_rule_says_what_it_follows_and_where_in_the_sdtmig():
    for rule in rules():
        assert rule.follows and rule.sdtmig.startswith(("SDTMIG", "Define-XML"))
        assert rule.core_id is None or rule.core_id.startswith("CORE-")


def test_a_missing_required_variable_fails(sample):
    def drop_aeterm(document, index):
        position = index["AETERM"]
        del document["columns"][position]
        for row in document["rows"]:
            del row[position]

    _edit(sample, "ae", drop_aeterm)
    found = _only(check_folder(sample), "TK-SD-01")
    assert [(f.dataset, f.variable, f.row) for f in found] == [("AE", "AETERM", None)]
    assert "required variable AETERM is missing from AE" in str(found[0])


def test_a_duplicate_sequence_number_fails(sample):
    def repeat_seq(document, index):
        first, second = document["rows"][0], document["rows"][1]
        second[index["USUBJID"]] = first[index["USUBJID"]]
        second[index["CMSEQ"]] = first[index["CMSEQ"]]

    _edit(sample, "cm", repeat_seq)
    found = _only(check_folder(sample), "TK-KY-02")
    assert [(f.dataset, f.variable, f.row) for f in found] == [("CM", "CMSEQ", 2)]
    assert found[0].core_id == "CORE-000750" and "[CORE-000750]" in str(found[0])


def test_a_date_that_is_not_iso_8601_fails(sample):
    def american_date(document, index):
        document["rows"][2][index["AESTDTC"]] = "03/12/2013"

    _edit(sample, "ae", american_date)
    found = _only(check_folder(sample), "TK-DT-01")
    assert [(f.dataset, f.variable, f.row) for f in found] == [("AE", "AESTDTC", 3)]
    assert "'03/12/2013' is not an ISO 8601 date/time" in found[0].message


def test_a_subject_missing_from_dm_fails(sample):
    def stranger(document, index):
        document["rows"][4][index["USUBJID"]] = "CDISC999"

    _edit(sample, "vs", stranger)
    found = _only(check_folder(sample), "TK-XD-01")
    assert [(f.dataset, f.variable, f.row) for f in found] == [("VS", "USUBJID", 5)]


def test_a_value_outside_a_non_extensible_codelist_fails(sample):
    def spelled_out(document, index):
        document["rows"][0][index["SEX"]] = "MALE"

    _edit(sample, "dm", spelled_out)
    found = check_folder(sample)
    assert [(f.dataset, f.variable, f.row) for f in _only(found, "TK-CT-01")] == [
        ("DM", "SEX", 1)]
    # the define.xml's CodeList for SEX (C66731, non-extensible) refuses it too
    assert [(f.dataset, f.variable, f.row) for f in _only(found, "TK-CT-02")] == [
        ("DM", "SEX", 1)]


def test_the_hand_built_study_passes_and_its_broken_copies_fail(tmp_path):
    assert errors(check_folder_of(tmp_path / "good", domains.study())) == []
    bad_start = [domains.ae(), domains.dm(RFSTDTC="2025-03-01"), domains.ex(), domains.ts()]
    found = errors(check_folder_of(tmp_path / "bad", bad_start))
    rules_hit = {(f.rule, f.dataset, f.variable) for f in found}
    assert ("TK-XD-02", "DM", "RFSTDTC") in rules_hit  # RFSTDTC is not the first EXSTDTC
    assert ("TK-XD-03", "AE", "AESTDY") in rules_hit  # AESTDY no longer matches RFSTDTC


def test_a_second_studyid_and_a_wrong_domain_code_fail(tmp_path):
    folder = tmp_path / "s"
    write_domains(folder, domains.study(), STUDY, description="A study")
    _edit(folder, "ex", lambda d, i: d["rows"][1].__setitem__(i["STUDYID"], "OTHER"))
    _edit(folder, "ts", lambda d, i: d["rows"][0].__setitem__(i["DOMAIN"], "TA"))
    found = errors(check_folder(folder))
    assert ("TK-XD-04", "EX", "STUDYID", 2) in {(f.rule, f.dataset, f.variable, f.row)
                                                 for f in found}
    assert ("TK-XD-05", "TS", "DOMAIN", 1) in {(f.rule, f.dataset, f.variable, f.row)
                                                for f in found}


def check_folder_of(folder: Path, study: list) -> list[Finding]:
    write_domains(folder, study, STUDY, description="A study")
    return check_folder(folder)


def test_without_ex_the_first_exposure_is_read_from_ec(tmp_path):
    blinded = [domains.ae(), domains.dm(), domains.ec(), domains.ts()]
    assert errors(check_folder_of(tmp_path / "good", blinded)) == []
    late = [domains.ae(), domains.dm(RFSTDTC="2025-03-12"), domains.ec(), domains.ts()]
    found = errors(check_folder_of(tmp_path / "late", late))
    assert {(f.rule, f.variable, f.row) for f in found if f.rule == "TK-XD-02"} == {
        ("TK-XD-02", "RFSTDTC", 1), ("TK-XD-02", "RFSTDTC", 2)}
