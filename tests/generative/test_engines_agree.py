"""Random criteria on random patients: Kleene laws, missing data never helps, engines agree.

Parametrised over engines like the spec tables: the in-memory engine is checked against laws;
a batch engine must give exactly the in-memory engine's statuses and verdicts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE_PROTOCOL
from tests.spec.support import BASE, Engine, batch_skip_reason, compiled_of
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.eligibility.record import PatientRecord, parse_record_for
from trialkit.core.protocol import load_protocol

PROTOCOL = load_protocol(REFERENCE_PROTOCOL)
CONTEXT = RuleContext.of(PROTOCOL)
"""The reference protocol's record: the base tables and its MS tables."""
T = CONTEXT.tables
STEPS = (n.Step(1.0, 5.0), n.Step(0.5))
INDEX = dt.date(2026, 11, 20)
KEYS = ("a", "b", "c")
CANCER = n.CodeSet("cancer", "diagnosis", ("ICD10:C", "SNOMED:363346000"))
CD20 = n.CodeSet("cd20", "ingredient", ("rituximab", "ocrelizumab"))
GLUCOSE = n.CodeSet("glucose", "lab", ("LOINC:1558-6",))
OPS = st.sampled_from(n.OPS_TYPED)


def _day(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda k: (INDEX + dt.timedelta(days=k)).isoformat())


windows = st.tuples(st.integers(0, 24), st.sampled_from([0, 1, 28])).filter(any).map(
    lambda md: n.Window(months=md[0], days=md[1])) | st.none()
glucose_value = n.Latest(n.Events(T["labs"], n.Window(days=60), n.InCodes(GLUCOSE)), "value")

leaves = st.one_of(
    st.builds(n.Attested, st.sampled_from(KEYS)),
    st.builds(lambda w: n.Exists(n.Events(T["relapses"], w)), windows),
    st.builds(lambda w, op, k: n.Compare(n.Count(n.Events(T["relapses"], w)), op, n.Number(k)),
              windows, OPS, st.integers(0, 3)),
    st.builds(lambda op, v, unit: n.Compare(glucose_value, op, n.Quantity(v, unit)),
              OPS, st.sampled_from([5.5, 7.0, 13.9]), st.sampled_from(["mmol/L", "mg/dL"])),
    st.builds(lambda op, k: n.Compare(n.Age(), op, n.Number(k)), OPS, st.integers(18, 70)),
    st.builds(lambda w: n.Exists(n.Events(T["medications"], w, n.InCodes(CD20))), windows),
    st.builds(lambda: n.Exists(n.Events(T["diagnoses"], None, n.InCodes(CANCER)))),
    st.builds(lambda m: n.Increase(n.Events(T["edss"], n.Window(months=m)), "score", STEPS),
              st.integers(6, 36)),
)
conditions = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(n.Not, inner),
    st.builds(lambda parts: n.And(tuple(parts)), st.lists(inner, min_size=2, max_size=3)),
    st.builds(lambda parts: n.Or(tuple(parts)), st.lists(inner, min_size=2, max_size=3)),
), max_leaves=6)


@st.composite
def patient_data(draw: Any, pid: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "birth_date": draw(_day(-70 * 365, -17 * 365)),
        "attestations": draw(st.dictionaries(st.sampled_from(KEYS), st.booleans())),
        "relapses": [{"onset_date": d} for d in draw(st.lists(_day(-900, 10), max_size=3))],
        "edss": [{"date": d, "score": s} for d, s in draw(st.lists(st.tuples(
            _day(-1100, 0), st.sampled_from([1.0, 2.0, 3.5, 5.0, 5.5, 6.0, 7.0])), max_size=3))],
        "labs": [{"date": d, "test": "LOINC:1558-6", "value": v, "unit": u}
                 for d, v, u in draw(st.lists(st.tuples(
                     _day(-90, 0), st.sampled_from([4.9, 7.1, 13.9, 126.0, 250.0]),
                     st.sampled_from(["mmol/L", "mg/dL"])), max_size=2))],
        "medications": [_medication(draw) for _ in range(draw(st.integers(0, 2)))],
        "diagnoses": [{"code": c, "date": d} for c, d in draw(st.lists(st.tuples(
            st.sampled_from(["ICD10:C50.9", "ICD10:G35", "SNOMED:363346000"]),
            _day(-5000, 0)), max_size=2))],
    }
    if draw(st.booleans()):
        data["observation_period"] = {"start": draw(_day(-9000, -400)),
                                      "end": draw(_day(-60, 0))}
    return {"patient_id": pid, **data}


def _medication(draw: Any) -> dict[str, Any]:
    start = draw(st.integers(-1500, 5))
    end = draw(st.none() | st.integers(start, 30))
    row = {"ingredient": draw(st.sampled_from(["rituximab", "fingolimod", "ocrelizumab"])),
           "start_date": (INDEX + dt.timedelta(days=start)).isoformat()}
    if end is not None:
        row["end_date"] = (INDEX + dt.timedelta(days=end)).isoformat()
    return row


def _forget(data: dict[str, Any], draw: Any) -> dict[str, Any]:
    """The same patient with less known: attestations dropped, values blanked, shorter history."""
    less = dict(data)
    less["attestations"] = {k: v for k, v in data["attestations"].items() if draw(st.booleans())}
    less["labs"] = [row if draw(st.booleans()) else {**row, "value": None, "unit": None}
                    for row in data["labs"]]
    less["labs"] = [{k: v for k, v in row.items() if v is not None} for row in less["labs"]]
    if draw(st.booleans()):
        # A shorter history lies inside the known one (none known: complete from birth).
        known = data.get("observation_period", {"start": "0001-01-01", "end": INDEX.isoformat()})
        less["observation_period"] = {"start": max(known["start"], "2020-01-01"),
                                      "end": min(known["end"], draw(_day(-45, 0)))}
    return less


def _build(data: dict[str, Any]) -> PatientRecord:
    return parse_record_for({**BASE, **data}, PROTOCOL)


def _run(engine: Engine, criteria: dict[str, n.Cond], records: list[PatientRecord]
         ) -> dict[str, dict[str, str]]:
    return engine.run(compiled_of(criteria, CONTEXT), records)


@settings(max_examples=150, deadline=None)
@given(conditions, patient_data("P"))
def test_not_is_involutive_and_de_morgan_holds(cond, data):
    memory = Engine("memory")
    record = [_build(data)]
    other = n.Attested("a")
    got = _run(memory, {"c": cond, "nn": n.Not(n.Not(cond)),
                        "not_and": n.Not(n.And((cond, other))),
                        "or_not": n.Or((n.Not(cond), n.Not(other)))}, record)["P"]
    assert got["nn"] == got["c"]
    assert got["not_and"] == got["or_not"]


@settings(max_examples=150, deadline=None)
@given(st.lists(conditions, min_size=1, max_size=3), patient_data("P"), st.data())
def test_missing_data_never_flips_a_status_or_makes_a_patient_eligible(conds, data, more):
    memory = Engine("memory")
    criteria = {f"C{i}": c for i, c in enumerate(conds)}
    full = _run(memory, criteria, [_build(data)])["P"]
    partial = _run(memory, criteria, [_build(_forget(data, more.draw))])["P"]
    for cid in criteria:
        assert partial[cid] in (full[cid], "unknown"), (cid, full[cid], partial[cid])
    if partial["verdict"] == "eligible":
        assert full["verdict"] == "eligible"


@pytest.mark.parametrize("name", ["duckdb", "postgres",
                                  pytest.param("spark", marks=[pytest.mark.spark,
                                                               pytest.mark.slow])])
def test_a_batch_engine_agrees_with_the_in_memory_engine(name):
    reason = batch_skip_reason(name)
    if reason is not None:
        pytest.skip(reason)
    batch, memory = Engine(name), Engine("memory")

    @settings(max_examples=5 if name == "spark" else 25, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(conditions, min_size=1, max_size=3),
           st.lists(st.integers(0, 10**6), min_size=1, max_size=6, unique=True).flatmap(
               lambda ids: st.tuples(*[patient_data(f"P{i}") for i in ids])))
    def agree(conds, datas):
        criteria = {f"C{i}": c for i, c in enumerate(conds)}
        records = [_build(d) for d in datas]
        assert _run(batch, criteria, records) == _run(memory, criteria, records)

    agree()
