"""Form values as ADaM values, and records as a ``Table`` in a dataset's variable order."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from trialkit.core.analysis.table import Table
from trialkit.core.protocol.analysis_datasets import VariableSpec
from trialkit.core.protocol.forms import Item
from trialkit.core.protocol.model import Protocol

Record = dict[str, Any]


def as_date(value: object) -> dt.date | None:
    """An ISO date or date-time (its calendar date as written), else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def as_number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_text(item: Item, value: object, protocol: Protocol) -> str:
    """A choice as its CDISC submission value (else its decode; an integer code list's code
    as is), a yes/no as Y or N, anything else as text; missing as ``""``."""
    if value is None or value == "":
        return ""
    if item.type == "boolean":
        return "Y" if value is True else "N" if value is False else ""
    if item.type == "choice" and item.codelist is not None:
        codelist = protocol.codelist(item.codelist)
        if codelist.data_type == "integer":
            return str(value)
        chosen = next((c for c in codelist.items if c.code == str(value)), None)
        if chosen is None:
            return str(value)
        return chosen.submission_value or chosen.decode
    if item.type in ("date", "datetime"):
        found = as_date(value)
        return found.isoformat() if found else str(value)
    return str(value)


def study_day(day: dt.date | None, reference: dt.date | None) -> float:
    """ADaM relative day: day 1 is the reference date, the day before is -1 (no day 0)."""
    if day is None or reference is None:
        return math.nan
    delta = (day - reference).days
    return float(delta + 1 if delta >= 0 else delta)


def table(variables: Iterable[VariableSpec], records: list[Record]) -> Table:
    """The records as a Table with one column per variable, typed as the variable says."""
    columns: dict[str, object] = {}
    for variable in variables:
        values = [record.get(variable.name) for record in records]
        if variable.type == "float":
            columns[variable.name] = np.array(
                [math.nan if v is None else float(v) for v in values], dtype=np.float64)
        elif variable.type == "date":
            columns[variable.name] = np.array(
                [np.datetime64("NaT") if v is None else np.datetime64(v.isoformat(), "D")
                 for v in values], dtype="datetime64[D]")
        else:
            columns[variable.name] = np.array(["" if v is None else str(v) for v in values],
                                              dtype=object)
    return Table(columns)


def merge(records: list[Record], subjects: Mapping[str, Record],
          names: Iterable[str]) -> None:
    """Copy the subject-level variables ``names`` into each record (by USUBJID), in place."""
    names = tuple(names)
    for record in records:
        subject = subjects.get(record["USUBJID"], {})
        for name in names:
            record.setdefault(name, subject.get(name))
