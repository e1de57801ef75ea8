"""Data queries between data management and the site on every protocol: open → answered →
closed, each step by the roles the protocol gives its permission."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import measured, new_participant
from trialkit.core.protocol.reading import reads
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.queries import (
    do_answer_query,
    do_close_query,
    do_raise_query,
    do_reopen_query,
)
from trialkit.web.trial.capture_queries import queries_of, unresolved_queries_by_site
from trialkit.web.trial.models import AuditEvent, Query

pytestmark = pytest.mark.protocols()


@pytest.fixture
def target(trial):
    return measured(trial)


@pytest.fixture
def vitals(trial, study, make_actor, target):
    """A saved form with a numeric item to ask about."""
    participant = new_participant()
    return do_save_form(participant, target.form.id, target.visit, target.values(trial),
                        actor=make_actor(trial.entry_role(target.form))).record


def test_a_query_goes_open_answered_closed_with_the_messages_of_both_sides(
        trial, vitals, target, data_manager, investigator):
    query = do_raise_query(vitals, target.item.id, "70? The source shows 107.",
                           actor=data_manager)
    do_answer_query(query, "Transposed digits; corrected in version 2.", actor=investigator)
    do_close_query(query, actor=data_manager)
    [view] = queries_of(vitals, actor=data_manager)
    assert view.status == "closed" and not view.automatic
    assert [(m.author, m.author_role) for m in view.messages] == [
        (data_manager.name, trial.data_manager), (investigator.name, trial.investigator)]
    actions = list(AuditEvent.objects.filter(object_type="Query").order_by("sequence")
                   .values_list("action", flat=True))
    assert actions == ["raise_query", "answer_query", "close_query"]


def test_an_unsatisfying_answer_is_reopened_and_answered_again(vitals, target, data_manager,
                                                                investigator):
    query = do_raise_query(vitals, target.item.id, "Which device?", actor=data_manager)
    do_answer_query(query, "Measured.", actor=investigator)
    do_reopen_query(query, "Which device, please?", actor=data_manager)
    do_answer_query(query, "The ward's calibrated monitor.", actor=investigator)
    query.refresh_from_db()
    assert query.status == Query.Status.ANSWERED and query.messages.count() == 4


def test_each_step_is_refused_to_roles_without_its_permission(trial, vitals, data_manager,
                                                               investigator, make_actor):
    with pytest.raises(NotPermittedError):
        do_raise_query(vitals, "", "Please check", actor=investigator)
    query = do_raise_query(vitals, "", "Please check the whole form", actor=data_manager)
    with pytest.raises(NotPermittedError):
        do_answer_query(query, "Checked", actor=data_manager)
    # Answering means reading the form: a role that answers queries but does not read this
    # one (a blinded rater and the vital signs) cannot; another site role answers.
    form = trial.form(vitals.form_id)
    answering = [r.id for r in trial.roles("answer_query") if reads(r, form)]
    other = next((r for r in answering if r not in (trial.investigator, trial.screener)),
                 answering[0])
    do_answer_query(query, "Checked against the chart",
                    actor=make_actor(other, username=f"{other}-answers"))
    with pytest.raises(NotPermittedError):
        do_close_query(query, actor=investigator)
    do_close_query(query, actor=make_actor(trial.monitor))


def test_state_and_input_are_checked(vitals, target, data_manager, investigator):
    with pytest.raises(InvalidInputError) as unknown_item:
        do_raise_query(vitals, "no_such_item", "What is this?", actor=data_manager)
    with pytest.raises(InvalidInputError) as empty:
        do_raise_query(vitals, target.item.id, "  ", actor=data_manager)
    assert (unknown_item.value.field, empty.value.field) == ("item_id", "text")
    query = do_raise_query(vitals, target.item.id, "Value?", actor=data_manager)
    with pytest.raises(InvalidInputError) as silent_close:
        do_close_query(query, actor=data_manager)
    assert silent_close.value.field == "text"
    with pytest.raises(StateConflictError):
        do_reopen_query(query, "again", actor=data_manager)
    do_close_query(query, "Raised on the wrong visit", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_answer_query(query, "late answer", actor=investigator)


def test_unresolved_queries_are_listed_by_site_only_where_the_actor_works(
        trial, vitals, target, data_manager, make_actor):
    elsewhere = new_participant("S-900", site="ELSEWHERE")
    entry = next(r for r in trial.entry_roles(target.form) if trial.protocol.role(r).site_scoped)
    far = do_save_form(elsewhere, target.form.id, target.visit, target.values(trial),
                       actor=make_actor(entry, site="ELSEWHERE")).record
    second = next(i.id for i in target.form.items if i.id != target.item.id and i.required)
    do_raise_query(vitals, target.item.id, "Value?", actor=data_manager)
    do_raise_query(far, second, "When?", actor=data_manager)
    closed = do_raise_query(far, "", "Dup", actor=data_manager)
    do_close_query(closed, "duplicate", actor=data_manager)
    everywhere = unresolved_queries_by_site(actor=data_manager)
    assert {site: [q.item_id for q in qs] for site, qs in everywhere.items()} == {
        trial.site: [target.item.id], "ELSEWHERE": [second]}
    site_view = unresolved_queries_by_site(actor=make_actor(trial.investigator))
    assert list(site_view) == [trial.site]
    with pytest.raises(NotFoundError):
        queries_of(far, actor=make_actor(trial.screener, username="first-site-screener"))
