"""Assigning a query to a person, on every protocol: only to someone who may answer or close
it at the participant's site and reads the form; each (re)assignment audited old → new; the
assignee is on the query's record and its filter ("assigned to me")."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import measured, new_participant
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.queries import (
    assignable,
    do_assign_query,
    do_close_query,
    do_raise_query,
)
from trialkit.web.trial.capture_queries import queries_in_scope, query_view
from trialkit.web.trial.models import AuditEvent, Participant, Query, Site

pytestmark = pytest.mark.protocols()


@pytest.fixture
def query(trial, study, make_actor, data_manager):
    target = measured(trial)
    participant = new_participant()
    record = do_save_form(participant, target.form.id, target.visit, target.values(trial),
                          actor=make_actor(trial.entry_role(target.form))).record
    return do_raise_query(record, target.item.id, "Please check against the source.",
                          actor=data_manager)


def _answerer(trial, make_actor, query: Query, username: str = "site-answerer"):
    """A site role that answers queries on the query's form."""
    from trialkit.web.trial.actions.forms import may_read

    for role in trial.protocol.roles:
        if "answer_query" in role.can and role.site_scoped:
            actor = make_actor(role.id, username=username)
            if may_read(actor, trial.form(query.record.form_id)):
                return actor
    raise AssertionError(f"{trial.stem}: no site role answers queries on this form")


def test_a_query_is_assigned_and_reassigned_each_audited_old_and_new(
        trial, query, make_actor, data_manager):
    first = _answerer(trial, make_actor, query)
    second = _answerer(trial, make_actor, query, username="second-answerer")
    assert {first.name, second.name} <= {a.username for a in assignable(query.record)}
    do_assign_query(query, first.name, actor=data_manager)
    assert query_view(query).assigned_to == first.name
    do_assign_query(query, second.name, actor=data_manager)
    do_assign_query(query, "", actor=data_manager)
    events = AuditEvent.objects.filter(action="assign_query").order_by("sequence")
    assert [(e.old["assigned_to"], e.new["assigned_to"]) for e in events] == [
        (None, first.name), (first.name, second.name), (second.name, None)]
    assert all(e.actor == data_manager.name for e in events)
    query.refresh_from_db()
    assert query.assigned_to is None and query.assigned_at is None


def test_only_a_person_who_may_answer_or_close_it_at_its_site_is_assigned(
        trial, query, make_actor, data_manager):
    nobody_for_queries = next(r.id for r in trial.protocol.roles
                              if not {"answer_query", "close_query"} & set(r.can))
    outsider = make_actor(nobody_for_queries, username="outsider")
    Site.objects.create(code="ELSEWHERE", name="Elsewhere", country="X", status="RECRUITING")
    answering = next(r.id for r in trial.protocol.roles
                     if "answer_query" in r.can and r.site_scoped)
    elsewhere = make_actor(answering, site="ELSEWHERE", username="elsewhere")
    before = AuditEvent.objects.count()
    for who in (outsider.name, elsewhere.name, "no-such-person"):
        with pytest.raises(InvalidInputError) as refused:
            do_assign_query(query, who, actor=data_manager)
        assert refused.value.field == "assignee"
    assert AuditEvent.objects.count() == before
    query.refresh_from_db()
    assert query.assigned_to is None


def test_assigning_is_refused_to_roles_that_do_not_raise_queries_and_on_closed_queries(
        trial, query, make_actor, data_manager):
    answerer = _answerer(trial, make_actor, query)
    with pytest.raises(NotPermittedError):
        do_assign_query(query, answerer.name, actor=answerer)
    with pytest.raises(StateConflictError, match="assigned to nobody already"):
        do_assign_query(query, "", actor=data_manager)
    do_close_query(query, "Resolved by phone", actor=data_manager)
    with pytest.raises(StateConflictError, match="closed"):
        do_assign_query(query, answerer.name, actor=data_manager)
    assert not AuditEvent.objects.filter(action="assign_query").exists()


def test_assigning_on_a_locked_participant_is_refused(trial, query, make_actor, data_manager):
    answerer = _answerer(trial, make_actor, query)
    Participant.objects.filter(pk=query.record.participant_id).update(locked_at=clock.now())
    with pytest.raises(StateConflictError, match="locked"):
        do_assign_query(query, answerer.name, actor=data_manager)


def test_the_queries_can_be_read_by_assignee(trial, query, make_actor, data_manager):
    answerer = _answerer(trial, make_actor, query)
    do_assign_query(query, answerer.name, actor=data_manager)
    assert [q.id for q in queries_in_scope(actor=data_manager, assigned_to=answerer.name)] == [
        query.pk]
    assert queries_in_scope(actor=data_manager, assigned_to="") == []
    assert [q.id for q in queries_in_scope(actor=answerer, assigned_to=answerer.name)] == [
        query.pk]
