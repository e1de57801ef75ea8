"""One chunk of synthetic MS patients as OMOP table columns.

The patients come from ``trialkit.core.simulation.cohort`` (the same generator the in-silico
trial draws its candidates from); this module maps them onto OMOP tables and concepts.
"""

from __future__ import annotations

import numpy as np

from trialkit.core.simulation.cohort import Cohort
from trialkit.core.simulation.cohort import generate as generate_cohort
from trialkit.core.simulation.cohort_background import CONDITION_CODES, DRUGS
from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._synth_base import CONCEPT, NAN, concat, lookup, rows
from trialkit.prescreen._synth_measurements import attestations, labs, scans, scores
from trialkit.prescreen._synth_plan import SynthPlan
from trialkit.prescreen._synth_schema import EHR_TYPE, Columns

Chunk = dict[str, Columns]
OMOP_EVENT_TABLES = {"measurement": ("measurement_type_concept_id", "measurement_date"),
                     "observation": ("observation_type_concept_id", "observation_date"),
                     "procedure_occurrence": ("procedure_type_concept_id", "procedure_date"),
                     "condition_occurrence": ("condition_type_concept_id",
                                              "condition_start_date")}
"""Where the declared sources are written: table → (type column, date column)."""


def generate(rng: np.random.Generator, *, first_person_id: int, n: int,
             reference_day: int, plan: SynthPlan) -> Chunk:
    cohort = generate_cohort(rng, first_person_id=first_person_id, n=n,
                             reference_day=reference_day, spec=plan.spec())
    parts: dict[str, list[Columns]] = {table: [] for table in OMOP_EVENT_TABLES}
    parts["measurement"] += labs(cohort, plan)
    for table, part in (*scans(cohort, plan), *scores(cohort, plan), *_events(cohort, plan),
                        *attestations(cohort, plan)):
        parts[table].append(part)
    declared = {table: concat(parts[table], *OMOP_EVENT_TABLES[table]) for table in parts}
    p = cohort.patients
    return {
        "person": _person(cohort),
        "observation_period": {
            "person_id": p.person_id, "observation_period_start_date": p.obs_start,
            "observation_period_end_date": p.obs_end,
            "period_type_concept_id": np.full(n, EHR_TYPE, dtype=np.int32)},
        "condition_occurrence": _merged(_conditions(cohort, plan),
                                        declared.pop("condition_occurrence")),
        "drug_exposure": _drugs(cohort, plan),
        **declared,
    }


def _merged(first: Columns, second: Columns) -> Columns:
    """Two sets of rows of one OMOP table (a column one lacks is null there)."""
    if not len(second["person_id"]):
        return first
    names = sorted(set(first) | set(second))
    return {name: np.concatenate([
        part.get(name, np.full(len(part["person_id"]), NAN)) for part in (first, second)])
        for name in names}


def _events(cohort: Cohort, plan: SynthPlan) -> list[tuple[str, Columns]]:
    """Events of the protocol's event-log table (relapse-like), on each declared source."""
    if cohort.events is None:
        return []
    return [(source.table, rows(cohort, cohort.events, **{
        CONCEPT[source.table]: plan.concepts.id((source.vocabulary, source.code))}))
        for source in plan.events]


def _person(cohort: Cohort) -> Columns:
    p = cohort.patients
    birth = p.birth.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]")
    months = birth.astype("datetime64[M]")
    year_only = cohort.birth_year_only
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


def _conditions(cohort: Cohort, plan: SynthPlan) -> Columns:
    # A code with no standard concept (index -1) is written as concept 0, as OMOP does.
    ids = np.append(lookup(plan, CONDITION_CODES), 0)
    parts = [rows(cohort, part, condition_concept_id=ids[part["snomed"]],
                  condition_source_concept_id=ids[part["icd10"]],
                  condition_end_date=part["end"]) for part in cohort.conditions]
    return concat(parts, "condition_type_concept_id", "condition_start_date")


def _drugs(cohort: Cohort, plan: SynthPlan) -> Columns:
    ids = lookup(plan, [(oc.LOCAL_VOCABULARY, name) for name in DRUGS])
    parts = [rows(cohort, part, drug_concept_id=ids[part["ingredient"]],
                  drug_exposure_end_date=part["end"]) for part in cohort.drugs]
    table = concat(parts, "drug_type_concept_id", "drug_exposure_start_date")
    table["route_concept_id"] = np.zeros(len(table["person_id"]), dtype=np.int32)
    return table
