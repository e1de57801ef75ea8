"""From the screening forms of one participant to the logical patient record (PATIENT-RECORD.md).

The eligibility engine reads a ``PatientRecord``; the site enters case report forms. This
module is the bridge, driven by a small table keyed by form and item ids (``MAPPING``). It
is not tied to one trial: a protocol whose forms use these ids gets the same reading, and an
entry whose form or item the protocol lacks is skipped (``mapping_gaps`` names it). Units come
from the protocol's item definitions, never from this table.

What the forms cannot say is left unknown rather than guessed:

- the record's observation period is the screening window only (``index − screening window
  days .. index``): the forms capture no medication or relapse history, so "no cytotoxic in the
  last month" is ``unknown`` for the engine, and an investigator judges it
  (``actions.participants.do_judge_criteria``);
- every boolean item of a screening form is an attestation keyed by its item id
  (``ELIG.pregnant`` → ``attestations.pregnant``); an unanswered item is absent, i.e. unknown.

Screening forms are those of the scheduled visits before study day 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility.record import PatientRecord, parse_record
from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import FormVersion, Participant

FormData = Mapping[str, Any]


@dataclass(frozen=True)
class Measured:
    """A form whose instances are dated rows of one record table."""

    form: str
    date_item: str
    items: Mapping[str, str]
    """Form item id → field of the record row."""


@dataclass(frozen=True)
class Coded:
    """A choice item whose code becomes a coded row (diagnosis, lab test) with a date."""

    form: str
    date_item: str
    code_item: str
    codes: Mapping[str, str]
    """Code list value → record code (``RRMS`` → ``SNOMED:426373005``)."""


@dataclass(frozen=True)
class Analyte:
    """A numeric lab item, its LOINC code and the item holding its upper limit of normal."""

    item: str
    test: str
    uln_item: str | None = None


@dataclass(frozen=True)
class FormMapping:
    patient: Mapping[tuple[str, str], str]
    diagnoses: Sequence[Coded]
    edss: Sequence[Measured]
    mri_scans: Sequence[Measured]
    lab_form: tuple[str, str]
    """(form id, sample date item) of the numeric laboratory form."""
    analytes: Sequence[Analyte]
    qualitative_labs: Sequence[tuple[Coded, str]]
    """A coded test (specimen → LOINC) and the item holding its positive/negative result."""


# The proposal for per-protocol data (see the module docstring); a protocol-format extension
# (``record_field`` on items) could replace it without changing the functions below.
MAPPING = FormMapping(
    patient={("DM", "birth_date"): "birth_date", ("DM", "sex"): "sex",
             ("CONSENT", "consent_date"): "consent_date"},
    diagnoses=(Coded("MSHIST", "diagnosis_date", "ms_course",
                     {"RRMS": "SNOMED:426373005", "SPMS": "SNOMED:425500002",
                      "PPMS": "SNOMED:428700003"}),),
    edss=(Measured("EDSS", "assessment_date", {"edss": "score"}),),
    mri_scans=(Measured("MRI", "scan_date", {"gd_enhancing_lesions": "gd_enhancing_lesions",
                                             "new_t2_lesions": "new_t2_lesions"}),),
    lab_form=("LAB", "sample_date"),
    analytes=(Analyte("pt", "LOINC:5902-2", "pt_uln"), Analyte("aptt", "LOINC:14979-9", "aptt_uln"),
              Analyte("ast", "LOINC:1920-8", "ast_uln"), Analyte("alt", "LOINC:1742-6", "alt_uln"),
              Analyte("egfr", "LOINC:98979-8"), Analyte("fasting_glucose", "LOINC:1558-6")),
    qualitative_labs=((Coded("PREG", "test_date", "specimen",
                             {"serum": "LOINC:2118-8", "urine": "LOINC:2106-3"}), "result"),),
)


def screening_visit_ids(protocol: Protocol) -> tuple[str, ...]:
    return tuple(v.id for v in protocol.schedule.visits if v.day is not None and v.day < 0)


def screening_forms(participant: Participant, protocol: Protocol) -> dict[str, list[FormData]]:
    """Latest data of every screening form instance of the participant, by form id."""
    visits = screening_visit_ids(protocol)
    latest = (FormVersion.objects.filter(record__participant=participant,
                                         record__visit_id__in=visits)
              .select_related("record").order_by("record__form_id", "record__repeat_index",
                                                 "number"))
    by_instance: dict[int, FormVersion] = {}
    for version in latest:
        by_instance[version.record_id] = version  # ordered by number: the last one wins
    forms: dict[str, list[FormData]] = {}
    for version in by_instance.values():
        forms.setdefault(version.record.form_id, []).append(version.data)
    return forms


def mapping_gaps(protocol: Protocol, mapping: FormMapping = MAPPING) -> list[str]:
    """``FORM.item`` references of the mapping that the protocol does not define."""
    known = {(f.id, i.id) for f in protocol.forms for i in f.items}
    wanted = set(mapping.patient) | {(mapping.lab_form[0], mapping.lab_form[1])}
    for coded in [*mapping.diagnoses, *(c for c, _ in mapping.qualitative_labs)]:
        wanted |= {(coded.form, coded.date_item), (coded.form, coded.code_item)}
    for measured in [*mapping.edss, *mapping.mri_scans]:
        wanted |= {(measured.form, measured.date_item)} | {(measured.form, i)
                                                            for i in measured.items}
    for analyte in mapping.analytes:
        wanted.add((mapping.lab_form[0], analyte.item))
    return sorted(f"{form}.{item}" for form, item in wanted - known)


def record_data(protocol: Protocol, patient_id: str, forms: Mapping[str, Sequence[FormData]],
                index_date: dt.date, mapping: FormMapping = MAPPING) -> dict[str, Any]:
    """The patient record (decoded JSON form) that the screening forms support."""
    start = index_date - dt.timedelta(days=protocol.design.screening_window_days)
    data: dict[str, Any] = {
        "patient_id": patient_id, "index_date": index_date.isoformat(),
        "observation_period": {"start": start.isoformat(), "end": index_date.isoformat()},
        "attestations": _attestations(protocol, forms),
    }
    for (form, item), field in mapping.patient.items():
        value = _first(forms, form, item)
        if value is not None:
            data[field] = value
    data["diagnoses"] = [row for c in mapping.diagnoses for row in _coded(forms, c, "date")]
    data["edss"] = [row for m in mapping.edss for row in _measured(forms, m, "date")]
    data["mri_scans"] = [row for m in mapping.mri_scans for row in _measured(forms, m, "date")]
    data["labs"] = _labs(protocol, forms, mapping)
    return data


def screening_record(protocol: Protocol, patient_id: str,
                     forms: Mapping[str, Sequence[FormData]], index_date: dt.date) -> PatientRecord:
    """Parsed record; a malformed entry raises ``RecordError`` naming the record field."""
    return parse_record(record_data(protocol, patient_id, forms, index_date))


def _first(forms: Mapping[str, Sequence[FormData]], form: str, item: str) -> Any:
    return next((d[item] for d in forms.get(form, ()) if d.get(item) is not None), None)


def _attestations(protocol: Protocol, forms: Mapping[str, Sequence[FormData]]) -> dict[str, bool]:
    facts: dict[str, bool] = {}
    for form in protocol.forms:
        booleans = [i.id for i in form.items if i.type == "boolean"]
        for data in forms.get(form.id, ()):
            facts.update({i: data[i] for i in booleans if isinstance(data.get(i), bool)})
    return facts


def _coded(forms: Mapping[str, Sequence[FormData]], coded: Coded,
           date_field: str) -> list[dict[str, Any]]:
    rows = []
    for data in forms.get(coded.form, ()):
        code, when = coded.codes.get(str(data.get(coded.code_item))), data.get(coded.date_item)
        if code is not None and when is not None:
            rows.append({"code": code, date_field: when})
    return rows


def _measured(forms: Mapping[str, Sequence[FormData]], measured: Measured,
              date_field: str) -> list[dict[str, Any]]:
    rows = []
    for data in forms.get(measured.form, ()):
        if data.get(measured.date_item) is None:
            continue
        row = {date_field: data[measured.date_item]}
        row.update({field: data[item] for item, field in measured.items.items()
                    if data.get(item) is not None})
        rows.append(row)
    return rows


def _labs(protocol: Protocol, forms: Mapping[str, Sequence[FormData]],
          mapping: FormMapping) -> list[dict[str, Any]]:
    form_id, date_item = mapping.lab_form
    units = {(f.id, i.id): i.unit for f in protocol.forms for i in f.items}
    rows: list[dict[str, Any]] = []
    for data in forms.get(form_id, ()):
        for analyte in mapping.analytes:
            if data.get(analyte.item) is None or data.get(date_item) is None:
                continue
            row = {"date": data[date_item], "test": analyte.test, "value": data[analyte.item],
                   "unit": units.get((form_id, analyte.item))}
            if analyte.uln_item and data.get(analyte.uln_item) is not None:
                row["uln"] = data[analyte.uln_item]
            rows.append(row)
    for coded, result_item in mapping.qualitative_labs:
        for data in forms.get(coded.form, ()):
            test, when = coded.codes.get(data.get(coded.code_item, "")), data.get(coded.date_item)
            if test is not None and when is not None and data.get(result_item) is not None:
                rows.append({"date": when, "test": test, "value": data[result_item]})
    return rows
