"""Attrition funnel counts and candidate ranking on a small result table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from trialkit.prescreen.funnel import draw, funnel, ranked_sql, unknown_counts, with_ranks

CRITERIA = [("I1", "inclusion"), ("I2", "inclusion"), ("E1", "exclusion")]
RESULT = pa.table({
    "patient_id": ["p1", "p2", "p3", "p4", "p5"],
    "I1": ["met", "not_met", "met", "unknown", "met"],
    "I2": ["met", "met", "not_met", "unknown", "unknown"],
    "E1": ["not_met", "met", "met", "unknown", "not_met"],
    "verdict": ["eligible", "ineligible", "ineligible", "incomplete", "incomplete"],
})


def test_the_funnel_counts_who_remains_after_each_criterion_in_order() -> None:
    f = funnel(RESULT, CRITERIA)
    assert [(s.criterion, s.met, s.not_met, s.unknown, s.remaining) for s in f.steps] == [
        ("I1", 3, 1, 1, 4), ("I2", 2, 1, 2, 3), ("E1", 2, 2, 1, 3)]
    assert f.verdicts == {"eligible": 1, "incomplete": 2, "ineligible": 2}


def test_the_funnel_counts_who_each_criterion_alone_rules_out() -> None:
    f = funnel(RESULT, CRITERIA)
    # p2 fails I1 and E1; p3 fails I2 and E1: nobody is ruled out by one criterion alone.
    assert [s.only_this for s in f.steps] == [0, 0, 0]
    single = RESULT.set_column(3, "E1", pa.array(["not_met", "met", "not_met", "unknown",
                                                  "not_met"]))
    assert [s.only_this for s in funnel(single, CRITERIA).steps] == [0, 1, 0]


def test_the_last_step_leaves_exactly_the_patients_who_are_not_ineligible() -> None:
    f = funnel(RESULT, CRITERIA)
    assert f.steps[-1].remaining == f.verdicts["eligible"] + f.verdicts["incomplete"]


def ranked(result: pa.Table, criteria: list[str]) -> pa.Table:
    """What the pre-screen writes: sorted by DuckDB, numbered while streaming (batches of 2,
    so the numbering must carry across batches)."""
    table = result.append_column("unknown_count", unknown_counts(result, criteria))
    db = duckdb.connect()
    db.register("result", table)
    return with_ranks(db.sql(ranked_sql("result")).to_arrow_reader(2)).read_all()


def test_candidates_rank_eligible_first_then_by_fewest_unknowns() -> None:
    table = ranked(RESULT, [c for c, _ in CRITERIA]).to_pylist()
    assert [(r["patient_id"], r["unknown_count"], r["rank"]) for r in table] == [
        ("p1", 0, 1), ("p5", 1, 2), ("p4", 3, 3), ("p2", 0, None), ("p3", 0, None)]


def test_the_funnel_chart_is_written_as_png_or_svg(tmp_path: Path) -> None:
    f = funnel(RESULT, CRITERIA)
    draw(f, tmp_path / "funnel.png", "test")
    draw(f, tmp_path / "funnel.svg", "test")
    assert (tmp_path / "funnel.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "funnel.svg").read_bytes()[:500]
