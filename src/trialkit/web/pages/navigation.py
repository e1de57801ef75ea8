"""The navigation a role gets: one entry per page it may open, decided by the protocol role's
permissions (``can``) and unblinded information (``sees``), never by role names. The label of
a role's own page (the committee's, the preparations, the procedures) is the protocol role's
``workspace`` when it names one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

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
    (gettext_noop("Dashboard"), "pages:dashboard", lambda actor: True),
    (gettext_noop("My tasks"), "pages:my_tasks", has_tasks),
    (gettext_noop("Participants"), "pages:participants", lambda actor: True),
    (gettext_noop("Study charts"), "pages:study_charts", may_open_charts),
    (gettext_noop("Screening"), "pages:screening_list", _any("screen")),
    (gettext_noop("Queries"), "pages:queries", _any("raise_query", "answer_query", "close_query")),
    (gettext_noop("Signatures"), "pages:signatures", _any("sign")),
    (gettext_noop("Verification"), "pages:verification", _any("verify_source")),
    (gettext_noop("Coding"), "pages:coding", _any("code_terms")),
    (gettext_noop("Safety"), "pages:safety", _any("report_adverse_event", "review_safety", "sign")),
    (gettext_noop("Notifications"), "pages:notifications", is_notified),
    _own("committee"),
    _own("preparations"),
    _own("procedures"),
    (gettext_noop("Analysis"), "pages:analysis", _any(*ANALYSIS)),
    (gettext_noop("Exports"), "pages:exports", may_export),
    (gettext_noop("Randomization list"), "pages:randomization_list", _any("manage_randomization")),
    (gettext_noop("Simulation"), "pages:simulation", may_simulate),
    (gettext_noop("Related trials"), "pages:related_trials", is_study_wide),
    (gettext_noop("Study lock"), "pages:study_lock", _any("lock_data")),
    (gettext_noop("Audit trail"), "pages:audit", _any("view_audit")),
    (gettext_noop("Administration"), "pages:admin_users", _any("manage_users")),
)


def navigation(actor: Actor, path: str) -> list[NavItem]:
    items = []
    for label, name, allowed in ENTRIES:
        if allowed(actor):
            url = reverse(name)
            current = path == url if url == "/" else path.startswith(url)
            # Labels are English in ENTRIES (marked for translation) and translated here, for
            # the language of the request.
            items.append(NavItem(gettext(label) if isinstance(label, str) else label(actor), url,
                                 current))
    return items
