"""Sites, contacts and officials of a skeleton, from the record's contactsLocationsModule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialkit.interop.ctgov._record import Notes, Record, slug
from trialkit.interop.ctgov.site_zones import zone_of_country

_SITE_STATUSES = {"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION",
                  "ACTIVE_NOT_RECRUITING", "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN"}
# The model's contact roles; the registry also allows STUDY_CHAIR/STUDY_DIRECTOR here.
_CONTACT_ROLES = {"CONTACT", "PRIMARY", "BACKUP", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR"}


def sites(record: Record, notes: Notes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    taken: set[str] = set()
    unnamed, defaulted, zoneless, skipped = [], [], [], 0
    fallback = _fallback_status(record)
    for raw in record.items("contactsLocationsModule.locations"):
        city, country = _clean(raw.get("city")), _clean(raw.get("country"))
        if city is None or country is None:
            skipped += 1
            continue
        name = _clean(raw.get("facility")) or f"Site in {city}"
        site: dict[str, Any] = {"id": slug(name, prefix="site", taken=taken), "name": name,
                                "city": city}
        for key in ("state", "zip"):
            if _clean(raw.get(key)):
                site[key] = _clean(raw.get(key))
        site["country"] = country
        zone = zone_of_country(country)
        if zone is None:
            zoneless.append(site["id"])
        else:
            site["time_zone"] = zone
        site["status"] = raw.get("status") if raw.get("status") in _SITE_STATUSES else fallback
        contacts = _contacts(raw.get("contacts"), notes, f"identity.sites[{site['id']}]")
        if contacts:
            site["contacts"] = contacts
        if not _clean(raw.get("facility")):
            unnamed.append(site["id"])
        if raw.get("status") not in _SITE_STATUSES:
            defaulted.append(site["id"])
        out.append(site)
    _note_sites(unnamed, defaulted, skipped, fallback, notes)
    if zoneless:
        notes.assume("import-site-zones",
                     f"{len(zoneless)} locations are in a country with several time zones (or "
                     "one trialkit does not know): each keeps UTC until its zone is named.",
                     [f"identity.sites[{s}].time_zone" for s in zoneless])
    return out


def _clean(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _fallback_status(record: Record) -> str:
    """A location without its own status takes the study's (or its last known) status."""
    for path in ("statusModule.overallStatus", "statusModule.lastKnownStatus"):
        status = record.text(path)
        if status in _SITE_STATUSES:
            return status
    return "ACTIVE_NOT_RECRUITING"


def _note_sites(unnamed: list[str], defaulted: list[str], skipped: int, fallback: str,
                notes: Notes) -> None:
    if unnamed:
        notes.assume("import-site-names",
                     f"{len(unnamed)} locations name no facility; each is named after its city.",
                     [f"identity.sites[{s}].name" for s in unnamed])
    if defaulted:
        notes.assume("import-site-status",
                     f"{len(defaulted)} locations give no recruitment status; each takes "
                     f"{fallback} from the study.",
                     [f"identity.sites[{s}].status" for s in defaulted])
    if skipped:
        notes.assume("import-sites-skipped",
                     f"{skipped} locations without a city or country were left out.",
                     ["identity.sites"])


def _contacts(raw: Any, notes: Notes, where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for contact in raw if isinstance(raw, list) else []:
        if not isinstance(contact, Mapping) or not _clean(contact.get("name")):
            continue  # a contact without a name cannot be addressed; the model requires one
        role = contact.get("role") or "CONTACT"
        if role not in _CONTACT_ROLES:
            notes.assume(f"import-contact-role-{len(notes.items)}",
                         f"Contact '{contact['name']}' has the registry role {role}, which a "
                         "protocol contact cannot hold; recorded as CONTACT.", [where])
            role = "CONTACT"
        item = {"name": contact["name"].strip(), "role": role}
        for key, field in (("phone", "phone"), ("phone_ext", "phoneExt"), ("email", "email")):
            if _clean(contact.get(field)):
                item[key] = contact[field].strip()
        out.append(item)
    return out


def central_contacts(record: Record, notes: Notes) -> list[dict[str, Any]]:
    return _contacts(record.get("contactsLocationsModule.centralContacts"), notes,
                     "identity.central_contacts")


def officials(record: Record) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for raw in record.items("contactsLocationsModule.overallOfficials"):
        if not isinstance(raw, Mapping) or not _clean(raw.get("name")) or not raw.get("role"):
            continue
        item = {"name": raw["name"].strip(), "role": raw["role"]}
        if _clean(raw.get("affiliation")):
            item["affiliation"] = raw["affiliation"].strip()
        out.append(item)
    return out
