"""Data queries: raised on a form item, answered at the site, closed or reopened."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import derived, list_of
from trialkit.web.api.schemas import Id, InSchema, StatusFilter, TextInput, responses
from trialkit.web.trial.actions import queries as data_queries
from trialkit.web.trial.capture_queries import QueryView, queries_in_scope, query_view
from trialkit.web.trial.lookups import form_record_for, query_for

router = Router(tags=["queries"])


class RaiseIn(InSchema):
    item_id: Annotated[str, TextInput("item_id")]
    text: Annotated[str, TextInput("text")]


class MessageIn(InSchema):
    text: Annotated[str, TextInput("text")]


class AssignIn(InSchema):
    assignee: Annotated[str, TextInput("assignee", required=False)] = ""
    """The username of the person to assign the query to; blank: to nobody."""


class CloseIn(InSchema):
    text: Annotated[str, TextInput("text", required=False,
                                   checks="required to close a query nobody answered")] = ""


AssigneeFilter = Annotated[str, TextInput("assignee", required=False)]
QueryOut = derived(QueryView, "QueryOut")
"""The inbox's own record (``capture_queries.QueryView``): what the page shows is served."""


@router.get("/queries", response=responses(list_of(QueryOut)))
def queries(request: HttpRequest, status: StatusFilter | None = None,
            participant_id: Id | None = None,
            assigned_to: AssigneeFilter | None = None) -> list[QueryView]:
    """Queries at the actor's sites, optionally by status (open, answered, closed) and by
    assignee (a username; ``assigned_to=`` blank: assigned to nobody)."""
    return queries_in_scope(actor=actor_of(request), status=status,
                            participant_id=participant_id, assigned_to=assigned_to)


@router.get("/queries/{query_id}", response=responses(QueryOut))
def query(request: HttpRequest, query_id: Id) -> QueryView:
    return query_view(query_for(actor_of(request), query_id))


@router.post("/forms/{record_id}/queries", response=responses(QueryOut, 201))
def raise_query(request: HttpRequest, record_id: Id, body: RaiseIn) -> Status[QueryView]:
    actor = actor_of(request)
    raised = data_queries.do_raise_query(form_record_for(actor, record_id), body.item_id,
                                         body.text, actor=actor)
    return Status(201, query_view(raised))


def _after(request: HttpRequest, query_id: int) -> QueryView:
    return query_view(query_for(actor_of(request), query_id))


@router.post("/queries/{query_id}/answer", response=responses(QueryOut))
def answer(request: HttpRequest, query_id: Id, body: MessageIn) -> QueryView:
    actor = actor_of(request)
    data_queries.do_answer_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)


@router.post("/queries/{query_id}/reopen", response=responses(QueryOut))
def reopen(request: HttpRequest, query_id: Id, body: MessageIn) -> QueryView:
    actor = actor_of(request)
    data_queries.do_reopen_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)


@router.post("/queries/{query_id}/close", response=responses(QueryOut))
def close(request: HttpRequest, query_id: Id, body: CloseIn) -> QueryView:
    actor = actor_of(request)
    data_queries.do_close_query(query_for(actor, query_id), body.text, actor=actor)
    return _after(request, query_id)


@router.post("/queries/{query_id}/assign", response=responses(QueryOut))
def assign(request: HttpRequest, query_id: Id, body: AssignIn) -> QueryView:
    """Assign the query to a person who may answer or close it at its site (or to nobody)."""
    actor = actor_of(request)
    data_queries.do_assign_query(query_for(actor, query_id), body.assignee, actor=actor)
    return _after(request, query_id)
