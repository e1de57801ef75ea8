"""The write paths the server benchmark measures cost a bounded number of statements, and the
locks that serialise writers are held for few of them (benchmarks/bench_server.py, docs/deploy.md
'Performance'). Upper bounds on counts, not times: a change that adds a query to a
randomization or a form save, or takes the list or audit-head lock earlier, fails here.

Each action runs with an actor made afresh, as a request makes one (its study and protocol are
read once, inside the action)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.integration.capture_support import measured
from tests.integration.journey_support import (
    eligible_and_consented,
    open_randomized_part,
)
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import AuditEvent

# The counts include the savepoint and its release (the commit, outside a test). Before the
# issue-11 performance work: 31 per randomization, 19 of them under the list lock, and 18 per
# form correction; 9 and 6 from the first audit-head lock to the commit.
RANDOMIZATION_BOUND = 21
"""Statements of one randomization (its enrolment included)."""
UNDER_LIST_LOCK_BOUND = 9
"""From taking the list lock to the commit (every randomization waits for these): the lock,
the slots, the part's count, the participant, the slot, the audit head, the events, the head
and the commit."""
FORM_SAVE_BOUND = 14
"""Statements of a correction of a saved form (one new version, one event)."""
UNDER_HEAD_LOCK_BOUND = 4
"""From taking the audit head lock (which every writer waits for) to the commit: the lock, the
events, the head, the commit."""


def _fresh(actor):
    return actor_for(actor.user, actor.role, via_token=actor.via_token)


def _after(statements: list[str], marker: str) -> int:
    """How many statements run after the last one containing ``marker`` (inclusive)."""
    at = max(i for i, sql in enumerate(statements) if marker in sql)
    return len(statements) - at


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.protocols("randomized")
def test_a_randomization_costs_a_bounded_number_of_statements_few_under_the_list_lock(
        team, clock):
    opened = open_randomized_part(team, clock)
    first = eligible_and_consented("Q-001", team, clock, opened.day0)
    do_randomize_participant(first, actor=_fresh(team.coordinator))
    second = eligible_and_consented("Q-002", team, clock, opened.day0)
    actor = _fresh(team.coordinator)
    with CaptureQueriesContext(connection) as captured:
        result = do_randomize_participant(second, actor=actor)
    assert result.new
    statements = _statements(captured)
    assert len(statements) <= RANDOMIZATION_BOUND, "\n".join(statements)
    assert _after(statements, 'FROM "trial_randomizationlist"') <= UNDER_LIST_LOCK_BOUND, \
        "\n".join(statements)
    assert _after(statements, 'FROM "trial_audithead"') <= UNDER_HEAD_LOCK_BOUND
    # Both events of the action (enrolment, randomization) were appended in that one go.
    assert sum('INTO "trial_auditevent"' in sql for sql in statements) == 1
    assert list(AuditEvent.objects.order_by("-sequence").values_list("action", flat=True)[:2]) \
        == ["randomize_participant", "enrol_participant"]


@pytest.mark.protocols()
def test_a_form_correction_costs_a_bounded_number_of_statements(trial, participant,
                                                                 make_actor):
    target = measured(trial)
    entering = make_actor(trial.entry_role(target.form))
    values = target.values(trial)
    do_save_form(participant, target.form.id, target.visit, values, actor=_fresh(entering))
    changed = {**values, target.item.id: target.other(values[target.item.id])}
    actor = _fresh(entering)
    with CaptureQueriesContext(connection) as captured:
        version = do_save_form(participant, target.form.id, target.visit, changed,
                               actor=actor, reason="transcription corrected")
    assert version.number == 2
    statements = _statements(captured)
    assert len(statements) <= FORM_SAVE_BOUND, "\n".join(statements)
    assert _after(statements, 'FROM "trial_audithead"') <= UNDER_HEAD_LOCK_BOUND, \
        "\n".join(statements)
