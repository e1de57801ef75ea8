"""SQL twins of ``trialkit.core.eligibility.history``: increases of a score and events during an
exposure. Tables, columns and thresholds come from the nodes; nothing here knows a disease."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from trialkit.core.eligibility import nodes as n
from trialkit.prescreen import _sql as s
from trialkit.prescreen._plan import Plan
from trialkit.prescreen._sql import UNKNOWN, CompileError, Expr


def threshold(steps: tuple[n.Step, ...], base: ir.FloatingValue) -> ir.FloatingValue:
    """``nodes.threshold`` as a CASE: the first step whose bound admits the baseline."""
    last = steps[-1].by
    bounded = [(base <= step.at_most, step.by) for step in steps if step.at_most is not None]
    if not bounded:
        return ibis.literal(last, type="float64")
    return ibis.cases(*bounded, else_=last)


def increased(base: ir.FloatingValue, value: ir.FloatingValue,
              steps: tuple[n.Step, ...]) -> ir.BooleanValue:
    """``history._increased`` for one pair."""
    return (value - base) >= threshold(steps, base)


def increase(plan: Plan, cond: n.Increase) -> Expr:
    """Every (earliest-date, latest-date) pair of values in the window rose by its threshold:
    met; none did: not_met; fewer than two dates or a mix: unknown."""
    events, field = cond.events, cond.field
    rows = plan.rows(events.table)
    chosen = s.in_window(rows, events.table, events.window) & rows[field].notnull()
    if events.where is not None:
        chosen = chosen & s.row_status(rows, events.table, events.where).fill_null(False)
    rows = rows.filter(chosen)
    rows = rows.mutate(first=rows[events.table.date].min().over(group_by=rows.pid),
                       last=rows[events.table.date].max().over(group_by=rows.pid))
    day = rows[events.table.date]
    early = rows.filter(day == rows.first).select(pid="pid", base=rows[field])
    late = rows.filter(day == rows.last).select(lpid="pid", value=rows[field],
                                                single=rows.first == rows.last)
    pairs = early.join(late, early.pid == late.lpid)
    ok = increased(pairs.base, pairs.value, cond.steps)
    met, unmet, single = plan.name("inc_met"), plan.name("inc_unmet"), plan.name("inc_one")
    plan.feature(pairs.group_by("pid").aggregate(**{
        met: pairs.pid.count(where=ok), unmet: pairs.pid.count(where=~ok),
        single: pairs.single.any()}))
    return lambda t: ibis.cases(
        (t[single].fill_null(True), UNKNOWN), (t[unmet] == 0, True), (t[met] == 0, False),
        else_=UNKNOWN)


def exposure_event(plan: Plan, cond: n.ExposureEvent) -> Expr:
    """Some long-enough exposure has an event in its span (``history.exposure_event``): met if
    a hit is certain, unknown if one is possible, else not_met if history reaches back to
    birth."""
    spans = _exposure_spans(plan, cond)
    events = [_event_rows(plan, source) for source in cond.events]
    found = ibis.union(*events) if len(events) > 1 else events[0]
    hits = spans.join(found, [spans.pid == found.epid, found.day >= spans.first,
                              found.day <= spans.last])
    status = hits.exposure_status & hits.event_status
    met, maybe = plan.name("fail_met"), plan.name("fail_maybe")
    plan.feature(hits.group_by("pid").aggregate(**{
        met: hits.pid.count(where=status.fill_null(False)),
        maybe: hits.pid.count(where=status.isnull())}))
    return lambda t: ibis.cases(
        (t[met].fill_null(0) > 0, True), (t[maybe].fill_null(0) > 0, UNKNOWN),
        (s.covers(t, None), False), else_=UNKNOWN)


def _exposure_spans(plan: Plan, cond: n.ExposureEvent) -> ir.Table:
    """``history._event_span`` for each selected exposure: the dates an event must fall in."""
    table = cond.exposures.table
    if table.end is None:
        raise CompileError(f"{table.name} rows do not span an interval")
    rows = plan.rows(table)
    chosen = s.in_window(rows, table, cond.exposures.window)
    where = (s.row_status(rows, table, cond.exposures.where)
             if cond.exposures.where is not None else ibis.literal(True))
    rows = rows.filter(chosen & where.isnull() | (chosen & where.fill_null(False)))
    rows = rows.mutate(exposure_status=where)
    index, start, end = rows.p_index, rows[table.date], rows[table.end]
    ends_before = end.notnull() & (end < index)
    effective_end = ibis.ifelse(ends_before, end, index)
    first = s.add_months(start, cond.min_months)
    graced = s.add_months(end, cond.grace_months)
    last = ibis.ifelse(end.isnull(), index, ibis.ifelse(graced < index, graced, index))
    rows = rows.filter(effective_end > first)
    return rows.select("pid", "exposure_status", first=first, last=last)


EVENT_SOURCES = (n.Events, n.IncreaseEvents)
"""The event sources ``_event_rows`` reads (the completeness tests read it)."""


def _event_rows(plan: Plan, source: n.EventSource) -> ir.Table:
    """(epid, day, event_status) of every event that may count (not_met dropped)."""
    if isinstance(source, n.IncreaseEvents):
        return increase_events(plan, source)
    if not isinstance(source, n.Events):
        raise CompileError(f"no event rows for {type(source).__name__}")
    rows = plan.rows(source.table)
    status = (s.row_status(rows, source.table, source.where)
              if source.where is not None else ibis.literal(True))
    rows = rows.mutate(event_status=status)
    rows = rows.filter(rows.event_status.isnull() | rows.event_status)
    return rows.select(epid=rows.pid, day=rows[source.table.date],
                       event_status=rows.event_status)


def increase_events(plan: Plan, source: n.IncreaseEvents) -> ir.Table:
    """``history.increase_events``: each row against the earliest values of the
    ``lookback_months`` before it (its own date included), skipped when it is the earliest.

    The earliest date is found among each patient's distinct dates (a GROUP BY over date
    pairs) before any value is touched: a window over every pair of values cost several times
    more at a million patients (docs/adr/0006)."""
    table, field = source.table, source.field
    whole = plan.tables.table(table.name)
    valued = whole.filter(whole[field].notnull())
    days = valued.select(pid=valued.patient_id, day=valued[table.date]).distinct()
    late = days.select(lpid="pid", ldate="day")
    early = days.select(bpid="pid", bdate="day")
    lookback = s.add_months(late.ldate, -source.lookback_months)
    spans = late.join(early, [late.lpid == early.bpid, early.bdate > lookback,
                              early.bdate <= late.ldate])
    firsts = spans.group_by(["lpid", "ldate"]).aggregate(first=spans.bdate.min())
    firsts = firsts.filter(firsts.first < firsts.ldate)
    scored = valued.select(spid=valued.patient_id, sdate=valued[table.date],
                           lvalue=valued[field])
    based = valued.select(bpid=valued.patient_id, bdate=valued[table.date],
                          bvalue=valued[field])
    pairs = firsts.join(scored, [firsts.lpid == scored.spid, firsts.ldate == scored.sdate])
    pairs = pairs.join(based, [pairs.lpid == based.bpid, pairs.first == based.bdate])
    ok = increased(pairs.bvalue, pairs.lvalue, source.steps)
    judged = pairs.group_by(["lpid", "ldate", "lvalue"]).aggregate(
        good=pairs.lpid.count(where=ok), bad=pairs.lpid.count(where=~ok))
    status = ibis.cases((judged.bad == 0, True), (judged.good == 0, False), else_=UNKNOWN)
    judged = judged.mutate(event_status=status)
    judged = judged.filter(judged.event_status.isnull() | judged.event_status)
    return judged.select(epid=judged.lpid, day=judged.ldate, event_status=judged.event_status)
