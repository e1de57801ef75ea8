"""FHIR R4 input: a patient's Bundle read into the logical record of PATIENT-RECORD.md.

The Bundle is first validated with ``fhir.resources`` (R4B models, which read R4 resources of
these types), then mapped:

* ``Patient``: ``id`` → patient_id, ``gender`` (female/male; other values = unknown sex),
  ``birthDate`` (a full date is required: age is counted in completed years).
* ``Condition`` → diagnoses: every SNOMED CT (``http://snomed.info/sct``) and ICD-10
  (``http://hl7.org/fhir/sid/icd-10``, ``…/icd-10-cm``) coding; date = ``onsetDateTime``,
  ``onsetPeriod.start`` or ``recordedDate``; end = ``abatementDateTime``. Refuted or
  entered-in-error conditions are skipped. A Condition coded ``relapse`` in the trialkit
  system ``urn:trialkit:ms`` is an MS relapse (onset = its onset date).
* ``Observation`` (status not entered-in-error/cancelled): LOINC codings → labs with
  ``valueQuantity`` (UCUM ``code`` preferred over ``unit``) and ``referenceRange.high/low`` as
  ULN/LLN; hCG results as ``valueCodeableConcept`` (SNOMED 10828004 positive, 260385009
  negative) or ``valueString``. EDSS: SNOMED 273554001 or ``urn:trialkit:ms#edss``. MRI
  lesion counts: ``urn:trialkit:ms#gd-enhancing-lesions`` / ``#new-t2-lesions`` (one scan per
  date). Pregnancy status LOINC 82810-3 (SNOMED 77386006 pregnant, 60001007 not pregnant) →
  attestation ``pregnant``. Other attestations: code = attestation key in
  ``urn:trialkit:attestation`` with ``valueBoolean``.
* ``MedicationStatement`` (not entered-in-error / not-taken): ingredient = the coding display
  or text, lower-cased; RxNorm and ATC codings kept; ``effectivePeriod`` start/end or
  ``effectiveDateTime``; route from the first dosage.
* ``Consent`` (status active) → consent_date = ``dateTime`` and attestation
  ``willing_to_consent`` = true (a signed consent shows the willingness of I1).

The index date (planned Day 0) has no FHIR element; it comes from ``--as-of``. A Bundle has no
observation period either, so it is read like a desk record: complete from birth. Dates of
``dateTime`` values are taken as written (local date). The mapped record then passes the same
checks as a JSON record; its problems name the Bundle entry they come from.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from trialkit.core.eligibility.record import PatientRecord, RecordError, parse_record

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
MS = "urn:trialkit:ms"
ATTESTATION = "urn:trialkit:attestation"
EDSS_SNOMED = "273554001"
PREGNANCY_STATUS = "82810-3"
_RESULT_TEXT = {"10828004": "positive", "260385009": "negative"}
_PREGNANT = {"77386006": True, "60001007": False}
_SKIP = {"entered-in-error", "cancelled", "refuted", "not-taken", "registered"}
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


def record_from_bundle(data: object) -> PatientRecord:
    """Validate a FHIR Bundle and map it to a PatientRecord; RecordError names the entry."""
    from fhir.resources.R4B.bundle import Bundle  # slow import: only when FHIR is used

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise RecordError([("resourceType", "expected a FHIR Bundle")])
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise RecordError([(_loc(e["loc"]), e["msg"]) for e in exc.errors()]) from None
    mapper = _Mapper()
    for i, entry in enumerate(data.get("entry") or []):
        mapper.add(i, entry.get("resource") or {})
    return mapper.record()


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

    def __init__(self) -> None:
        self.top: dict[str, Any] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {
            "diagnoses": [], "relapses": [], "edss": [], "labs": [], "medications": []}
        self.scans: dict[str, dict[str, Any]] = {}
        self.attestations: dict[str, bool] = {}
        self.origin: dict[str, str] = {}

    def add(self, i: int, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        if resource.get("status") in _SKIP:
            return
        where = f"entry[{i}] ({kind}/{resource.get('id', '?')})"
        handler = {"Patient": self._patient, "Condition": self._condition,
                   "Observation": self._observation,
                   "MedicationStatement": self._medication,
                   "Consent": self._consent}.get(str(kind))
        if handler is not None:
            handler(resource, where)

    def _row(self, table: str, row: dict[str, Any], where: str) -> None:
        self.origin[f"{table}[{len(self.rows[table])}]"] = where
        self.rows[table].append(row)

    def _patient(self, r: dict[str, Any], where: str) -> None:
        self.origin["patient"] = where
        self.top["patient_id"] = r.get("id") or next(
            (i.get("value") for i in r.get("identifier") or [] if i.get("value")), None)
        if r.get("gender") in ("female", "male"):
            self.top["sex"] = r["gender"]
        if "birthDate" in r:
            self.top["birth_date"] = r["birthDate"]

    def _condition(self, r: dict[str, Any], where: str) -> None:
        if _code(r.get("verificationStatus"), "http://terminology.hl7.org/CodeSystem/"
                 "condition-ver-status") in ("refuted", "entered-in-error"):
            return
        onset = _day(r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
                     or r.get("recordedDate"))
        if _code(r.get("code"), MS) == "relapse":
            self._row("relapses", {"onset_date": onset}, where)
            return
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
        when = _day(r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start"))
        code = r.get("code")
        if _code(code, ATTESTATION) is not None and isinstance(r.get("valueBoolean"), bool):
            self.attestations[str(_code(code, ATTESTATION))] = r["valueBoolean"]
        elif _code(code, LOINC) == PREGNANCY_STATUS:
            status = _code(r.get("valueCodeableConcept"), SNOMED)
            if status in _PREGNANT:
                self.attestations["pregnant"] = _PREGNANT[status]
        elif _code(code, SNOMED) == EDSS_SNOMED or _code(code, MS) == "edss":
            score = (r.get("valueQuantity") or {}).get("value", r.get("valueDecimal"))
            self._row("edss", {"date": when, "score": score}, where)
        elif _code(code, MS) in ("gd-enhancing-lesions", "new-t2-lesions"):
            self._lesions(r, str(_code(code, MS)), when, where)
        elif _code(code, LOINC) is not None:
            self._lab(r, f"LOINC:{_code(code, LOINC)}", when, where)

    def _lesions(self, r: dict[str, Any], code: str, when: Any, where: str) -> None:
        count = r.get("valueInteger", (r.get("valueQuantity") or {}).get("value"))
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        scan = self.scans.setdefault(str(when), {"date": when})
        scan["gd_enhancing_lesions" if code == "gd-enhancing-lesions" else "new_t2_lesions"] = count
        self.origin.setdefault(f"mri:{when}", where)

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
            row["value"] = text or r["valueCodeableConcept"].get("text")
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
            self.attestations["willing_to_consent"] = True
            self.origin["consent_date"] = where

    def record(self) -> PatientRecord:
        data = {**self.top, **{k: v for k, v in self.rows.items() if v}}
        if self.scans:
            data["mri_scans"] = [self.scans[k] for k in sorted(self.scans)]
            for index, key in enumerate(sorted(self.scans)):
                self.origin[f"mri_scans[{index}]"] = self.origin[f"mri:{key}"]
        if self.attestations:
            data["attestations"] = self.attestations
        if "patient_id" not in data:
            raise RecordError([("(bundle)", "no Patient resource with an id")])
        try:
            return parse_record(data)
        except RecordError as exc:
            raise RecordError([(self._where(path), message) for path, message in exc.problems],
                              exc.patient_id) from None

    def _where(self, path: str) -> str:
        row = path.split(".", 1)[0]
        origin = self.origin.get(row) or self.origin.get(path) or self.origin.get("patient", "")
        return f"{origin}: {path}" if origin else path
