"""A cohort's diagnoses (the disease and comorbidities) and medication history, and how
precisely the source knows the birth date."""

from __future__ import annotations

import numpy as np

from trialkit.core.simulation.cohort_base import (
    NAN,
    YEAR,
    BoolArray,
    Columns,
    Patients,
    inside,
    part,
    uniform_days,
)

CONDITION_CODES: tuple[tuple[str, str], ...] = (
    ("SNOMED", "426373005"), ("SNOMED", "425500002"), ("SNOMED", "428700003"),
    ("SNOMED", "24700007"), ("ICD10", "G35"),
    ("SNOMED", "254837009"), ("ICD10", "C50.9"), ("SNOMED", "86406008"), ("ICD10", "B20"),
    ("SNOMED", "302226006"), ("ICD10", "G62.9"), ("ICD10", "G72.9"),
    ("SNOMED", "55464009"), ("ICD10", "M32.9"), ("SNOMED", "69896004"), ("ICD10", "M06.9"),
    ("SNOMED", "44054006"), ("ICD10", "E11.9"),
)
"""Every diagnosis code a condition row may carry (``snomed`` and ``icd10`` index this); the
first four are the MS courses of ``cohort_base.COURSES``, in that order."""
MS_ICD10 = CONDITION_CODES.index(("ICD10", "G35"))
# (snomed code or None when the source code maps to no standard concept, icd10, prevalence)
COMORBIDITIES = (("254837009", "C50.9", 0.02), ("86406008", "B20", 0.004),
                 ("302226006", "G62.9", 0.02), (None, "G72.9", 0.005),
                 ("55464009", "M32.9", 0.006), ("69896004", "M06.9", 0.015),
                 ("44054006", "E11.9", 0.06))
DMTS = ("interferon beta-1a", "interferon beta-1b", "peginterferon beta-1a",
        "glatiramer acetate", "dimethyl fumarate", "teriflunomide", "fingolimod", "ozanimod",
        "cladribine", "siponimod", "ofatumumab", "natalizumab", "rituximab", "ocrelizumab",
        "ublituximab", "mitoxantrone")
DMT_P = np.array([10, 5, 3, 10, 10, 10, 10, 4, 4, 4, 6, 8, 5, 6, 1, 1], dtype=float)
OTHER_DRUGS = (("azathioprine", 0.015), ("methotrexate", 0.015),
               ("mycophenolate mofetil", 0.005), ("cyclophosphamide", 0.004),
               ("investigational product", 0.006))
DRUGS: tuple[str, ...] = (*DMTS, *(name for name, _ in OTHER_DRUGS))
"""Every ingredient (lower-case INN) a medication row may carry (``ingredient`` indexes this)."""


def birth_year_only(p: Patients) -> BoolArray:
    """Some sources record the year of birth only, as OMOP allows."""
    year_only: BoolArray = p.rng.random(p.n) < 0.02
    return year_only


def conditions(p: Patients, diagnosis_days: tuple[float, float]) -> list[Columns]:
    """The MS diagnosis (course code and ICD-10 G35) and comorbidities, some resolved."""
    has_ms = p.rng.random(p.n) < 0.97
    dx_day = np.maximum(p.ref - uniform_days(p.rng, *diagnosis_days, p.n), p.birth + 15 * 365)
    who = np.flatnonzero(has_ms)
    parts = [part(who, dx_day[who], snomed=p.course[who], icd10=MS_ICD10,
                  end=np.full(len(who), NAN))]
    for snomed, icd10, prevalence in COMORBIDITIES:
        who = np.flatnonzero(p.rng.random(p.n) < prevalence)
        day = p.ref - uniform_days(p.rng, 0, 20 * YEAR, len(who))
        resolved = p.rng.random(len(who)) < 0.3
        end = np.where(resolved, day + uniform_days(p.rng, 30, 900, len(who)), NAN)
        standard = CONDITION_CODES.index(("SNOMED", snomed)) if snomed else -1
        parts.append(part(who, day, snomed=standard,
                          icd10=CONDITION_CODES.index(("ICD10", icd10)),
                          end=np.where(end > p.ref, NAN, end)))
    return [_started_in_observation(p, rows) for rows in parts]


def _started_in_observation(p: Patients, rows: Columns) -> Columns:
    keep = rows["date"] <= p.obs_end[rows["who"]]
    return {name: values[keep] for name, values in rows.items()}


def drugs(p: Patients) -> list[Columns]:
    """Up to three DMTs in sequence, the last possibly ongoing, and other drugs the criteria
    care about (immunosuppressants, an investigational product)."""
    slots = 3
    k = p.rng.choice(slots + 1, size=p.n, p=(0.25, 0.4, 0.25, 0.1))
    gap = uniform_days(p.rng, 0, 120, p.n * slots).reshape(p.n, slots)
    length = uniform_days(p.rng, 60, 6 * YEAR, p.n * slots).reshape(p.n, slots)
    start0 = p.ref - uniform_days(p.rng, 90, 12 * YEAR, p.n)
    starts = start0[:, None] + np.cumsum(gap + length, axis=1) - (gap + length)
    ends = starts + length
    ingredient = p.rng.choice(len(DMTS), size=(p.n, slots), p=DMT_P / DMT_P.sum())
    used = np.arange(slots)[None, :] < k[:, None]
    who, slot = np.nonzero(used & (starts <= p.ref))
    start, end = starts[who, slot], ends[who, slot]
    ongoing = (slot == k[who] - 1) & ((end >= p.ref) | (p.rng.random(len(who)) < 0.5))
    # An ongoing exposure ends where the source's knowledge ends (OMOP requires an end).
    end = np.where(ongoing, p.obs_end[who], np.minimum(end, p.obs_end[who]))
    parts = [part(who, start, ingredient=ingredient[who, slot], end=end)]
    for name, prevalence in OTHER_DRUGS:
        who = np.flatnonzero(p.rng.random(p.n) < prevalence)
        start = p.ref - uniform_days(p.rng, 0, 3 * YEAR, len(who))
        end = np.minimum(start + uniform_days(p.rng, 7, 400, len(who)), p.obs_end[who])
        parts.append(part(who, start, ingredient=DRUGS.index(name), end=end))
    return [inside(p, rows) for rows in parts]
