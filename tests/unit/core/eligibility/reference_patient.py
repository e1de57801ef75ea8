"""A desk-screening record that meets every criterion of NCT05532943, to vary one fact at a time."""

from __future__ import annotations

import copy
from typing import Any

ATTESTATIONS = {
    "willing_to_consent": True, "childbearing_potential": True, "agrees_to_contraception": True,
    "pregnant": False, "lactating": False, "mri_contraindicated": False,
    "immunocompromised": False, "active_infection_systemic_treatment": False,
    "investigator_deems_unsuitable": False,
}
LABS = [
    {"date": "2026-11-05", "test": "LOINC:5902-2", "value": 12.1, "unit": "s", "uln": 13.5},
    {"date": "2026-11-05", "test": "LOINC:14979-9", "value": 30.0, "unit": "s", "uln": 35.0},
    {"date": "2026-11-05", "test": "LOINC:1920-8", "value": 25.0, "unit": "U/L", "uln": 40.0},
    {"date": "2026-11-05", "test": "LOINC:1742-6", "value": 30.0, "unit": "U/L", "uln": 40.0},
    {"date": "2026-11-05", "test": "LOINC:98979-8", "value": 95.0, "unit": "mL/min/1.73m2"},
    {"date": "2026-11-05", "test": "LOINC:1558-6", "value": 5.2, "unit": "mmol/L"},
    {"date": "2026-11-05", "test": "LOINC:2106-3", "value": "negative"},
]
ELIGIBLE: dict[str, Any] = {
    "patient_id": "SCR-0001",
    "sex": "female",
    "birth_date": "1984-05-12",
    "consent_date": "2026-11-02",
    "index_date": "2026-11-20",
    "diagnoses": [{"code": "SNOMED:426373005", "date": "2016-03-01"}],
    "relapses": [{"onset_date": "2026-04-02"}],
    "mri_scans": [{"date": "2026-05-10", "gd_enhancing_lesions": 1, "new_t2_lesions": 0}],
    "edss": [{"date": "2026-11-05", "score": 3.5}],
    "labs": LABS,
    "medications": [{"ingredient": "fingolimod", "start_date": "2021-02-01", "end_date": None}],
    "attestations": ATTESTATIONS,
}


def eligible(**changes: Any) -> dict[str, Any]:
    """The eligible record with top-level fields replaced (None removes a field)."""
    data = copy.deepcopy(ELIGIBLE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def attesting(**facts: bool | None) -> dict[str, Any]:
    """The eligible record with attestations changed (None removes one)."""
    answers = {**ATTESTATIONS, **facts}
    return eligible(attestations={k: v for k, v in answers.items() if v is not None})


def with_lab(test: str, value: float | str | None, unit: str | None = None,
             uln: float | None = None) -> dict[str, Any]:
    """The eligible record with every result of ``test`` replaced by this one (None: removed)."""
    labs = [row for row in LABS if row["test"] != test]
    if value is not None:
        row = {"date": "2026-11-05", "test": test, "value": value, "unit": unit, "uln": uln}
        labs.append({k: v for k, v in row.items() if v is not None})
    return eligible(labs=labs)
