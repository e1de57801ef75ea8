"""The candidates of an in-silico trial: a synthetic population written as patient records and
screened by the real eligibility engine, once per scenario population.

Each candidate's history (relapses, scans, disability ratings) comes from the cohort generator
with rates scaled by the candidate's frailty, so the rules select on recent activity exactly
as they would in the clinic, and the frailty (carried into the trial) makes the selected
candidates' later activity regress towards the mean. The records go through ``parse_record``
and ``screen``: the screen-failure rate is whatever the protocol's rules make of the
population. A simulated trial draws its referrals from this pool at random (with
replacement), so the pool is the population's sampling distribution.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trialkit.core.eligibility.compile import CompiledCriteria, compile_criteria, screen
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.protocol.model import Protocol
from trialkit.core.randomization.lists import StratumKey
from trialkit.core.simulation.attestations import attestation_answers
from trialkit.core.simulation.candidate_records import EPOCH, count_columns, records
from trialkit.core.simulation.cohort import Cohort, CohortSpec, DiseaseRates, generate
from trialkit.core.simulation.cohort_base import YEAR, Scale
from trialkit.core.simulation.plan import stratum_reader
from trialkit.core.simulation.scenario_file import ScenarioFile

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CandidatePool:
    """Screened candidates; arrays have one value per candidate."""

    eligible: npt.NDArray[np.bool_]
    verdicts: dict[str, int]
    ruled_out_by: dict[str, int]
    """Criterion id → ineligible candidates it rules out (a candidate may count for several)."""
    course: npt.NDArray[np.int64]
    frailty: FloatArray
    disability: FloatArray
    """The latent disability score on the planned day 0."""
    slope: FloatArray
    strata: tuple[StratumKey | None, ...]

    @property
    def size(self) -> int:
        return len(self.eligible)

    @property
    def eligible_rate(self) -> float:
        return float(self.eligible.mean())


def build_pool(protocol: Protocol, file: ScenarioFile, rng: np.random.Generator, size: int,
               reference: dt.date) -> CandidatePool:
    """``size`` referred candidates screened for a planned day 0 on ``reference``."""
    built, batches = referred_records(protocol, file, rng, size, reference)
    return _screened(protocol, compile_criteria(protocol), built, batches)


Batch = tuple[Cohort, npt.NDArray[np.int64], FloatArray]


def referred_records(protocol: Protocol, file: ScenarioFile, rng: np.random.Generator,
                     size: int, reference: dt.date
                     ) -> tuple[list[PatientRecord], list[Batch]]:
    """The ``size`` referred candidates' patient records (what ``build_pool`` screens, from
    the same draws), with the cohort batches they come from."""
    if size < 1:
        raise ValueError("size: must be at least 1")
    compiled = compile_criteria(protocol)
    batches: list[Batch] = []
    found = 0
    while found < size:  # whole batches, so the pool is a function of (inputs, seed)
        cohort, frailty = _batch(protocol, file, compiled, rng, size, reference)
        chosen = np.flatnonzero(referred(cohort, file, rng))[:size - found]
        if len(chosen) == 0:
            raise ValueError(f"population: none of {size} simulated patients would be "
                             "referred (no activity in the referral window)")
        batches.append((cohort, chosen, frailty))
        found += len(chosen)
    built = [record for cohort, chosen, _ in batches
             for record in records(protocol, file, cohort, chosen)]
    return built, batches


def _batch(protocol: Protocol, file: ScenarioFile, compiled: CompiledCriteria,
           rng: np.random.Generator, size: int, reference: dt.date
           ) -> tuple[Cohort, FloatArray]:
    shape = file.population.frailty_shape.value
    frailty = rng.gamma(shape, 1.0 / shape, size)
    cohort = generate(rng, first_person_id=1, n=size, reference_day=reference.toordinal() - EPOCH,
                      spec=cohort_spec(protocol, file, compiled, frailty))
    return cohort, frailty


def referred(cohort: Cohort, file: ScenarioFile, rng: np.random.Generator
             ) -> npt.NDArray[np.bool_]:
    """Patients whose history shows activity (a relapse, or a scan with an enhancing or new
    lesion) in the referral window, and for the share of referrals who are treated
    non-responders, activity while on a disease-modifying therapy: the ones a neurologist
    refers for screening."""
    p, population = cohort.patients, file.population
    since = p.ref - population.referral_activity_months.value * YEAR / 12
    parts = [cohort.events] if cohort.events is not None else []
    parts += [{"who": c["who"][c["value"] > 0], "date": c["date"][c["value"] > 0]}
              for c in cohort.counts]
    who = np.concatenate([part["who"] for part in parts]).astype(np.int64)
    day = np.concatenate([part["date"] for part in parts]).astype(np.int64)
    recent = day >= since
    active = np.zeros(p.n, dtype=bool)
    active[who[recent]] = True
    treated = np.zeros(p.n, dtype=bool)
    treated[who[recent & _on_treatment(cohort, who, day)]] = True
    must_be_treated = rng.random(p.n) < population.referral_treated_share.value
    referred_now: npt.NDArray[np.bool_] = active & (treated | ~must_be_treated)
    return referred_now


TREATED_FOR_DAYS = 182


def _on_treatment(cohort: Cohort, who: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
                  ) -> npt.NDArray[np.bool_]:
    """Whether each (patient, day) falls at least 6 months into one of the patient's DMT
    exposures (the generator's first medication part: up to three DMTs in sequence)."""
    dmts = cohort.drugs[0]
    order = np.argsort(dmts["who"], kind="stable")
    d_who, d_start, d_end = (dmts[name][order] for name in ("who", "date", "end"))
    low = np.searchsorted(d_who, who, side="left")
    high = np.searchsorted(d_who, who, side="right")
    hit = np.zeros(len(who), dtype=bool)
    for k in range(int((high - low).max(initial=0))):
        index = np.minimum(low + k, len(d_who) - 1)
        inside = (low + k < high) & (day >= d_start[index] + TREATED_FOR_DAYS) & (
            day <= d_end[index])
        hit |= inside
    return hit


def _screened(protocol: Protocol, compiled: CompiledCriteria, built: list[PatientRecord],
              batches: list[tuple[Cohort, npt.NDArray[np.int64], FloatArray]]
              ) -> CandidatePool:
    results = [screen(compiled, record) for record in built]
    ruled_out: Counter[str] = Counter()
    for result in results:
        if result.verdict == "ineligible":
            ruled_out.update(c.id for c in result.criteria if _rules_out(c.kind, c.outcome.status))
    eligible = np.array([r.verdict == "eligible" for r in results])

    def joined(pick: Callable[[Cohort, FloatArray], npt.NDArray[Any]]) -> npt.NDArray[Any]:
        return np.concatenate([pick(cohort, frailty)[chosen]
                               for cohort, chosen, frailty in batches])
    return CandidatePool(eligible, dict(Counter(r.verdict for r in results)), dict(ruled_out),
                         joined(lambda c, _: c.patients.course), joined(lambda _, f: f),
                         joined(lambda c, _: c.patients.score_baseline),
                         joined(lambda c, _: c.patients.score_slope),
                         _strata(protocol, built, eligible))


def _rules_out(kind: str, status: str) -> bool:
    return (kind == "inclusion" and status == "not_met") or (
        kind == "exclusion" and status == "met")


def cohort_spec(protocol: Protocol, file: ScenarioFile, compiled: CompiledCriteria,
                frailty: FloatArray) -> CohortSpec:
    """The generator's settings for this population, in this protocol's record shape."""
    population = file.population
    counts = count_columns(protocol, file)
    per_column = {file.record.enhancing_lesions: population.enhancing_per_scan.value,
                  file.record.new_lesions: population.new_lesions_per_year.value}
    rates = DiseaseRates(
        events_per_year=population.relapses_per_year.value,
        counts_per_scan=tuple(per_column.get(column, (0.0,) * 4) for column in counts),
        score_low=population.disability_low.value, score_high=population.disability_high.value,
        score_slope=population.disability_slope.value,
        score_noise=population.rating_noise.value, frailty=frailty)
    answers = tuple((key, 1.0, yes) for key, _, yes in attestation_answers(compiled))
    low, high = population.years_since_diagnosis.value
    return CohortSpec(events=True, scans=True, counts=len(counts),
                      scale=scale_of(protocol, file.record.disability), attestations=answers,
                      screened_share=1.0, course_p=population.course_mix.value,
                      diagnosis_days=(low * YEAR, high * YEAR), rates=rates)


def scale_of(protocol: Protocol, target: str) -> Scale:
    table_id, column_id = target.split(".")
    column = protocol.record_schema().table(table_id).column(column_id)
    allowed = tuple(sorted(float(v) for v in column.allowed))
    low = allowed[0] if allowed else float(column.minimum or 0.0)
    high = allowed[-1] if allowed else float(column.maximum or 10.0)
    return Scale(low, high, allowed)


def _strata(protocol: Protocol, built: list[PatientRecord],
            eligible: npt.NDArray[np.bool_]) -> tuple[StratumKey | None, ...]:
    randomization = protocol.randomization
    if randomization is None or not randomization.strata:
        return tuple(() if ok else None for ok in eligible)
    readers = [(s.id, stratum_reader(protocol, s)) for s in randomization.strata]
    keys: list[StratumKey | None] = []
    for record, ok in zip(built, eligible, strict=True):
        levels = [(factor, read(record)) for factor, read in readers] if ok else []
        known = ok and all(level is not None for _, level in levels)
        keys.append(tuple((f, str(level)) for f, level in levels) if known else None)
    return tuple(keys)


