"""Plain-language descriptions of nodes, for explanations screening staff can check."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Final

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.eligibility.dates import Dates, add_months
from trialkit.core.protocol.labs import LabCatalogue


@lru_cache(maxsize=1)
def _packaged_names() -> dict[str, str]:
    return units.short_names(units.default_catalogue())


def lab_names(catalogue: LabCatalogue | None = None) -> dict[str, str]:
    """Test code → short name, from the lab catalogue (default: the packaged one). A rule's
    inline codes already carry their names (the builder reads the protocol's catalogue)."""
    return _packaged_names() if catalogue is None else units.short_names(catalogue)


SYMBOL: Final[dict[str, str]] = {"<": "<", "<=": "≤", "==": "=", "!=": "≠", ">=": "≥", ">": ">"}
_WORDS: Final[dict[str, str]] = {"<": "below", "<=": "at most", "==": "", "!=": "other than",
                                 ">=": "at least", ">": "above"}
_DATE_WORDS: Final[dict[str, str]] = {"<": "before", "<=": "on or before", "==": "on",
                                      "!=": "not on", ">=": "on or after", ">": "after"}


def relation(op: str, rhs: str, *, dates: bool = False) -> str:
    """``at least 20``, ``on or before 2024-11-20``, ``"female"``."""
    word = (_DATE_WORDS if dates else _WORDS)[op]
    return f"{word} {rhs}" if word else rhs


def day(value: dt.date) -> str:
    return value.isoformat()


def window(w: n.Window | None, dates: Dates) -> str:
    start, end = dates.bounds(w)
    if w is None or start is None:
        return f"at any time up to {day(end)}"
    first = day(start + dt.timedelta(days=1))
    span = w.name or "the last " + _span(w)
    return f"in {span} ({first} to {day(end)})"


def _span(w: n.Window) -> str:
    parts = []
    if w.months:
        parts.append(f"{w.months} month" + ("s" if w.months != 1 else ""))
    if w.days:
        parts.append(f"{w.days} day" + ("s" if w.days != 1 else ""))
    return " and ".join(parts)


def codes(c: n.CodeSet) -> str:
    """A value set in words: its description, else the lab catalogue's names of its tests.
    Never its codes: the page reads "prothrombin time", and the codes stay in the criterion
    and its evidence for whoever checks them."""
    if c.description:
        return c.description
    names = lab_names()
    if any(code in names for code in c.codes):
        return " or ".join(sorted({names.get(code, code) for code in c.codes}))
    return c.id


def code_name(code: str, within: n.CodeSet | None) -> str:
    """A recorded code in words: the description of the set it was selected by when the set
    is that one code, the lab catalogue's name of a test; else the code itself (no name is
    known for it)."""
    if within is not None and within.codes == (code,) and within.description:
        return within.description
    return lab_names().get(code, code)


def row_cond(cond: n.RowCond) -> str:
    if isinstance(cond, n.InCodes):
        return codes(cond.codes)
    if isinstance(cond, n.FieldCompare):
        value = f'"{cond.value}"' if isinstance(cond.value, str) else f"{cond.value:g}"
        return f"{cond.field.replace('_', ' ')} {SYMBOL[cond.op]} {value}"
    if isinstance(cond, n.RowNot):
        return f"not ({row_cond(cond.part)})"
    joiner = " and " if isinstance(cond, n.RowAnd) else " or "
    return "(" + joiner.join(row_cond(p) for p in cond.parts) + ")"


def what(e: n.Events) -> str:
    """The rows an Events selects, without its window: the table's noun ("relapse"), or
    "prothrombin time result" for a table of measured quantities selected by test."""
    noun = e.table.noun
    if e.where is None:
        return noun
    if isinstance(e.where, n.InCodes):
        if "quantity" in e.table.fields.values():
            return f"{codes(e.where.codes)} result"
        return f"{noun}: {codes(e.where.codes)}"
    return f"{noun} with {row_cond(e.where)}"


def codes_of(e: n.Events) -> str:
    """The value set an Events is about (its first code filter), else the table's noun."""
    found = _first_codes(e.where) if e.where is not None else None
    return codes(found) if found is not None else e.table.noun


def code_set_of(e: n.Events) -> n.CodeSet | None:
    """The value set an Events selects its rows by (its first code filter), if any."""
    return _first_codes(e.where) if e.where is not None else None


def _first_codes(cond: n.RowCond) -> n.CodeSet | None:
    if isinstance(cond, n.InCodes):
        return cond.codes
    if isinstance(cond, (n.RowAnd, n.RowOr)):
        for part in cond.parts:
            found = _first_codes(part)
            if found is not None:
                return found
    return None


def events(e: n.Events, dates: Dates) -> str:
    return f"{what(e)} {window(e.window, dates)}"


def value(v: n.Value, dates: Dates) -> str:
    if isinstance(v, n.Number):
        return f"{v.value:g}"
    if isinstance(v, n.Quantity):
        return f"{v.value:g} {v.unit}"
    if isinstance(v, n.Text):
        return f'"{v.value}"'
    if isinstance(v, n.AnchorDate):
        shift = _shift(v)
        return day(anchor_date(v, dates)) + (f" ({shift} the {v.anchor} date)" if shift else "")
    if isinstance(v, n.Age):
        return f"age on the {v.anchor} date {day(dates.anchor(v.anchor))}"
    if isinstance(v, n.Sex):
        return "sex"
    if isinstance(v, n.Count):
        return f"number of {events(v.events, dates)}"
    which = "latest" if isinstance(v, n.Latest) else "earliest"
    if v.field == v.events.table.default:
        return f"{which} {events(v.events, dates)}"
    return f"{v.field.replace('_', ' ')} of the {which} {events(v.events, dates)}"


def _shift(v: n.AnchorDate) -> str:
    parts = []
    if v.months:
        years, months = divmod(abs(v.months), 12)
        parts.append(f"{years} year" + ("s" if years != 1 else "") if not months
                     else f"{abs(v.months)} months")
    if v.days:
        parts.append(f"{abs(v.days)} day" + ("s" if abs(v.days) != 1 else ""))
    if not parts:
        return ""
    return " and ".join(parts) + (" before" if v.months < 0 or v.days < 0 else " after")


def anchor_date(v: n.AnchorDate, dates: Dates) -> dt.date:
    return add_months(dates.anchor(v.anchor), v.months) + dt.timedelta(days=v.days)


def show(x: object) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, dt.date):
        return day(x)
    return str(x)
