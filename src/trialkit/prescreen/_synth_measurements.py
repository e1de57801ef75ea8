"""Labs, scans with counts, scores and attestations of a synthetic cohort as OMOP rows.

Labs are the base record's (LOINC); the scans, scores and attestations are written to the
concepts the protocol declares (``_synth_plan``)."""

from __future__ import annotations

import numpy as np

from trialkit.core.simulation.cohort import Cohort
from trialkit.core.simulation.cohort_history import LAB_CODES, UNITS
from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._synth_base import CONCEPT, NAN, lookup, rows
from trialkit.prescreen._synth_plan import SynthPlan
from trialkit.prescreen._synth_schema import Columns

Part = tuple[str, Columns]
"""(OMOP table, its rows)."""


def labs(cohort: Cohort, plan: SynthPlan) -> list[Columns]:
    """Every lab part as measurement rows: a number with its unit and range, or an hCG
    result as a positive/negative concept."""
    tests = lookup(plan, [("LOINC", code) for code in LAB_CODES])
    units = lookup(plan, [("UCUM", unit) for unit in UNITS])
    answers = lookup(plan, [oc.NEGATIVE, oc.POSITIVE])
    parts = []
    for part in cohort.labs:
        positive = part["positive"]
        answered = ~np.isnan(positive)
        parts.append(rows(
            cohort, part, measurement_concept_id=tests[part["test"]],
            value_as_number=part["value"],
            unit_concept_id=np.where(part["unit"] >= 0, units[part["unit"]], NAN),
            range_high=part["range_high"],
            value_as_concept_id=np.where(answered, answers[np.nan_to_num(positive)
                                                           .astype(np.int64)], NAN)))
    return parts


def scans(cohort: Cohort, plan: SynthPlan) -> list[Part]:
    """Scans (the declared rows_from sources) and the counts read on them (count sources)."""
    parts: list[Part] = []
    for source, part in zip(plan.counts, cohort.counts, strict=True):
        parts.append((source.table, rows(cohort, part, value_as_number=part["value"], **{
            CONCEPT[source.table]: plan.concepts.id((source.vocabulary, source.code))})))
    if cohort.scans is not None:
        for source in plan.scans:
            parts.append((source.table, rows(cohort, cohort.scans, **{
                CONCEPT[source.table]: plan.concepts.id((source.vocabulary, source.code))})))
    return parts


def scores(cohort: Cohort, plan: SynthPlan) -> list[Part]:
    """The score's ratings, on the declared concept."""
    source, part = plan.score, cohort.scores
    if source is None or part is None:
        return []
    return [(source.table, rows(cohort, part, value_as_number=part["value"], **{
        CONCEPT[source.table]: plan.concepts.id((source.vocabulary, source.code))}))]


def attestations(cohort: Cohort, plan: SynthPlan) -> list[Part]:
    """Answers to the attestations the criteria read, as yes/no observations."""
    part = cohort.attestations
    if part is None:
        return []
    keys = lookup(plan, [(oc.LOCAL_VOCABULARY, key) for key, _, _ in plan.attestations])
    answers = lookup(plan, [oc.NO, oc.YES])
    return [("observation", rows(cohort, part, observation_concept_id=keys[part["key"]],
                                 value_as_concept_id=answers[part["yes"].astype(np.int64)]))]
