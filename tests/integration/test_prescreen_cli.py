"""`trialkit synth cohort` and `trialkit prescreen` end to end on a small synthetic cohort."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.prescreen import omop_fixture
from trialkit.cli.main import main
from trialkit.core.protocol import load_protocol

CRITERIA = [c.id for c in load_protocol(REFERENCE_PROTOCOL).eligibility.criteria]
KINDS = {c.id: c.kind for c in load_protocol(REFERENCE_PROTOCOL).eligibility.criteria}
ORDER = {"eligible": 0, "incomplete": 1, "ineligible": 2}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "cohort"
    assert main(["synth", "cohort", "--patients", "1500", "--seed", "5", "--out", str(out),
                 "--chunk", "500", "--quiet",
                 "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    return out


@pytest.fixture(scope="module")
def screened(cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("prescreen")
    out, chart = folder / "result.parquet", folder / "funnel.png"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["prescreen", str(cohort), "--as-of", "2026-11-20", "--out", str(out),
                     "--chart", str(chart), "--protocol", str(REFERENCE_PROTOCOL), "--quiet"])
    assert code == 0
    return out, chart, buffer.getvalue()


def test_the_output_has_a_status_per_criterion_verdict_and_rank(screened: tuple) -> None:
    table = pq.read_table(screened[0])
    assert table.column_names == ["patient_id", *CRITERIA, "verdict", "unknown_count", "rank"]
    assert table.num_rows == 1500
    for criterion in CRITERIA:
        assert set(table.column(criterion).to_pylist()) <= {"met", "not_met", "unknown"}


def test_candidates_are_ranked_eligible_first_then_by_fewest_unknowns(screened: tuple) -> None:
    rows = pq.read_table(screened[0]).to_pylist()
    keys = [(ORDER[r["verdict"]], r["unknown_count"] if r["verdict"] != "ineligible" else 0)
            for r in rows]
    assert keys == sorted(keys)
    candidates = [r for r in rows if r["verdict"] != "ineligible"]
    assert [r["rank"] for r in candidates] == list(range(1, len(candidates) + 1))
    assert all(r["rank"] is None for r in rows if r["verdict"] == "ineligible")
    assert all(r["unknown_count"] == sum(r[c] == "unknown" for c in CRITERIA) for r in rows)


def test_the_printed_funnel_matches_the_statuses_in_the_file(screened: tuple) -> None:
    rows = pq.read_table(screened[0]).to_pylist()
    remaining = list(rows)
    printed = screened[2]
    for criterion in CRITERIA:
        failing = "not_met" if KINDS[criterion] == "inclusion" else "met"
        remaining = [r for r in remaining if r[criterion] != failing]
        line = next(line for line in printed.splitlines() if f"│ {criterion} " in line)
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        assert int(cells[5].replace(",", "")) == len(remaining), criterion
        met = sum(r[criterion] == "met" for r in rows)
        assert int(cells[2].replace(",", "")) == met
    not_ineligible = sum(r["verdict"] != "ineligible" for r in rows)
    assert len(remaining) == not_ineligible
    assert f"of {len(rows):,} patients" in printed


def test_the_funnel_chart_is_written(screened: tuple) -> None:
    assert screened[1].read_bytes().startswith(b"\x89PNG")


def test_csv_output_and_a_record_folder_source(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records"
    records.mkdir()
    patient = {"patient_id": "R1", "sex": "male", "birth_date": "1980-01-01",
               "attestations": {"willing_to_consent": False}}
    (records / "a.jsonl").write_text(json.dumps(patient) + "\n")
    out = tmp_path / "out.csv"
    assert main(["prescreen", str(records), "--as-of", "2026-11-20", "--out", str(out),
                 "--quiet", "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    rows = pacsv.read_csv(out).to_pylist()
    assert [(r["patient_id"], r["I1"], r["verdict"]) for r in rows] == [
        ("R1", "not_met", "ineligible")]


def test_rejected_records_are_reported_and_the_others_still_screened(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"patient_id": "OK", "sex": "male"}) + "\n"
        + json.dumps({"patient_id": "BAD", "sex": "robot"}) + "\n")
    code = main(["prescreen", str(tmp_path), "--as-of", "2026-11-20", "--quiet",
                 "--protocol", str(REFERENCE_PROTOCOL)])
    captured = capsys.readouterr()
    assert code == 1
    assert "a.jsonl:2" in captured.err and "sex" in captured.err
    assert "of 1 patients" in captured.out


def test_an_omop_duckdb_file_is_a_source(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    database = omop_fixture.as_duckdb(tmp_path / "extract.duckdb")
    out = tmp_path / "out.parquet"
    assert main(["prescreen", str(database), "--as-of", "2026-11-20", "--out", str(out),
                 "--quiet", "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    assert sorted(pq.read_table(out).column("patient_id").to_pylist()) == ["1", "2", "3"]


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--out", "result.txt", "--out"), ("--chart", "funnel.pdf", "--chart")])
def test_bad_output_names_are_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str,
        message: str) -> None:
    code = main(["prescreen", str(tmp_path), "--as-of", "2026-11-20", flag,
                 str(tmp_path / value)])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / value).exists()


def test_a_folder_that_is_no_source_is_a_usage_error(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["prescreen", str(tmp_path), "--as-of", "2026-11-20", "--quiet",
                 "--protocol", str(REFERENCE_PROTOCOL)])
    assert code == 2 and "neither" in capsys.readouterr().err


@pytest.mark.spark
@pytest.mark.slow
def test_spark_reads_an_omop_parquet_folder_and_matches_duckdb(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trialkit.prescreen.backends import spark_unavailable_reason

    reason = spark_unavailable_reason()
    if reason is not None:
        pytest.skip(f"Spark engine unavailable: {reason}")
    extract = omop_fixture.as_parquet(tmp_path / "extract")
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.parquet"
        assert main(["prescreen", str(extract), "--as-of", "2026-11-20", "--engine", engine,
                     "--out", str(out), "--quiet", "--protocol", str(REFERENCE_PROTOCOL)]) == 0
        outputs[engine] = pq.read_table(out).to_pylist()
    assert outputs["spark"] == outputs["duckdb"]
    assert len(outputs["duckdb"]) == 3
