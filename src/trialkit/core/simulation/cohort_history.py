"""A cohort's screening labs, scans with counts, disability scores, events and attestations.

Labs are the base record's (LOINC codes, UCUM units); the disease rows are neutral (which
record table holds them is the reader's business). Rates come from ``DiseaseRates``: by
course, times each patient's frailty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from trialkit.core.simulation.cohort_base import (
    NAN,
    YEAR,
    Array,
    Columns,
    Patients,
    inside,
    part,
    uniform_days,
)

if TYPE_CHECKING:
    from trialkit.core.simulation.cohort import CohortSpec

GLUCOSE_MG_PER_MMOL = 18.016
Draw = Callable[[np.random.Generator, int], Array]
UNITS = ("s", "U/L", "mL/min/{1.73_m2}", "mg/dL", "mmol/L")
HCG = "2118-8"


def _with_outliers(base: Draw, share: float, factor: float) -> Draw:
    def draw(rng: np.random.Generator, size: int) -> Array:
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
LAB_CODES: tuple[str, ...] = (*(code for spec in LAB_SPECS for code in spec[0]), HCG)
"""Every LOINC code a lab row may carry (``test`` indexes this)."""


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
            parts.append(_lab_rows(p, who, day[who], codes, unit, (uln, ranged), draw))
        parts.append(_hcg(p, np.flatnonzero(taken), day))
    return [inside(p, rows) for rows in parts]


def _lab_rows(p: Patients, who: Array, day: Array, codes: tuple[str, ...], unit: str,
              reference: tuple[float, float], draw: Draw) -> Columns:
    size = len(who)
    value = np.round(draw(p.rng, size), 1)
    unit_index = np.full(size, UNITS.index(unit))
    if unit == "mg/dL":  # half the sites report glucose in mmol/L
        in_mmol = p.rng.random(size) < 0.5
        value = np.where(in_mmol, np.round(value / GLUCOSE_MG_PER_MMOL, 1), value)
        unit_index = np.where(in_mmol, UNITS.index("mmol/L"), unit_index)
    test = np.array([LAB_CODES.index(code) for code in codes])[
        p.rng.integers(0, len(codes), size)]
    uln, ranged = reference
    has_range = p.rng.random(size) < ranged
    return part(who, day, test=test, value=value, unit=unit_index,
                range_high=np.where(has_range, uln, NAN), positive=np.full(size, NAN))


def _hcg(p: Patients, taken: Array, day: Array) -> Columns:
    age = (p.ref - p.birth[taken]) / YEAR
    who = taken[p.female[taken] & (age < 55)]
    positive = p.rng.random(len(who)) < 0.02
    return part(who, day[who], test=LAB_CODES.index(HCG), value=np.full(len(who), NAN),
                unit=-1, range_high=np.full(len(who), NAN), positive=positive.astype(float))


def scans(p: Patients, spec: CohortSpec) -> tuple[list[Columns], Columns]:
    """Scans over the last 3 years, and each count column read on them (some not read);
    a count part's ``scan`` is the index of its scan row."""
    who, day = p.recent_events(np.full(p.n, 1.0), 3.0)
    counts: list[Columns] = []
    for i in range(spec.counts):
        per_course = spec.rates.counts_per_scan[i % len(spec.rates.counts_per_scan)]
        rate = np.array(per_course)[p.course[who]] * p.frailty[who]
        count = p.rng.poisson(rate).astype(float)
        assessed = p.rng.random(len(who)) >= 0.12
        counts.append(part(who[assessed], day[assessed], value=count[assessed],
                           scan=np.flatnonzero(assessed)))
    return counts, part(who, day)


def scores(p: Patients, spec: CohortSpec) -> Columns:
    """A score drifting up from a baseline by course, on the declared scale: some ratings
    over the last 3 years and one at screening for most patients."""
    scale, rates = spec.scale, spec.rates
    assert scale is not None
    baseline = p.rng.uniform(np.array(rates.score_low)[p.course],
                             np.array(rates.score_high)[p.course])
    slope = np.array(rates.score_slope)[p.course]
    p.score_baseline, p.score_slope = baseline, slope
    who, day = p.recent_events(np.full(p.n, 2.5 / 3), 3.0)
    at_screening = np.flatnonzero(p.screened | (p.rng.random(p.n) < 0.65))
    screening_day = p.ref - uniform_days(p.rng, 0, 27, len(at_screening))
    keep = p.keep(at_screening, screening_day)
    who = np.concatenate([who, at_screening[keep]])
    day = np.concatenate([day, screening_day[keep]])
    raw = (baseline[who] - slope[who] * (p.ref - day) / YEAR
           + p.rng.normal(0, rates.score_noise, len(who)))
    score = on_scale(np.clip(np.round(raw * 2) / 2, scale.low, scale.high), scale.allowed)
    return part(who, day, value=score)


def on_scale(values: Array, allowed: tuple[float, ...]) -> Array:
    """Each value moved to the nearest allowed value (the upper one on a tie)."""
    if not allowed:
        return values
    steps = np.array(allowed)
    upper = np.clip(np.searchsorted(steps, values), 0, len(steps) - 1)
    lower = np.clip(upper - 1, 0, len(steps) - 1)
    nearer_low = (values - steps[lower]) < (steps[upper] - values)
    result: Array = np.where(nearer_low, steps[lower], steps[upper])
    return result


def events(p: Patients, per_year: tuple[float, ...]) -> Columns:
    """Relapse-like events over the last 3 years, at the course's rate times the frailty."""
    who, day = p.recent_events(np.array(per_year)[p.course] * p.frailty, 3.0)
    return part(who, day)


def attestations(p: Patients, keys: tuple[tuple[str, float, float], ...]) -> Columns:
    """Answers to the attestations the criteria read (at most once per patient)."""
    parts = []
    day = p.ref - uniform_days(p.rng, 0, 20, p.n)
    for index, (_, answered, yes) in enumerate(keys):
        who = np.flatnonzero(p.screened | (p.rng.random(p.n) < answered))
        answer = p.rng.random(len(who)) < yes
        parts.append(part(who, day[who], key=index, yes=answer))
    return inside(p, {name: np.concatenate([rows[name] for rows in parts])
                      for name in parts[0]})
