"""The navigation a role gets: one entry per page it may open, decided by the protocol role's
permissions (``can``) and unblinded information (``sees``), never by role names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from trialkit.web.trial.actions.base import Actor


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _any(*permissions: str) -> Callable[[Actor], bool]:
    return lambda actor: any(actor.can(p) for p in permissions)  # type: ignore[arg-type]


ENTRIES: tuple[tuple[str, str, Callable[[Actor], bool]], ...] = (
    ("Dashboard", "pages:dashboard", lambda actor: True),
    ("Participants", "pages:participants", lambda actor: True),
    ("Screening", "pages:screening_list", _any("screen")),
    ("Queries", "pages:queries", _any("raise_query", "answer_query", "close_query")),
    ("Safety", "pages:safety", _any("report_adverse_event", "review_safety", "sign")),
    ("SMC workspace", "pages:smc", _any("review_safety", "decide_safety")),
    ("Cell-lab queue", "pages:cell_lab", lambda actor: actor.sees("preparation")),
    ("IT procedures", "pages:procedures", lambda actor: actor.sees("procedure_type")),
    ("Randomization list", "pages:randomization_list", _any("manage_randomization")),
    ("Audit trail", "pages:audit", _any("view_audit")),
    ("Administration", "pages:admin_users", _any("manage_users")),
)


def navigation(actor: Actor, path: str) -> list[NavItem]:
    items = []
    for label, name, allowed in ENTRIES:
        if allowed(actor):
            url = reverse(name)
            current = path == url if url == "/" else path.startswith(url)
            items.append(NavItem(label, url, current))
    return items
