"""The OMOP → logical-table mapping on a hand-built extract whose logical rows are known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.prescreen import omop_fixture
from trialkit.core.eligibility.compile import compile_criteria
from trialkit.core.protocol import load_protocol
from trialkit.prescreen.criteria import criteria_of
from trialkit.prescreen.engine import compile_cohort
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.omop import OmopError, omop_to_logical, read_omop

D = dt.date
AS_OF = D(2026, 11, 20)
COMPILED = compile_criteria(load_protocol(REFERENCE_PROTOCOL))
SPEC = RecordSpec.of(COMPILED)


def _logical(source: Path) -> dict[str, list[dict[str, Any]]]:
    con, tables = read_omop(source)
    logical = omop_to_logical(tables, as_of=AS_OF, spec=SPEC)
    out = {}
    for name, table in logical.items():
        # person_id stays an integer key on every table (cheaper joins); compared as text here.
        assert table.schema()["patient_id"].is_integer(), name
        rows = [{**row, "patient_id": str(row["patient_id"])}
                for row in con.to_pyarrow(table).to_pylist()]
        out[name] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    return out


@pytest.fixture(scope="module", params=["parquet", "duckdb"])
def logical(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("omop")
    if request.param == "parquet":
        return _logical(omop_fixture.as_parquet(folder / "extract"))
    return _logical(omop_fixture.as_duckdb(folder / "extract.duckdb"))


def test_person_gives_sex_birth_date_and_the_latest_observation_period(logical: Any) -> None:
    by_id = {row["patient_id"]: row for row in logical["patient"]}
    assert by_id["1"] == {"patient_id": "1", "sex": "female", "birth_date": D(1980, 4, 15),
                          "consent_date": AS_OF, "index_date": AS_OF,
                          "obs_start": D(2015, 1, 1), "obs_end": D(2026, 11, 20)}
    assert by_id["2"]["birth_date"] is None  # year of birth only: age cannot be decided
    assert by_id["2"]["sex"] == "male"
    assert (by_id["2"]["obs_start"], by_id["2"]["obs_end"]) == (D(2020, 6, 1), D(2026, 6, 30))


def test_a_person_without_observation_period_is_covered_from_birth_to_index(logical: Any) -> None:
    third = next(row for row in logical["patient"] if row["patient_id"] == "3")
    assert third["sex"] is None
    assert (third["birth_date"], third["obs_start"], third["obs_end"]) == (
        D(1990, 1, 31), D(1990, 1, 31), AS_OF)


def test_conditions_give_both_standard_and_source_codes(logical: Any) -> None:
    codes = {(r["patient_id"], r["code"], r["date"], r["end_date"]) for r in logical["diagnoses"]}
    assert codes == {
        ("1", "SNOMED:426373005", D(2016, 3, 1), None),
        ("1", "ICD10:G35", D(2016, 3, 1), None),
        ("1", "SNOMED:254837009", D(2012, 1, 10), D(2013, 6, 1)),
        ("1", "ICD10:C50.912", D(2012, 1, 10), D(2013, 6, 1)),
        ("2", "ICD10:G72.9", D(2021, 5, 5), None),
    }


def test_the_protocols_own_tables_come_from_their_declared_concepts(logical: Any) -> None:
    """relapses: one source (rows); edss: one column source, rows without a value dropped
    (score is required); mri_scans: several sources merged per person and date."""
    assert logical["relapses"] == [{"patient_id": "1", "onset_date": D(2026, 4, 2)}]
    assert logical["edss"] == [{"patient_id": "1", "date": D(2026, 11, 5), "score": 3.5}]
    assert logical["mri_scans"] == [
        {"patient_id": "1", "date": D(2026, 5, 10), "gd_enhancing_lesions": 1,
         "new_t2_lesions": 0},
        {"patient_id": "2", "date": D(2025, 12, 1), "gd_enhancing_lesions": None,
         "new_t2_lesions": None},
    ]


def test_labs_carry_loinc_test_record_unit_reference_range_and_answers(logical: Any) -> None:
    labs = {(r["patient_id"], r["test"]): r for r in logical["labs"]}
    assert labs[("1", "LOINC:5902-2")] == {
        "patient_id": "1", "date": D(2026, 11, 5), "test": "LOINC:5902-2", "value": 12.1,
        "value_text": None, "unit": "s", "uln": 13.5, "lln": 9.5}
    assert labs[("1", "LOINC:1558-6")]["unit"] == "mmol/L"
    assert labs[("3", "LOINC:98979-8")]["unit"] == "mL/min/1.73m2"  # UCUM spelling mapped
    assert labs[("1", "LOINC:2118-8")]["value_text"] == "negative"  # LOINC answer LA6577-6
    assert labs[("3", "LOINC:2118-8")]["value_text"] == "positive"  # SNOMED 10828004
    assert len(labs) == 5


def test_drugs_map_to_lower_case_ingredients_through_the_concept_ancestor(logical: Any) -> None:
    assert logical["medications"] == [
        {"patient_id": "1", "ingredient": "fingolimod", "start_date": D(2021, 2, 1),
         "end_date": D(2026, 11, 20), "rxnorm": "1012892", "atc": None, "route": "oral"},
        {"patient_id": "2", "ingredient": "rituximab", "start_date": D(2025, 1, 1),
         "end_date": D(2025, 3, 1), "rxnorm": None, "atc": None, "route": None},
    ]


def test_the_latest_attestation_answer_wins_and_a_same_day_conflict_is_unknown(
        logical: Any) -> None:
    assert logical["attestations"] == [
        {"patient_id": "1", "key": "pregnant", "value": False},
        {"patient_id": "1", "key": "willing_to_consent", "value": True},
    ]


def test_an_extract_without_a_person_table_is_refused(tmp_path: Path) -> None:
    folder = omop_fixture.as_parquet(tmp_path / "extract")
    (folder / "person.parquet").unlink()
    with pytest.raises(OmopError, match="person"):
        read_omop(folder)


def test_attestation_keys_are_those_the_criteria_read(tmp_path: Path) -> None:
    folder = omop_fixture.as_parquet(tmp_path / "extract")
    con, tables = read_omop(folder)
    only = RecordSpec(SPEC.schema, SPEC.catalogue, ("pregnant",))
    rows = con.to_pyarrow(omop_to_logical(tables, as_of=AS_OF, spec=only).attestations)
    assert [(str(r["patient_id"]), r["key"]) for r in rows.to_pylist()] == [("1", "pregnant")]


def test_a_protocol_table_without_a_declaration_is_empty(tmp_path: Path) -> None:
    folder = omop_fixture.as_parquet(tmp_path / "extract")
    con, tables = read_omop(folder)
    table = SPEC.schema.table("relapses").model_copy(update={"omop": None})
    schema = SPEC.schema.model_copy(update={"tables": tuple(
        table if t.id == "relapses" else t for t in SPEC.schema.tables)})
    logical = omop_to_logical(tables, as_of=AS_OF, spec=RecordSpec(schema, SPEC.catalogue))
    assert con.to_pyarrow(logical.table("relapses")).num_rows == 0


def _screened(folder: Path) -> list[dict[str, Any]]:
    """The reference protocol's statuses for every person of an OMOP Parquet folder."""
    con, tables = read_omop(folder)
    criteria = criteria_of(COMPILED)
    query = compile_cohort(criteria, omop_to_logical(tables, as_of=AS_OF, spec=SPEC))
    rows: list[dict[str, Any]] = con.to_pyarrow(query).to_pylist()
    return rows


def test_an_extract_with_only_person_and_concept_screens_with_nothing_met_by_absence(
        tmp_path: Path) -> None:
    """Missing event tables become empty tables keyed like person_id; their absence proves
    nothing, so no patient becomes eligible."""
    folder = omop_fixture.as_parquet(tmp_path / "extract")
    for path in folder.glob("*.parquet"):
        if path.stem not in ("person", "concept"):
            path.unlink()
    rows = _screened(folder)
    assert sorted(row["patient_id"] for row in rows) == ["1", "2", "3"]
    assert {row["verdict"] for row in rows} <= {"incomplete", "ineligible"}
    assert all(row["I1"] == "unknown" for row in rows)  # no diagnosis table: MS not shown


def test_tables_written_with_different_integer_widths_screen_together(tmp_path: Path) -> None:
    """Extracts mix int32 and int64 person_id (Spark, pandas …); the key is one type."""
    folder = omop_fixture.as_parquet(tmp_path / "extract")
    for name in ("procedure_occurrence", "condition_occurrence"):
        table = pq.read_table(folder / f"{name}.parquet")
        index = table.schema.get_field_index("person_id")
        pq.write_table(table.set_column(index, "person_id",
                                        table.column("person_id").cast(pa.int32())),
                       folder / f"{name}.parquet")
    (folder / "observation.parquet").unlink()  # relapses become an empty table
    assert sorted(row["patient_id"] for row in _screened(folder)) == ["1", "2", "3"]


def test_without_an_event_table_absence_is_no_evidence(tmp_path: Path) -> None:
    """No drug_exposure table: "no anti-CD20 in 12 months" (E11) cannot be not_met for
    anyone, because the extract cannot show exposures; with the table it can."""
    whole = omop_fixture.as_parquet(tmp_path / "whole")
    assert "not_met" in {row["E11"] for row in _screened(whole)}
    lacking = omop_fixture.as_parquet(tmp_path / "lacking")
    (lacking / "drug_exposure.parquet").unlink()
    assert {row["E11"] for row in _screened(lacking)} == {"unknown"}
    con, tables = read_omop(lacking)
    patients = con.to_pyarrow(omop_to_logical(tables, as_of=AS_OF, spec=SPEC).patient
                              ).to_pylist()
    assert {(p["obs_start"], p["obs_end"]) for p in patients} == {(AS_OF, AS_OF)}
