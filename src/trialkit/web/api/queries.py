"""Data queries: raised on a form item, answered at the site, closed or reopened."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import Id, InSchema, StatusFilter, TextInput, responses
from trialkit.web.trial.actions import queries as data_queries
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.lookups import form_record_for, query_for
from trialkit.web.trial.models import Query
from trialkit.web.trial.scope import in_scope

router = Router(tags=["queries"])


class RaiseIn(InSchema):
    item_id: Annotated[str, TextInput("item_id")]
    text: Annotated[str, TextInput("text")]


class MessageIn(InSchema):
    text: Annotated[str, TextInput("text")]


class CloseIn(InSchema):
    text: Annotated[str, TextInput("text", required=False,
                                   checks="required to close a query nobody answered")] = ""


class MessageOut(Schema):
    author: str
    author_role: str
    text: str
    written_at: dt.datetime


class QueryOut(Schema):
    id: int
    record_id: int
    participant_id: int
    form_id: str
    item_id: str
    text: str
    status: str
    automatic: bool
    raised_by: str
    raised_at: dt.datetime
    closed_at: dt.datetime | None
    messages: list[MessageOut]


def query_out(q: Query) -> QueryOut:
    return QueryOut(id=q.id, record_id=q.record_id, participant_id=q.record.participant_id,
                    form_id=q.record.form_id, item_id=q.item_id, text=q.text, status=q.status,
                    automatic=q.automatic, raised_by=q.raised_by, raised_at=q.raised_at,
                    closed_at=q.closed_at,
                    messages=[MessageOut(author=m.author, author_role=m.author_role, text=m.text,
                                         written_at=m.written_at)
                              for m in q.messages.order_by("written_at", "id")])


@router.get("/queries", response=responses(list[QueryOut]))
def queries(request: HttpRequest, status: StatusFilter | None = None,
            participant_id: Id | None = None) -> list[QueryOut]:
    """Queries at the actor's sites, optionally by status (open, answered, closed)."""
    actor = actor_of(request)
    rows = readable(actor, Query.objects.select_related("record").order_by("id"), "record")
    rows = in_scope(actor, rows, "record__participant")
    if status is not None:
        rows = rows.filter(status=status)
    if participant_id is not None:
        rows = rows.filter(record__participant_id=participant_id)
    return [query_out(q) for q in rows]


@router.get("/queries/{query_id}", response=responses(QueryOut))
def query(request: HttpRequest, query_id: Id) -> QueryOut:
    return query_out(query_for(actor_of(request), query_id))


@router.post("/forms/{record_id}/queries", response=responses(QueryOut, 201))
def raise_query(request: HttpRequest, record_id: Id, body: RaiseIn) -> Status[QueryOut]:
    actor = actor_of(request)
    raised = data_queries.do_raise_query(form_record_for(actor, record_id), body.item_id,
                                         body.text, actor=actor)
    return Status(201, query_out(raised))


def _after(request: HttpRequest, query_id: int) -> QueryOut:
    return query_out(query_for(actor_of(request), query_id))


@router.post("/queries/{query_id}/answer", response=responses(QueryOut))
def answer(request: HttpRequest, query_id: Id, body: MessageIn) -> QueryOut:
    actor = actor_of(request)
    data_queries.do_answer_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)


@router.post("/queries/{query_id}/reopen", response=responses(QueryOut))
def reopen(request: HttpRequest, query_id: Id, body: MessageIn) -> QueryOut:
    actor = actor_of(request)
    data_queries.do_reopen_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)


@router.post("/queries/{query_id}/close", response=responses(QueryOut))
def close(request: HttpRequest, query_id: Id, body: CloseIn) -> QueryOut:
    actor = actor_of(request)
    data_queries.do_close_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)
