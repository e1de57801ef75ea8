"""How long queries have waited: the data managers' ageing buckets and the inbox's filters
(status, and whom a query is assigned to)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from trialkit.web.trial.capture_queries import QueryView

QUERY_FILTERS = (("unresolved", _("Open or answered")), ("open", _("Open: the site's move")),
                 ("answered", _("Answered: data management's move")), ("closed", _("Closed")),
                 ("all", _("All")))
BUCKETS = ((0, 7, _("up to 7 days")), (8, 30, _("8 to 30 days")), (31, None, _("over 30 days")))
ASSIGNED_FILTERS = (("", _("Anyone or nobody")), ("me", _("Assigned to me")),
                    ("nobody", _("Assigned to nobody")))


def assigned_as_chosen(rows: list[QueryView], chosen: str, username: str) -> list[QueryView]:
    """The queries assigned as the inbox's filter says: to the reader (``me``), to nobody
    (``nobody``), or either (anything else)."""
    if chosen == "me":
        return [q for q in rows if q.assigned_to == username]
    if chosen == "nobody":
        return [q for q in rows if not q.assigned_to]
    return rows


@dataclass(frozen=True)
class AgeBucket:
    label: str
    """Displayed only: translated when shown."""
    open: int
    """Waiting for the site's answer."""
    answered: int
    """Waiting for data management to close or reopen."""


def query_ageing(unresolved: list[QueryView], now: dt.datetime) -> list[AgeBucket]:
    """Unresolved queries counted by how many days ago they were raised."""
    buckets = []
    for low, high, label in BUCKETS:
        within = [q for q in unresolved if low <= (now - q.raised_at).days
                  and (high is None or (now - q.raised_at).days <= high)]
        buckets.append(AgeBucket(label, sum(q.status == "open" for q in within),
                                 sum(q.status == "answered" for q in within)))
    return buckets
