"""Plain-language descriptions of nodes, for explanations screening staff can check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.eligibility.dates import Dates, add_months
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.wording import Wording, gettext_noop, joined, ngettext, plain, worded


@lru_cache(maxsize=1)
def _packaged_names() -> dict[str, str]:
    return units.short_names(units.default_catalogue())


def lab_names(catalogue: LabCatalogue | None = None) -> dict[str, str]:
    """Test code → short name, from the lab catalogue (default: the packaged one). A rule's
    inline codes already carry their names (the builder reads the protocol's catalogue)."""
    return _packaged_names() if catalogue is None else units.short_names(catalogue)


SYMBOL: Final[dict[str, str]] = {"<": "<", "<=": "≤", "==": "=", "!=": "≠", ">=": "≥", ">": ">"}
_WORDS: Final[dict[str, str]] = {
    "<": gettext_noop("below %(value)s"), "<=": gettext_noop("at most %(value)s"),
    "==": "", "!=": gettext_noop("other than %(value)s"),
    ">=": gettext_noop("at least %(value)s"), ">": gettext_noop("above %(value)s")}
_DATE_WORDS: Final[dict[str, str]] = {
    "<": gettext_noop("before %(value)s"), "<=": gettext_noop("on or before %(value)s"),
    "==": gettext_noop("on %(value)s"), "!=": gettext_noop("not on %(value)s"),
    ">=": gettext_noop("on or after %(value)s"), ">": gettext_noop("after %(value)s")}


def relation(op: str, rhs: Wording | str, *, dates: bool = False) -> Wording:
    """``at least 20``, ``on or before 2024-11-20``, ``"female"``."""
    template = (_DATE_WORDS if dates else _WORDS)[op]
    if not template:
        return rhs if isinstance(rhs, Wording) else plain(rhs)
    return worded(template, value=rhs)


def day(value: dt.date) -> str:
    return value.isoformat()


def window(w: n.Window | None, dates: Dates) -> Wording:
    start, end = dates.bounds(w)
    if w is None or start is None:
        return worded(gettext_noop("at any time up to %(date)s"), date=end)
    # A window's own name ("the screening window") is a catalogue template without values.
    span = Wording(w.name) if w.name else worded(gettext_noop("the last %(span)s"),
                                                 span=_span(w))
    return worded(gettext_noop("in %(span)s (%(first)s to %(last)s)"), span=span,
                  first=start + dt.timedelta(days=1), last=end)


def _span(w: n.Window) -> Wording:
    parts = []
    if w.months:
        parts.append(months(w.months))
    if w.days:
        parts.append(days(w.days))
    return joined(parts, _AND)


_AND: Final = gettext_noop("%(first)s and %(rest)s")
_OR: Final = gettext_noop("%(first)s or %(rest)s")
_LIST: Final = gettext_noop("%(first)s; %(rest)s")


def months(count: int) -> Wording:
    return ngettext("%(count)s month", "%(count)s months", count)


def days(count: int) -> Wording:
    return ngettext("%(count)s day", "%(count)s days", count)


def listed(parts: Sequence[Wording | str]) -> Wording:
    """Values or rows in a list: ``a; b; c``."""
    return joined(parts, _LIST)


def codes(c: n.CodeSet) -> Wording:
    """A value set in words: its description, else the lab catalogue's names of its tests.
    Never its codes: the page reads "prothrombin time", and the codes stay in the criterion
    and its evidence for whoever checks them."""
    if c.description:
        return plain(c.description)
    names = lab_names()
    if any(code in names for code in c.codes):
        return joined(sorted({names.get(code, code) for code in c.codes}), _OR)
    return plain(c.id)


def code_name(code: str, within: n.CodeSet | None) -> str:
    """A recorded code in words: the description of the set it was selected by when the set
    is that one code, the lab catalogue's name of a test; else the code itself (no name is
    known for it)."""
    if within is not None and within.codes == (code,) and within.description:
        return within.description
    return lab_names().get(code, code)


def row_cond(cond: n.RowCond) -> Wording:
    if isinstance(cond, n.InCodes):
        return codes(cond.codes)
    if isinstance(cond, n.FieldCompare):
        value = f'"{cond.value}"' if isinstance(cond.value, str) else f"{cond.value:g}"
        return plain(f"{cond.field.replace('_', ' ')} {SYMBOL[cond.op]} {value}")
    if isinstance(cond, n.RowNot):
        return worded(gettext_noop("not (%(condition)s)"), condition=row_cond(cond.part))
    joiner = _AND if isinstance(cond, n.RowAnd) else _OR
    return worded(gettext_noop("(%(conditions)s)"),
                  conditions=joined([row_cond(p) for p in cond.parts], joiner))


def what(e: n.Events) -> Wording:
    """The rows an Events selects, without its window: the table's noun ("relapse"), or
    "prothrombin time result" for a table of measured quantities selected by test."""
    noun = noun_of(e.table)
    if e.where is None:
        return noun
    if isinstance(e.where, n.InCodes):
        if "quantity" in e.table.fields.values():
            return worded(gettext_noop("%(tests)s result"), tests=codes(e.where.codes))
        return worded(gettext_noop("%(noun)s: %(codes)s"), noun=noun,
                      codes=codes(e.where.codes))
    return worded(gettext_noop("%(noun)s with %(condition)s"), noun=noun,
                  condition=row_cond(e.where))


def noun_of(table: n.TableRef) -> Wording:
    """One row of ``table`` in words. A template without values: the base tables' nouns are
    in the catalogue (``record.BASE_NOUNS``); a protocol's own are translated by its
    ``translations`` before it is compiled."""
    return Wording(table.noun)


def codes_of(e: n.Events) -> Wording:
    """The value set an Events is about (its first code filter), else the table's noun."""
    found = _first_codes(e.where) if e.where is not None else None
    return codes(found) if found is not None else noun_of(e.table)


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


def events(e: n.Events, dates: Dates) -> Wording:
    return worded(gettext_noop("%(rows)s %(window)s"), rows=what(e),
                  window=window(e.window, dates))


_SHIFTED: Final[dict[str, str]] = {
    "index": gettext_noop("%(date)s (%(shift)s the index date)"),
    "consent": gettext_noop("%(date)s (%(shift)s the consent date)")}
_AGE: Final[dict[str, str]] = {
    "index": gettext_noop("age on the index date %(date)s"),
    "consent": gettext_noop("age on the consent date %(date)s")}


def value(v: n.Value, dates: Dates) -> Wording:
    if isinstance(v, n.Number):
        return plain(f"{v.value:g}")
    if isinstance(v, n.Quantity):
        return plain(f"{v.value:g} {v.unit}")
    if isinstance(v, n.Text):
        return plain(f'"{v.value}"')
    if isinstance(v, n.AnchorDate):
        shift = _shift(v)
        date = day(anchor_date(v, dates))
        return worded(_SHIFTED[v.anchor], date=date, shift=shift) if shift else plain(date)
    if isinstance(v, n.Age):
        return worded(_AGE[v.anchor], date=dates.anchor(v.anchor))
    if isinstance(v, n.Sex):
        return Wording(gettext_noop("sex"))
    if isinstance(v, n.Count):
        return worded(gettext_noop("number of %(rows)s"), rows=events(v.events, dates))
    latest = isinstance(v, n.Latest)
    if v.field == v.events.table.default:
        return worded(gettext_noop("latest %(rows)s") if latest
                      else gettext_noop("earliest %(rows)s"), rows=events(v.events, dates))
    return worded(gettext_noop("%(field)s of the latest %(rows)s") if latest
                  else gettext_noop("%(field)s of the earliest %(rows)s"),
                  field=v.field.replace("_", " "), rows=events(v.events, dates))


def _shift(v: n.AnchorDate) -> Wording | None:
    parts = []
    if v.months:
        years, rest = divmod(abs(v.months), 12)
        parts.append(ngettext("%(count)s year", "%(count)s years", years) if not rest
                     else months(abs(v.months)))
    if v.days:
        parts.append(days(abs(v.days)))
    if not parts:
        return None
    before = v.months < 0 or v.days < 0
    return worded(gettext_noop("%(span)s before") if before else gettext_noop("%(span)s after"),
                  span=joined(parts, _AND))


def anchor_date(v: n.AnchorDate, dates: Dates) -> dt.date:
    return add_months(dates.anchor(v.anchor), v.months) + dt.timedelta(days=v.days)


def show(x: object) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, dt.date):
        return day(x)
    return str(x)
