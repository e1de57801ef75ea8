"""Disease-course rules of the in-memory engine: EDSS worsening and events during an exposure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trialkit.core.eligibility import explain as ex
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.dates import Dates, add_months
from trialkit.core.eligibility.outcome import Outcome, all_of
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.eligibility.selection import Row, in_window, row_status, select, table_rows


def worsening_threshold(baseline: float) -> float:
    """EDSS points needed: 1.0 from a baseline ≤ 5.0, 0.5 from a baseline ≥ 5.5."""
    return 1.0 if baseline <= 5.0 else 0.5


def _worsened(baseline_rows: list[Row], later_rows: list[Row]) -> n.Status:
    statuses: list[n.Status] = []
    for early in baseline_rows:
        for late in later_rows:
            base, score = early.fields["score"], late.fields["score"]
            statuses.append(n.MET if score - base >= worsening_threshold(base) else n.NOT_MET)
    return all_of(statuses)


def _dated(rows: list[Row], which: str) -> list[Row]:
    when = (max if which == "latest" else min)(row.date for row in rows)
    return [row for row in rows if row.date == when]


def edss_worsening(record: PatientRecord, dates: Dates, cond: n.EdssWorsening) -> Outcome:
    rows = [row for row, _ in select(record, dates, n.Events("edss", cond.window))]
    where = ex.window(cond.window, dates)
    if len({row.date for row in rows}) < 2:
        return Outcome(n.UNKNOWN, f"Fewer than two EDSS scores {where}; worsening cannot be "
                       "judged.", tuple(row.evidence("score") for row in rows),
                       (f"two EDSS scores on different dates {where}",))
    first, last = _dated(rows, "earliest"), _dated(rows, "latest")
    status = all_of([_worsened(first, last)])
    base, score = first[0].fields["score"], last[0].fields["score"]
    text = (f"EDSS {base:g} on {first[0].date} → {score:g} on {last[0].date} "
            f"({score - base:+g}; worsening needs {worsening_threshold(base):+g} from {base:g}).")
    evidence = tuple(row.evidence("score") for row in first + last)
    if status == n.UNKNOWN:
        return Outcome(status, "Same-day EDSS scores disagree: " + text, evidence,
                       (f"one EDSS score per date {where}",))
    verdict = "Worsened: " if status == n.MET else "Not worsened: "
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
        label = f"{exposure.fields['ingredient']} from {exposure.fields['start_date']}"
        if span is None:
            considered.append(f"{label} (not taken more than {cond.min_months} months)")
            continue
        considered.append(f"{label} (no event from {span[0]} to {span[1]})")
        for source in cond.events:
            for event, status, kind in _events_between(record, source, *span):
                hits.append(_Hit(n.kleene_and([exposure_status, status]), exposure, event, kind))
    return _exposure_outcome(hits, considered, dates, cond)


def _event_span(exposure: Row, anchor: dt.date,
                cond: n.ExposureEvent) -> tuple[dt.date, dt.date] | None:
    """Dates an event must fall in for this exposure, or None if it lasted too briefly."""
    start, end = exposure.fields["start_date"], exposure.fields["end_date"]
    effective_end = end if end is not None and end < anchor else anchor
    earliest = add_months(start, cond.min_months)
    if not effective_end > earliest:
        return None
    latest = anchor if end is None else min(add_months(end, cond.grace_months), anchor)
    return earliest, latest


def _events_between(record: PatientRecord, source: n.EventSource, first: dt.date,
                    last: dt.date) -> list[tuple[Row, n.Status, str]]:
    if isinstance(source, n.EdssWorseningEvent):
        return _worsening_events(record, source, first, last)
    found: list[tuple[Row, n.Status, str]] = []
    for row in table_rows(record, source.table):
        if not first <= row.date <= last:
            continue
        status = n.MET if source.where is None else row_status(source.where, row)
        if status != n.NOT_MET:
            found.append((row, status, ex.what(source)))
    return found


def _worsening_events(record: PatientRecord, source: n.EdssWorseningEvent, first: dt.date,
                      last: dt.date) -> list[tuple[Row, n.Status, str]]:
    rows = table_rows(record, "edss")
    found: list[tuple[Row, n.Status, str]] = []
    for late in rows:
        if not first <= late.date <= last:
            continue
        lookback = add_months(late.date, -source.lookback_months)
        earlier = [row for row in rows if in_window(row, lookback, late.date)]
        baseline = _dated(earlier, "earliest")
        if baseline[0].date == late.date:
            continue
        status = _worsened(baseline, [late])
        if status != n.NOT_MET:
            found.append((late, status, f"EDSS worsening from {baseline[0].fields['score']:g}"
                                        f" to {late.fields['score']:g}"))
    return found


def _exposure_outcome(hits: list[_Hit], considered: list[str], dates: Dates,
                      cond: n.ExposureEvent) -> Outcome:
    what = ex.codes_of(cond.exposures)
    status = n.kleene_or([hit.status for hit in hits]) if hits else n.NOT_MET
    shown = [hit for hit in hits if hit.status == status] or hits
    evidence = tuple(e for hit in shown for e in (hit.exposure.evidence(), hit.event.evidence()))
    listed = "; ".join(f"{hit.label} on {hit.event.date} during {hit.exposure.fields['ingredient']}"
                       f" started {hit.exposure.fields['start_date']}" for hit in shown[:5])
    if status == n.MET:
        return Outcome(status, f"Treatment failure on {what}: {listed}.", evidence)
    if status == n.UNKNOWN:
        return Outcome(status, f"Possible treatment failure on {what}, data incomplete: {listed}.",
                       evidence, (f"the missing values of events during {what}",))
    rule = (f"{what} taken more than {cond.min_months} months with an activity event from "
            f"{cond.min_months} months after its start to {cond.grace_months} months after it "
            "stopped")
    if not dates.covers(None):
        return Outcome(n.UNKNOWN, f"No {rule} in the record, but its history does not reach "
                       "back to birth, so absence is not evidence.",
                       missing=(f"full treatment history ({rule})",))
    exposures = "; ".join(considered) if considered else f"no {what} in the record"
    return Outcome(n.NOT_MET, f"No {rule}. Exposures checked: {exposures}.")

