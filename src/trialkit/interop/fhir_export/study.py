"""The ResearchStudy of a protocol, with its eligibility Group, sponsor and sites.

R4 models the eligibility criteria as the Group ``ResearchStudy.enrollment`` points to
("Inclusion & exclusion criteria"): one characteristic per criterion, its verbatim text in
``code.text`` and its protocol id as a coding, ``valueBoolean`` true and ``exclude`` true for an
exclusion (the Group is who the study *would* enrol: ``actual`` false, ``quantity`` the
enrolment target). The age range and a sex restriction are characteristics too, coded so a
hospital system can pre-filter on them without reading the text.

The arms are the registry's arms (public information); a crossover part adds its sequences,
which is what a participant is assigned to. No allocation appears here.
"""

from __future__ import annotations

import datetime as dt

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.identity import Site
from trialkit.interop.fhir_export._common import (
    CRITERION,
    PHASE_SYSTEM,
    PURPOSE_SYSTEM,
    Resource,
    collection,
    entry,
    fhir_id,
    full_url,
    reference,
)

STUDY_STATUS = {
    "NOT_YET_RECRUITING": "approved", "RECRUITING": "active",
    "ENROLLING_BY_INVITATION": "active", "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "SUSPENDED": "temporarily-closed-to-accrual", "TERMINATED": "administratively-completed",
    "COMPLETED": "completed", "WITHDRAWN": "withdrawn",
    "UNKNOWN": "active",  # the registry's "status not verified": last known as running
}
"""Registry overall status → R4 ResearchStudy.status (research-study-status)."""
_PHASE = {"EARLY_PHASE1": "early-phase-1", "PHASE1": "phase-1", "PHASE2": "phase-2",
          "PHASE3": "phase-3", "PHASE4": "phase-4", "NA": "n-a"}
_PURPOSES = {"TREATMENT", "PREVENTION", "DIAGNOSTIC", "SUPPORTIVE_CARE", "SCREENING",
             "HEALTH_SERVICES_RESEARCH", "BASIC_SCIENCE", "DEVICE_FEASIBILITY"}
_REGISTRY_SYSTEM = {"clinicaltrials.gov": "https://clinicaltrials.gov",
                    "eudract": "https://eudract.ema.europa.eu",
                    "isrctn": "https://www.isrctn.com", "who ictrp": "https://trialsearch.who.int"}
_GENDER = {"FEMALE": "female", "MALE": "male"}
_AGE_UNIT = {"system": "http://unitsofmeasure.org", "code": "a", "unit": "years"}


def study_url(protocol: Protocol) -> str:
    return full_url(protocol.identity.id, "ResearchStudy")


def study_bundle(protocol: Protocol, timestamp: str | None = None) -> Resource:
    """The ``collection`` Bundle: ResearchStudy, eligibility Group, sponsor, sites."""
    key = protocol.identity.id
    entries = [entry(study_url(protocol), research_study(protocol)),
               entry(full_url(key, "Group", "eligibility"), eligibility_group(protocol)),
               entry(full_url(key, "Organization", "sponsor"), _sponsor(protocol))]
    entries += [entry(full_url(key, "Location", site.id), _location(site))
                for site in protocol.identity.sites]
    return collection(f"{key}-study", timestamp, entries)


def research_study(protocol: Protocol) -> Resource:
    ident, design, key = protocol.identity, protocol.design, protocol.identity.id
    study: Resource = {
        "resourceType": "ResearchStudy", "id": fhir_id(key),
        "identifier": _identifiers(protocol),
        "title": ident.official_title or ident.brief_title,
        "status": STUDY_STATUS[protocol.status.overall],
        "phase": phase(design.phases),
        "condition": [{"text": c} for c in ident.conditions],
        "keyword": [{"text": k} for k in ident.keywords],
        "description": ident.brief_summary,
        "enrollment": [reference(full_url(key, "Group", "eligibility"), "Eligibility")],
        "period": _period(protocol),
        "sponsor": reference(full_url(key, "Organization", "sponsor"), ident.sponsor.name),
        "site": [reference(full_url(key, "Location", s.id), s.name) for s in ident.sites],
        "arm": arms(protocol),
    }
    if design.primary_purpose in _PURPOSES:
        code = design.primary_purpose.lower().replace("_", "-")
        study["primaryPurposeType"] = {"coding": [{"system": PURPOSE_SYSTEM, "code": code}]}
    return {k: v for k, v in study.items() if v not in ([], None)}


_IDENTITY = ("resourceType", "id", "identifier", "title", "status", "phase", "condition",
             "period")
"""What the subjects Bundle repeats of the study: who it is, not how it is designed."""


def study_identity(protocol: Protocol, *, with_arms: bool) -> Resource:
    """The ResearchStudy the subjects Bundle carries: its identity, and the arms (which a
    subject's ``assignedArm`` names) only for a reader given them. A blinded reader learns no
    fact about the arms, not even the public ones (docs/security.md)."""
    full = research_study(protocol)
    study = {k: v for k, v in full.items() if k in _IDENTITY}
    if with_arms:
        study["arm"] = full["arm"]
    return study


def phase(phases: tuple[str, ...]) -> Resource:
    """The registry's phases as one research-study-phase code (PHASE1+PHASE2 → phase-1-phase-2)."""
    codes = [_PHASE[p] for p in phases if p in _PHASE] or ["n-a"]
    code = codes[0] if len(codes) == 1 else f"{codes[0]}-{codes[-1]}"
    if code not in {*_PHASE.values(), "phase-1-phase-2", "phase-2-phase-3"}:
        code = codes[-1]  # no combined code for this pair: the later phase
    return {"coding": [{"system": PHASE_SYSTEM, "code": code}], "text": " / ".join(phases)}


def arms(protocol: Protocol) -> list[Resource]:
    """ResearchStudy.arm: the protocol's arms, then each crossover sequence."""
    out: list[Resource] = [
        {"name": arm.label, "type": {"text": arm.type.replace("_", " ").lower()},
         "description": arm.description} for arm in protocol.design.arms]
    for part in protocol.design.parts:
        for sequence in part.sequences:
            order = ", then ".join(protocol.arm(a).label for a in sequence.arms)
            out.append({"name": sequence.label, "type": {"text": "crossover sequence"},
                        "description": f"{part.name}: {order}"})
    return out


def eligibility_group(protocol: Protocol) -> Resource:
    rules = protocol.eligibility
    characteristics: list[Resource] = []
    if rules.minimum_age_years is not None or rules.maximum_age_years is not None:
        age: Resource = {}
        for bound, value in (("low", rules.minimum_age_years), ("high", rules.maximum_age_years)):
            if value is not None:
                age[bound] = {"value": value, **_AGE_UNIT}
        characteristics.append({"code": {"text": "Age (years)", "coding": [
            {"system": "http://loinc.org", "code": "30525-0", "display": "Age"}]},
            "valueRange": age, "exclude": False})
    if rules.sex in _GENDER:
        characteristics.append({"code": {"text": "Sex"}, "exclude": False, "valueCodeableConcept": {
            "coding": [{"system": "http://hl7.org/fhir/administrative-gender",
                        "code": _GENDER[rules.sex]}]}})
    for criterion in rules.criteria:
        characteristics.append({
            "code": {"coding": [{"system": CRITERION, "code": criterion.id}],
                     "text": criterion.text},
            "valueBoolean": True, "exclude": criterion.kind == "exclusion"})
    return {"resourceType": "Group", "id": fhir_id(f"{protocol.identity.id}-eligibility"),
            "type": "person", "actual": False, "name": "Eligibility criteria",
            "quantity": protocol.design.enrolment.count, "characteristic": characteristics}


def _identifiers(protocol: Protocol) -> list[Resource]:
    ident = protocol.identity
    out = [{"use": "official", "system": _REGISTRY_SYSTEM.get(r.registry.lower(),
                                                              f"urn:registry:{fhir_id(r.registry)}"),
            "value": r.id, "assigner": {"display": r.registry}} for r in ident.registry_ids]
    out.append({"use": "secondary", "value": ident.org_study_id,
                "assigner": {"display": ident.sponsor.name}})
    return out


def _period(protocol: Protocol) -> Resource:
    status = protocol.status
    period = {"start": _day(status.start.date)}
    if status.completion.type == "ACTUAL":
        period["end"] = _day(status.completion.date)
    return period


def _sponsor(protocol: Protocol) -> Resource:
    sponsor = protocol.identity.sponsor
    return {"resourceType": "Organization", "id": fhir_id(f"{protocol.identity.id}-sponsor"),
            "active": True, "name": sponsor.name}


def _location(site: Site) -> Resource:
    address = {"city": site.city, "state": site.state, "postalCode": site.zip,
               "country": site.country}
    return {"resourceType": "Location", "id": fhir_id(f"site-{site.id}"), "name": site.name,
            "status": "active" if site.status in ("RECRUITING", "ENROLLING_BY_INVITATION",
                                                  "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING")
            else "inactive",
            "address": {k: v for k, v in address.items() if v}}


def _day(day: dt.date) -> str:
    return day.isoformat()
