"""Checking and converting a method parameter given as plain data, by kind."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from trialkit.core.analysis.subsets import Where, where_from_data
from trialkit.core.analysis.table import AnalysisInputError, Table

if TYPE_CHECKING:
    from trialkit.core.analysis.registry import Parameter

Kind = Literal["column", "columns", "factors", "text", "texts", "pairs", "number",
               "choice", "flag", "conditions"]


def _column(where: str, spec: Parameter, value: Any, table: Table | None) -> str:
    if not isinstance(value, str):
        raise AnalysisInputError(f"{where}: expected a column name, got {value!r}")
    if table is not None and value not in table:
        raise AnalysisInputError(f"{where}: column '{value}' is not in the {spec.role} "
                                 f"dataset")
    return value


def _columns(where: str, spec: Parameter, value: Any, table: Table | None) -> list[str]:
    if not isinstance(value, list | tuple):
        raise AnalysisInputError(f"{where}: expected a list of column names, got {value!r}")
    return [_column(where, spec, item, table) for item in value]


def _factors(where: str, spec: Parameter, value: Any, table: Table | None
             ) -> dict[str, str | None]:
    """A list of factor columns, or a mapping of factor column to its reference level."""
    if isinstance(value, dict):
        for reference in value.values():
            if reference is not None and not isinstance(reference, str):
                raise AnalysisInputError(f"{where}: reference levels must be text")
        return {_column(where, spec, name, table): ref for name, ref in value.items()}
    return dict.fromkeys(_columns(where, spec, value, table))


def _text(where: str, spec: Parameter, value: Any, table: Table | None) -> str:
    if not isinstance(value, str):
        raise AnalysisInputError(f"{where}: expected text, got {value!r}")
    return value


def _texts(where: str, spec: Parameter, value: Any, table: Table | None) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise AnalysisInputError(f"{where}: expected a list of texts, got {value!r}")
    return list(value)


def _pairs(where: str, spec: Parameter, value: Any, table: Table | None
           ) -> list[tuple[str, str]]:
    if not isinstance(value, list | tuple) or not all(
            isinstance(p, list | tuple) and len(p) == 2 for p in value):
        raise AnalysisInputError(f"{where}: expected a list of [arm, against] pairs")
    return [(str(a), str(b)) for a, b in value]


def _number(where: str, spec: Parameter, value: Any, table: Table | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value):
        raise AnalysisInputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _choice(where: str, spec: Parameter, value: Any, table: Table | None) -> str:
    if value not in spec.choices:
        raise AnalysisInputError(f"{where}: expected one of {', '.join(spec.choices)}, got "
                                 f"{value!r}")
    return str(value)


def _flag(where: str, spec: Parameter, value: Any, table: Table | None) -> bool:
    if not isinstance(value, bool):
        raise AnalysisInputError(f"{where}: expected true or false, got {value!r}")
    return value


def _conditions(where: str, spec: Parameter, value: Any, table: Table | None
                ) -> dict[str, Where | None]:
    if not isinstance(value, dict):
        raise AnalysisInputError(f"{where}: expected a mapping of label to condition")
    return {str(label): None if clause is None else where_from_data(clause)
            for label, clause in value.items()}


COERCERS: dict[str, Callable[[str, Parameter, Any, Table | None], Any]] = {
    "column": _column, "columns": _columns, "factors": _factors, "text": _text,
    "texts": _texts, "pairs": _pairs, "number": _number, "choice": _choice, "flag": _flag,
    "conditions": _conditions,
}
