"""One simulated trial of the protocol: parts in order, the committee gate between them, the
randomized part's course and its analyses. The result is one flat row of numbers.

A simulated trial is a function of (setup, rng): the runner gives each trial its own
generator spawned from the seed, so results do not depend on how trials are spread over
workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.randomization.lists import StratumKey
from trialkit.core.simulation import adverse, enrolment
from trialkit.core.simulation.adverse import AdverseEvents
from trialkit.core.simulation.allocation import allocate
from trialkit.core.simulation.endpoints import Randomized, analyse
from trialkit.core.simulation.natural_history import People, simulate
from trialkit.core.simulation.plan import PartPlan
from trialkit.core.simulation.randomization_properties import guesses, imbalance
from trialkit.core.simulation.setup import Setup

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Row = dict[str, float]
YEAR = 365.25


@dataclass(frozen=True)
class PartRun:
    part: PartPlan
    pool: IntArray
    strata: list[StratumKey]
    arms: list[str]
    ready: FloatArray
    """Calendar day each was screened and ready for day 0."""
    day0: FloatArray
    """Calendar day of each participant's day 0 (later than ready when a rule held it)."""
    leaves: FloatArray
    """Study day each leaves (dropout, else the end of their last visit window)."""
    doses: IntArray
    events: AdverseEvents
    screened: int


def simulate_trial(setup: Setup, rng: np.random.Generator) -> Row:
    """One trial: each part when it opens; a committee gate that stops ends the trial on
    the day it stops (participants not yet dosed by then are not dosed)."""
    row: Row = {"gate.stopped": 0.0, "gate.stop_after": 0.0, "screened": 0.0,
                "enrolled": 0.0}
    runs: dict[str, PartRun] = {}
    end = 0.0
    for part in setup.plan.parts:
        opens = 0.0
        if part.gate is not None and part.gate.reviews_part in runs:
            reviewed = runs[part.gate.reviews_part]
            decision = enrolment.committee(part.gate, setup, reviewed.day0, reviewed.doses,
                                           reviewed.events)
            row.update({"gate.stopped": float(decision.stopped),
                        "gate.stop_after": float(decision.stop_after),
                        "gate.counted": float(decision.counted), "gate.day": decision.day})
            if decision.stopped:
                row["enrolled"] -= float((reviewed.day0 >= decision.day).sum())
                end = decision.day
                break
            opens = decision.day
        run = run_part(setup, rng, part, opens)
        runs[part.id] = run
        row["screened"] += run.screened
        row["enrolled"] += len(run.arms)
        end = max(end, float((run.day0 + run.leaves).max()))
    row["duration_days"] = end
    randomized = runs.get(setup.plan.randomized_part.id)
    if randomized is not None:
        row.update(_randomized(setup, rng, randomized))
    return row


def run_part(setup: Setup, rng: np.random.Generator, part: PartPlan, opens: float) -> PartRun:
    plan, file = setup.plan, setup.file
    found = enrolment.referrals(setup, rng, opens, part.target)
    strata = [setup.pool.strata[i] or () for i in found.pool]
    units = (allocate(plan.protocol, strata, rng) if part.randomized
             else [part.arms[0]] * len(strata))
    kept = [i for i, unit in enumerate(units) if unit is not None]  # a full stratum refuses
    arms = [str(units[i]) for i in kept]
    count = len(kept)
    rate = file.conduct.dropout_per_year.value
    dropout = rng.exponential(YEAR / rate, count) if rate > 0 else np.full(count, np.inf)
    leaves = np.minimum(dropout, float(plan.last_day + 1))
    doses = enrolment.dose_days(rng, plan, count, leaves)
    events = adverse.draw(rng, file.safety, plan.doses, arms, doses, leaves)
    ready = found.day[kept] + file.accrual.screening_days.value
    day0 = (enrolment.sequential_day0(part.sequential, plan, ready, doses, events)
            if part.sequential is not None else ready)
    return PartRun(part, found.pool[kept], [strata[i] for i in kept], arms, ready, day0,
                   leaves, doses, events, found.screened)


def _randomized(setup: Setup, rng: np.random.Generator, run: PartRun) -> Row:
    plan, file = setup.plan, setup.file
    data = randomized_data(setup, rng, run)
    ratio = dict(plan.protocol.randomization.ratio) if plan.protocol.randomization else {}
    overall, worst = imbalance(run.strata, run.arms, ratio)
    row: Row = {"allocation.imbalance": overall, "allocation.stratum_imbalance": worst,
                "allocation.guess_rate": guesses(run.strata, run.arms, ratio) / len(run.arms)}
    for arm in run.part.arms:
        mine = np.array([a == arm for a in run.arms])
        row[f"randomized.{arm}"] = float(mine.sum())
        row.update(_safety(run, mine, f"safety.{arm}"))
    confidence = 1.0 - file.alpha
    for endpoint in file.endpoints:
        outcome = analyse(endpoint, data, confidence)
        prefix = f"endpoint.{endpoint.id}"
        row.update({f"{prefix}.estimate": outcome.estimate, f"{prefix}.lower": outcome.lower,
                    f"{prefix}.upper": outcome.upper, f"{prefix}.p": outcome.p_value,
                    f"{prefix}.n": float(outcome.n), f"{prefix}.fallback": float(outcome.fallback),
                    f"{prefix}.failed": float(outcome.failed),
                    f"{prefix}.reject": float(outcome.p_value < file.alpha)})
    row.update(_calibration(data))
    return row


def randomized_data(setup: Setup, rng: np.random.Generator, run: PartRun) -> Randomized:
    """Visits (in their windows, missed at random, none after leaving) and the simulated
    course of the randomized participants."""
    plan, file, pool = setup.plan, setup.file, setup.pool
    count = len(run.arms)
    visit_day: dict[str, FloatArray] = {}
    for visit in plan.visits:
        day = visit.day + rng.integers(-visit.before, visit.after + 1, count).astype(float)
        missed = (rng.random(count) < file.conduct.missed_visit.value) & (visit.day > 0)
        visit_day[visit.id] = np.where(missed | (day >= run.leaves), np.nan, day)
    last = np.nanmax(np.column_stack(list(visit_day.values())), axis=1, initial=0.0)
    leaves = np.minimum(run.leaves, last)
    active = np.array([arm == plan.experimental for arm in run.arms])
    people = People(pool.course[run.pool], pool.frailty[run.pool], pool.disability[run.pool],
                    pool.slope[run.pool], active, leaves)
    course = simulate(rng, file, setup.scale, people,
                      np.column_stack([visit_day[v] for v in setup.rating_visits]),
                      np.column_stack([visit_day[v] for v in setup.scan_visits]))
    labels = np.array([",".join(f"{f}={level}" for f, level in s) or "all" for s in run.strata],
                      dtype=object)
    return Randomized(
        np.array(run.arms, dtype=object), labels, plan.control, plan.experimental, visit_day,
        {v: course.disability[:, i] for i, v in enumerate(setup.rating_visits)},
        {v: course.enhancing[:, i] for i, v in enumerate(setup.scan_visits)},
        {v: course.new[:, i] for i, v in enumerate(setup.scan_visits)},
        course.relapse_who, course.relapse_day, leaves)


def _safety(run: PartRun, mine: npt.NDArray[np.bool_], prefix: str) -> Row:
    events, count = run.events, max(int(mine.sum()), 1)

    def share(mask: npt.NDArray[np.bool_]) -> float:
        return len(set(events.who[mask].tolist()) & set(np.flatnonzero(mine).tolist())) / count
    return {f"{prefix}.any": share(np.ones(len(events.who), dtype=bool)),
            f"{prefix}.serious": share(events.serious),
            f"{prefix}.related_serious": share(events.serious & events.related)}


def _calibration(data: Randomized) -> Row:
    """The control arm's simulated activity, to compare with published placebo arms."""
    control = data.arm == data.control
    years = float(data.leaves[control].sum()) / YEAR
    relapses = float(np.isin(data.relapse_who, np.flatnonzero(control)).sum())
    enhancing = np.concatenate([values[control] for values in data.enhancing.values()])
    return {"control.relapse_rate": relapses / years if years else np.nan,
            "control.enhancing_per_scan": float(np.nanmean(enhancing))
            if np.any(~np.isnan(enhancing)) else np.nan}
