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
    what = f"{ex.what(cond.events)} ({cond.field.replace('_', ' ')})"
    if len({row.date for row in rows}) < 2:
        return Outcome(n.UNKNOWN, f"Fewer than two dates with a {what} {where}; an increase "
                       "cannot be judged.", tuple(row.evidence(cond.field) for row in rows),
                       (f"two values of {what} on different dates {where}",))
    first, last = _dated(rows, "earliest"), _dated(rows, "latest")
    status = _increased(first, last, cond.field, cond.steps)
    base, value = first[0].fields[cond.field], last[0].fields[cond.field]
    needed = n.threshold(cond.steps, base)
    text = (f"{_cap(what)} {base:g} on {first[0].date} → {value:g} on {last[0].date} "
            f"({value - base:+g}; an increase needs {needed:+g} from {base:g}).")
    evidence = tuple(row.evidence(cond.field) for row in first + last)
    if status == n.UNKNOWN:
        return Outcome(status, "Same-day values disagree: " + text, evidence,
                       (f"one value of {what} per date {where}",))
    verdict = "Increased: " if status == n.MET else "Not increased: "
    return Outcome(status, verdict + text, evidence)


@dataclass(frozen=True, slots=True)
class _Hit:
    status: n.Status
    exposure: Row
    event: Row
    label: str


def exposure_event(record: PatientRecord, dates: Dates, cond: n.ExposureEvent) -> Outcome:
    hits: list[_Hit] = []
    considered: list[str] = []
    for exposure, exposure_status in select(record, dates, cond.exposures):
        span = _event_span(exposure, dates.index, cond)
        label = f"{_name(exposure)} from {exposure.date}"
        if span is None:
            considered.append(f"{label} (not taken more than {cond.min_months} months)")
            continue
        considered.append(f"{label} (no event from {span[0]} to {span[1]})")
        for source in cond.events:
            for event, status, kind in _events_between(record, source, *span):
                hits.append(_Hit(n.kleene_and([exposure_status, status]), exposure, event, kind))
    return _exposure_outcome(hits, considered, dates, cond)


def _name(row: Row) -> str:
    return str(row.code) if row.code is not None else row.table.noun


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
                    last: dt.date) -> list[tuple[Row, n.Status, str]]:
    if isinstance(source, n.IncreaseEvents):
        return increase_events(record, source, first, last)
    found: list[tuple[Row, n.Status, str]] = []
    for row in table_rows(record, source.table):
        if not first <= row.date <= last:
            continue
        status = n.MET if source.where is None else row_status(source.where, row)
        if status != n.NOT_MET:
            found.append((row, status, ex.what(source)))
    return found


def increase_events(record: PatientRecord, source: n.IncreaseEvents, first: dt.date,
                    last: dt.date) -> list[tuple[Row, n.Status, str]]:
    """``IncreaseEvents`` dated in [first, last]: each row against the earliest values of the
    look-back before it (its own date included); a row that is itself earliest is no event."""
    rows = [row for row in table_rows(record, source.table)
            if row.fields.get(source.field) is not None]
    found: list[tuple[Row, n.Status, str]] = []
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
            found.append((late, status, f"{source.table.noun} increase from "
                                        f"{baseline[0].fields[source.field]:g} to "
                                        f"{late.fields[source.field]:g}"))
    return found


def _exposure_outcome(hits: list[_Hit], considered: list[str], dates: Dates,
                      cond: n.ExposureEvent) -> Outcome:
    what = ex.codes_of(cond.exposures)
    status = n.kleene_or([hit.status for hit in hits]) if hits else n.NOT_MET
    shown = [hit for hit in hits if hit.status == status] or hits
    evidence = tuple(e for hit in shown for e in (hit.exposure.evidence(), hit.event.evidence()))
    listed = "; ".join(f"{hit.label} on {hit.event.date} during {_name(hit.exposure)}"
                       f" started {hit.exposure.date}" for hit in shown[:5])
    if status == n.MET:
        return Outcome(status, f"Treatment failure on {what}: {listed}.", evidence)
    if status == n.UNKNOWN:
        return Outcome(status, f"Possible treatment failure on {what}, data incomplete: {listed}.",
                       evidence, (f"the missing values of events during {what}",))
    rule = (f"{what} taken more than {cond.min_months} months with an event from "
            f"{cond.min_months} months after its start to {cond.grace_months} months after it "
            "stopped")
    if not dates.covers(None):
        return Outcome(n.UNKNOWN, f"No {rule} in the record, but its history does not reach "
                       "back to birth, so absence is not evidence.",
                       missing=(f"full treatment history ({rule})",))
    exposures = "; ".join(considered) if considered else f"no {what} in the record"
    return Outcome(n.NOT_MET, f"No {rule}. Exposures checked: {exposures}.")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
