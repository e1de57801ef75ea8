"""An API v2 study record made into a protocol skeleton that ``load_protocol`` accepts.

The registry states who, what and whom; a protocol also needs how (schedule, roles, parts,
randomization). Each value the importer had to supply is written where the model expects it
and listed under ``interpretations`` (kind ``assumption``, id ``import-...``), so a reviewer
can find every default in one place. Keys follow the model's order; the output is block YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from trialkit.core.protocol import ProtocolError, parse_protocol
from trialkit.interop.ctgov import skeleton_defaults
from trialkit.interop.ctgov._record import Notes, Record, partial_date
from trialkit.interop.ctgov.errors import RecordError
from trialkit.interop.ctgov.skeleton_design import design, randomization
from trialkit.interop.ctgov.skeleton_eligibility import eligibility
from trialkit.interop.ctgov.skeleton_people import central_contacts, officials, sites

REQUIRED = [
    "identificationModule.nctId", "identificationModule.briefTitle",
    "statusModule.overallStatus", "statusModule.startDateStruct.date",
    "statusModule.completionDateStruct.date", "sponsorCollaboratorsModule.leadSponsor.name",
    "designModule.studyType", "designModule.enrollmentInfo.count",
]
_MODEL_STATUSES = {"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION",
                   "ACTIVE_NOT_RECRUITING", "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN",
                   "UNKNOWN"}
CTGOV = "ClinicalTrials.gov"


def skeleton_from_study(study: Mapping[str, Any]) -> dict[str, Any]:
    """Plain protocol data (dicts and lists, keys in model order) for one study record."""
    record = Record(study)
    missing = record.missing(REQUIRED)
    if missing:
        raise RecordError("the record lacks required field(s): " + ", ".join(missing))
    count = record.get("designModule.enrollmentInfo.count")
    if not isinstance(count, int) or count < 1:
        raise RecordError("protocolSection.designModule.enrollmentInfo.count is "
                          f"{count!r}; a protocol needs a positive enrolment")
    notes = Notes()
    data: dict[str, Any] = {"format": "trialkit-protocol/2", "identity": _identity(record, notes),
                            "status": _status(record, notes), "design": design(record, notes)}
    chosen = randomization(data["design"], notes)
    if chosen is not None:
        data["randomization"] = chosen
    periods = [p["id"] for part in data["design"]["parts"] for p in part.get("periods", [])]
    data["schedule"] = skeleton_defaults.schedule(notes, periods)
    data["eligibility"] = eligibility(record, notes)
    data["roles"] = skeleton_defaults.roles(
        randomized=chosen is not None,
        open_label=data["design"]["masking"]["level"] == "NONE", notes=notes)
    data["interpretations"] = notes.items
    return data


def _identity(record: Record, notes: Notes) -> dict[str, Any]:
    nct = record.text("identificationModule.nctId") or ""
    out: dict[str, Any] = {"id": nct, "registry_ids": _registry_ids(record, nct)}
    org_id = record.text("identificationModule.orgStudyIdInfo.id")
    if org_id is None:
        org_id = nct
        notes.assume("import-org-study-id", "The sponsor's study id is the NCT number.",
                     ["identity.org_study_id"])
    out["org_study_id"] = org_id
    out["brief_title"] = record.text("identificationModule.briefTitle")
    for key, path in (("official_title", "officialTitle"), ("acronym", "acronym")):
        if record.text(f"identificationModule.{path}"):
            out[key] = record.text(f"identificationModule.{path}")
    out["sponsor"] = _organisation(record.get("sponsorCollaboratorsModule.leadSponsor"))
    collaborators = [_organisation(c) for c in record.items("sponsorCollaboratorsModule"
                                                            ".collaborators") if c.get("name")]
    if collaborators:
        out["collaborators"] = collaborators
    out["responsible_party"] = _responsible_party(record, notes)
    out["conditions"] = [c for c in record.items("conditionsModule.conditions") if c.strip()]
    keywords = [k for k in record.items("conditionsModule.keywords") if k.strip()]
    if keywords:
        out["keywords"] = keywords
    out.update(_description(record, notes))
    out["sites"] = sites(record, notes)
    out["central_contacts"] = central_contacts(record, notes)
    out["officials"] = officials(record)
    return {k: v for k, v in out.items() if v != [] or k in ("conditions", "sites")}


def _registry_ids(record: Record, nct: str) -> list[dict[str, str]]:
    ids = [{"registry": CTGOV, "id": nct}]
    for info in record.items("identificationModule.secondaryIdInfos"):
        if isinstance(info, Mapping) and info.get("id"):
            # The domain names the issuing registry ("EU CTR", "WHO"); else only the type does.
            ids.append({"registry": info.get("domain") or info.get("type") or "OTHER",
                        "id": info["id"]})
    return ids


def _organisation(raw: Any) -> dict[str, Any]:
    return {"name": raw["name"].strip(), "kind": raw.get("class") or "UNKNOWN"}


def _responsible_party(record: Record, notes: Notes) -> str:
    kind = record.text("sponsorCollaboratorsModule.responsibleParty.type")
    if kind is None:
        notes.assume("import-responsible-party", "The sponsor is the responsible party.",
                     ["identity.responsible_party"])
        return "SPONSOR"
    return kind


def _description(record: Record, notes: Notes) -> dict[str, Any]:
    summary = record.text("descriptionModule.briefSummary")
    out: dict[str, Any] = {"brief_summary": summary or "Not given in the registry record."}
    if summary is None:
        notes.assume("import-brief-summary", "The record has no brief summary.",
                     ["identity.brief_summary"])
    detailed = record.text("descriptionModule.detailedDescription")
    if detailed:
        out["detailed_description"] = detailed
    return out


def _status(record: Record, notes: Notes) -> dict[str, Any]:
    overall = record.text("statusModule.overallStatus")
    if overall not in _MODEL_STATUSES:
        raise RecordError(f"protocolSection.statusModule.overallStatus is {overall}, an "
                          "expanded-access or withheld status a trial protocol cannot hold")
    last_update = record.text("statusModule.lastUpdatePostDateStruct.date")
    updated = partial_date(last_update, "lastUpdatePostDateStruct.date")[0] if last_update \
        else None
    out: dict[str, Any] = {"overall": overall,
                           "start": _milestone(record, "start", "start", updated, notes)}
    if record.get("statusModule.primaryCompletionDateStruct.date"):
        out["primary_completion"] = _milestone(record, "primaryCompletion",
                                               "primary_completion", updated, notes)
    out["completion"] = _milestone(record, "completion", "completion", updated, notes)
    if updated is not None:
        out["last_update"] = updated
    out["results_posted"] = record.study.get("hasResults") is True
    dmc = record.get("oversightModule.oversightHasDmc")
    if isinstance(dmc, bool):
        out["has_data_monitoring_committee"] = dmc
    return out


def _milestone(record: Record, name: str, key: str, updated: Any,
               notes: Notes) -> dict[str, Any]:
    where = f"protocolSection.statusModule.{name}DateStruct"
    raw = record.text(f"statusModule.{name}DateStruct.date") or ""
    date, full = partial_date(raw, f"{where}.date")
    kind = record.text(f"statusModule.{name}DateStruct.type")
    if not full:
        notes.read(f"import-{key.replace('_', '-')}-date",
                   f"The record gives the {key.replace('_', ' ')} date only as {raw}; "
                   f"taken as {date.isoformat()}.",
                   "The protocol model holds whole dates.", [f"status.{key}.date"])
    if kind is None:
        kind = "ACTUAL" if updated is not None and date <= updated else "ESTIMATED"
        notes.read(f"import-{key.replace('_', '-')}-type",
                   f"The {key.replace('_', ' ')} date {raw} is {kind.lower()}.",
                   "The record does not say; a date after the last update is an estimate.",
                   [f"status.{key}.type"])
    return {"date": date, "type": kind}


class _Dumper(yaml.SafeDumper):
    """Block YAML; multi-line text as literal blocks so criteria read as written."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def skeleton_yaml(study: Mapping[str, Any], *, source: str = "the record") -> str:
    """The skeleton as YAML text, checked to load as a protocol before it is returned."""
    data = skeleton_from_study(study)
    nct = data["identity"]["id"]
    header = (f"# Protocol skeleton imported from the {CTGOV} record {nct} ({source}).\n"
              "# Every interpretation with an id starting 'import-' is a default or reading the\n"
              "# importer made; review each one, and write a rule for every criterion.\n")
    text = header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              default_flow_style=False, width=100)
    try:
        parse_protocol(text, source=f"skeleton of {nct}")
    except ProtocolError as exc:
        raise RecordError("the record cannot be held by the protocol model:\n"
                          + exc.render()) from None
    return text

