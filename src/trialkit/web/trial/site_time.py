"""Which wall clock a person reads and enters times on: their site's.

Times are stored in UTC. A site's people see and type them in the site's IANA zone (the
protocol's ``identity.sites[].time_zone``). A page about one participant uses the
participant's site; any other page uses the zone of the sites the actor works at, or UTC
when those sites keep different zones (a study-wide role of a trial across time zones).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import Site
from trialkit.web.trial.scope import sites_in_scope


def zone_of(site: Site) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(site.time_zone)


def zone_for(actor: Actor) -> dt.tzinfo:
    """The one zone of the actor's sites; UTC when they keep several (or there is none)."""
    zones = set(sites_in_scope(actor).values_list("time_zone", flat=True))
    return zoneinfo.ZoneInfo(zones.pop()) if len(zones) == 1 else dt.UTC
