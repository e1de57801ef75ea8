"""Shared pieces of the OMOP writer of a synthetic cohort: concept lookups and row assembly.

The patients and their histories come from ``trialkit.core.simulation.cohort`` (neutral codes
and integer days since 1970-01-01); this package only says which OMOP table, column and
concept each row goes to. Nullable values are float64 with NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from trialkit.core.simulation.cohort import Cohort
from trialkit.prescreen._synth_plan import SynthPlan
from trialkit.prescreen._synth_schema import EHR_TYPE, Columns

NAN = np.nan
CONCEPT = {"measurement": "measurement_concept_id", "observation": "observation_concept_id",
           "procedure_occurrence": "procedure_concept_id",
           "condition_occurrence": "condition_concept_id"}
"""The concept column of each OMOP event table a declared source may name."""


def lookup(plan: SynthPlan, keys: Iterable[tuple[str, str]]) -> np.ndarray:
    """Concept ids of ``keys`` in order: index it with a cohort's code indexes."""
    return np.array([plan.concepts.id(key) for key in keys])


def rows(cohort: Cohort, part: Columns, **columns: np.ndarray | int) -> Columns:
    """A cohort part as OMOP rows: its patients' ids, its dates and the given columns."""
    out: Columns = {"person_id": cohort.patients.person_id[part["who"]], "date": part["date"]}
    for name, value in columns.items():
        out[name] = value if isinstance(value, np.ndarray) else np.full(len(part["who"]), value)
    return out


def concat(parts: list[Columns], type_column: str, date_column: str) -> Columns:
    if not parts:  # a protocol that declares nothing for this table
        empty = np.zeros(0, dtype=np.int64)
        return {"person_id": empty, date_column: empty,
                type_column: np.zeros(0, dtype=np.int32)}
    names = {name for part in parts for name in part}
    out: Columns = {}
    for name in sorted(names):
        out[name] = np.concatenate([
            part.get(name, np.full(len(part["person_id"]), NAN)) for part in parts])
    out[date_column] = out.pop("date")
    out[type_column] = np.full(len(out["person_id"]), EHR_TYPE, dtype=np.int32)
    return out
