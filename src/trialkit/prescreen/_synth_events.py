"""Vectorised generation of one chunk of synthetic MS patients as OMOP table columns."""

from __future__ import annotations

import numpy as np

from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._synth_base import (
    COURSES,
    NAN,
    YEAR,
    Patients,
    concat,
    rows,
    uniform_days,
)
from trialkit.prescreen._synth_measurements import attestations, labs, scans, scores
from trialkit.prescreen._synth_plan import SynthPlan
from trialkit.prescreen._synth_schema import EHR_TYPE, Columns

Chunk = dict[str, Columns]
RELAPSES_PER_YEAR = np.array([0.55, 0.25, 0.05, 0.3])
# (snomed code or None when the source code maps to no standard concept, icd10, prevalence)
COMORBIDITIES = (("254837009", "C50.9", 0.02), ("86406008", "B20", 0.004),
                 ("302226006", "G62.9", 0.02), (None, "G72.9", 0.005),
                 ("55464009", "M32.9", 0.006), ("69896004", "M06.9", 0.015),
                 ("44054006", "E11.9", 0.06))
DMTS = (*oc.INGREDIENTS[:12], "rituximab", "ocrelizumab", "ublituximab", "mitoxantrone")
DMT_P = np.array([10, 5, 3, 10, 10, 10, 10, 4, 4, 4, 6, 8, 5, 6, 1, 1], dtype=float)
OTHER_DRUGS = (("azathioprine", 0.015), ("methotrexate", 0.015),
               ("mycophenolate mofetil", 0.005), ("cyclophosphamide", 0.004),
               ("investigational product", 0.006))


def generate(rng: np.random.Generator, *, first_person_id: int, n: int,
             reference_day: int, plan: SynthPlan) -> Chunk:
    p = Patients(rng, first_person_id, n, reference_day, plan)
    parts: dict[str, list[Columns]] = {table: [] for table in OMOP_EVENT_TABLES}
    parts["measurement"] += labs(p)
    for table, part in (*scans(p), *scores(p), *_events(p), *attestations(p)):
        parts[table].append(part)
    declared = {table: concat(parts[table], *OMOP_EVENT_TABLES[table]) for table in parts}
    return {
        "person": _person(p),
        "observation_period": {
            "person_id": p.person_id, "observation_period_start_date": p.obs_start,
            "observation_period_end_date": p.obs_end,
            "period_type_concept_id": np.full(n, EHR_TYPE, dtype=np.int32)},
        "condition_occurrence": _merged(_conditions(p), declared.pop("condition_occurrence")),
        "drug_exposure": _drugs(p),
        **declared,
    }


OMOP_EVENT_TABLES = {"measurement": ("measurement_type_concept_id", "measurement_date"),
                     "observation": ("observation_type_concept_id", "observation_date"),
                     "procedure_occurrence": ("procedure_type_concept_id", "procedure_date"),
                     "condition_occurrence": ("condition_type_concept_id",
                                              "condition_start_date")}
"""Where the declared sources are written: table → (type column, date column)."""


def _merged(first: Columns, second: Columns) -> Columns:
    """Two sets of rows of one OMOP table (a column one lacks is null there)."""
    if not len(second["person_id"]):
        return first
    names = sorted(set(first) | set(second))
    return {name: np.concatenate([
        part.get(name, np.full(len(part["person_id"]), NAN)) for part in (first, second)])
        for name in names}


def _events(p: Patients) -> list[tuple[str, Columns]]:
    """Events of the protocol's event-log table (relapse-like), by course."""
    if not p.plan.events:
        return []
    who, day = p.recent_events(RELAPSES_PER_YEAR[p.course], 3.0)
    return [(source.table, rows(p, who, day, **{
        _CONCEPT[source.table]: p.cid((source.vocabulary, source.code))}))
        for source in p.plan.events]


_CONCEPT = {"measurement": "measurement_concept_id", "observation": "observation_concept_id",
            "procedure_occurrence": "procedure_concept_id",
            "condition_occurrence": "condition_concept_id"}


def _person(p: Patients) -> Columns:
    birth = p.birth.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]")
    months = birth.astype("datetime64[M]")
    # Some sources record the year of birth only, as OMOP allows.
    year_only = p.rng.random(p.n) < 0.02
    month = np.where(year_only, NAN, (months - years).astype(np.int64) + 1)
    day = np.where(year_only, NAN, (birth - months).astype(np.int64) + 1)
    return {
        "person_id": p.person_id,
        "gender_concept_id": np.where(p.female, 8532, 8507).astype(np.int32),
        "year_of_birth": (years.astype(np.int64) + 1970).astype(np.int32),
        "month_of_birth": month, "day_of_birth": day,
        "birth_datetime": np.where(year_only, NAN, p.birth * 86400.0),
        "race_concept_id": np.zeros(p.n, dtype=np.int32),
        "ethnicity_concept_id": np.zeros(p.n, dtype=np.int32),
        "person_source_value": np.array([f"SYN-{i}" for i in p.person_id], dtype=object),
    }


def _conditions(p: Patients) -> Columns:
    has_ms = p.rng.random(p.n) < 0.97
    dx_day = np.maximum(p.ref - uniform_days(p.rng, 180, 25 * YEAR, p.n), p.birth + 15 * 365)
    who = np.flatnonzero(has_ms)
    course_ids = np.array([p.cid(c) for c in COURSES])
    parts = [rows(p, who, dx_day[who], condition_concept_id=course_ids[p.course[who]],
                   condition_source_concept_id=p.cid(("ICD10", "G35")),
                   condition_end_date=np.full(len(who), NAN))]
    for snomed, icd10, prevalence in COMORBIDITIES:
        who = np.flatnonzero(p.rng.random(p.n) < prevalence)
        day = p.ref - uniform_days(p.rng, 0, 20 * YEAR, len(who))
        resolved = p.rng.random(len(who)) < 0.3
        end = np.where(resolved, day + uniform_days(p.rng, 30, 900, len(who)), NAN)
        standard = p.cid(("SNOMED", snomed)) if snomed else 0
        parts.append(rows(p, who, day, condition_concept_id=standard,
                           condition_source_concept_id=p.cid(("ICD10", icd10)),
                           condition_end_date=np.where(end > p.ref, NAN, end)))
    table = concat(parts, "condition_type_concept_id", "condition_start_date")
    keep = table["condition_start_date"] <= p.obs_end[table["person_id"] - p.person_id[0]]
    return {name: values[keep] for name, values in table.items()}


def _drugs(p: Patients) -> Columns:
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
    # v5.4 requires an end date: an ongoing exposure ends where the extract's knowledge ends.
    end = np.where(ongoing, p.obs_end[who], np.minimum(end, p.obs_end[who]))
    ids = np.array([p.cid((oc.LOCAL_VOCABULARY, name)) for name in DMTS])
    parts = [rows(p, who, start, drug_concept_id=ids[ingredient[who, slot]],
                   drug_exposure_end_date=end)]
    for name, prevalence in OTHER_DRUGS:
        code = name
        who = np.flatnonzero(p.rng.random(p.n) < prevalence)
        start = p.ref - uniform_days(p.rng, 0, 3 * YEAR, len(who))
        end = np.minimum(start + uniform_days(p.rng, 7, 400, len(who)), p.obs_end[who])
        parts.append(rows(p, who, start, drug_concept_id=p.cid((oc.LOCAL_VOCABULARY, code)),
                           drug_exposure_end_date=end))
    table = concat(parts, "drug_type_concept_id", "drug_exposure_start_date")
    table["route_concept_id"] = np.zeros(len(table["person_id"]), dtype=np.int32)
    keep = p.keep(table["person_id"] - p.person_id[0], table["drug_exposure_start_date"])
    return {name: values[keep] for name, values in table.items()}

