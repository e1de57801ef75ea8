"""Selecting rows of the logical tables: windows, codes and ``where`` conditions, three-valued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility.dates import Dates
from trialkit.core.eligibility.nodes import (
    CODE_FIELD,
    DATE_FIELD,
    MET,
    NOT_MET,
    TABLE_FIELDS,
    UNKNOWN,
    CodeSet,
    Events,
    FieldCompare,
    InCodes,
    Op,
    RowAnd,
    RowCond,
    RowNot,
    RowOr,
    Status,
    kleene_and,
    kleene_not,
    kleene_or,
)
from trialkit.core.eligibility.record import PatientRecord


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a logical table, as plain field values."""

    table: str
    fields: Mapping[str, Any]

    @property
    def date(self) -> dt.date:
        value: dt.date = self.fields[DATE_FIELD[self.table]]
        return value

    def evidence(self, field: str | None = None) -> dict[str, Any]:
        shown = {k: _jsonable(v) for k, v in self.fields.items() if v is not None}
        out: dict[str, Any] = {"table": self.table}
        if field is not None:
            out["field"] = field
            out["value"] = _jsonable(self.fields.get(field))
        out["row"] = shown
        return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def table_rows(record: PatientRecord, table: str) -> list[Row]:
    names = TABLE_FIELDS[table]
    return [Row(table, {name: getattr(item, name) for name in names})
            for item in getattr(record, table)]


def in_window(row: Row, start: dt.date | None, end: dt.date) -> bool:
    """Whether the row falls in (start, end]; diagnoses and medications count by overlap."""
    if row.table in ("diagnoses", "medications"):
        first = row.fields["date" if row.table == "diagnoses" else "start_date"]
        last = row.fields["end_date"]
        return bool(first <= end and (start is None or last is None or last > start))
    return (start is None or row.date > start) and row.date <= end


def select(record: PatientRecord, dates: Dates, events: Events) -> list[tuple[Row, Status]]:
    """Rows in the events' window with the status of ``where`` on each (not_met rows dropped)."""
    start, end = dates.bounds(events.window)
    chosen: list[tuple[Row, Status]] = []
    for row in table_rows(record, events.table):
        if not in_window(row, start, end):
            continue
        status = MET if events.where is None else row_status(events.where, row)
        if status != NOT_MET:
            chosen.append((row, status))
    return chosen


def row_status(cond: RowCond, row: Row) -> Status:
    if isinstance(cond, InCodes):
        return MET if row_matches(cond.codes, row) else NOT_MET
    if isinstance(cond, FieldCompare):
        value = row.fields.get(cond.field)
        if value is None:
            return UNKNOWN
        return MET if compare(value, cond.op, cond.value) else NOT_MET
    if isinstance(cond, RowNot):
        return kleene_not(row_status(cond.part, row))
    if isinstance(cond, RowAnd):
        return kleene_and([row_status(p, row) for p in cond.parts])
    if isinstance(cond, RowOr):
        return kleene_or([row_status(p, row) for p in cond.parts])
    raise NotImplementedError(f"no row evaluation for {type(cond).__name__}")


def row_matches(codes: CodeSet, row: Row) -> bool:
    value = row.fields[CODE_FIELD[row.table]]
    if row.table == "medications":
        return any(_ingredient_matches(code, row) for code in codes.codes)
    return any(code_matches(code, value) for code in codes.codes)


def code_matches(pattern: str, code: str) -> bool:
    """ICD-10 value-set codes match by prefix; every other system exactly."""
    if pattern.startswith("ICD10:"):
        return code.startswith(pattern)
    return code == pattern


def _ingredient_matches(code: str, row: Row) -> bool:
    if code.startswith("RXNORM:"):
        return bool(row.fields["rxnorm"] == code.removeprefix("RXNORM:"))
    if code.startswith("ATC:"):
        atc = row.fields["atc"]
        return atc is not None and str(atc).startswith(code.removeprefix("ATC:"))
    return bool(row.fields["ingredient"] == code.lower())


def compare(left: Any, op: Op, right: Any) -> bool:
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == ">=":
        return bool(left >= right)
    return bool(left > right)
