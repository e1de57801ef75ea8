"""SQL twins of ``trialkit.core.eligibility.history``: EDSS worsening and treatment failure."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from trialkit.core.eligibility import nodes as n
from trialkit.prescreen import _sql as s
from trialkit.prescreen._plan import Plan
from trialkit.prescreen._sql import UNKNOWN, CompileError, Expr


def worsened(base: ir.FloatingValue, score: ir.FloatingValue) -> ir.BooleanValue:
    """``history._worsened`` for one pair: 1.0 from a baseline ≤ 5.0, else 0.5."""
    threshold = ibis.ifelse(base <= 5.0, 1.0, 0.5)
    return (score - base) >= threshold


def edss_worsening(plan: Plan, cond: n.EdssWorsening) -> Expr:
    """Every (earliest-date, latest-date) pair of scores in the window worsened: met; none
    did: not_met; fewer than two dates or a mix: unknown."""
    rows = plan.rows("edss")
    rows = rows.filter(s.in_window(rows, "edss", cond.window))
    rows = rows.mutate(first=rows.date.min().over(group_by=rows.pid),
                       last=rows.date.max().over(group_by=rows.pid))
    early = rows.filter(rows.date == rows.first).select(pid="pid", base="score")
    late = rows.filter(rows.date == rows.last).select(lpid="pid", score="score",
                                                      single=rows.first == rows.last)
    pairs = early.join(late, early.pid == late.lpid)
    ok = worsened(pairs.base, pairs.score)
    met, unmet, single = plan.name("edss_met"), plan.name("edss_unmet"), plan.name("edss_one")
    plan.feature(pairs.group_by("pid").aggregate(**{
        met: pairs.pid.count(where=ok), unmet: pairs.pid.count(where=~ok),
        single: pairs.single.any()}))
    return lambda t: ibis.cases(
        (t[single].fill_null(True), UNKNOWN), (t[unmet] == 0, True), (t[met] == 0, False),
        else_=UNKNOWN)


def exposure_event(plan: Plan, cond: n.ExposureEvent) -> Expr:
    """Some long-enough exposure has an activity event in its span (``history.exposure_event``):
    met if a hit is certain, unknown if one is possible, else not_met if history reaches back
    to birth."""
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
    rows = plan.rows("medications")
    chosen = s.in_window(rows, "medications", cond.exposures.window)
    where = (s.row_status(rows, "medications", cond.exposures.where)
             if cond.exposures.where is not None else ibis.literal(True))
    rows = rows.filter(chosen & where.isnull() | (chosen & where.fill_null(False)))
    rows = rows.mutate(exposure_status=where)
    index = rows.p_index
    ends_before = rows.end_date.notnull() & (rows.end_date < index)
    effective_end = ibis.ifelse(ends_before, rows.end_date, index)
    first = s.add_months(rows.start_date, cond.min_months)
    graced = s.add_months(rows.end_date, cond.grace_months)
    last = ibis.ifelse(rows.end_date.isnull(), index,
                       ibis.ifelse(graced < index, graced, index))
    rows = rows.filter(effective_end > first)
    return rows.select("pid", "exposure_status", first=first, last=last)


def _event_rows(plan: Plan, source: n.EventSource) -> ir.Table:
    """(epid, day, event_status) of every activity event that may count (not_met dropped)."""
    if isinstance(source, n.EdssWorseningEvent):
        return _worsening_events(plan, source)
    if not isinstance(source, n.Events):
        raise CompileError(f"no event rows for {type(source).__name__}")
    rows = plan.rows(source.table)
    status = (s.row_status(rows, source.table, source.where)
              if source.where is not None else ibis.literal(True))
    rows = rows.mutate(event_status=status)
    rows = rows.filter(rows.event_status.isnull() | rows.event_status)
    return rows.select(epid=rows.pid, day=rows[n.DATE_FIELD[source.table]],
                       event_status=rows.event_status)


def _worsening_events(plan: Plan, source: n.EdssWorseningEvent) -> ir.Table:
    """``history._worsening_events``: each EDSS row against the earliest scores of the
    ``lookback_months`` before it (its own date included), skipped when it is the earliest.

    The earliest date is found among each patient's distinct EDSS dates (a GROUP BY over
    date pairs) before any score is touched: a window over every pair of scores cost
    several times more at a million patients (docs/adr/0006)."""
    edss = plan.tables.edss
    days = edss.select(pid=edss.patient_id, day=edss.date).distinct()
    late = days.select(lpid="pid", ldate="day")
    early = days.select(bpid="pid", bdate="day")
    lookback = s.add_months(late.ldate, -source.lookback_months)
    spans = late.join(early, [late.lpid == early.bpid, early.bdate > lookback,
                              early.bdate <= late.ldate])
    firsts = spans.group_by(["lpid", "ldate"]).aggregate(first=spans.bdate.min())
    firsts = firsts.filter(firsts.first < firsts.ldate)
    scored = edss.select(spid=edss.patient_id, sdate=edss.date, lscore=edss.score)
    based = edss.select(bpid=edss.patient_id, bdate=edss.date, bscore=edss.score)
    pairs = firsts.join(scored, [firsts.lpid == scored.spid, firsts.ldate == scored.sdate])
    pairs = pairs.join(based, [pairs.lpid == based.bpid, pairs.first == based.bdate])
    ok = worsened(pairs.bscore, pairs.lscore)
    judged = pairs.group_by(["lpid", "ldate", "lscore"]).aggregate(
        good=pairs.lpid.count(where=ok), bad=pairs.lpid.count(where=~ok))
    status = ibis.cases((judged.bad == 0, True), (judged.good == 0, False), else_=UNKNOWN)
    judged = judged.mutate(event_status=status)
    judged = judged.filter(judged.event_status.isnull() | judged.event_status)
    return judged.select(epid=judged.lpid, day=judged.ldate, event_status=judged.event_status)
