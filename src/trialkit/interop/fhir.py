"""FHIR R4 input: a patient's Bundle read into the logical record of its protocol.

See docs/reference/patient-record.md for the record.

The Bundle is first validated with ``fhir.resources`` (R4B models, which read R4 resources of
these types), then mapped. The base record has a fixed mapping:

* ``Patient``: ``id`` → patient_id, ``gender`` (female/male; other values = unknown sex),
  ``birthDate`` (a full date is required: age is counted in completed years).
* ``Condition`` → diagnoses: every SNOMED CT (``http://snomed.info/sct``) and ICD-10
  (``http://hl7.org/fhir/sid/icd-10``, ``…/icd-10-cm``) coding; date = ``onsetDateTime``,
  ``onsetPeriod.start`` or ``recordedDate``; end = ``abatementDateTime``. Refuted or
  entered-in-error conditions are skipped.
* ``Observation`` (status not entered-in-error/cancelled): LOINC codings → labs with
  ``valueQuantity`` (UCUM ``code`` preferred over ``unit``) and ``referenceRange.high/low`` as
  ULN/LLN; qualitative results as ``valueCodeableConcept`` (SNOMED 10828004 positive,
  260385009 negative) or ``valueString``. A LOINC observation answered with another coded
  value (e.g. a pregnancy status) is no laboratory result and is skipped. Attestations: code =
  attestation key in ``urn:trialkit:attestation`` with ``valueBoolean``.
* ``MedicationStatement`` (not entered-in-error / not-taken): ingredient = the coding display
  or text, lower-cased; RxNorm and ATC codings kept; ``effectivePeriod`` start/end or
  ``effectiveDateTime``; route from the first dosage.
* ``Consent`` (status active) → consent_date = ``dateTime``.

A protocol's own tables are filled from their ``fhir`` declarations (``TableDef.fhir``): a
resource of the declared type carrying one of a source's codes gives a row dated by its
``effectiveDateTime`` / ``onsetDateTime`` (or the period's start); a numeric column takes its
``valueQuantity.value``, ``valueInteger`` or ``valueDecimal`` (the largest of one date), a text
column its ``valueString`` or ``valueCodeableConcept`` (the first coding's code, else the
concept's text; the first of one date). With several sources, rows are merged per date.

Declared sources are matched before the base mapping, so a Condition coded as a protocol's
event is that table's row and not also a diagnosis. A Condition that states it is a diagnosis
(category ``encounter-diagnosis``, ``http://terminology.hl7.org/CodeSystem/condition-category``)
is a diagnosis and never a table row: a record can hold both a stroke event (dated by its onset)
and the diagnosis of it (dated by admission) under one code, and a Bundle keeps them apart.

The index date (planned Day 0) has no FHIR element; it comes from ``--as-of``. A Bundle has no
observation period either, so it is read like a desk record: complete from birth. Dates of
``dateTime`` values are taken as written (local date). The mapped record then passes the same
checks as a JSON record; its problems name the Bundle entry they come from.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from trialkit.core.eligibility.record import PatientRecord, RecordError, parse_record_for
from trialkit.core.protocol.record import FhirSource, TableDef

if TYPE_CHECKING:
    from trialkit.core.protocol.model import Protocol

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
ATTESTATION = "urn:trialkit:attestation"
_RESULT_TEXT = {"10828004": "positive", "260385009": "negative"}
_SKIP = {"entered-in-error", "cancelled", "refuted", "not-taken", "registered"}
DIAGNOSIS_CATEGORY = {"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                      "code": "encounter-diagnosis"}
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


def record_from_bundle(data: object, protocol: Protocol) -> PatientRecord:
    """Validate a FHIR Bundle and map it to a record of ``protocol``'s schema; RecordError
    names the entry."""
    from fhir.resources.R4B.bundle import Bundle  # slow import: only when FHIR is used

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise RecordError([("resourceType", "expected a FHIR Bundle")])
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise RecordError([(_loc(e["loc"]), e["msg"]) for e in exc.errors()]) from None
    mapper = _Mapper(tuple(t for t in protocol.record.tables if t.fhir is not None))
    for i, entry in enumerate(data.get("entry") or []):
        mapper.add(i, entry.get("resource") or {})
    return mapper.record(protocol)


def _loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(bundle)"


def _day(value: Any) -> str | None:
    match = _DATE.match(value) if isinstance(value, str) else None
    return match.group(1) if match else value


def _codings(concept: Any) -> list[dict[str, Any]]:
    return list((concept or {}).get("coding") or [])


def _code(concept: Any, system: str | tuple[str, ...]) -> str | None:
    systems = (system,) if isinstance(system, str) else system
    return next((c.get("code") for c in _codings(concept) if c.get("system") in systems), None)


class _Mapper:
    """Accumulates the record's tables; ``origin`` remembers which entry each row came from."""

    def __init__(self, declared: tuple[TableDef, ...]) -> None:
        self.top: dict[str, Any] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {
            "diagnoses": [], "labs": [], "medications": []}
        self.declared = declared
        self.merged: dict[str, dict[str, dict[str, Any]]] = {t.id: {} for t in declared}
        self.attestations: dict[str, bool] = {}
        self.origin: dict[str, str] = {}

    def add(self, i: int, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        if resource.get("status") in _SKIP:
            return
        where = f"entry[{i}] ({kind}/{resource.get('id', '?')})"
        if kind in ("Condition", "Observation") and self._declared(resource, str(kind), where):
            return
        handler = {"Patient": self._patient, "Condition": self._condition,
                   "Observation": self._observation,
                   "MedicationStatement": self._medication,
                   "Consent": self._consent}.get(str(kind))
        if handler is not None:
            handler(resource, where)

    def _row(self, table: str, row: dict[str, Any], where: str) -> None:
        self.origin[f"{table}[{len(self.rows[table])}]"] = where
        self.rows[table].append(row)

    def _declared(self, r: dict[str, Any], kind: str, where: str) -> bool:
        """Rows of the protocol's own tables this resource gives; whether it gave any."""
        if kind == "Condition" and _refuted(r):
            return True
        if kind == "Condition" and _is_diagnosis(r):
            return False
        used = False
        for table in self.declared:
            assert table.fhir is not None
            sources: list[tuple[str | None, FhirSource]] = [
                (None, s) for s in table.fhir.rows_from]
            sources += [(column, s) for column, s in table.fhir.columns.items()]
            for column, source in sources:
                if _matches(r, kind, source):
                    self._declared_row(table, column, r, where)
                    used = True
        return used

    def _declared_row(self, table: TableDef, column: str | None, r: dict[str, Any],
                      where: str) -> None:
        assert table.fhir is not None
        when = _when(r)
        single = len(table.fhir.rows_from) + len(table.fhir.columns) == 1
        rows = self.merged[table.id]
        key = f"{len(rows)}" if single else str(when)
        row = rows.setdefault(key, {table.date: when})
        self.origin.setdefault(f"{table.id}:{key}", where)
        if column is None:
            return
        kind = table.column(column).type
        if kind == "text":
            text = _text(r)
            if text is not None and row.get(column) is None:
                row[column] = text
            return
        value = _value(r)
        if isinstance(value, float) and value.is_integer() and kind == "count":
            value = int(value)
        if value is not None and (row.get(column) is None or value > row[column]):
            row[column] = value

    def _patient(self, r: dict[str, Any], where: str) -> None:
        self.origin["patient"] = where
        self.top["patient_id"] = r.get("id") or next(
            (i.get("value") for i in r.get("identifier") or [] if i.get("value")), None)
        if r.get("gender") in ("female", "male"):
            self.top["sex"] = r["gender"]
        if "birthDate" in r:
            self.top["birth_date"] = r["birthDate"]

    def _condition(self, r: dict[str, Any], where: str) -> None:
        if _refuted(r):
            return
        onset = _when(r)
        end = _day(r.get("abatementDateTime"))
        for coding in _codings(r.get("code")):
            system, code = coding.get("system"), coding.get("code")
            prefix = "SNOMED" if system == SNOMED else "ICD10" if system in ICD10 else None
            if prefix and code:
                row = {"code": f"{prefix}:{code}", "date": onset}
                if end:
                    row["end_date"] = end
                self._row("diagnoses", row, where)

    def _observation(self, r: dict[str, Any], where: str) -> None:
        code = r.get("code")
        if _code(code, ATTESTATION) is not None and isinstance(r.get("valueBoolean"), bool):
            self.attestations[str(_code(code, ATTESTATION))] = r["valueBoolean"]
        elif _code(code, LOINC) is not None:
            self._lab(r, f"LOINC:{_code(code, LOINC)}", _when(r), where)

    def _lab(self, r: dict[str, Any], test: str, when: Any, where: str) -> None:
        row: dict[str, Any] = {"date": when, "test": test}
        quantity = r.get("valueQuantity")
        if quantity is not None:
            row["value"] = quantity.get("value")
            unit = quantity.get("code") if quantity.get("system") == UCUM else None
            row["unit"] = unit or quantity.get("unit")
            ranges = (r.get("referenceRange") or [{}])[0]
            for key, bound in (("uln", "high"), ("lln", "low")):
                if (ranges.get(bound) or {}).get("value") is not None:
                    row[key] = ranges[bound]["value"]
        elif r.get("valueCodeableConcept") is not None:
            text = _RESULT_TEXT.get(_code(r["valueCodeableConcept"], SNOMED) or "")
            if text is None:
                return  # an answer that is no result (e.g. a pregnancy status)
            row["value"] = text
        elif r.get("valueString") is not None:
            row["value"] = str(r["valueString"]).strip().lower()
        self._row("labs", row, where)

    def _medication(self, r: dict[str, Any], where: str) -> None:
        concept = r.get("medicationCodeableConcept") or {}
        names = [c.get("display") for c in _codings(concept) if c.get("display")]
        period = r.get("effectivePeriod") or {}
        start = _day(period.get("start") or r.get("effectiveDateTime"))
        end = _day(period.get("end")) if period else start
        row: dict[str, Any] = {"ingredient": concept.get("text") or (names[0] if names else None),
                               "start_date": start, "end_date": end}
        for key, system in (("rxnorm", RXNORM), ("atc", ATC)):
            if _code(concept, system):
                row[key] = _code(concept, system)
        route = ((r.get("dosage") or [{}])[0].get("route") or {}).get("text")
        if route:
            row["route"] = route
        self._row("medications", row, where)

    def _consent(self, r: dict[str, Any], where: str) -> None:
        if r.get("status") == "active" and r.get("dateTime"):
            self.top["consent_date"] = _day(r["dateTime"])
            self.origin["consent_date"] = where

    def record(self, protocol: Protocol) -> PatientRecord:
        data = {**self.top, **{k: v for k, v in self.rows.items() if v}}
        for table in self.declared:
            merged = self.merged[table.id]
            # By date; rows of one date keep the Bundle's order (a stable sort).
            date = table.date
            keys = sorted(merged, key=lambda k: str(merged[k].get(date)))
            if keys:
                data[table.id] = [merged[k] for k in keys]
            for index, key in enumerate(keys):
                self.origin[f"{table.id}[{index}]"] = self.origin[f"{table.id}:{key}"]
        if self.attestations:
            data["attestations"] = self.attestations
        if "patient_id" not in data:
            raise RecordError([("(bundle)", "no Patient resource with an id")])
        try:
            return parse_record_for(data, protocol)
        except RecordError as exc:
            raise RecordError([(self._where(path), message) for path, message in exc.problems],
                              exc.patient_id) from None

    def _where(self, path: str) -> str:
        row = path.split(".", 1)[0]
        origin = self.origin.get(row) or self.origin.get(path) or self.origin.get("patient", "")
        return f"{origin}: {path}" if origin else path


def _when(r: dict[str, Any]) -> str | None:
    """The date a resource states: effective or onset date, else its period's start."""
    value = (r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start")
             or r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
             or r.get("recordedDate"))
    return _day(value)


def _value(r: dict[str, Any]) -> Any:
    quantity = r.get("valueQuantity") or {}
    for value in (quantity.get("value"), r.get("valueInteger"), r.get("valueDecimal")):
        if value is not None:
            return value
    return None


def _text(r: dict[str, Any]) -> str | None:
    """A text column's value: ``valueString``, else the coded value's first code or text."""
    if isinstance(r.get("valueString"), str):
        return str(r["valueString"])
    concept = r.get("valueCodeableConcept")
    if concept is None:
        return None
    code = next((c.get("code") for c in _codings(concept) if c.get("code")), None)
    return code or concept.get("text")


def _is_diagnosis(r: dict[str, Any]) -> bool:
    wanted = (DIAGNOSIS_CATEGORY["system"], DIAGNOSIS_CATEGORY["code"])
    return any((c.get("system"), c.get("code")) == wanted
               for concept in r.get("category") or [] for c in _codings(concept))


def _matches(r: dict[str, Any], kind: str, source: FhirSource) -> bool:
    if source.resource != kind:
        return False
    wanted = {(c.system, c.code) for c in source.codes}
    return any((c.get("system"), c.get("code")) in wanted for c in _codings(r.get("code")))


def _refuted(r: dict[str, Any]) -> bool:
    return _code(r.get("verificationStatus"), "http://terminology.hl7.org/CodeSystem/"
                 "condition-ver-status") in ("refuted", "entered-in-error")
