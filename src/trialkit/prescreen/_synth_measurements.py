"""Synthetic labs, scans with counts, scores and attestations for one chunk of patients.

Labs are the base record's (LOINC); the scans, scores and attestations are written to the
concepts the protocol declares (``_synth_plan``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._synth_base import NAN, YEAR, Patients, rows, uniform_days
from trialkit.prescreen._synth_schema import Columns

GLUCOSE_MG_PER_MMOL = 18.016
Draw = Callable[[np.random.Generator, int], np.ndarray]
Part = tuple[str, Columns]
"""(OMOP table, its rows)."""
CONCEPT = {"measurement": "measurement_concept_id", "observation": "observation_concept_id",
           "procedure_occurrence": "procedure_concept_id",
           "condition_occurrence": "condition_concept_id"}
# Per course (relapsing, secondary progressive, primary progressive, unknown): Poisson rates
# of the first and second count read on a scan, and the score's baseline range and slope.
COUNT_RATES = ((0.35, 0.15, 0.05, 0.2), (0.6, 0.3, 0.15, 0.3))
SCORE_LOW, SCORE_HIGH = (1.0, 4.0, 3.0, 1.5), (4.0, 6.5, 6.5, 5.0)
SCORE_SLOPE = (0.1, 0.3, 0.3, 0.15)


def _with_outliers(base: Draw, share: float, factor: float) -> Draw:
    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        values = base(rng, size)
        return np.where(rng.random(size) < share, values * factor, values)
    return draw


def _normal(mean: float, sd: float) -> Draw:
    return lambda rng, size: np.clip(rng.normal(mean, sd, size), mean / 3, None)


def _lognormal(median: float, sigma: float) -> Draw:
    return lambda rng, size: rng.lognormal(np.log(median), sigma, size)


# loinc codes (one drawn per result), UCUM unit, ULN (or NaN), share with a range, values
LAB_SPECS: tuple[tuple[tuple[str, ...], str, float, float, Draw], ...] = (
    (("5902-2",), "s", 13.5, 0.8, _with_outliers(_normal(12.0, 1.2), 0.03, 1.7)),
    (("14979-9", "3173-2"), "s", 35.0, 0.8, _with_outliers(_normal(30.0, 4.0), 0.03, 1.8)),
    (("1920-8",), "U/L", 40.0, 0.85, _with_outliers(_lognormal(24.0, 0.45), 0.01, 8.0)),
    (("1742-6",), "U/L", 40.0, 0.85, _with_outliers(_lognormal(22.0, 0.5), 0.01, 8.0)),
    (("98979-8",), "mL/min/{1.73_m2}", NAN, 0.0,
     _with_outliers(_normal(95.0, 20.0), 0.015, 0.25)),
    (("1558-6",), "mg/dL", NAN, 0.0, _with_outliers(_normal(100.0, 22.0), 0.02, 3.0)),
)


def labs(p: Patients) -> list[Columns]:
    """A panel taken around screening time (some of it stale) and an older one."""
    parts: list[Columns] = []
    for share, low, high, recent in ((0.8, 0, 45, True), (0.5, 60, 400, False)):
        clinic = p.screened if recent else np.zeros(p.n, dtype=bool)
        taken = clinic | (p.rng.random(p.n) < share)
        day = p.ref - np.where(clinic, uniform_days(p.rng, 0, 27, p.n),
                               uniform_days(p.rng, low, high, p.n))
        for codes, unit, uln, ranged, draw in LAB_SPECS:
            who = np.flatnonzero(taken & (clinic | (p.rng.random(p.n) < 0.9)))
            parts.append(_lab_rows(p, who, day[who], codes, unit, uln, ranged, draw))
        parts.append(_hcg(p, np.flatnonzero(taken), day))
    return [_inside(p, part) for part in parts]


def _lab_rows(p: Patients, who: np.ndarray, day: np.ndarray, codes: tuple[str, ...], unit: str,
              uln: float, ranged: float, draw: Draw) -> Columns:
    size = len(who)
    value = np.round(draw(p.rng, size), 1)
    unit_id = np.full(size, p.cid(("UCUM", unit)))
    if unit == "mg/dL":  # half the sites report glucose in mmol/L
        in_mmol = p.rng.random(size) < 0.5
        value = np.where(in_mmol, np.round(value / GLUCOSE_MG_PER_MMOL, 1), value)
        unit_id = np.where(in_mmol, p.cid(("UCUM", "mmol/L")), unit_id)
    concept = np.array([p.cid(("LOINC", code)) for code in codes])[
        p.rng.integers(0, len(codes), size)]
    has_range = p.rng.random(size) < ranged
    return rows(p, who, day, measurement_concept_id=concept, value_as_number=value,
                unit_concept_id=unit_id, range_high=np.where(has_range, uln, NAN),
                value_as_concept_id=np.full(size, NAN))


def _hcg(p: Patients, taken: np.ndarray, day: np.ndarray) -> Columns:
    age = (p.ref - p.birth[taken]) / YEAR
    who = taken[p.female[taken] & (age < 55)]
    positive = p.rng.random(len(who)) < 0.02
    answer = np.where(positive, p.cid(oc.POSITIVE), p.cid(oc.NEGATIVE))
    return rows(p, who, day[who], measurement_concept_id=p.cid(("LOINC", "2118-8")),
                value_as_concept_id=answer, value_as_number=np.full(len(who), NAN))


def scans(p: Patients) -> list[Part]:
    """Scans (the declared rows_from sources) and the counts read on them (count sources)."""
    plan = p.plan
    if not plan.scans and not plan.counts:
        return []
    who, day = p.recent_events(np.full(p.n, 1.0), 3.0)
    parts: list[Part] = []
    for i, source in enumerate(plan.counts):
        rate = np.array(COUNT_RATES[i % len(COUNT_RATES)])
        count = p.rng.poisson(rate[p.course[who]]).astype(float)
        assessed = p.rng.random(len(who)) >= 0.12
        parts.append((source.table, rows(p, who[assessed], day[assessed], value_as_number=count[
            assessed], **{CONCEPT[source.table]: p.cid((source.vocabulary, source.code))})))
    for source in plan.scans:
        parts.append((source.table, rows(
            p, who, day, **{CONCEPT[source.table]: p.cid((source.vocabulary, source.code))})))
    return parts


def scores(p: Patients) -> list[Part]:
    """A score drifting up from a baseline by course, on the declared scale."""
    source, scale = p.plan.score, p.plan.scale
    if source is None or scale is None:
        return []
    baseline = p.rng.uniform(np.array(SCORE_LOW)[p.course], np.array(SCORE_HIGH)[p.course])
    slope = np.array(SCORE_SLOPE)[p.course]
    who, day = p.recent_events(np.full(p.n, 2.5 / 3), 3.0)
    at_screening = np.flatnonzero(p.screened | (p.rng.random(p.n) < 0.65))
    screening_day = p.ref - uniform_days(p.rng, 0, 27, len(at_screening))
    keep = p.keep(at_screening, screening_day)
    who = np.concatenate([who, at_screening[keep]])
    day = np.concatenate([day, screening_day[keep]])
    raw = baseline[who] - slope[who] * (p.ref - day) / YEAR + p.rng.normal(0, 0.4, len(who))
    score = _on_scale(np.clip(np.round(raw * 2) / 2, scale.low, scale.high), scale.allowed)
    return [(source.table, rows(p, who, day, value_as_number=score, **{
        CONCEPT[source.table]: p.cid((source.vocabulary, source.code))}))]


def _on_scale(values: np.ndarray, allowed: tuple[float, ...]) -> np.ndarray:
    """Each value moved to the nearest allowed value (the upper one on a tie)."""
    if not allowed:
        return values
    steps = np.array(allowed)
    upper = np.clip(np.searchsorted(steps, values), 0, len(steps) - 1)
    lower = np.clip(upper - 1, 0, len(steps) - 1)
    nearer_low = (values - steps[lower]) < (steps[upper] - values)
    result: np.ndarray = np.where(nearer_low, steps[lower], steps[upper])
    return result


def attestations(p: Patients) -> list[Part]:
    """Answers to the attestations the criteria read (at most once per patient)."""
    if not p.plan.attestations:
        return []
    parts = []
    day = p.ref - uniform_days(p.rng, 0, 20, p.n)
    for key, answered, yes in p.plan.attestations:
        who = np.flatnonzero(p.screened | (p.rng.random(p.n) < answered))
        answer = np.where(p.rng.random(len(who)) < yes, p.cid(oc.YES), p.cid(oc.NO))
        parts.append(rows(p, who, day[who],
                          observation_concept_id=p.cid((oc.LOCAL_VOCABULARY, key)),
                          value_as_concept_id=answer))
    return [("observation", _inside(p, {name: np.concatenate([part[name] for part in parts])
                                        for name in parts[0]}))]


def _inside(p: Patients, part: Columns) -> Columns:
    keep = p.keep(part["person_id"] - p.person_id[0], part["date"])
    return {name: values[keep] for name, values in part.items()}
