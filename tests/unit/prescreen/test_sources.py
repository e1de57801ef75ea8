"""Patient sources: record folders (JSON, JSON Lines, arrays) and source detection."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.prescreen import omop_fixture
from trialkit.core.eligibility.compile import compile_criteria
from trialkit.core.protocol import load_protocol
from trialkit.prescreen.backends import connect
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.sources import SourceError, kind_of, load, read_records

SPEC = RecordSpec.of(compile_criteria(load_protocol(REFERENCE_PROTOCOL)))

GOOD = {"patient_id": "A", "sex": "male", "birth_date": "1980-01-01",
        "relapses": [{"onset_date": "2026-01-05"}],
        "attestations": {"willing_to_consent": True}}


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_folder_reads_objects_arrays_and_json_lines(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", json.dumps(GOOD))
    _write(tmp_path, "b.json", json.dumps([{**GOOD, "patient_id": "B"},
                                           {**GOOD, "patient_id": "C"}]))
    _write(tmp_path, "d.jsonl", json.dumps({**GOOD, "patient_id": "D"}) + "\n\n"
           + json.dumps({**GOOD, "patient_id": "E"}) + "\n")
    folder = read_records(tmp_path, SPEC)
    assert [r.patient_id for r in folder.records] == ["A", "B", "C", "D", "E"]
    assert folder.rejected == []


def test_malformed_records_are_rejected_with_their_place_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "a.jsonl", json.dumps(GOOD) + "\n"
           + json.dumps({**GOOD, "patient_id": "X", "relapses": [{"onset_date": "soon"}]})
           + "\n{not json\n")
    folder = read_records(tmp_path, SPEC)
    assert [r.patient_id for r in folder.records] == ["A"]
    places = [(bad.where.rsplit("/", 1)[-1], bad.message) for bad in folder.rejected]
    assert places[0][0] == "a.jsonl:2" and "relapses[0].onset_date" in places[0][1]
    assert places[1][0] == "a.jsonl:3" and places[1][1].startswith("not JSON")


def test_a_patient_id_in_two_files_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", json.dumps(GOOD))
    _write(tmp_path, "b.json", json.dumps(GOOD))
    with pytest.raises(SourceError, match="repeated"):
        read_records(tmp_path, SPEC)


def test_record_folders_load_into_logical_tables_with_as_of_dates(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", json.dumps([GOOD, {**GOOD, "patient_id": "B",
                                                  "index_date": "2026-02-01"}]))
    loaded = load(tmp_path, as_of=dt.date(2026, 3, 1), spec=SPEC)
    con = connect("duckdb")
    patients = con.to_pyarrow(loaded.tables.patient.order_by("patient_id")).to_pylist()
    assert [(p["patient_id"], p["index_date"], p["consent_date"], p["obs_start"], p["obs_end"])
            for p in patients] == [
        ("A", dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(1980, 1, 1),
         dt.date(2026, 3, 1)),
        ("B", dt.date(2026, 2, 1), dt.date(2026, 2, 1), dt.date(1980, 1, 1),
         dt.date(2026, 2, 1))]
    attested = con.to_pyarrow(loaded.tables.attestations).to_pylist()
    assert attested == [{"patient_id": "A", "key": "willing_to_consent", "value": True},
                        {"patient_id": "B", "key": "willing_to_consent", "value": True}]


def test_a_table_the_protocol_does_not_declare_is_rejected_not_ignored(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", json.dumps({**GOOD, "nihss": [{"date": "2026-01-05"}]}))
    folder = read_records(tmp_path, SPEC)
    assert folder.records == []
    assert "nihss: unknown field" in folder.rejected[0].message


def test_sources_are_told_apart_by_their_content(tmp_path: Path) -> None:
    _write(tmp_path / "records", "a.jsonl", json.dumps(GOOD))
    parquet = omop_fixture.as_parquet(tmp_path / "omop")
    database = omop_fixture.as_duckdb(tmp_path / "omop.duckdb")
    assert kind_of(tmp_path / "records") == "records"
    assert kind_of(parquet) == "omop-parquet"
    assert kind_of(database) == "omop-duckdb"
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="neither"):
        kind_of(tmp_path / "empty")
    with pytest.raises(SourceError, match="no such"):
        kind_of(tmp_path / "missing")
