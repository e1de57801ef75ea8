"""Selecting rows of the record's tables: windows, codes and ``where`` conditions, three-valued.

Every rule comes from the node's ``TableRef`` (the record schema copied into the tree): which
column dates a row, whether a row spans ``[date, end]``, and how value-set codes match the
table's code column. No table is known here by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility.dates import Dates
from trialkit.core.eligibility.nodes import (
    MET,
    NOT_MET,
    UNKNOWN,
    CodeColumn,
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
    TableRef,
    kleene_and,
    kleene_not,
    kleene_or,
)
from trialkit.core.eligibility.record import PatientRecord


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a record table, as plain field values."""

    table: TableRef
    fields: Mapping[str, Any]

    @property
    def date(self) -> dt.date:
        value: dt.date = self.fields[self.table.date]
        return value

    @property
    def code(self) -> Any:
        """The row's code (diagnosis code, ingredient, test), or None if its table has none."""
        code = self.table.code
        return self.fields.get(code.column) if code is not None else None

    def evidence(self, field: str | None = None) -> dict[str, Any]:
        shown = {k: _jsonable(v) for k, v in self.fields.items() if v is not None}
        out: dict[str, Any] = {"table": self.table.name}
        if field is not None:
            out["field"] = field
            out["value"] = _jsonable(self.fields.get(field))
        out["row"] = shown
        return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def table_rows(record: PatientRecord, table: TableRef) -> list[Row]:
    return [Row(table, fields) for fields in record.rows(table.name)]


def in_window(row: Row, start: dt.date | None, end: dt.date) -> bool:
    """Whether the row falls in (start, end]; a spanning row counts when it overlaps."""
    first = row.date
    if row.table.end is not None:
        last = row.fields[row.table.end]
        return bool(first <= end and (start is None or last is None or last > start))
    return (start is None or first > start) and first <= end


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
    """The status of a ``where`` condition on one row (one handler per row condition)."""
    handler = ROW_HANDLERS.get(type(cond))
    if handler is None:
        raise NotImplementedError(f"no row evaluation for {type(cond).__name__}")
    return handler(cond, row)


def _in_codes(cond: InCodes, row: Row) -> Status:
    return MET if row_matches(cond.codes, row) else NOT_MET


def _field_compare(cond: FieldCompare, row: Row) -> Status:
    value = row.fields.get(cond.field)
    if value is None:
        return UNKNOWN
    return MET if compare(value, cond.op, cond.value) else NOT_MET


ROW_HANDLERS: dict[type, Callable[[Any, Row], Status]] = {
    InCodes: _in_codes,
    FieldCompare: _field_compare,
    RowNot: lambda cond, row: kleene_not(row_status(cond.part, row)),
    RowAnd: lambda cond, row: kleene_and([row_status(p, row) for p in cond.parts]),
    RowOr: lambda cond, row: kleene_or([row_status(p, row) for p in cond.parts]),
}


def row_matches(codes: CodeSet, row: Row) -> bool:
    column = row.table.code
    if column is None:
        return False
    return any(code_matches(column, code, row.fields) for code in codes.codes)


def code_matches(column: CodeColumn, code: str, fields: Mapping[str, Any]) -> bool:
    """A value-set code against a row: an alternate prefix (``RXNORM:``) matches its own
    column; codes of a ``prefix_match`` system match by prefix; others exactly (in lower case
    for a lower-case kind). A missing value matches nothing."""
    for alternate in column.alternates:
        if code.startswith(alternate.prefix):
            value, wanted = fields.get(alternate.column), code.removeprefix(alternate.prefix)
            if value is None:
                return False
            return str(value).startswith(wanted) if alternate.match == "prefix" \
                else bool(value == wanted)
    value = fields.get(column.column)
    if value is None:
        return False
    if column.prefix_match and code.startswith(column.prefix_match):
        return str(value).startswith(code)
    return bool(value == (code.lower() if column.lower_case else code))


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
