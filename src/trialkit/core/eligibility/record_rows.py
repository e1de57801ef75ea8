"""Reading one row of a record table as its ``TableDef`` declares it.

Each column is read by its type (date, number, count, text, code, quantity) and checked against
its declaration (required, minimum/maximum/allowed, the code kind's pattern, lower case); a
quantity's unit is checked against the lab catalogue for the row's test. Every problem is
recorded under the field's path; a row with a problem is dropped (the record is refused).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from trialkit.core.eligibility import units
from trialkit.core.eligibility.record_fields import Reader
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import ColumnDef, TableDef


def read_row(r: Reader, row: Mapping[str, Any], at: str, table: TableDef,
             catalogue: LabCatalogue) -> dict[str, Any] | None:
    """The row's values, one per column of the table (None where not recorded), or None if
    it has a problem."""
    before = len(r.problems)
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.type != "quantity":
            values[column.id] = _read(r, row, at, column, table)
    for column in table.columns:
        if column.type == "quantity":
            _quantity(r, row, at, column, table, values, catalogue)
    _check_span(r, at, table, values)
    return values if len(r.problems) == before else None


def _read(r: Reader, row: Mapping[str, Any], at: str, column: ColumnDef,
          table: TableDef) -> Any:
    key, required = column.id, column.required
    if column.type == "date":
        return r.date(row, key, at, required=required)
    if column.type in ("number", "count"):
        value = (r.number(row, key, at, required=required) if column.type == "number"
                 else r.count(row, key, at, required=required))
        return _bounded(r, f"{at}.{key}", value, column, table)
    text = r.text(row, key, at, required=required)
    if column.type == "code" and text is not None:
        return _code(r, f"{at}.{key}", text, column, table)
    if text is not None and not _text_fits(r, f"{at}.{key}", text, column):
        return None
    return text


def _text_fits(r: Reader, path: str, text: str, column: ColumnDef) -> bool:
    """A text value is one of the column's ``values`` and matches its ``pattern``, if given."""
    if column.values and text not in column.values:
        r.problem(path, f"'{text}' is not one of: {', '.join(column.values)}")
        return False
    if column.pattern and not _pattern(column.pattern).match(text):
        r.problem(path, f"'{text}' is not a valid {column.description.rstrip('.')}")
        return False
    return True


def _bounded(r: Reader, path: str, value: float | int | None, column: ColumnDef,
             table: TableDef) -> float | int | None:
    if value is None:
        return None
    if column.minimum is not None and value < column.minimum:
        r.problem(path, f"{value:g} is below the minimum {column.minimum:g}")
        return None
    if column.maximum is not None and value > column.maximum:
        r.problem(path, f"{value:g} is above the maximum {column.maximum:g}")
        return None
    if column.allowed and value not in column.allowed:
        shown = ", ".join(f"{v:g}" for v in column.allowed[:3])
        r.problem(path, f"{value:g} is not an allowed value of {table.id}.{column.id} "
                        f"({shown}, … {column.allowed[-1]:g})")
        return None
    return value


def _code(r: Reader, path: str, text: str, column: ColumnDef, table: TableDef) -> str | None:
    code = table.code if table.code is not None and table.code.column == column.id else None
    if code is None:
        return text
    if code.lower_case:
        text = text.strip().lower()
    if code.pattern and not _pattern(code.pattern).match(text):
        r.problem(path, f"'{text}' is not a {code.kind} code "
                        f"({column.description.rstrip('.')})")
        return None
    return text


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _quantity(r: Reader, row: Mapping[str, Any], at: str, column: ColumnDef, table: TableDef,
              values: dict[str, Any], catalogue: LabCatalogue) -> None:
    """A number in the row's unit, or a qualitative result stored in the text column."""
    test = values.get(table.code.column) if table.code is not None else None
    raw = row.get(column.id)
    if isinstance(raw, str):
        values[column.id] = None
        _qualitative(r, f"{at}.{column.id}", raw, test, table, values, catalogue)
    else:
        values[column.id] = r.number(row, column.id, at, required=column.required)
    text = values.get(units.TEXT_COLUMN)
    if text is not None and text not in units.QUALITATIVE:
        r.problem(f"{at}.{units.TEXT_COLUMN}", f"'{text}' is neither positive nor negative")
    if units.UNIT_COLUMN in values:
        values[units.UNIT_COLUMN] = _unit(r, at, values, column, test, catalogue)


def _qualitative(r: Reader, path: str, raw: str, test: str | None, table: TableDef,
                 values: dict[str, Any], catalogue: LabCatalogue) -> None:
    if raw not in units.QUALITATIVE:
        r.problem(path, f"'{raw}' is neither a number nor positive/negative")
    elif test is not None and not units.is_qualitative(catalogue, test):
        r.problem(path, f"{test} is reported as a number, not '{raw}'")
    elif units.TEXT_COLUMN not in table.column_ids:
        r.problem(path, f"{table.id} has no column for a qualitative result")
    else:
        values[units.TEXT_COLUMN] = raw


def _unit(r: Reader, at: str, values: dict[str, Any], column: ColumnDef, test: str | None,
          catalogue: LabCatalogue) -> str | None:
    unit = values.get(units.UNIT_COLUMN)
    if unit is None:
        if values.get(column.id) is not None:
            r.problem(f"{at}.{units.UNIT_COLUMN}",
                      "required field is missing: a numeric result needs its unit")
        return None
    try:
        return units.normalize(catalogue, unit, test)
    except units.UnitError as exc:
        r.problem(f"{at}.{units.UNIT_COLUMN}", str(exc))
        return None


def _check_span(r: Reader, at: str, table: TableDef, values: dict[str, Any]) -> None:
    if table.end is None:
        return
    start, end = values.get(table.date), values.get(table.end)
    if start is not None and end is not None and end < start:
        r.problem(f"{at}.{table.end}", f"{end} is before the {table.date.replace('_', ' ')} "
                                       f"{start}")
