"""A participant's screening record as a patient Bundle the FHIR reader reads back.

The record is what the screening forms give (``trialkit.core.eligibility.form_record``, the
same mapping the site's eligibility evaluation uses); this module writes it in the shape
``trialkit.interop.fhir`` reads, so reading the Bundle gives the same record and the engine the
same verdict. Element by element it is that reader's mapping run backwards: Patient (id = the
screening number, sex, birth date; no name), Consent (active, dated), Condition per diagnosis
(SNOMED CT or ICD-10), Observation per laboratory result (LOINC; the entered unit; the
result's own reference range) and per attestation (``urn:trialkit:attestation``),
MedicationStatement per exposure, and the protocol's own tables through their ``fhir``
declarations (a row source becomes one resource on the row's date; a column source an
Observation with the value: a number as ``valueInteger`` / ``valueQuantity``, text as
``valueString``). A diagnosis whose code a protocol table declares for its Condition rows (a
stroke both as an event and as a diagnosis) is written with the category
``encounter-diagnosis``, which the reader takes as a diagnosis and not as that table's row.

What the reader cannot take back is left out, and ``carried`` gives the record a Bundle
carries: the index date and the observation period (FHIR has no element for them; the reader
takes them from its caller) and any column of a protocol table without a ``fhir`` declaration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialkit.core.eligibility.form_record import FormData, screening_record, screening_visit_ids
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.record import FhirSource, TableDef
from trialkit.interop.fhir import (
    ATC,
    ATTESTATION,
    DIAGNOSIS_CATEGORY,
    ICD10,
    LOINC,
    RXNORM,
    SNOMED,
)
from trialkit.interop.fhir_export._common import (
    SCREENING_NUMBER,
    Resource,
    collection,
    entry,
    fhir_id,
    full_url,
)

_RESULT = {"positive": "10828004", "negative": "260385009"}
_PREFIX_SYSTEM = {"SNOMED": SNOMED, "ICD10": ICD10[0], "LOINC": LOINC}
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFIED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                         "code": "confirmed"}]}


def screening_records(protocol: Protocol, rows: ExchangeRows) -> dict[str, PatientRecord]:
    """Screening number → the record its screening forms give (participants with any form)."""
    visits = set(screening_visit_ids(protocol))
    forms: dict[int, dict[str, list[FormData]]] = {}
    for form in rows.trial.forms:
        if form.visit in visits:
            forms.setdefault(form.participant, {}).setdefault(form.form, []).append(form.data)
    return {p.screening_number: screening_record(protocol, p.screening_number, forms[p.key],
                                                 rows.as_of)
            for p in rows.trial.participants if p.key in forms}


def screening_bundles(protocol: Protocol, rows: ExchangeRows) -> dict[str, Resource]:
    """Screening number → that participant's patient Bundle."""
    stamp = f"{rows.as_of.isoformat()}T00:00:00Z"
    return {number: record_bundle(protocol, record, stamp)
            for number, record in screening_records(protocol, rows).items()}


def carried_columns(table: TableDef) -> tuple[str, ...]:
    """The columns of a protocol table a Bundle carries: its date and its declared columns."""
    if table.fhir is None:
        return ()
    return (table.date, *table.fhir.columns)


def carried(protocol: Protocol, record: PatientRecord) -> PatientRecord:
    """The part of ``record`` a Bundle carries back through the reader (module docstring)."""
    tables = dict(record.tables)
    for table in protocol.record.tables:
        kept = carried_columns(table)
        rows = tuple({c: (v if c in kept else None) for c, v in row.items()}
                     for row in record.rows(table.id)) if kept else ()
        if rows:
            tables[table.id] = rows
        else:
            tables.pop(table.id, None)
    return dataclasses.replace(record, index_date=None, observation_period=None, tables=tables)


def _declared_conditions(protocol: Protocol) -> set[tuple[str, str]]:
    """(system, code) of every Condition a protocol table reads as its own row."""
    found = set()
    for table in protocol.record.tables:
        if table.fhir is None:
            continue
        sources = [*table.fhir.rows_from, *table.fhir.columns.values()]
        found |= {(c.system, c.code) for s in sources if s.resource == "Condition"
                  for c in s.codes}
    return found


def _coding(code: str) -> tuple[str, str]:
    prefix, _, value = code.partition(":")
    return _PREFIX_SYSTEM.get(prefix, prefix), value


def record_bundle(protocol: Protocol, record: PatientRecord,
                  timestamp: str | None = None) -> Resource:
    writer = _Writer(protocol.identity.id, record.patient_id)
    writer.patient(record)
    if record.consent_date is not None:
        writer.consent(record.consent_date)
    declared = _declared_conditions(protocol)
    for row in record.rows("diagnoses"):
        writer.condition(row, diagnosis_category=_coding(row["code"]) in declared)
    for row in record.rows("labs"):
        writer.lab(row)
    for key, value in record.attestations.items():
        writer.observation(f"attestation-{key}", {
            "code": {"coding": [{"system": ATTESTATION, "code": key}]}, "valueBoolean": value})
    for row in record.rows("medications"):
        writer.medication(row)
    for table in protocol.record.tables:
        for row in record.rows(table.id) if table.fhir is not None else ():
            writer.table_row(table, row)
    return collection(f"screening-{record.patient_id}", timestamp, writer.entries)


class _Writer:
    """Collects one patient's entries; every resource refers to the Patient."""

    def __init__(self, study: str, patient_id: str) -> None:
        self.study, self.patient_id = study, patient_id
        self.patient_url = full_url(study, "Patient", patient_id)
        self.entries: list[Resource] = []

    def add(self, kind: str, local: str, resource: Resource) -> None:
        number = len(self.entries)
        resource = {"resourceType": kind, "id": fhir_id(f"{local}-{number}"), **resource}
        if kind != "Patient":
            field = "patient" if kind == "Consent" else "subject"
            resource[field] = {"reference": self.patient_url}
        url = full_url(self.study, kind, self.patient_id, str(number))
        self.entries.append(entry(url, resource))

    def patient(self, record: PatientRecord) -> None:
        resource: Resource = {"resourceType": "Patient", "id": fhir_id(record.patient_id),
                              "identifier": [{"system": SCREENING_NUMBER,
                                              "value": record.patient_id}]}
        if record.sex in ("female", "male"):
            resource["gender"] = record.sex
        if record.birth_date is not None:
            resource["birthDate"] = record.birth_date.isoformat()
        self.entries.append(entry(self.patient_url, resource))

    def consent(self, day: dt.date) -> None:
        self.add("Consent", "consent", {
            "status": "active", "dateTime": day.isoformat(),
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                  "consentscope", "code": "research"}]},
            "category": [{"coding": [{"system": LOINC, "code": "59284-0",
                                      "display": "Consent Document"}]}],
            "policyRule": {"text": "Informed consent to the trial's protocol"}})

    def condition(self, row: Mapping[str, Any], *, diagnosis_category: bool = False) -> None:
        """A diagnosis; ``diagnosis_category`` marks one a table's Condition code would
        otherwise claim as its row."""
        prefix, _, code = str(row["code"]).partition(":")
        resource: Resource = {
            "verificationStatus": _VERIFIED,
            "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "resolved"
                                           if row.get("end_date") else "active"}]},
            "code": {"coding": [{"system": _PREFIX_SYSTEM[prefix], "code": code}]}}
        if diagnosis_category:
            resource["category"] = [{"coding": [dict(DIAGNOSIS_CATEGORY)]}]
        if row.get("date") is not None:
            resource["onsetDateTime"] = _iso(row["date"])
        if row.get("end_date") is not None:
            resource["abatementDateTime"] = _iso(row["end_date"])
        self.add("Condition", "diagnosis", resource)

    def lab(self, row: Mapping[str, Any]) -> None:
        resource: Resource = {
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                      "observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": str(row["test"]).split(":", 1)[1]}]},
            "effectiveDateTime": _iso(row["date"])}
        if row.get("value") is not None:
            resource["valueQuantity"] = _quantity(row["value"], row.get("unit"))
            ranges = {bound: _quantity(row[key], row.get("unit"))
                      for key, bound in (("lln", "low"), ("uln", "high"))
                      if row.get(key) is not None}
            if ranges:
                resource["referenceRange"] = [ranges]
        elif row.get("value_text") in _RESULT:
            resource["valueCodeableConcept"] = {"coding": [
                {"system": SNOMED, "code": _RESULT[row["value_text"]]}],
                "text": row["value_text"]}
        elif row.get("value_text") is not None:
            resource["valueString"] = str(row["value_text"])
        self.add("Observation", "lab", resource)

    def observation(self, local: str, resource: Resource) -> None:
        self.add("Observation", local, {"status": "final", **resource})

    def medication(self, row: Mapping[str, Any]) -> None:
        codings = [{"system": system, "code": str(row[key])}
                   for key, system in (("rxnorm", RXNORM), ("atc", ATC)) if row.get(key)]
        period = {"start": _iso(row["start_date"])}
        if row.get("end_date") is not None:
            period["end"] = _iso(row["end_date"])
        resource: Resource = {
            "status": "completed" if row.get("end_date") is not None else "active",
            "medicationCodeableConcept": {"text": row["ingredient"],
                                          **({"coding": codings} if codings else {})},
            "effectivePeriod": period}
        if row.get("route"):
            resource["dosage"] = [{"route": {"text": row["route"]}}]
        self.add("MedicationStatement", "medication", resource)

    def table_row(self, table: TableDef, row: Mapping[str, Any]) -> None:
        """One resource per source that has something to say about the row."""
        assert table.fhir is not None
        when = row.get(table.date)
        for source in table.fhir.rows_from:
            self._sourced(table.id, source, when, None)
        for column, source in table.fhir.columns.items():
            if row.get(column) is not None:
                self._sourced(table.id, source, when, row[column])

    def _sourced(self, table: str, source: FhirSource, when: Any, value: Any) -> None:
        code = source.codes[0]
        resource: Resource = {"code": {"coding": [{"system": code.system, "code": code.code}]}}
        if source.resource == "Condition":
            resource["verificationStatus"] = _VERIFIED
            if when is not None:
                resource["onsetDateTime"] = _iso(when)
        else:
            resource["status"] = "final" if source.resource == "Observation" else "completed"
            if when is not None:
                key = "effectiveDateTime" if source.resource == "Observation" else \
                    "performedDateTime"
                resource[key] = _iso(when)
            if value is not None:
                resource.update(_value(value))
        self.add(source.resource, table, resource)


def _value(value: Any) -> Resource:
    if isinstance(value, str):
        return {"valueString": value}
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    return {"valueQuantity": {"value": value}}


def _quantity(value: Any, unit: Any) -> Resource:
    quantity: Resource = {"value": value}
    if unit:
        quantity["unit"] = str(unit)
    return quantity


def _iso(day: Any) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)
