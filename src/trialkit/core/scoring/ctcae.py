"""Adverse-event helpers: CTCAE v5.0 grades, aminotransferase grading, seriousness, SAE deadline."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from trialkit.core.scoring.checks import ScoringInputError, positive_number

__all__ = [
    "SAE_REPORTING_WINDOW", "Seriousness", "aminotransferase_grade", "ctcae_grade",
    "sae_report_deadline", "sae_report_is_late",
]

SAE_REPORTING_WINDOW = timedelta(hours=24)

# CTCAE v5.0, Investigations, "Alanine/Aspartate aminotransferase increased", normal baseline:
# G1 >ULN-3.0xULN, G2 >3.0-5.0xULN, G3 >5.0-20.0xULN, G4 >20.0xULN. Each upper limit belongs
# to its grade, so 3.0xULN exactly is still grade 1.
_AMINOTRANSFERASE_UPPER = ((Decimal(1), 0), (Decimal(3), 1), (Decimal(5), 2), (Decimal(20), 3))


def ctcae_grade(value: object, field: str = "grade") -> int:
    """A CTCAE v5.0 grade 1-5 from an int or its codelist code ("1"-"5")."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ScoringInputError(field, f"must be a CTCAE grade 1-5, got {value!r}")
    return value


def aminotransferase_grade(value: object, uln: object, field: str = "alt") -> int:
    """The CTCAE v5.0 grade of an ALT or AST value (0: not above the upper limit of normal).

    Only for a normal baseline; an abnormal baseline is graded against multiples of the
    baseline, which needs the investigator.
    """
    if (isinstance(value, bool) or not isinstance(value, int | float | Decimal)
            or not math.isfinite(value) or value < 0):
        raise ScoringInputError(field, f"must be a number of 0 or more, got {value!r}")
    limit = positive_number(uln, f"{field}_uln")
    # Decimal of the shortest repr keeps 3 x ULN exact, so boundary values grade as written.
    multiple = Decimal(str(value)) / Decimal(str(limit))
    for upper, grade in _AMINOTRANSFERASE_UPPER:
        if multiple <= upper:
            return grade
    return 4


class Seriousness(StrEnum):
    """ICH E2A seriousness criteria, each with the CDISC SDTM AE variable that flags it.

    A protocol's adverse-event form asks a criterion through an item annotated with that
    variable (``cdisc: {domain: AE, variable: AESHOSP}``), whatever the item's id.
    """

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    MEDICALLY_IMPORTANT = "medically_important"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def variable(self) -> str:
        """The SDTM AE variable (``AESDTH``, ``AESLIFE``, ...)."""
        return _VARIABLES[self]


_LABELS = {
    Seriousness.DEATH: "results in death",
    Seriousness.LIFE_THREATENING: "is life-threatening",
    Seriousness.HOSPITALISATION: "requires inpatient hospitalisation or prolongation of "
                                 "existing hospitalisation",
    Seriousness.DISABILITY: "results in persistent or significant disability/incapacity",
    Seriousness.CONGENITAL_ANOMALY: "is a congenital anomaly/birth defect",
    Seriousness.MEDICALLY_IMPORTANT: "is an important medical event (medical judgement)",
}
_VARIABLES = {
    Seriousness.DEATH: "AESDTH", Seriousness.LIFE_THREATENING: "AESLIFE",
    Seriousness.HOSPITALISATION: "AESHOSP", Seriousness.DISABILITY: "AESDISAB",
    Seriousness.CONGENITAL_ANOMALY: "AESCONG", Seriousness.MEDICALLY_IMPORTANT: "AESMIE",
}


def sae_report_deadline(aware_at: datetime) -> datetime:
    """When the sponsor must have the initial SAE report: 24 hours after awareness, in UTC."""
    return _utc(aware_at, "aware_at") + SAE_REPORTING_WINDOW


def sae_report_is_late(aware_at: datetime, reported_at: datetime) -> bool:
    deadline = sae_report_deadline(aware_at)
    reported = _utc(reported_at, "reported_at")
    if reported < _utc(aware_at, "aware_at"):
        raise ScoringInputError("reported_at", "is before the site became aware of the event")
    return reported > deadline


def _utc(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ScoringInputError(field, f"must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScoringInputError(field, "must carry a time zone; a naive time is ambiguous")
    return moment.astimezone(UTC)
