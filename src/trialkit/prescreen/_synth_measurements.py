"""Synthetic labs, MRI scans, EDSS ratings and attestations for one chunk of patients."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._synth_base import NAN, YEAR, Patients, cid, rows, uniform_days
from trialkit.prescreen._synth_schema import Columns

GLUCOSE_MG_PER_MMOL = 18.016
Draw = Callable[[np.random.Generator, int], np.ndarray]
ATTESTATIONS = (  # key, probability answered, probability "yes" when answered
    ("willing_to_consent", 0.8, 0.92), ("childbearing_potential", 0.75, 0.6),
    ("agrees_to_contraception", 0.65, 0.85), ("pregnant", 0.6, 0.02), ("lactating", 0.6, 0.02),
    ("mri_contraindicated", 0.7, 0.03), ("immunocompromised", 0.7, 0.02),
    ("active_infection_systemic_treatment", 0.7, 0.02),
    ("investigator_deems_unsuitable", 0.6, 0.05))


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
    unit_id = np.full(size, cid(("UCUM", unit)))
    if unit == "mg/dL":  # half the sites report glucose in mmol/L
        in_mmol = p.rng.random(size) < 0.5
        value = np.where(in_mmol, np.round(value / GLUCOSE_MG_PER_MMOL, 1), value)
        unit_id = np.where(in_mmol, cid(("UCUM", "mmol/L")), unit_id)
    concept = np.array([cid(("LOINC", code)) for code in codes])[
        p.rng.integers(0, len(codes), size)]
    has_range = p.rng.random(size) < ranged
    return rows(p, who, day, measurement_concept_id=concept, value_as_number=value,
                unit_concept_id=unit_id, range_high=np.where(has_range, uln, NAN),
                value_as_concept_id=np.full(size, NAN))


def _hcg(p: Patients, taken: np.ndarray, day: np.ndarray) -> Columns:
    age = (p.ref - p.birth[taken]) / YEAR
    who = taken[p.female[taken] & (age < 55)]
    positive = p.rng.random(len(who)) < 0.02
    answer = np.where(positive, cid(oc.POSITIVE), cid(oc.NEGATIVE))
    return rows(p, who, day[who], measurement_concept_id=cid(("LOINC", "2118-8")),
                value_as_concept_id=answer, value_as_number=np.full(len(who), NAN))


def mri(p: Patients) -> tuple[list[Columns], Columns]:
    """Brain MRI scans (procedures) and the lesion counts read on them (measurements)."""
    who, day = p.recent_events(np.full(p.n, 1.0), 3.0)
    parts = []
    for key, rate in ((oc.GD_LESIONS, (0.35, 0.15, 0.05, 0.2)),
                      (oc.NEW_T2_LESIONS, (0.6, 0.3, 0.15, 0.3))):
        count = p.rng.poisson(np.array(rate)[p.course[who]]).astype(float)
        assessed = p.rng.random(len(who)) >= 0.12
        parts.append(rows(p, who[assessed], day[assessed], measurement_concept_id=cid(key),
                          value_as_number=count[assessed]))
    scans = rows(p, who, day, procedure_concept_id=cid(oc.BRAIN_MRI))
    return parts, scans


def edss(p: Patients) -> Columns:
    baseline = p.rng.uniform(np.array([1.0, 4.0, 3.0, 1.5])[p.course],
                             np.array([4.0, 6.5, 6.5, 5.0])[p.course])
    slope = np.array([0.1, 0.3, 0.3, 0.15])[p.course]
    who, day = p.recent_events(np.full(p.n, 2.5 / 3), 3.0)
    at_screening = np.flatnonzero(p.screened | (p.rng.random(p.n) < 0.65))
    screening_day = p.ref - uniform_days(p.rng, 0, 27, len(at_screening))
    keep = p.keep(at_screening, screening_day)
    who = np.concatenate([who, at_screening[keep]])
    day = np.concatenate([day, screening_day[keep]])
    raw = baseline[who] - slope[who] * (p.ref - day) / YEAR + p.rng.normal(0, 0.4, len(who))
    score = np.clip(np.round(raw * 2) / 2, 0.0, 9.5)
    score = np.where(score == 0.5, 1.0, score)  # the scale has no 0.5 step
    return rows(p, who, day, measurement_concept_id=cid(oc.EDSS), value_as_number=score)


def attestations(p: Patients) -> Columns:
    parts = []
    day = p.ref - uniform_days(p.rng, 0, 20, p.n)
    for key, answered, yes in ATTESTATIONS:
        asked = p.female if key == "childbearing_potential" else np.ones(p.n, dtype=bool)
        who = np.flatnonzero(asked & (p.screened | (p.rng.random(p.n) < answered)))
        answer = np.where(p.rng.random(len(who)) < yes, cid(oc.YES), cid(oc.NO))
        parts.append(rows(p, who, day[who], observation_concept_id=cid((oc.LOCAL_VOCABULARY, key)),
                          value_as_concept_id=answer))
    return _inside(p, {name: np.concatenate([part[name] for part in parts])
                       for name in parts[0]})


def _inside(p: Patients, part: Columns) -> Columns:
    keep = p.keep(part["person_id"] - p.person_id[0], part["date"])
    return {name: values[keep] for name, values in part.items()}
