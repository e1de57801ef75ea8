"""ResearchSubject per participant: who is in the study, in what state, and (only for a reader
who may see it) on which arm.

A participant is a pseudonymous Patient: its only identifier is the site's screening number,
never a name or a birth date. ``assignedArm``/``actualArm`` are written only when the rows carry
allocations; rows read for a blinded actor carry none, and then no element of this Bundle
differs between arms and the ResearchStudy it repeats lists no arms either (its identity
only: the design is the ``fhir-study`` export's, which blinded readers are refused).
"""

from __future__ import annotations

from trialkit.core.adam.rows import Allocation, ParticipantRow
from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.interop.fhir_export._common import (
    SCREENING_NUMBER,
    Resource,
    collection,
    entry,
    fhir_id,
    full_url,
    reference,
)
from trialkit.interop.fhir_export.study import study_identity, study_url

SUBJECT_STATUS = {
    "screening": "screening", "consented": "screening", "screen_failed": "ineligible",
    "enrolled": "on-study", "completed": "off-study", "withdrawn": "withdrawn",
    "lost_to_follow_up": "off-study", "died": "off-study",
}
"""Participant status → R4 ResearchSubject.status (research-subject-status)."""


def subjects_bundle(protocol: Protocol, rows: ExchangeRows) -> Resource:
    key = protocol.identity.id
    study = study_identity(protocol, with_arms=rows.trial.allocations is not None)
    entries = [entry(study_url(protocol), study)]
    eligible = {s.participant for s in rows.screenings if s.verdict == "eligible"}
    treated = {a.participant for a in rows.trial.administrations}
    for p in rows.trial.participants:
        patient_url = full_url(key, "Patient", p.screening_number)
        entries.append(entry(patient_url, patient(p)))
        subject = research_subject(protocol, p, patient_url, p.key in eligible)
        allocation = (rows.trial.allocations or {}).get(p.key)
        if rows.trial.allocations is not None and allocation is not None:
            arm = arm_name(protocol, p, allocation)
            if arm:
                subject["assignedArm"] = arm
                if p.key in treated:
                    subject["actualArm"] = arm
        entries.append(entry(full_url(key, "ResearchSubject", p.screening_number), subject))
    return collection(f"{key}-subjects", f"{rows.as_of.isoformat()}T00:00:00Z", entries)


def patient(p: ParticipantRow) -> Resource:
    return {"resourceType": "Patient", "id": fhir_id(p.screening_number),
            "identifier": [{"system": SCREENING_NUMBER, "value": p.screening_number}]}


def research_subject(protocol: Protocol, p: ParticipantRow, patient_url: str,
                     eligible: bool) -> Resource:
    status = SUBJECT_STATUS.get(p.status, "candidate")
    if status == "screening" and eligible:
        status = "eligible"
    subject: Resource = {
        "resourceType": "ResearchSubject", "id": fhir_id(f"subject-{p.screening_number}"),
        "identifier": [{"system": SCREENING_NUMBER, "value": p.screening_number}],
        "status": status, "study": reference(study_url(protocol)),
        "individual": reference(patient_url)}
    start = p.enrolled_on or p.consent_date
    if start is not None:
        period = {"start": start.isoformat()}
        if p.ended_on is not None:
            period["end"] = p.ended_on.isoformat()
        subject["period"] = period
    return subject


def arm_name(protocol: Protocol, p: ParticipantRow, allocation: Allocation) -> str:
    """The ResearchStudy.arm name the participant is assigned to: an arm, or a crossover
    sequence (both are listed in the ResearchStudy)."""
    if allocation.arm:
        return protocol.arm(allocation.arm).label
    if allocation.sequence:
        parts = [part for part in protocol.design.parts if not p.part or part.id == p.part]
        for part in parts:
            if any(s.id == allocation.sequence for s in part.sequences):
                return part.sequence(allocation.sequence).label
    return ""
