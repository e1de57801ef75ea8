"""The batch engine against the in-memory reference engine, node type by node type."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.prescreen.criteria_zoo import CONTEXT
from tests.unit.prescreen.criteria_zoo import ZOO as ZOO_COMPILED
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.eligibility.compile import CompiledCriteria, CompiledCriterion, screen
from trialkit.core.eligibility.record import PatientRecord, parse_record
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.labs import packaged_catalogue
from trialkit.prescreen import evaluate_records
from trialkit.prescreen._sql import CompileError, conversion_steps
from trialkit.prescreen.backends import connect
from trialkit.prescreen.criteria import Criterion
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.omop import omop_to_logical, read_omop
from trialkit.prescreen.records import fetch, to_records
from trialkit.prescreen.synth import write_cohort

AS_OF = dt.date(2026, 11, 20)
CATALOGUE = packaged_catalogue()
TABLES = CONTEXT.tables


@pytest.fixture(scope="module")
def synthetic_records(tmp_path_factory: pytest.TempPathFactory) -> list[PatientRecord]:
    folder = tmp_path_factory.mktemp("cohort")
    write_cohort(folder, patients=800, rng=np.random.default_rng(2024), chunk_size=400,
                 protocol=load_protocol(REFERENCE_PROTOCOL))
    con, tables = read_omop(folder)
    spec = RecordSpec.of(ZOO_COMPILED)
    return to_records(fetch(omop_to_logical(tables, as_of=AS_OF, spec=spec), con))


def _memory(compiled: CompiledCriteria, records: list[PatientRecord]) -> dict[str, dict[str, str]]:
    out = {}
    for record in records:
        result = screen(compiled, record, as_of=AS_OF)
        out[record.patient_id] = {**result.statuses(), "verdict": result.verdict}
    return out


def test_duckdb_agrees_with_the_reference_engine_on_every_node_type_and_patient(
        synthetic_records: list[PatientRecord]) -> None:
    batch = evaluate_records(ZOO_COMPILED, synthetic_records, as_of=AS_OF, backend="duckdb")
    assert batch == _memory(ZOO_COMPILED, synthetic_records)


def test_the_agreement_is_not_vacuous_every_status_occurs(
        synthetic_records: list[PatientRecord]) -> None:
    batch = evaluate_records(ZOO_COMPILED, synthetic_records, as_of=AS_OF)
    for criterion in ZOO_COMPILED.criteria:
        seen = {statuses[criterion.id] for statuses in batch.values()}
        assert seen == {n.MET, n.NOT_MET, n.UNKNOWN}, criterion.id


def _record(**fields: Any) -> PatientRecord:
    base: dict[str, Any] = {"patient_id": "P1", "sex": "female", "birth_date": "1980-02-29",
                            "index_date": "2026-03-31"}
    return parse_record({**base, **fields}, CONTEXT.record_schema, CATALOGUE)


def _both(node: n.Cond, record: PatientRecord) -> tuple[str, str]:
    compiled = CompiledCriteria("T", "t", (CompiledCriterion("X", "inclusion", node),), 28,
                                CONTEXT)
    batch = evaluate_records(compiled, [record], as_of=None)[record.patient_id]["X"]
    memory = screen(compiled, record).statuses()["X"]
    return batch, memory


@pytest.mark.parametrize(("onset", "expected"), [("2026-02-28", "not_met"),
                                                 ("2026-03-01", "met")])
def test_a_one_month_window_from_march_31_starts_after_february_28(onset: str,
                                                                   expected: str) -> None:
    node = n.Exists(n.Events(TABLES["relapses"], n.Window(months=1)))
    record = _record(relapses=[{"onset_date": onset}])
    assert _both(node, record) == (expected, expected)


def test_same_day_results_that_disagree_make_the_latest_value_unknown() -> None:
    glucose = n.CodeSet("g", "lab", ("LOINC:1558-6",))
    node = n.Compare(n.Latest(n.Events(TABLES["labs"], n.Window(days=28), n.InCodes(glucose)), "value"),
                     ">", n.Quantity(250, "mg/dL"))
    labs = [{"date": "2026-03-20", "test": "LOINC:1558-6", "value": 14.0, "unit": "mmol/L"},
            {"date": "2026-03-20", "test": "LOINC:1558-6", "value": 120, "unit": "mg/dL"},
            {"date": "2026-03-01", "test": "LOINC:1558-6", "value": 400, "unit": "mg/dL"}]
    assert _both(node, _record(labs=labs)) == ("unknown", "unknown")
    assert _both(node, _record(labs=labs[:1])) == ("met", "met")  # 14.0 mmol/L = 252 mg/dL


def test_an_uncovered_window_leaves_a_count_unknown_but_not_an_exceeded_one() -> None:
    node = n.Compare(n.Count(n.Events(TABLES["relapses"], n.Window(months=24))), "<", n.Number(2))
    period = {"start": "2025-06-01", "end": "2026-03-31"}
    one = _record(observation_period=period, relapses=[{"onset_date": "2025-09-01"}])
    two = _record(observation_period=period, relapses=[{"onset_date": "2025-09-01"},
                                                       {"onset_date": "2025-10-01"}])
    assert _both(node, one) == ("unknown", "unknown")
    assert _both(node, two) == ("not_met", "not_met")


def test_age_on_a_feb_29_birthday_completes_on_feb_28() -> None:
    node = n.Compare(n.Age(), ">=", n.Number(46))
    assert _both(node, _record(index_date="2026-02-28")) == ("met", "met")
    assert _both(node, _record(index_date="2026-02-27")) == ("not_met", "not_met")


def test_a_uln_falls_back_to_the_protocol_value_converted_to_the_results_unit() -> None:
    ast = n.CodeSet("ast", "lab", ("LOINC:1920-8",))
    node = n.UlnCompare(n.Latest(n.Events(TABLES["labs"], n.Window(days=28), n.InCodes(ast)), "value"),
                        ">", 5.0, (n.UlnFallback("LOINC:1920-8", 40.0, "U/L"),))
    high = [{"date": "2026-03-20", "test": "LOINC:1920-8", "value": 3.4, "unit": "µkat/L"}]
    low = [{"date": "2026-03-20", "test": "LOINC:1920-8", "value": 3.3, "unit": "µkat/L"}]
    assert _both(node, _record(labs=high)) == ("met", "met")  # 204 U/L > 200
    assert _both(node, _record(labs=low)) == ("not_met", "not_met")


def test_a_criterion_without_a_rule_is_unknown_for_every_patient() -> None:
    compiled = CompiledCriteria("T", "t", (CompiledCriterion("X", "inclusion", None),), 28,
                                CONTEXT)
    assert evaluate_records(compiled, [_record()], as_of=None) == {
        "P1": {"X": "unknown", "verdict": "incomplete"}}


def test_an_unknown_node_type_fails_loudly() -> None:
    class Mystery:
        pass

    with pytest.raises(CompileError, match="Mystery"):
        evaluate_records([Criterion("X", "inclusion", Mystery())],  # type: ignore[arg-type]
                         [_record()], as_of=None)


def test_a_record_without_index_date_or_as_of_is_refused() -> None:
    record = parse_record({"patient_id": "P2"}, CONTEXT.record_schema, CATALOGUE)
    with pytest.raises(ValueError, match="index_date"):
        evaluate_records(ZOO_COMPILED, [record], as_of=None)


@pytest.mark.parametrize("test", [*units.tests_with_units(CATALOGUE), None])
def test_unit_conversion_in_sql_is_bit_identical_to_the_reference(test: str | None) -> None:
    values = [0.1, 1.0, 3.3, 13.9, 250.0, 251.7, 1e-3, 777.77]
    for unit in units.known_units(CATALOGUE, test):
        for target in units.known_units(CATALOGUE, test):
            try:
                expected = [units.convert(CATALOGUE, v, test, unit, target) for v in values]
            except units.UnitError:
                continue
            steps = conversion_steps(CATALOGUE, test, unit, target)
            got = []
            for v in values:
                for op, factor in steps:
                    v = v * factor if op == "*" else v / factor
                got.append(v)
            assert got == expected and all(math.isfinite(x) for x in got)


def test_duckdb_arithmetic_on_a_double_column_reproduces_the_conversion_steps() -> None:
    import ibis
    import pyarrow as pa

    values = [13.9, 0.1, 777.77, 3.3]
    table = ibis.memtable(pa.table({"v": pa.array(values, type=pa.float64())}))
    converted = table.v
    for op, factor in conversion_steps(CATALOGUE, "LOINC:1558-6", "mmol/L", "mg/dL"):
        converted = converted * factor if op == "*" else converted / factor
    got = connect("duckdb").to_pyarrow(table.select(x=converted)).column("x").to_pylist()
    assert got == [units.convert(CATALOGUE, v, "LOINC:1558-6", "mmol/L", "mg/dL")
                   for v in values]


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="backend"):
        connect("oracle")
