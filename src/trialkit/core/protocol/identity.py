"""Who runs the trial and where: identifiers, titles, sponsor, sites, contacts, status."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator

from trialkit.core.protocol._base import Flag, Frozen, Ident, OptionalText, Text


def _known_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name such as Asia/Taipei "
                         "or Europe/Rome") from None
    return name


TimeZoneName = Annotated[Text, AfterValidator(_known_zone)]
"""An IANA time zone (``Asia/Taipei``): where a site's people enter and read times."""

SiteStatus = Literal[
    "NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
    "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN",
]
OverallStatus = Literal[
    "NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
    "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN", "UNKNOWN",
]
AgencyClass = Literal["NIH", "FED", "OTHER_GOV", "INDIV", "INDUSTRY", "NETWORK", "AMBIG", "OTHER",
                      "UNKNOWN"]
DateType = Literal["ACTUAL", "ESTIMATED"]


class RegistryId(Frozen):
    registry: Text
    """Registry name, e.g. ``ClinicalTrials.gov``."""
    id: Text


class Organisation(Frozen):
    name: Text
    kind: AgencyClass = "OTHER"
    """Agency class as the registry uses it (``INDUSTRY``, ``OTHER``, ...)."""


class Contact(Frozen):
    name: Text
    role: Literal["CONTACT", "PRIMARY", "BACKUP", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR"]
    phone: OptionalText | None = None
    phone_ext: OptionalText | None = None
    email: OptionalText | None = None


class Official(Frozen):
    name: Text
    role: Literal["STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR"]
    affiliation: OptionalText | None = None


class Site(Frozen):
    id: Ident
    name: Text
    city: Text
    state: OptionalText | None = None
    zip: OptionalText | None = None
    country: Text
    time_zone: TimeZoneName = "UTC"
    """The site's IANA time zone: its people enter and read times in it (stored in UTC). The
    default is UTC, which suits no hospital: ``trialkit protocol validate`` warns when a site
    keeps it."""
    status: SiteStatus
    contacts: tuple[Contact, ...] = ()


class DatedMilestone(Frozen):
    date: dt.date
    type: DateType


class Identity(Frozen):
    """Identifiers, titles and parties: everything a registry record starts with."""

    id: Ident
    """The protocol's own identifier; stamped on every record trialkit writes."""
    registry_ids: tuple[RegistryId, ...] = ()
    org_study_id: Text
    brief_title: Text
    official_title: OptionalText | None = None
    acronym: OptionalText | None = None
    sponsor: Organisation
    collaborators: tuple[Organisation, ...] = ()
    responsible_party: Literal["SPONSOR", "PRINCIPAL_INVESTIGATOR", "SPONSOR_INVESTIGATOR"]
    conditions: tuple[Text, ...]
    keywords: tuple[Text, ...] = ()
    brief_summary: Text
    detailed_description: OptionalText | None = None
    sites: tuple[Site, ...]
    central_contacts: tuple[Contact, ...] = ()
    officials: tuple[Official, ...] = ()


class Status(Frozen):
    """Where the trial stands, as last reported to the registry."""

    overall: OverallStatus
    start: DatedMilestone
    primary_completion: DatedMilestone | None = None
    completion: DatedMilestone
    last_update: dt.date | None = None
    results_posted: Flag = False
    has_data_monitoring_committee: Flag | None = None
