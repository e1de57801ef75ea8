"""A protocol written as a ClinicalTrials.gov API v2 study record (``protocolSection``).

Only what a registry record holds is written: identity, status, sponsor, oversight,
description, conditions, design, arms and interventions, eligibility and contacts. Parts,
schedule, gates, randomization, forms and roles are the protocol's own business.
"""

from __future__ import annotations

import json
from typing import Any

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.identity import Contact, Identity, Site, Status
from trialkit.interop.ctgov.eligibility_text import format_criteria, is_structured
from trialkit.interop.ctgov.errors import RecordError
from trialkit.interop.ctgov.schema import study_errors
from trialkit.interop.ctgov.skeleton import CTGOV
from trialkit.interop.ctgov.skeleton_design import TYPE_LABELS

_SECONDARY_ID_TYPES = {"NIH", "FDA", "VA", "CDC", "AHRQ", "SAMHSA", "OTHER_GRANT",
                       "EUDRACT_NUMBER", "REGISTRY", "OTHER"}
# API v2 has no primary/backup site contact; both are plain contacts there.
_API_CONTACT_ROLE = {"PRIMARY": "CONTACT", "BACKUP": "CONTACT"}


def study_record(protocol: Protocol) -> dict[str, Any]:
    """The API v2 study record of ``protocol``; raises RecordError if it breaks the schema."""
    p = protocol
    section = {
        "identificationModule": _identification(p.identity),
        "statusModule": _status(p.status),
        "sponsorCollaboratorsModule": _sponsors(p.identity),
        "oversightModule": _compact({"oversightHasDmc": p.status.has_data_monitoring_committee}),
        "descriptionModule": _compact({"briefSummary": p.identity.brief_summary,
                                       "detailedDescription": p.identity.detailed_description}),
        "conditionsModule": _compact({"conditions": list(p.identity.conditions),
                                      "keywords": list(p.identity.keywords)}),
        "designModule": _design(p),
        "armsInterventionsModule": _arms_interventions(p),
        "eligibilityModule": _eligibility(p),
        "contactsLocationsModule": _contacts_locations(p.identity),
    }
    record = {"protocolSection": _compact(section), "hasResults": p.status.results_posted}
    errors = study_errors(record, closed=True)
    if errors:
        raise RecordError("the exported record breaks the registry's Study schema: "
                          + "; ".join(errors))
    return record


def study_json(protocol: Protocol) -> str:
    return json.dumps(study_record(protocol), indent=2, ensure_ascii=False)


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in (None, "", [], {})}


def _identification(identity: Identity) -> dict[str, Any]:
    nct = next((r.id for r in identity.registry_ids if r.registry.lower() == CTGOV.lower()), None)
    secondary = [_secondary_id(r.registry, r.id) for r in identity.registry_ids
                 if r.registry.lower() != CTGOV.lower()]
    return _compact({
        "nctId": nct,
        "orgStudyIdInfo": {"id": identity.org_study_id},
        "secondaryIdInfos": secondary,
        "briefTitle": identity.brief_title,
        "officialTitle": identity.official_title,
        "acronym": identity.acronym,
        "organization": {"fullName": identity.sponsor.name, "class": identity.sponsor.kind},
    })


def _secondary_id(registry: str, ident: str) -> dict[str, str]:
    if registry in _SECONDARY_ID_TYPES:
        return {"id": ident, "type": registry}
    return {"id": ident, "type": "OTHER", "domain": registry}


def _status(status: Status) -> dict[str, Any]:
    def milestone(m: Any) -> dict[str, Any] | None:
        return None if m is None else {"date": m.date.isoformat(), "type": m.type}

    updated = status.last_update
    return _compact({
        "overallStatus": status.overall,
        "startDateStruct": milestone(status.start),
        "primaryCompletionDateStruct": milestone(status.primary_completion),
        "completionDateStruct": milestone(status.completion),
        "lastUpdatePostDateStruct": (None if updated is None
                                     else {"date": updated.isoformat(), "type": "ACTUAL"}),
    })


def _sponsors(identity: Identity) -> dict[str, Any]:
    return _compact({
        "responsibleParty": {"type": identity.responsible_party},
        "leadSponsor": {"name": identity.sponsor.name, "class": identity.sponsor.kind},
        "collaborators": [{"name": c.name, "class": c.kind} for c in identity.collaborators],
    })


def _design(p: Protocol) -> dict[str, Any]:
    d = p.design
    masking = _compact({"masking": d.masking.level, "whoMasked": list(d.masking.who_masked),
                        "maskingDescription": d.masking.description})
    return _compact({
        "studyType": d.study_type,
        "phases": list(d.phases),
        "designInfo": _compact({"allocation": d.allocation,
                                "interventionModel": d.intervention_model,
                                "primaryPurpose": d.primary_purpose, "maskingInfo": masking}),
        "enrollmentInfo": {"count": d.enrolment.count, "type": d.enrolment.type},
    })


def _arms_interventions(p: Protocol) -> dict[str, Any]:
    interventions = {i.id: i for i in p.design.interventions}

    def display(ident: str) -> str:
        item = interventions[ident]
        return f"{TYPE_LABELS[item.type]}: {item.name}"

    arms = [_compact({"label": a.label, "type": a.type, "description": a.description,
                      "interventionNames": [display(i) for i in a.interventions]})
            for a in p.design.arms]
    given = [_compact({
        "type": i.type, "name": i.name, "description": i.description,
        "armGroupLabels": [a.label for a in p.design.arms if i.id in a.interventions],
        "otherNames": list(i.other_names)}) for i in p.design.interventions]
    return _compact({"armGroups": arms, "interventions": given})


def _eligibility(p: Protocol) -> dict[str, Any]:
    e = p.eligibility
    # AGE/SEX criteria derived on import go back as the structured fields, not as prose.
    texts = [c for c in e.criteria if not is_structured(c.id, c.text)]
    return _compact({
        "eligibilityCriteria": format_criteria([c.text for c in texts if c.kind == "inclusion"],
                                               [c.text for c in texts if c.kind == "exclusion"]),
        "healthyVolunteers": e.healthy_volunteers,
        "sex": e.sex,
        "minimumAge": _age(e.minimum_age_years),
        "maximumAge": _age(e.maximum_age_years),
        "stdAges": standard_ages(e.minimum_age_years, e.maximum_age_years),
    })


def _age(years: int | None) -> str | None:
    return None if years is None else f"{years} {'Year' if years == 1 else 'Years'}"


def standard_ages(minimum: int | None, maximum: int | None) -> list[str]:
    """The registry's age groups the range touches: CHILD <18, ADULT 18-64, OLDER_ADULT 65+."""
    low, high = minimum if minimum is not None else 0, maximum
    groups = [("CHILD", 0, 17), ("ADULT", 18, 64), ("OLDER_ADULT", 65, None)]
    return [name for name, start, end in groups
            if (end is None or low <= end) and (high is None or high >= start)]


def _contact(contact: Contact) -> dict[str, Any]:
    return _compact({"name": contact.name,
                     "role": _API_CONTACT_ROLE.get(contact.role, contact.role),
                     "phone": contact.phone, "phoneExt": contact.phone_ext,
                     "email": contact.email})


def _location(site: Site) -> dict[str, Any]:
    return _compact({"facility": site.name, "status": site.status, "city": site.city,
                     "state": site.state, "zip": site.zip, "country": site.country,
                     "contacts": [_contact(c) for c in site.contacts]})


def _contacts_locations(identity: Identity) -> dict[str, Any]:
    return _compact({
        "centralContacts": [_contact(c) for c in identity.central_contacts],
        "overallOfficials": [_compact({"name": o.name, "affiliation": o.affiliation,
                                       "role": o.role}) for o in identity.officials],
        "locations": [_location(s) for s in identity.sites],
    })
