"""Course-of-disease rules of the in-memory engine: increases of a score, and events during an
exposure. Which score, which thresholds and which events are data (the nodes carry them; a
disease library names them), so nothing here knows a disease."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trialkit.core.eligibility import explain as ex
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.dates import Dates, add_months
from trialkit.core.eligibility.outcome import Outcome, all_of
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.eligibility.selection import Row, in_window, row_status, select, table_rows
from trialkit.core.wording import Wording, capitalized, gettext_noop, worded


def _increased(baseline_rows: list[Row], later_rows: list[Row], field: str,
               steps: tuple[n.Step, ...]) -> n.Status:
    """Met if every (baseline, later) pair rose by its threshold, not_met if none did."""
    statuses: list[n.Status] = []
    for early in baseline_rows:
        for late in later_rows:
            base, value = early.fields[field], late.fields[field]
            statuses.append(n.MET if value - base >= n.threshold(steps, base) else n.NOT_MET)
    return all_of(statuses)


def _dated(rows: list[Row], which: str) -> list[Row]:
    when = (max if which == "latest" else min)(row.date for row in rows)
    return [row for row in rows if row.date == when]


def increase(record: PatientRecord, dates: Dates, cond: n.Increase) -> Outcome:
    """``Increase``: the latest value in the window against the earliest (the baseline)."""
    rows = [row for row, status in select(record, dates, cond.events) if status == n.MET]
    rows = [row for row in rows if row.fields.get(cond.field) is not None]
    where = ex.window(cond.events.window, dates)
    what = worded(gettext_noop("%(rows)s (%(field)s)"), rows=ex.what(cond.events),
                  field=cond.field.replace("_", " "))
    if len({row.date for row in rows}) < 2:
        return Outcome(n.UNKNOWN, worded(gettext_noop(
            "Fewer than two dates with a %(what)s %(window)s; an increase cannot be judged."),
            what=what, window=where), tuple(row.evidence(cond.field) for row in rows),
            (worded(gettext_noop("two values of %(what)s on different dates %(window)s"),
                    what=what, window=where),))
    first, last = _dated(rows, "earliest"), _dated(rows, "latest")
    status = _increased(first, last, cond.field, cond.steps)
    base, value = first[0].fields[cond.field], last[0].fields[cond.field]
    needed = n.threshold(cond.steps, base)
    change = capitalized(worded(gettext_noop(
        "%(what)s %(base)s on %(first)s → %(value)s on %(last)s (%(change)s; an increase needs "
        "%(needed)s from %(base)s)."), what=what, base=f"{base:g}", first=first[0].date,
        value=f"{value:g}", last=last[0].date, change=f"{value - base:+g}",
        needed=f"{needed:+g}"))
    evidence = tuple(row.evidence(cond.field) for row in first + last)
    if status == n.UNKNOWN:
        return Outcome(status, worded(gettext_noop("Same-day values disagree: %(change)s"),
                                      change=change), evidence,
                       (worded(gettext_noop("one value of %(what)s per date %(window)s"),
                               what=what, window=where),))
    verdict = (gettext_noop("Increased: %(change)s") if status == n.MET
               else gettext_noop("Not increased: %(change)s"))
    return Outcome(status, worded(verdict, change=change), evidence)


@dataclass(frozen=True, slots=True)
class _Hit:
    status: n.Status
    exposure: Row
    event: Row
    label: Wording


def exposure_event(record: PatientRecord, dates: Dates, cond: n.ExposureEvent) -> Outcome:
    hits: list[_Hit] = []
    considered: list[Wording] = []
    for exposure, exposure_status in select(record, dates, cond.exposures):
        span = _event_span(exposure, dates.index, cond)
        label = worded(gettext_noop("%(exposure)s from %(date)s"), exposure=_name(exposure),
                       date=exposure.date)
        if span is None:
            considered.append(worded(gettext_noop("%(exposure)s (not taken more than "
                                                  "%(period)s)"),
                                     exposure=label, period=ex.months(cond.min_months)))
            continue
        considered.append(worded(gettext_noop("%(exposure)s (no event from %(first)s to "
                                              "%(last)s)"),
                                 exposure=label, first=span[0], last=span[1]))
        for source in cond.events:
            for event, status, kind in _events_between(record, source, *span):
                hits.append(_Hit(n.kleene_and([exposure_status, status]), exposure, event, kind))
    return _exposure_outcome(hits, considered, dates, cond)


def _name(row: Row) -> Wording | str:
    return str(row.code) if row.code is not None else ex.noun_of(row.table)


def _event_span(exposure: Row, anchor: dt.date,
                cond: n.ExposureEvent) -> tuple[dt.date, dt.date] | None:
    """Dates an event must fall in for this exposure, or None if it lasted too briefly."""
    assert exposure.table.end is not None  # ExposureEvent checks its table spans
    start, end = exposure.date, exposure.fields[exposure.table.end]
    effective_end = end if end is not None and end < anchor else anchor
    earliest = add_months(start, cond.min_months)
    if not effective_end > earliest:
        return None
    latest = anchor if end is None else min(add_months(end, cond.grace_months), anchor)
    return earliest, latest


EVENT_SOURCES = (n.Events, n.IncreaseEvents)
"""The event sources ``_events_between`` reads (the completeness tests read it)."""


def _events_between(record: PatientRecord, source: n.EventSource, first: dt.date,
                    last: dt.date) -> list[tuple[Row, n.Status, Wording]]:
    if isinstance(source, n.IncreaseEvents):
        return increase_events(record, source, first, last)
    found: list[tuple[Row, n.Status, Wording]] = []
    for row in table_rows(record, source.table):
        if not first <= row.date <= last:
            continue
        status = n.MET if source.where is None else row_status(source.where, row)
        if status != n.NOT_MET:
            found.append((row, status, ex.what(source)))
    return found


def increase_events(record: PatientRecord, source: n.IncreaseEvents, first: dt.date,
                    last: dt.date) -> list[tuple[Row, n.Status, Wording]]:
    """``IncreaseEvents`` dated in [first, last]: each row against the earliest values of the
    look-back before it (its own date included); a row that is itself earliest is no event."""
    rows = [row for row in table_rows(record, source.table)
            if row.fields.get(source.field) is not None]
    found: list[tuple[Row, n.Status, Wording]] = []
    for late in rows:
        if not first <= late.date <= last:
            continue
        lookback = add_months(late.date, -source.lookback_months)
        earlier = [row for row in rows if in_window(row, lookback, late.date)]
        baseline = _dated(earlier, "earliest")
        if baseline[0].date == late.date:
            continue
        status = _increased(baseline, [late], source.field, source.steps)
        if status != n.NOT_MET:
            found.append((late, status, worded(
                gettext_noop("%(rows)s increase from %(base)s to %(value)s"),
                rows=ex.noun_of(source.table), base=f"{baseline[0].fields[source.field]:g}",
                value=f"{late.fields[source.field]:g}")))
    return found


def _exposure_outcome(hits: list[_Hit], considered: list[Wording], dates: Dates,
                      cond: n.ExposureEvent) -> Outcome:
    what = ex.codes_of(cond.exposures)
    status = n.kleene_or([hit.status for hit in hits]) if hits else n.NOT_MET
    shown = [hit for hit in hits if hit.status == status] or hits
    evidence = tuple(e for hit in shown for e in (hit.exposure.evidence(), hit.event.evidence()))
    listed = ex.listed([worded(gettext_noop("%(event)s on %(date)s during %(exposure)s started "
                                            "%(start)s"), event=hit.label,
                               date=hit.event.date, exposure=_name(hit.exposure),
                               start=hit.exposure.date) for hit in shown[:5]])
    if status == n.MET:
        return Outcome(status, worded(gettext_noop("Treatment failure on %(what)s: %(events)s."),
                                      what=what, events=listed), evidence)
    if status == n.UNKNOWN:
        return Outcome(status, worded(gettext_noop(
            "Possible treatment failure on %(what)s, data incomplete: %(events)s."),
            what=what, events=listed), evidence,
            (worded(gettext_noop("the missing values of events during %(what)s"), what=what),))
    rule = worded(gettext_noop("%(what)s taken more than %(period)s with an event from "
                               "%(period)s after its start to %(grace)s after it stopped"),
                  what=what, period=ex.months(cond.min_months),
                  grace=ex.months(cond.grace_months))
    if not dates.covers(None):
        return Outcome(n.UNKNOWN, worded(gettext_noop(
            "No %(rule)s in the record, but its history does not reach back to birth, so "
            "absence is not evidence."), rule=rule),
            gaps=(worded(gettext_noop("full treatment history (%(rule)s)"), rule=rule),))
    exposures = (ex.listed(considered) if considered
                 else worded(gettext_noop("no %(what)s in the record"), what=what))
    return Outcome(n.NOT_MET, worded(gettext_noop("No %(rule)s. Exposures checked: "
                                                  "%(exposures)s."),
                                     rule=rule, exposures=exposures))
