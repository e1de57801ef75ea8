"""The words pages use for a trial's people and bodies, taken from its protocol.

No page names a role, a committee or a workspace of one trial: a hint says whom to give the
kit code to by the name the protocol gives the role that prepares kits, and the committee's
page is titled by the committee the protocol's gates name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import BlindedInformation, NotificationKind, Permission
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import EDIT_CHECK
from trialkit.web.trial.capture_queries import QueryView
from trialkit.web.trial.wording import edit_check_read, system_message_read

COMMITTEE, PREPARATIONS, PROCEDURES = "committee", "preparations", "procedures"
GENERIC_LABELS = {COMMITTEE: gettext_noop("Safety committee"),
                  PREPARATIONS: gettext_noop("Preparations"),
                  PROCEDURES: gettext_noop("Procedures")}
"""Navigation labels of the role-specific pages when the role names no workspace (English,
marked for translation: the functions below translate them for the page)."""

OWN_PAGES: dict[str, Callable[[Actor], bool]] = {
    COMMITTEE: lambda actor: actor.can("review_safety"),
    PREPARATIONS: lambda actor: actor.can("prepare_kit") and actor.sees("preparation"),
    PROCEDURES: lambda actor: actor.can("perform_procedure") and actor.sees("procedure_type"),
}
"""The pages that are a role's own work, in the order a workspace label goes to the first."""

PERMISSION_WORDS: dict[str, str] = {
    "screen": gettext_noop("register and screen candidates"),
    "consent": gettext_noop("record informed consent"),
    "enrol": gettext_noop("enrol"),
    "randomize": gettext_noop("randomize"),
    "enter_data": gettext_noop("enter case report forms"),
    "sign": gettext_noop("sign forms"),
    "record_administration": gettext_noop("record doses given"),
    "prepare_kit": gettext_noop("prepare kits"),
    "perform_procedure": gettext_noop("perform procedures"),
    "report_adverse_event": gettext_noop("report adverse events"),
    "raise_query": gettext_noop("raise queries"),
    "answer_query": gettext_noop("answer queries"),
    "close_query": gettext_noop("close queries"),
    "verify_source": gettext_noop("verify source data"),
    "code_terms": gettext_noop("code adverse events to the dictionary"),
    "review_safety": gettext_noop("review safety"),
    "decide_safety": gettext_noop("sign safety decisions"),
    "emergency_unblind": gettext_noop("unblind in an emergency"),
    "manage_randomization": gettext_noop("manage the randomization list"),
    "lock_data": gettext_noop("lock data"),
    "export_data": gettext_noop("export data"),
    "view_audit": gettext_noop("read the audit trail"),
    "manage_users": gettext_noop("manage users"),
}
"""What each permission lets a role do, as the administrators' page says it (English, marked
for translation: the ``permissions`` filter translates them for the page)."""

INFORMATION_WORDS: dict[str, str] = {
    "allocation": gettext_noop("each participant's arm"),
    "preparation": gettext_noop("what is prepared for each kit"),
    "procedure_type": gettext_noop("which procedure each participant had"),
    "arm_summaries": gettext_noop("safety tables by arm"),
    "randomization_list": gettext_noop("the randomization list"),
}
"""What each kind of unblinded information is, as the administrators' page says it (English,
marked for translation: the ``information`` filter translates them for the page)."""


def workspace_label(actor: Actor, page: str) -> str:
    """The navigation label of one of the actor's own pages: the protocol role's ``workspace``
    for the first own page it may open, a generic label otherwise."""
    try:
        workspace = actor.protocol().role(actor.role).workspace
    except KeyError:
        workspace = None
    first = next((name for name, allowed in OWN_PAGES.items() if allowed(actor)), None)
    return workspace if workspace and page == first else _(GENERIC_LABELS[page])


def names(protocol: Protocol, role_ids: Iterable[str]) -> str:
    """The protocol's names of these roles, joined by "or" (each named once)."""
    known = {role.id: role.name for role in protocol.roles}
    listed = list(dict.fromkeys(known.get(r, r) for r in role_ids))
    if len(listed) <= 1:
        return "".join(listed)
    return _("%(first)s or %(last)s") % {"first": ", ".join(listed[:-1]), "last": listed[-1]}


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
    named = _named_committee(protocol)
    return named if named is not None else _(GENERIC_LABELS[COMMITTEE])


def the_committee(protocol: Protocol) -> str:
    """The committee in a sentence: "the Data Monitoring Committee", "the safety committee"."""
    named = _named_committee(protocol)
    return _("the safety committee") if named is None else _("the %(committee)s") % {
        "committee": named}


def _named_committee(protocol: Protocol) -> str | None:
    """The one committee the gates name, if they name exactly one."""
    committees = list(dict.fromkeys(g.committee for g in protocol.gates.committee))
    return committees[0] if len(committees) == 1 else None



def query_in_words_of(protocol: Protocol, query: QueryView) -> QueryView:
    """The query with its form, visit and item named as ``protocol`` names them: pages pass
    ``actor.protocol()``, the reader's language (the read layer names them as written, for the
    API); an id the protocol does not know stays as the read layer gave it."""
    try:
        form = protocol.form(query.form_id)
    except KeyError:
        return query
    labels = {item.id: item.label for item in form.items}
    visits = {visit.id: visit.name for visit in protocol.schedule.visits}
    # Only an automatic query keeps a check id or a wording; a person's reads as written.
    text = edit_check_read(query.text, form, query.check_id, query.wording)
    # The edit checks' own messages: the opening one is the query's text.
    messages = [replace(m, text=text if m.text == query.text else system_message_read(m.text))
                if m.author == EDIT_CHECK else m for m in query.messages]
    return replace(query, form_name=form.name,
                   visit_name=visits.get(query.visit_id, query.visit_name),
                   item_label=labels.get(query.item_id, query.item_label), text=text,
                   messages=messages)


PARTICIPANT_STATUSES = {
    "screening": pgettext_lazy("participant status", "Screening"),
    "screen_failed": pgettext_lazy("participant status", "Screen failed"),
    "consented": pgettext_lazy("participant status", "Consented"),
    "enrolled": pgettext_lazy("participant status", "Enrolled"),
    "completed": pgettext_lazy("participant status", "Completed"),
    "withdrawn": pgettext_lazy("participant status", "Withdrawn"),
    "lost_to_follow_up": pgettext_lazy("participant status", "Lost to follow-up"),
    "died": pgettext_lazy("participant status", "Died"),
}
"""A participant's status in words (the model's labels are English, for the PDF records)."""


def participant_status(status: str) -> str:
    return str(PARTICIPANT_STATUSES.get(status, status))


FIELD_WORDS: dict[str, str] = {
    "actor": gettext_noop("actor"), "administration_id": gettext_noop("administration id"),
    "as_of": gettext_noop("as of"), "assignee": gettext_noop("assignee"),
    "aware_at": gettext_noop("aware at"), "checks": gettext_noop("checks"),
    "code": gettext_noop("code"), "confirmation": gettext_noop("confirmation"),
    "consent_date": gettext_noop("consent date"), "data": gettext_noop("data"),
    "data_cut": gettext_noop("data cut"), "days": gettext_noop("days"),
    "decision": gettext_noop("decision"), "dictionary": gettext_noop("dictionary"),
    "done_on": gettext_noop("done on"), "ended_on": gettext_noop("ended on"),
    "folder": gettext_noop("folder"), "form_id": gettext_noop("form id"),
    "form_version": gettext_noop("form version"), "format": gettext_noop("format"),
    "gate_index": gettext_noop("gate index"), "given_at": gettext_noop("given at"),
    "idempotency_key": gettext_noop("idempotency key"), "index_date": gettext_noop("index date"),
    "item_id": gettext_noop("item id"), "item_value": gettext_noop("item value"),
    "kind": gettext_noop("kind"), "kit_code": gettext_noop("kit code"),
    "label": gettext_noop("label"), "llt_code": gettext_noop("llt code"),
    "meaning": gettext_noop("meaning"), "membership": gettext_noop("membership"),
    "membership_id": gettext_noop("membership id"), "new_password": gettext_noop("new password"),
    "note": gettext_noop("note"), "outcome": gettext_noop("outcome"),
    "output": gettext_noop("output"), "override_reason": gettext_noop("override reason"),
    "part": gettext_noop("part"), "participant": gettext_noop("participant"),
    "participant_id": gettext_noop("participant id"), "password": gettext_noop("password"),
    "printed_name": gettext_noop("printed name"), "protocol": gettext_noop("protocol"),
    "query": gettext_noop("query"), "query_id": gettext_noop("query id"),
    "query_value": gettext_noop("query value"), "rationale": gettext_noop("rationale"),
    "reason": gettext_noop("reason"), "recipient": gettext_noop("recipient"),
    "record": gettext_noop("record"), "record_id": gettext_noop("record id"),
    "repeat_index": gettext_noop("repeat index"), "report": gettext_noop("report"),
    "request": gettext_noop("request"), "request_id": gettext_noop("request id"),
    "role": gettext_noop("role"), "screening_number": gettext_noop("screening number"),
    "seed": gettext_noop("seed"), "sent_at": gettext_noop("sent at"),
    "session": gettext_noop("session"), "site": gettext_noop("site"),
    "status": gettext_noop("status"), "step": gettext_noop("step"), "text": gettext_noop("text"),
    "token": gettext_noop("token"), "token_id": gettext_noop("token id"),
    "username": gettext_noop("username"), "visit_id": gettext_noop("visit id"),
}
"""The fields an action's refusal names (``ActionError.field``): in English as the API names
them (spaces for underscores, so a person can match the page to the API), translated on pages."""


def field_in_words(field: str) -> str:
    """A refused field's name in the reader's language (the id with spaces if unlisted)."""
    return _(FIELD_WORDS[field]) if field in FIELD_WORDS else field.replace("_", " ")
