"""The clinical data as ODM 1.3.2 (``odm-snapshot``, ``odm-transactional``) from rows built by
hand on every protocol: valid, holding every version, audit record and signature of the rows,
the same bytes for the same rows, and nothing that depends on the arm."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.interop.odm.conftest import REASON, exchange_rows
from tests.unit.interop.odm.support import concealed_in, every, odmlib_problems, tree
from trialkit.interop.exports import EXPORTS, ExportError
from trialkit.interop.odm import oids

pytestmark = pytest.mark.protocols()


def _write(trial, name: str, path: Path, *, unblinded: bool = False) -> Path:
    EXPORTS[name].write(trial.protocol, exchange_rows(trial.protocol, unblinded=unblinded), path)
    return path


@pytest.mark.parametrize("name", ["odm-snapshot", "odm-transactional"])
def test_the_clinical_files_are_valid_against_the_official_schema_and_odmlib(
        trial, tmp_path, name):
    written = _write(trial, name, tmp_path / "data.xml")
    assert EXPORTS[name].validate(written) == []
    assert odmlib_problems(written) == []


def test_the_snapshot_holds_the_latest_version_of_every_form_record(trial, tmp_path):
    rows = exchange_rows(trial.protocol)
    root = tree(_write(trial, "odm-snapshot", tmp_path / "snapshot.xml"))
    assert root.get("FileType") == "Snapshot"
    forms = every(root, ".//odm:ClinicalData/odm:SubjectData/odm:StudyEventData/odm:FormData")
    assert len(forms) == len(rows.trial.forms)
    values = {(s.get("SubjectKey"), f.get("FormOID"), d.get("ItemOID")): d.get("Value")
              for s in every(root, ".//odm:SubjectData")
              for f in every(s, ".//odm:FormData") for d in every(f, ".//odm:ItemData")}
    keys = {p.key: p.screening_number for p in rows.trial.participants}
    expected = {(keys[f.participant], f"F.{f.form}", f"I.{f.form}.{item}"): oids.value(value)
                for f in rows.trial.forms for item, value in f.data.items()
                if value is not None}
    assert values == expected
    assert not every(root, ".//odm:AuditRecord")


def test_the_transactional_file_holds_every_version_with_its_audit_record(trial, tmp_path):
    rows = exchange_rows(trial.protocol)
    root = tree(_write(trial, "odm-transactional", tmp_path / "audit.xml"))
    assert root.get("FileType") == "Transactional"
    saved = [f for f in every(root, ".//odm:FormData") if f.get("TransactionType") != "Context"]
    assert len(saved) == len(rows.versions)
    assert [f.get("TransactionType") for f in saved].count("Update") == \
        sum(v.number > 1 for v in rows.versions)
    stamps = sorted((f.find("{*}AuditRecord/{*}UserRef").get("UserOID"),
                     f.findtext("{*}AuditRecord/{*}DateTimeStamp"),
                     f.findtext("{*}AuditRecord/{*}ReasonForChange") or "") for f in saved)
    assert stamps == sorted((f"USR.{v.saved_by}", v.saved_at.isoformat(), v.reason)
                            for v in rows.versions)
    assert REASON in {s[2] for s in stamps}


def test_each_changed_item_is_an_item_data_with_its_own_audit_record(trial, tmp_path):
    rows = exchange_rows(trial.protocol)
    root = tree(_write(trial, "odm-transactional", tmp_path / "audit.xml"))
    before: dict[tuple, dict] = {}
    expected = []
    for version in rows.versions:
        key = (version.participant, version.form, version.visit, version.repeat)
        old = before.get(key, {})
        for item, new in version.data.items():
            if old.get(item) != new:
                kind = "Remove" if new is None else "Update" if old.get(item) is not None \
                    else "Insert"
                expected.append((f"I.{version.form}.{item}", kind, version.saved_at.isoformat()))
        before[key] = dict(version.data)
    found = [(d.get("ItemOID"), d.get("TransactionType"),
              d.findtext("{*}AuditRecord/{*}DateTimeStamp"))
             for d in every(root, ".//odm:ItemData")]
    assert sorted(found) == sorted(expected)
    assert {"Insert", "Update", "Remove"} <= {kind for _, kind, _ in found}


def test_every_signature_is_bound_to_its_form_record_with_its_meaning(trial, tmp_path):
    rows = exchange_rows(trial.protocol)
    root = tree(_write(trial, "odm-transactional", tmp_path / "audit.xml"))
    signatures = every(root, ".//odm:ClinicalData//odm:FormData/odm:Signature")
    assert len(signatures) == len(rows.signatures) == 2
    definitions = {d.get("OID"): d.findtext("{*}Meaning")
                   for d in every(root, ".//odm:AdminData/odm:SignatureDef")}
    found = sorted((s.find("{*}UserRef").get("UserOID"),
                    definitions[s.find("{*}SignatureRef").get("SignatureOID")],
                    s.findtext("{*}DateTimeStamp")) for s in signatures)
    assert found == sorted((f"USR.{s.signer}", s.meaning, s.signed_at.isoformat())
                           for s in rows.signatures)
    users = {u.get("OID"): u.findtext("{*}FullName")
             for u in every(root, ".//odm:AdminData/odm:User")}
    assert {users[f"USR.{s.signer}"] for s in rows.signatures} == \
        {s.printed_name for s in rows.signatures}


@pytest.mark.parametrize("name", ["odm-snapshot", "odm-transactional"])
def test_the_same_rows_give_the_same_bytes(trial, tmp_path, name):
    first = _write(trial, name, tmp_path / "first.xml")
    second = _write(trial, name, tmp_path / "second.xml")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("name", ["odm-snapshot", "odm-transactional"])
def test_nothing_in_the_clinical_or_admin_data_depends_on_the_arm(trial, tmp_path, name):
    """The same rows with and without allocations give the same ClinicalData and AdminData;
    no arm id or label is any element's value."""
    unblinded = exchange_rows(trial.protocol, unblinded=True)
    blinded = replace(unblinded, trial=replace(unblinded.trial, allocations=None))
    parts = []
    for rows, path in ((unblinded, tmp_path / "unblinded.xml"), (blinded, tmp_path / "b.xml")):
        EXPORTS[name].write(trial.protocol, rows, path)
        root = tree(path)
        parts.append([ET.tostring(e) for e in (*every(root, "odm:AdminData"),
                                               *every(root, "odm:ClinicalData"))])
        words = {v for e in every(root, "odm:ClinicalData") + every(root, "odm:AdminData")
                 for x in e.iter() for v in (*x.attrib.values(), (x.text or "").strip())}
        assert not words & {v for a in trial.protocol.design.arms for v in (a.id, a.label)}
    assert parts[0] == parts[1]


@pytest.mark.parametrize("name", ["odm-snapshot", "odm-transactional"])
def test_a_blinded_readers_file_describes_only_its_forms_and_names_nothing_concealed(
        trial, tmp_path, name):
    """Its metadata holds the forms of its rows only, visits by their ids without purposes:
    none of the values the blinding crawl looks for."""
    protocol, rows = trial.protocol, exchange_rows(trial.protocol)
    path = _write(trial, name, tmp_path / "blinded.xml")
    assert EXPORTS[name].validate(path) == []
    root = tree(path)
    assert {f.get("OID") for f in every(root, ".//odm:FormDef")} == \
        {f"F.{v.form}" for v in rows.versions}
    assert concealed_in(root, protocol) == set()
    names = {e.get("Name") for e in every(root, ".//odm:StudyEventDef")}
    assert names <= {v.id for v in protocol.schedule.visits} | {"Forms saved outside a visit"}
    assert not every(root, ".//odm:StudyEventDef/odm:Description")


def test_the_clinical_files_need_the_data(trial, tmp_path):
    with pytest.raises(ExportError, match="need the trial's data"):
        EXPORTS["odm-snapshot"].write(trial.protocol, None, tmp_path / "x.xml")
    assert not (tmp_path / "x.xml").exists()
