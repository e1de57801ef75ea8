"""Row selections as data, shaped like the ARS ``WhereClause``: a condition or a compound.

``Condition("AEREL", "IN", ("POSSIBLE", "PROBABLE"))`` selects rows whose value is listed;
``AllOf`` / ``AnyOf`` combine clauses (ARS ``AND`` / ``OR``), ``Not`` negates one. Text
columns compare as text; numeric columns compare numerically (values are converted with
``float``) and a missing number (NaN) satisfies no comparison except ``NE`` and ``NOTIN``,
as in SAS where missing is a value of its own.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from trialkit.core.analysis.table import AnalysisInputError, Array, BoolArray, Table

Comparator = Literal["EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE"]
_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "LT": operator.lt, "LE": operator.le, "GT": operator.gt, "GE": operator.ge}


@dataclass(frozen=True)
class Condition:
    variable: str
    comparator: Comparator
    values: tuple[str | float, ...]

    def __post_init__(self) -> None:
        if self.comparator not in ("EQ", "NE", "IN", "NOTIN", *_ORDER):
            raise AnalysisInputError(f"comparator '{self.comparator}' is not an ARS comparator")
        single = self.comparator not in ("IN", "NOTIN")
        if single and len(self.values) != 1:
            raise AnalysisInputError(f"{self.comparator} on '{self.variable}' takes one value, "
                                     f"got {len(self.values)}")


@dataclass(frozen=True)
class AllOf:
    clauses: tuple[Where, ...]


@dataclass(frozen=True)
class AnyOf:
    clauses: tuple[Where, ...]


@dataclass(frozen=True)
class Not:
    clause: Where


Where = Condition | AllOf | AnyOf | Not


def mask(table: Table, where: Where | None) -> BoolArray:
    """The rows of ``table`` that ``where`` selects (every row when ``where`` is ``None``)."""
    if where is None:
        return np.ones(table.n_rows, dtype=bool)
    if isinstance(where, Condition):
        return _condition(table, where)
    if isinstance(where, Not):
        return ~mask(table, where.clause)
    parts = [mask(table, clause) for clause in where.clauses]
    combine = np.logical_and if isinstance(where, AllOf) else np.logical_or
    return combine.reduce(parts) if parts else np.full(table.n_rows, isinstance(where, AllOf))


def select(table: Table, where: Where | None) -> Table:
    return table if where is None else table.where(mask(table, where))


def _condition(table: Table, condition: Condition) -> BoolArray:
    column = table[condition.variable]
    numeric = column.dtype.kind in "biuf"
    values: Array = (table.numeric(condition.variable) if numeric
                     else table.text(condition.variable))
    wanted = [_typed(v, numeric, condition.variable) for v in condition.values]
    if condition.comparator in ("EQ", "IN"):
        return np.isin(values, wanted)
    if condition.comparator in ("NE", "NOTIN"):
        return ~np.isin(values, wanted)
    if not numeric:
        raise AnalysisInputError(f"{condition.comparator} needs a numeric column; "
                                 f"'{condition.variable}' is text")
    compared: BoolArray = _ORDER[condition.comparator](values, wanted[0])
    return compared


def _typed(value: str | float, numeric: bool, variable: str) -> str | float:
    if not numeric:
        return str(value)
    try:
        return float(value)
    except ValueError:
        raise AnalysisInputError(f"'{variable}' is numeric; '{value}' is not a number") from None


def where_from_data(data: Any) -> Where:
    """A clause from plain data, as a protocol file holds it: ``{"variable": "AESER",
    "comparator": "EQ", "values": ["Y"]}``, ``{"all_of": [...]}``, ``{"any_of": [...]}`` or
    ``{"not": {...}}``."""
    if not isinstance(data, dict):
        raise AnalysisInputError(f"a condition must be a mapping, got {data!r}")
    if len(data) == 1 and next(iter(data)) in ("all_of", "any_of", "not"):
        key, value = next(iter(data.items()))
        if key == "not":
            return Not(where_from_data(value))
        clauses = tuple(where_from_data(item) for item in value)
        return AllOf(clauses) if key == "all_of" else AnyOf(clauses)
    unknown = sorted(set(data) - {"variable", "comparator", "values"})
    if unknown or "variable" not in data or "comparator" not in data:
        raise AnalysisInputError(f"a condition has variable, comparator and values; got "
                                 f"{sorted(data)}")
    values = data.get("values", [])
    values = values if isinstance(values, list | tuple) else [values]
    return Condition(str(data["variable"]), data["comparator"], tuple(values))
