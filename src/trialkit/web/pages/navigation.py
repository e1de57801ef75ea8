"""The navigation a role gets: one entry per page it may open, decided by the protocol role's
permissions (``can``) and unblinded information (``sees``), never by role names. The label of
a role's own page (the committee's, the preparations, the procedures) is the protocol role's
``workspace`` when it names one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from trialkit.web.api.standards_exports import may_export
from trialkit.web.pages.my_tasks import has_tasks
from trialkit.web.pages.study_charts import may_open_charts
from trialkit.web.pages.vocabulary import OWN_PAGES, workspace_label
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.analysis_outputs import ANALYSIS
from trialkit.web.trial.scope import is_study_wide


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _any(*permissions: str) -> Callable[[Actor], bool]:
    return lambda actor: any(actor.can(p) for p in permissions)  # type: ignore[arg-type]


def is_notified(actor: Actor) -> bool:
    """Whether the protocol tells the role of any event (it then has an inbox)."""
    return bool(actor.protocol().role(actor.role).notified_of)


def may_simulate(actor: Actor) -> bool:
    """The conditional simulation compares arms: roles that read every participant's arm,
    study-wide (a site's share of the data would answer for another trial)."""
    return access.may_read_arms(actor) and is_study_wide(actor)


Entry = tuple[str | Callable[[Actor], str], str, Callable[[Actor], bool]]


def _own(page: str) -> Entry:
    return (lambda actor: workspace_label(actor, page), f"pages:{page}", OWN_PAGES[page])


ENTRIES: tuple[Entry, ...] = (
    ("Dashboard", "pages:dashboard", lambda actor: True),
    ("My tasks", "pages:my_tasks", has_tasks),
    ("Participants", "pages:participants", lambda actor: True),
    ("Study charts", "pages:study_charts", may_open_charts),
    ("Screening", "pages:screening_list", _any("screen")),
    ("Queries", "pages:queries", _any("raise_query", "answer_query", "close_query")),
    ("Signatures", "pages:signatures", _any("sign")),
    ("Verification", "pages:verification", _any("verify_source")),
    ("Coding", "pages:coding", _any("code_terms")),
    ("Safety", "pages:safety", _any("report_adverse_event", "review_safety", "sign")),
    ("Notifications", "pages:notifications", is_notified),
    _own("committee"),
    _own("preparations"),
    _own("procedures"),
    ("Analysis", "pages:analysis", _any(*ANALYSIS)),
    ("Exports", "pages:exports", may_export),
    ("Randomization list", "pages:randomization_list", _any("manage_randomization")),
    ("Simulation", "pages:simulation", may_simulate),
    ("Related trials", "pages:related_trials", is_study_wide),
    ("Study lock", "pages:study_lock", _any("lock_data")),
    ("Audit trail", "pages:audit", _any("view_audit")),
    ("Administration", "pages:admin_users", _any("manage_users")),
)


def navigation(actor: Actor, path: str) -> list[NavItem]:
    items = []
    for label, name, allowed in ENTRIES:
        if allowed(actor):
            url = reverse(name)
            current = path == url if url == "/" else path.startswith(url)
            items.append(NavItem(label if isinstance(label, str) else label(actor), url,
                                 current))
    return items
