"""Data queries between data management and the site: raise → answer → close.

Who does what comes from the protocol's permissions: ``raise_query`` (data manager, monitor),
``answer_query`` (site roles), ``close_query``. A query is open until the site answers it;
an answered query is closed, or reopened with a follow-up message when the answer does not
resolve it. Closing a query nobody answered needs a message saying why. Messages are kept,
never edited; only the query's status moves.

A query may be assigned to a person (``do_assign_query``, by a role that raises queries): an
active user holding, at the participant's site or study-wide, a role that may answer or close
queries and reads the form. Assigning says whose move it is; it does not stop anyone else who
may answer or close it. Each assignment, reassignment and unassignment is audited, old → new.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol.reading import SIGHTED, reads, reveals_arm
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import require_read
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    action,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import FormRecord, Membership, Profile, Query, QueryMessage
from trialkit.web.trial.study import protocol_of


@action(AuditAction.RAISE_QUERY, permission="raise_query", guards=WRITES_PARTICIPANT_DATA,
        subject="form_record")
def do_raise_query(form_record: FormRecord, item_id: str, text: str, *, actor: Actor) -> Query:
    """Raise a query on one item of a form ("" = the form as a whole)."""
    require_read(actor, form_record)  # a query quotes the form; its raiser reads it
    form = protocol_of(form_record.participant.study).form(form_record.form_id)
    if item_id and item_id not in {item.id for item in form.items}:
        raise InvalidInputError(_("form %(form)s has no item '%(item)s'"), field="item_id",
                                form=form.id, item=item_id)
    _require_text(text)
    now = clock.now()
    query = Query.objects.create(record=form_record, item_id=item_id, text=text.strip(),
                                 raised_by=actor.name, raised_at=now,
                                 raised_on_version=form_record.latest_version or None)
    _message(query, actor, text)
    record(actor, AuditAction.RAISE_QUERY, query, new={
        "participant": form_record.participant.screening_number, "form": form.id,
        "item": item_id, "text": query.text})
    return query


@action(AuditAction.ANSWER_QUERY, permission="answer_query",
        guards=WRITES_PARTICIPANT_DATA, subject="query")
def do_answer_query(query: Query, text: str, *, actor: Actor) -> QueryMessage:
    query = _locked(query, actor)
    if query.status != Query.Status.OPEN:
        raise StateConflictError(_("the query is %(status)s; only an open query is answered"),
                                 field="query", status=query.status)
    _require_text(text)
    message = _move(query, actor, Query.Status.ANSWERED, text, AuditAction.ANSWER_QUERY)
    assert message is not None  # the text was required above
    return message


@action(AuditAction.REOPEN_QUERY, permission="raise_query",
        guards=WRITES_PARTICIPANT_DATA, subject="query")
def do_reopen_query(query: Query, text: str, *, actor: Actor) -> QueryMessage:
    """Send an answered query back to the site with a follow-up question."""
    query = _locked(query, actor)
    if query.status != Query.Status.ANSWERED:
        raise StateConflictError(_("the query is %(status)s; only an answered query is "
                                   "reopened"), field="query", status=query.status)
    _require_text(text)
    message = _move(query, actor, Query.Status.OPEN, text, AuditAction.REOPEN_QUERY)
    assert message is not None  # the text was required above
    return message


@action(AuditAction.CLOSE_QUERY, permission="close_query",
        guards=WRITES_PARTICIPANT_DATA, subject="query")
def do_close_query(query: Query, text: str = "", *, actor: Actor) -> Query:
    query = _locked(query, actor)
    if query.status == Query.Status.CLOSED:
        raise StateConflictError(_("the query is already closed"), field="query")
    if query.status == Query.Status.OPEN and not text.strip():
        raise InvalidInputError(_("closing an unanswered query needs a message saying why"),
                                field="text")
    _move(query, actor, Query.Status.CLOSED, text, AuditAction.CLOSE_QUERY)
    return query


ASSIGNABLE = ("answer_query", "close_query")
"""A query is assigned to someone whose role may move it on."""


@dataclass(frozen=True)
class Assignee:
    """A person a query may be assigned to."""

    username: str
    printed_name: str
    roles: tuple[str, ...]
    """The protocol roles (ids) that make them eligible."""


def assignable(form_record: FormRecord) -> list[Assignee]:
    """The people a query on ``form_record`` may be assigned to, by printed name: active users
    holding, at the participant's site or study-wide, a role that answers or closes queries
    and reads the form (a form that reveals the arm only for a role that sees it)."""
    protocol = protocol_of(form_record.participant.study)
    form = protocol.form(form_record.form_id)
    roles = [r.id for r in protocol.roles if set(ASSIGNABLE) & set(r.can) and reads(r, form)
             and (not reveals_arm(protocol, form) or set(SIGHTED) & set(r.sees))]
    held: dict[int, list[str]] = {}
    for user_id, role in Membership.objects.filter(
            Q(site_id=form_record.participant.site_id) | Q(site__isnull=True), role__in=roles,
            active=True, user__is_active=True).order_by("role").values_list("user_id", "role"):
        held.setdefault(user_id, []).append(role)
    names = dict(Profile.objects.filter(user_id__in=held).values_list("user_id",
                                                                       "printed_name"))
    users = User.objects.filter(pk__in=held).order_by("username")
    return sorted((Assignee(u.get_username(), names.get(u.pk) or u.get_username(),
                            tuple(dict.fromkeys(held[u.pk]))) for u in users),
                  key=lambda a: (a.printed_name.lower(), a.username))


@action(AuditAction.ASSIGN_QUERY, permission="raise_query",
        guards=WRITES_PARTICIPANT_DATA, subject="query")
def do_assign_query(query: Query, assignee: str, *, actor: Actor) -> Query:
    """Assign the query to the person with username ``assignee`` (``""``: to nobody)."""
    query = _locked(query, actor)
    if query.status == Query.Status.CLOSED:
        raise StateConflictError(_("the query is closed; only an open or answered query is "
                                   "assigned"), field="query")
    if not isinstance(assignee, str):
        raise InvalidInputError(_("name the person by their username"), field="assignee")
    old = query.assigned_to.get_username() if query.assigned_to else ""
    if assignee == old:
        if old:
            raise StateConflictError(_("the query is already assigned to %(person)s"),
                                     field="assignee", person=old)
        raise StateConflictError(_("the query is assigned to nobody already"), field="assignee")
    person = None
    if assignee:
        if assignee not in {a.username for a in assignable(query.record)}:
            raise InvalidInputError(
                _("'%(person)s' may not be assigned this query: assign it to someone who "
                  "answers or closes queries at the participant's site and reads the form"),
                field="assignee", person=assignee)
        person = User.objects.get(username=assignee)
    query.assigned_to, query.assigned_at = person, clock.now() if person else None
    query.save(update_fields=["assigned_to", "assigned_at"])
    record(actor, AuditAction.ASSIGN_QUERY, query, old={"assigned_to": old or None},
           new={"assigned_to": assignee or None,
                "participant": query.record.participant.screening_number,
                "form": query.record.form_id, "item": query.item_id})
    return query


def _locked(query: Query, actor: Actor) -> Query:
    query = Query.objects.select_for_update().select_related("record__participant").get(
        pk=query.pk)
    require_read(actor, query.record)  # answering or closing means reading the form
    return query


def _require_text(text: str) -> None:
    if not text.strip():
        raise InvalidInputError(_("the message is empty"), field="text")


def _message(query: Query, actor: Actor, text: str) -> QueryMessage:
    return QueryMessage.objects.create(query=query, author=actor.name, author_role=actor.role,
                                       text=text.strip(), written_at=clock.now())


def _move(query: Query, actor: Actor, status: str, text: str,
          action: AuditAction) -> QueryMessage | None:
    old = query.status
    query.status = status
    query.closed_at = clock.now() if status == Query.Status.CLOSED else None
    query.save(update_fields=["status", "closed_at"])
    message = _message(query, actor, text) if text.strip() else None
    record(actor, action, query, old={"status": old},
           new={"status": status, "message": text.strip()})
    return message
