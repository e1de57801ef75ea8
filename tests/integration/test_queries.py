"""Data queries between data management and the site: open → answered → closed."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import VITALS, new_participant
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


@pytest.fixture
def vitals(study, make_actor):
    participant = new_participant()
    return do_save_form(participant, "VS", "D0", VITALS, actor=make_actor("coordinator")).record


def test_a_query_goes_open_answered_closed_with_the_messages_of_both_sides(
        vitals, data_manager, investigator):
    query = do_raise_query(vitals, "heart_rate", "70 bpm? The source shows 107.",
                           actor=data_manager)
    do_answer_query(query, "Transposed digits; corrected in version 2.", actor=investigator)
    do_close_query(query, actor=data_manager)
    [view] = queries_of(vitals, actor=data_manager)
    assert view.status == "closed" and not view.automatic
    assert [(author, role) for author, role, _, _ in view.messages] == [
        (data_manager.name, "data_manager"), (investigator.name, "investigator")]
    actions = list(AuditEvent.objects.filter(object_type="Query").order_by("sequence")
                   .values_list("action", flat=True))
    assert actions == ["raise_query", "answer_query", "close_query"]


def test_an_unsatisfying_answer_is_reopened_and_answered_again(vitals, data_manager,
                                                                investigator):
    query = do_raise_query(vitals, "temperature", "Axillary or tympanic?", actor=data_manager)
    do_answer_query(query, "Measured.", actor=investigator)
    do_reopen_query(query, "Which site of measurement?", actor=data_manager)
    do_answer_query(query, "Tympanic.", actor=investigator)
    query.refresh_from_db()
    assert query.status == Query.Status.ANSWERED and query.messages.count() == 4


def test_each_step_is_refused_to_roles_without_its_permission(vitals, data_manager,
                                                               investigator, make_actor):
    with pytest.raises(NotPermittedError):
        do_raise_query(vitals, "", "Please check", actor=investigator)
    query = do_raise_query(vitals, "", "Please check the whole form", actor=data_manager)
    with pytest.raises(NotPermittedError):
        do_answer_query(query, "Checked", actor=data_manager)
    do_answer_query(query, "Checked against the chart", actor=make_actor("edss_rater"))
    with pytest.raises(NotPermittedError):
        do_close_query(query, actor=investigator)
    do_close_query(query, actor=make_actor("monitor"))


def test_state_and_input_are_checked(vitals, data_manager, investigator):
    with pytest.raises(InvalidInputError) as unknown_item:
        do_raise_query(vitals, "weight", "Weight?", actor=data_manager)
    with pytest.raises(InvalidInputError) as empty:
        do_raise_query(vitals, "heart_rate", "  ", actor=data_manager)
    assert (unknown_item.value.field, empty.value.field) == ("item_id", "text")
    query = do_raise_query(vitals, "heart_rate", "Rate?", actor=data_manager)
    with pytest.raises(InvalidInputError) as silent_close:
        do_close_query(query, actor=data_manager)
    assert silent_close.value.field == "text"
    with pytest.raises(StateConflictError):
        do_reopen_query(query, "again", actor=data_manager)
    do_close_query(query, "Raised on the wrong visit", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_answer_query(query, "late answer", actor=investigator)


def test_unresolved_queries_are_listed_by_site_only_where_the_actor_works(
        vitals, data_manager, make_actor):
    elsewhere = new_participant("S-900", site="ELSEWHERE")
    far = do_save_form(elsewhere, "VS", "D0", VITALS,
                       actor=make_actor("coordinator", site="ELSEWHERE")).record
    do_raise_query(vitals, "heart_rate", "Rate?", actor=data_manager)
    do_raise_query(far, "temperature", "Unit?", actor=data_manager)
    closed = do_raise_query(far, "", "Dup", actor=data_manager)
    do_close_query(closed, "duplicate", actor=data_manager)
    everywhere = unresolved_queries_by_site(actor=data_manager)
    assert {site: [q.item for q in qs] for site, qs in everywhere.items()} == {
        "CMUH": ["heart_rate"], "ELSEWHERE": ["temperature"]}
    site_view = unresolved_queries_by_site(actor=make_actor("investigator"))
    assert list(site_view) == ["CMUH"]
    with pytest.raises(NotFoundError):
        queries_of(far, actor=make_actor("coordinator", username="cmuh-coordinator"))
