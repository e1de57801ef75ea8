"""The words pages use for a trial's people and bodies, taken from its protocol.

No page names a role, a committee or a workspace of one trial: a hint says whom to give the
kit code to by the name the protocol gives the role that prepares kits, and the committee's
page is titled by the committee the protocol's gates name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import BlindedInformation, NotificationKind, Permission
from trialkit.web.trial.actions.base import Actor

COMMITTEE, PREPARATIONS, PROCEDURES = "committee", "preparations", "procedures"
GENERIC_LABELS = {COMMITTEE: "Safety committee", PREPARATIONS: "Preparations",
                  PROCEDURES: "Procedures"}
"""Navigation labels of the role-specific pages when the role names no workspace."""

OWN_PAGES: dict[str, Callable[[Actor], bool]] = {
    COMMITTEE: lambda actor: actor.can("review_safety"),
    PREPARATIONS: lambda actor: actor.can("prepare_kit") and actor.sees("preparation"),
    PROCEDURES: lambda actor: actor.can("perform_procedure") and actor.sees("procedure_type"),
}
"""The pages that are a role's own work, in the order a workspace label goes to the first."""

PERMISSION_WORDS: dict[str, str] = {
    "screen": "register and screen candidates",
    "consent": "record informed consent",
    "enrol": "enrol",
    "randomize": "randomize",
    "enter_data": "enter case report forms",
    "sign": "sign forms",
    "record_administration": "record doses given",
    "prepare_kit": "prepare kits",
    "perform_procedure": "perform procedures",
    "report_adverse_event": "report adverse events",
    "raise_query": "raise queries",
    "answer_query": "answer queries",
    "close_query": "close queries",
    "verify_source": "verify source data",
    "code_terms": "code adverse events to the dictionary",
    "review_safety": "review safety",
    "decide_safety": "sign safety decisions",
    "emergency_unblind": "unblind in an emergency",
    "manage_randomization": "manage the randomization list",
    "lock_data": "lock data",
    "export_data": "export data",
    "view_audit": "read the audit trail",
    "manage_users": "manage users",
}
"""What each permission lets a role do, as the administrators' page says it."""

INFORMATION_WORDS: dict[str, str] = {
    "allocation": "each participant's arm",
    "preparation": "what is prepared for each kit",
    "procedure_type": "which procedure each participant had",
    "arm_summaries": "safety tables by arm",
    "randomization_list": "the randomization list",
}
"""What each kind of unblinded information is, as the administrators' page says it."""


def workspace_label(actor: Actor, page: str) -> str:
    """The navigation label of one of the actor's own pages: the protocol role's ``workspace``
    for the first own page it may open, a generic label otherwise."""
    try:
        workspace = actor.protocol().role(actor.role).workspace
    except KeyError:
        workspace = None
    first = next((name for name, allowed in OWN_PAGES.items() if allowed(actor)), None)
    return workspace if workspace and page == first else GENERIC_LABELS[page]


def names(protocol: Protocol, role_ids: Iterable[str]) -> str:
    """The protocol's names of these roles, joined by "or" (each named once)."""
    known = {role.id: role.name for role in protocol.roles}
    listed = list(dict.fromkeys(known.get(r, r) for r in role_ids))
    if len(listed) <= 1:
        return "".join(listed)
    return ", ".join(listed[:-1]) + " or " + listed[-1]


def holders(protocol: Protocol, permission: Permission) -> str:
    return names(protocol, [r.id for r in protocol.roles if permission in r.can])


def seers(protocol: Protocol, information: BlindedInformation) -> str:
    return names(protocol, [r.id for r in protocol.roles if information in r.sees])


def notified(protocol: Protocol, kind: NotificationKind) -> str:
    return names(protocol, [r.id for r in protocol.roles if kind in r.notified_of])


def preparers(protocol: Protocol) -> str:
    """The roles that prepare the protocol's administrations."""
    return names(protocol, [a.prepared_by for a in protocol.design.administrations])


def committee_name(protocol: Protocol) -> str:
    """The committee the gates name when there is one, else "Safety committee" (a title)."""
    committees = list(dict.fromkeys(g.committee for g in protocol.gates.committee))
    return committees[0] if len(committees) == 1 else GENERIC_LABELS[COMMITTEE]


def the_committee(protocol: Protocol) -> str:
    """The committee in a sentence: "the Data Monitoring Committee", "the safety committee"."""
    name = committee_name(protocol)
    return "the safety committee" if name == GENERIC_LABELS[COMMITTEE] else f"the {name}"

