"""Classic ClinicalTrials.gov XML (``<clinical_study>``) read into the API v2 record shape.

The classic format spells values for display ("Phase 1/Phase 2", "Parallel Assignment",
"Double (Participant, Investigator)") and hard-wraps its text blocks. Translating it into the
API v2 shape once lets a single skeleton builder serve both formats, and lets tests validate the
translation against the registry's own API v2 schema.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

from trialkit.interop.ctgov.eligibility_text import unwrap
from trialkit.interop.ctgov.errors import RecordError

_PHASES = {"Early Phase 1": ["EARLY_PHASE1"], "Phase 1": ["PHASE1"], "Phase 2": ["PHASE2"],
           "Phase 3": ["PHASE3"], "Phase 4": ["PHASE4"], "N/A": ["NA"],
           "Phase 1/Phase 2": ["PHASE1", "PHASE2"], "Phase 2/Phase 3": ["PHASE2", "PHASE3"]}
_SPECIAL = {"Unknown status": "UNKNOWN", "U.S. Fed": "FED", "Non-Randomized": "NON_RANDOMIZED",
            "N/A": "NA", "Educational/Counseling/Training": "ECT", "Anticipated": "ESTIMATED",
            "Estimate": "ESTIMATED", "Sub-Investigator": "SUB_INVESTIGATOR",
            "Sponsor-Investigator": "SPONSOR_INVESTIGATOR",
            "Observational [Patient Registry]": "OBSERVATIONAL"}
_MASKING = re.compile(r"^(?P<level>\w+)(?:\s*\((?P<who>[^)]*)\))?")
_DATE_FORMATS = (("%B %d, %Y", 3), ("%B %Y", 2), ("%Y", 1))


def study_from_xml(text: str) -> dict[str, Any]:
    """The API v2 ``{"protocolSection": ...}`` record equivalent to a classic XML record."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RecordError(f"not well-formed XML: {exc}") from None
    if root.tag != "clinical_study":
        raise RecordError(f"an XML registry record has root <clinical_study>, not <{root.tag}>")
    modules = {
        "identificationModule": _identification(root),
        "statusModule": _status(root),
        "sponsorCollaboratorsModule": _sponsors(root),
        "oversightModule": _drop_empty(
            {"oversightHasDmc": _yes_no(root, "oversight_info/has_dmc")}),
        "descriptionModule": _drop_empty({
            "briefSummary": _block(root, "brief_summary"),
            "detailedDescription": _block(root, "detailed_description")}),
        "conditionsModule": _drop_empty({"conditions": _texts(root, "condition"),
                                         "keywords": _texts(root, "keyword")}),
        "designModule": _design(root),
        "armsInterventionsModule": _arms_interventions(root),
        "eligibilityModule": _eligibility(root),
        "contactsLocationsModule": _contacts_locations(root),
    }
    study: dict[str, Any] = {"protocolSection": _drop_empty(modules)}
    if root.find("clinical_results") is not None:
        study["hasResults"] = True
    return study


def _drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in (None, "", [], {})}


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _texts(node: ET.Element, path: str) -> list[str]:
    return [el.text.strip() for el in node.findall(path) if el.text and el.text.strip()]


def _block(node: ET.Element, path: str) -> str | None:
    found = node.find(f"{path}/textblock")
    if found is None or found.text is None or not found.text.strip():
        return None
    # Unwrap before stripping: the first line's indentation is part of the common margin.
    return unwrap(found.text.strip("\n")) or None


def _enum(value: str | None) -> str | None:
    """Display spelling to API v2 enum: "Active, not recruiting" -> ACTIVE_NOT_RECRUITING."""
    if value is None:
        return None
    if value in _SPECIAL:
        return _SPECIAL[value]
    return re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper()


def _yes_no(node: ET.Element, path: str) -> bool | None:
    value = _text(node, path)
    return None if value is None else value.lower() in ("yes", "accepts healthy volunteers")


def _date(node: ET.Element, path: str) -> dict[str, Any] | None:
    element = node.find(path)
    value = _text(node, path)
    if element is None or value is None:
        return None
    struct: dict[str, Any] = {"date": _iso_date(value, path)}
    if element.get("type"):
        struct["type"] = _enum(element.get("type"))
    return struct


def _iso_date(value: str, path: str) -> str:
    """ "March 30, 2018" -> 2018-03-30, "March 2018" -> 2018-03 (API v2 partial dates)."""
    for fmt, parts in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return parsed.isoformat()[: {3: 10, 2: 7, 1: 4}[parts]]
    raise RecordError(f"<{path}>: cannot read the date '{value}'")


def _identification(root: ET.Element) -> dict[str, Any]:
    secondary = [{"id": sid, "type": "OTHER"} for sid in _texts(root, "id_info/secondary_id")]
    org_id = _text(root, "id_info/org_study_id")
    sponsor = _text(root, "sponsors/lead_sponsor/agency")
    sponsor_class = _enum(_text(root, "sponsors/lead_sponsor/agency_class"))
    return _drop_empty({
        "nctId": _text(root, "id_info/nct_id"),
        "orgStudyIdInfo": {"id": org_id} if org_id else None,
        "secondaryIdInfos": secondary,
        "briefTitle": _text(root, "brief_title"),
        "officialTitle": _text(root, "official_title"),
        "acronym": _text(root, "acronym"),
        "organization": _drop_empty({"fullName": sponsor, "class": sponsor_class}),
    })


def _status(root: ET.Element) -> dict[str, Any]:
    verified = _text(root, "verification_date")
    return _drop_empty({
        "statusVerifiedDate": _iso_date(verified, "verification_date") if verified else None,
        "overallStatus": _enum(_text(root, "overall_status")),
        "lastKnownStatus": _enum(_text(root, "last_known_status")),
        "whyStopped": _text(root, "why_stopped"),
        "startDateStruct": _date(root, "start_date"),
        "primaryCompletionDateStruct": _date(root, "primary_completion_date"),
        "completionDateStruct": _date(root, "completion_date"),
        "lastUpdatePostDateStruct": _date(root, "last_update_posted"),
    })


def _sponsors(root: ET.Element) -> dict[str, Any]:
    def agency(node: ET.Element) -> dict[str, Any]:
        return _drop_empty({"name": _text(node, "agency"),
                            "class": _enum(_text(node, "agency_class"))})

    lead = root.find("sponsors/lead_sponsor")
    party = root.find("responsible_party")
    return _drop_empty({
        "responsibleParty": _drop_empty({
            "type": _enum(_text(party, "responsible_party_type")),
            "investigatorFullName": _text(party, "investigator_full_name"),
            "investigatorTitle": _text(party, "investigator_title"),
            "investigatorAffiliation": _text(party, "investigator_affiliation"),
        }) if party is not None else None,
        "leadSponsor": agency(lead) if lead is not None else None,
        "collaborators": [agency(c) for c in root.findall("sponsors/collaborator")],
    })


def _design(root: ET.Element) -> dict[str, Any]:
    info = root.find("study_design_info")
    design_info: dict[str, Any] = {}
    if info is not None:
        design_info = _drop_empty({
            "allocation": _enum(_text(info, "allocation")),
            "interventionModel": _enum(_assignment(_text(info, "intervention_model"))),
            "primaryPurpose": _enum(_text(info, "primary_purpose")),
            "maskingInfo": _masking(_text(info, "masking"), _text(info, "masking_description")),
        })
    enrollment = root.find("enrollment")
    count = _text(root, "enrollment")
    phase = _text(root, "phase")
    return _drop_empty({
        "studyType": _enum(_text(root, "study_type")),
        "phases": _PHASES.get(phase, [_enum(phase)]) if phase else None,
        "designInfo": design_info,
        "enrollmentInfo": _drop_empty({
            "count": int(count) if count and count.isdigit() else None,
            "type": _enum(enrollment.get("type")) if enrollment is not None else None}),
    })


def _assignment(value: str | None) -> str | None:
    return value.removesuffix(" Assignment") if value else None


def _masking(value: str | None, description: str | None) -> dict[str, Any] | None:
    """ "Double (Participant, Investigator)" -> DOUBLE with PARTICIPANT and INVESTIGATOR."""
    if value is None:
        return None
    match = _MASKING.match(value)
    if match is None:
        raise RecordError(f"<masking>: cannot read '{value}'")
    who = [_enum(w.strip()) for w in (match["who"] or "").split(",") if w.strip()]
    level = "NONE" if match["level"] == "None" else _enum(match["level"])
    return _drop_empty({"masking": level, "whoMasked": who if level != "NONE" else [],
                        "maskingDescription": description})


def _arms_interventions(root: ET.Element) -> dict[str, Any]:
    arms = [_drop_empty({
        "label": _text(arm, "arm_group_label"),
        "type": _enum(_text(arm, "arm_group_type")),
        "description": _text(arm, "description"),
    }) for arm in root.findall("arm_group")]
    interventions = [_drop_empty({
        "type": _enum(_text(node, "intervention_type")),
        "name": _text(node, "intervention_name"),
        "description": _text(node, "description"),
        "armGroupLabels": _texts(node, "arm_group_label"),
        "otherNames": _texts(node, "other_name"),
    }) for node in root.findall("intervention")]
    return _drop_empty({"armGroups": arms, "interventions": interventions})


def _eligibility(root: ET.Element) -> dict[str, Any]:
    node = root.find("eligibility")
    if node is None:
        return {}

    def age(path: str) -> str | None:
        value = _text(node, path)
        return None if value in (None, "N/A") else value

    return _drop_empty({
        "eligibilityCriteria": _block(node, "criteria"),
        "healthyVolunteers": _yes_no(node, "healthy_volunteers"),
        "sex": _enum(_text(node, "gender")),
        "minimumAge": age("minimum_age"),
        "maximumAge": age("maximum_age"),
    })


def _person(node: ET.Element) -> str | None:
    name = " ".join(_texts(node, "first_name") + _texts(node, "middle_name")
                    + _texts(node, "last_name"))
    degrees = _text(node, "degrees")
    return (f"{name}, {degrees}" if degrees else name) or None


def _contact(node: ET.Element, role: str) -> dict[str, Any]:
    return _drop_empty({"name": _person(node), "role": role, "phone": _text(node, "phone"),
                        "phoneExt": _text(node, "phone_ext"), "email": _text(node, "email")})


def _contacts_locations(root: ET.Element) -> dict[str, Any]:
    central = [_contact(node, "CONTACT")
               for node in root.findall("overall_contact") + root.findall("overall_contact_backup")]
    officials = [_drop_empty({"name": _person(node), "affiliation": _text(node, "affiliation"),
                              "role": _enum(_text(node, "role"))})
                 for node in root.findall("overall_official")]
    return _drop_empty({"centralContacts": central, "overallOfficials": officials,
                        "locations": [_location(node) for node in root.findall("location")]})


def _location(node: ET.Element) -> dict[str, Any]:
    # API v2 has no primary/backup distinction; both classic contacts become CONTACT.
    contacts = [_contact(c, "CONTACT")
                for c in node.findall("contact") + node.findall("contact_backup")]
    contacts += [_drop_empty({"name": _person(inv),
                              "role": _enum(_text(inv, "role")) or "PRINCIPAL_INVESTIGATOR"})
                 for inv in node.findall("investigator")]
    return _drop_empty({
        "facility": _text(node, "facility/name"),
        "status": _enum(_text(node, "status")),
        "city": _text(node, "facility/address/city"),
        "state": _text(node, "facility/address/state"),
        "zip": _text(node, "facility/address/zip"),
        "country": _text(node, "facility/address/country"),
        "contacts": contacts,
    })
