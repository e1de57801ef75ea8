"""Who enters a simulated part of the trial, and when: referrals, screening, day 0, doses,
the sequential rule and the committee gate.

Days here are calendar days from the simulated trial's start (the first referral may come
on day 0). A part starts screening when it opens (at once, or when its committee gate opens);
referrals arrive as a Poisson process and draw a candidate from the pool; eligible ones
enrol in order until the part's target. Day 0 is the referral plus the screening days, and in
a sequential part no earlier than the sequential rule allows: every listed administration of
the previous participant given, ``wait_days`` passed, and (if the rule says so) none of their
serious adverse events still open. Waiting candidates keep their place (rescreening, if
their screening window lapses, is assumed to succeed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.protocol.gates import CommitteeGate, SequentialEnrolment
from trialkit.core.simulation.adverse import AdverseEvents
from trialkit.core.simulation.gate_rules import counts_toward, stops_at
from trialkit.core.simulation.plan import TrialPlan
from trialkit.core.simulation.setup import Setup

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MONTH = 365.25 / 12


@dataclass(frozen=True)
class Referrals:
    pool: IntArray
    """Pool index of each enrolled candidate, in referral order."""
    day: FloatArray
    """Calendar day each was referred."""
    screened: int
    """Candidates screened to find them."""


def referrals(setup: Setup, rng: np.random.Generator, opens: float, target: int) -> Referrals:
    """Screen referrals from ``opens`` until ``target`` candidates are eligible."""
    per_day = setup.file.accrual.candidates_per_month.value / MONTH
    batch = math.ceil(target / (len(setup.eligible) / setup.pool.size) * 1.3) + 10
    days: list[FloatArray] = []
    picks: list[IntArray] = []
    found, last = 0, opens
    while found < target:  # whole batches: the draws do not depend on how many are used
        gaps = rng.exponential(1.0 / per_day, batch)
        day = last + np.cumsum(gaps)
        pick = rng.integers(0, setup.pool.size, batch)
        days.append(day)
        picks.append(pick)
        found += int(setup.usable[pick].sum())
        last = float(day[-1])
    day, pick = np.concatenate(days), np.concatenate(picks)
    chosen = np.flatnonzero(setup.usable[pick])[:target]
    return Referrals(pick[chosen].astype(np.int64), day[chosen], int(chosen[-1]) + 1)


def dose_days(rng: np.random.Generator, plan: TrialPlan, count: int,
              leaves: FloatArray) -> IntArray:
    """Study day of each administration (participants × doses) within its visit window; -1
    when the participant left before it."""
    given = np.empty((count, len(plan.doses)), dtype=np.int64)
    for d, dose in enumerate(plan.doses):
        given[:, d] = dose.day + rng.integers(-dose.before, dose.after + 1, count)
    result: IntArray = np.where(given < leaves[:, None], given, -1)
    return result


def sequential_day0(rule: SequentialEnrolment, plan: TrialPlan, ready: FloatArray,
                    doses: IntArray, events: AdverseEvents) -> FloatArray:
    """Each participant's day 0 under the sequential rule, in enrolment order."""
    listed = [i for i, dose in enumerate(plan.doses)
              if dose.id in rule.previous_must_have_received]
    day0 = np.array(ready, dtype=float)
    for j in range(1, len(day0)):
        given = doses[j - 1, listed]
        earliest = day0[j - 1] + float(given[given >= 0].max(initial=0)) + rule.wait_days
        day0[j] = max(day0[j], earliest)
        if rule.no_open_serious_adverse_event:
            day0[j] = _after_open_serious(events, j - 1, day0[j - 1], day0[j])
    return day0


def _after_open_serious(events: AdverseEvents, who: int, their_day0: float, day: float
                        ) -> float:
    """The first day from ``day`` on when none of ``who``'s serious events is open."""
    mine = (events.who == who) & events.serious
    onsets, ends = their_day0 + events.onset[mine], their_day0 + events.end[mine]
    moved = True
    while moved:
        open_now = (onsets <= day) & (ends > day)
        moved = bool(open_now.any())
        if moved:
            day = float(ends[open_now].max())
    return day


@dataclass(frozen=True)
class GateDecision:
    stopped: bool
    stop_after: int
    """Reviewed participants when the rule stopped (0: it did not)."""
    counted: int
    """Reviewed participants with the counted event by their safety timepoint."""
    day: float
    """Calendar day of the stop, or of the signed decision that opens the part."""


def committee(gate: CommitteeGate, setup: Setup, day0: FloatArray, doses: IntArray,
              events: AdverseEvents) -> GateDecision:
    """The committee's verdict on the reviewed part's participants (in enrolment order)."""
    plan = setup.plan
    rule = gate.stopping_rule
    has = np.zeros(len(day0), dtype=bool)
    if rule is not None:
        for i in range(len(events.who)):
            if events.onset[i] <= plan.safety_day and counts_toward(
                    rule.event, serious=bool(events.serious[i]),
                    related=bool(events.related[i]), grade=int(events.grade[i])):
                has[events.who[i]] = True
    stop = int(stops_at(rule, has[None, :])[0]) if rule is not None else 0
    if stop:
        return GateDecision(True, stop, int(has.sum()), float(day0[stop - 1] + plan.safety_day))
    after = [i for i, dose in enumerate(plan.doses) if dose.id == gate.after_administration]
    given = doses[:, after[0]] if after else np.zeros(len(day0), dtype=np.int64)
    received = given >= 0
    review_end = float((day0[received] + given[received]).max(initial=float(day0.max()))
                       + gate.days_after_administration)
    return GateDecision(False, 0, int(has.sum()),
                        review_end + setup.file.conduct.committee_decision_days.value)
