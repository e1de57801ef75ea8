"""The logical patient record (PATIENT-RECORD.md) and its strict parser.

``parse_record`` turns decoded JSON into a frozen ``PatientRecord`` or raises ``RecordError``
listing every problem with its field path (``labs[2].unit``). Unknown keys are errors: a
misspelt ``relapse`` would otherwise read as "no relapses" and could make a patient eligible.
Ingredient names are lower-cased (value sets use lower-case INNs) and units are stored in their
canonical spelling; nothing else is changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trialkit.core.eligibility import units
from trialkit.core.eligibility.record_fields import Reader


class RecordError(ValueError):
    """A malformed record: every problem with the path of the field it is about."""

    def __init__(self, problems: list[tuple[str, str]], patient_id: str | None = None) -> None:
        self.problems = problems
        self.patient_id = patient_id
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str
    date: dt.date
    end_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Relapse:
    onset_date: dt.date


@dataclass(frozen=True, slots=True)
class MriScan:
    date: dt.date
    gd_enhancing_lesions: int | None = None
    new_t2_lesions: int | None = None


@dataclass(frozen=True, slots=True)
class EdssScore:
    date: dt.date
    score: float


@dataclass(frozen=True, slots=True)
class Lab:
    date: dt.date
    test: str
    value: float | None = None
    value_text: str | None = None
    unit: str | None = None
    uln: float | None = None
    lln: float | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    ingredient: str
    start_date: dt.date
    end_date: dt.date | None = None
    rxnorm: str | None = None
    atc: str | None = None
    route: str | None = None


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One patient's screening data; ``consent_date``/``index_date`` may be left to ``as_of``."""

    patient_id: str
    sex: str | None = None
    birth_date: dt.date | None = None
    consent_date: dt.date | None = None
    index_date: dt.date | None = None
    observation_period: tuple[dt.date, dt.date] | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    relapses: tuple[Relapse, ...] = ()
    mri_scans: tuple[MriScan, ...] = ()
    edss: tuple[EdssScore, ...] = ()
    labs: tuple[Lab, ...] = ()
    medications: tuple[Medication, ...] = ()
    attestations: Mapping[str, bool] = field(default_factory=dict)


_DIAGNOSIS = re.compile(r"^(SNOMED:[0-9]{6,18}|ICD10:[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?)$")
_LOINC = re.compile(r"^LOINC:[0-9]{1,7}-[0-9]$")
_ATC = re.compile(r"^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$")
_TOP = ("patient_id", "sex", "birth_date", "consent_date", "index_date", "observation_period",
        "diagnoses", "relapses", "mri_scans", "edss", "labs", "medications", "attestations")
EDSS_STEPS = frozenset([0.0] + [x / 2 for x in range(2, 21)])


def parse_record(data: object) -> PatientRecord:
    """Validate decoded JSON as a patient record; raise RecordError naming each bad field."""
    r = Reader()
    obj = r.mapping(data, "", _TOP)
    if obj is None:
        raise RecordError(r.problems)
    patient_id = r.text(obj, "patient_id", "", required=True)
    record = PatientRecord(
        patient_id=patient_id or "",
        sex=r.choice(obj, "sex", "", ("female", "male")),
        birth_date=r.date(obj, "birth_date", ""),
        consent_date=r.date(obj, "consent_date", ""),
        index_date=r.date(obj, "index_date", ""),
        observation_period=_period(r, obj),
        diagnoses=tuple(r.each(obj, "diagnoses", _diagnosis)),
        relapses=tuple(r.each(obj, "relapses", _relapse)),
        mri_scans=tuple(r.each(obj, "mri_scans", _mri)),
        edss=tuple(r.each(obj, "edss", _edss)),
        labs=tuple(r.each(obj, "labs", _lab)),
        medications=tuple(r.each(obj, "medications", _medication)),
        attestations=_attestations(r, obj),
    )
    if r.problems:
        raise RecordError(r.problems, patient_id)
    return record


def _period(r: Reader, obj: Mapping[str, Any]) -> tuple[dt.date, dt.date] | None:
    span = r.mapping(obj.get("observation_period"), "observation_period", ("start", "end"))
    if span is None:
        return None
    start = r.date(span, "start", "observation_period", required=True)
    end = r.date(span, "end", "observation_period", required=True)
    if start is None or end is None:
        return None
    if end < start:
        r.problem("observation_period.end", f"{end} is before the start {start}")
    return start, end


def _diagnosis(r: Reader, row: Mapping[str, Any], at: str) -> Diagnosis | None:
    code = r.text(row, "code", at, required=True)
    if code is not None and not _DIAGNOSIS.match(code):
        r.problem(f"{at}.code", f"'{code}' is not SNOMED:<id> or ICD10:<code>")
        code = None
    start = r.date(row, "date", at, required=True)
    end = r.date(row, "end_date", at)
    if start is not None and end is not None and end < start:
        r.problem(f"{at}.end_date", f"{end} is before the diagnosis date {start}")
    return None if code is None or start is None else Diagnosis(code, start, end)


def _relapse(r: Reader, row: Mapping[str, Any], at: str) -> Relapse | None:
    onset = r.date(row, "onset_date", at, required=True)
    return None if onset is None else Relapse(onset)


def _mri(r: Reader, row: Mapping[str, Any], at: str) -> MriScan | None:
    when = r.date(row, "date", at, required=True)
    gd = r.count(row, "gd_enhancing_lesions", at)
    t2 = r.count(row, "new_t2_lesions", at)
    return None if when is None else MriScan(when, gd, t2)


def _edss(r: Reader, row: Mapping[str, Any], at: str) -> EdssScore | None:
    when = r.date(row, "date", at, required=True)
    score = r.number(row, "score", at, required=True)
    if score is not None and score not in EDSS_STEPS:
        r.problem(f"{at}.score", f"{score} is not an EDSS score (0, 1.0, 1.5, … 10.0)")
        score = None
    return None if when is None or score is None else EdssScore(when, score)


def _lab(r: Reader, row: Mapping[str, Any], at: str) -> Lab | None:
    when = r.date(row, "date", at, required=True)
    test = r.text(row, "test", at, required=True)
    if test is not None and not _LOINC.match(test):
        r.problem(f"{at}.test", f"'{test}' is not LOINC:<code> (e.g. LOINC:5902-2)")
        test = None
    raw = row.get("value")
    value, text = (None, raw) if isinstance(raw, str) else (r.number(row, "value", at), None)
    if text is not None and text not in ("positive", "negative"):
        r.problem(f"{at}.value", f"'{text}' is neither a number nor positive/negative")
    elif text is not None and test is not None and test not in units.QUALITATIVE_TESTS:
        r.problem(f"{at}.value", f"{test} is reported as a number, not '{text}'")
    unit = _unit(r, row, at, test, needed=value is not None)
    uln, lln = r.number(row, "uln", at), r.number(row, "lln", at)
    if when is None or test is None:
        return None
    return Lab(when, test, value, text, unit, uln, lln)


def _unit(r: Reader, row: Mapping[str, Any], at: str, test: str | None,
          *, needed: bool) -> str | None:
    unit = r.text(row, "unit", at, required=needed)
    if unit is None:
        if needed and "unit" in row and row["unit"] is None:
            r.problem(f"{at}.unit", "a numeric result needs its unit")
        return None
    try:
        return units.normalize(unit, test)
    except units.UnitError as exc:
        r.problem(f"{at}.unit", str(exc))
        return None


def _medication(r: Reader, row: Mapping[str, Any], at: str) -> Medication | None:
    name = r.text(row, "ingredient", at, required=True)
    start = r.date(row, "start_date", at, required=True)
    end = r.date(row, "end_date", at)
    if start is not None and end is not None and end < start:
        r.problem(f"{at}.end_date", f"{end} is before the start date {start}")
    rxnorm, atc = r.text(row, "rxnorm", at), r.text(row, "atc", at)
    if rxnorm is not None and not rxnorm.isdigit():
        r.problem(f"{at}.rxnorm", f"'{rxnorm}' is not an RxNorm concept id (digits)")
    if atc is not None and not _ATC.match(atc):
        r.problem(f"{at}.atc", f"'{atc}' is not an ATC code (e.g. L04AA27)")
    route = r.text(row, "route", at)
    if name is None or start is None:
        return None
    return Medication(name.strip().lower(), start, end, rxnorm, atc, route)


def _attestations(r: Reader, obj: Mapping[str, Any]) -> dict[str, bool]:
    raw = obj.get("attestations")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        r.problem("attestations", f"expected an object of true/false, got {type(raw).__name__}")
        return {}
    facts: dict[str, bool] = {}
    for key, value in raw.items():
        if value is None:
            continue  # stated as unknown: same as absent
        if not isinstance(value, bool):
            r.problem(f"attestations.{key}", f"expected true, false or null, got {value!r}")
            continue
        facts[str(key)] = value
    return facts
