"""Concealment on every randomized protocol: who may read an allocation (an arm, or a crossover
participant's sequence), a preparation, a real/sham procedure; emergency unblinding."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    Clock,
    make_team,
    open_randomized_part,
    randomized,
)
from tests.protocol_cases import allocation_secrets, named_in
from trialkit.web.trial.access import (
    access_allocation,
    access_preparation,
    access_procedure_type,
    access_randomization_list,
)
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.oversight import do_unblind_participant
from trialkit.web.trial.models import AuditEvent, Notification, RandomizationSlot, Unblinding

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def trial_state(trial, make_actor, clock):
    """The randomized part open (its reviewed part done, if any), two participants
    randomized — in different strata where the protocol stratifies."""
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    strata = trial.protocol.randomization.strata
    people = []
    for n in range(2):
        changes = {f.form: {f.item: f.levels[n % len(f.levels)]} for f in strata}
        people.append(randomized(f"R-{n + 1:03d}", team, clock, opened.day0, changes)[0])
    team.others.update({"earlier": opened.earlier, "randomized": people})
    return team


def _allocated(participant) -> str:
    slot = RandomizationSlot.objects.get(participant=participant)
    return slot.treatment_sequence or slot.arm


def _blind(trial) -> list[str]:
    return [r.id for r in trial.protocol.roles if "allocation" not in r.sees]


def test_roles_that_do_not_see_the_allocation_are_refused_it(trial, trial_state):
    participant = trial_state.others["randomized"][0]
    assert _blind(trial), "every protocol keeps the allocation from someone"
    for role in _blind(trial):
        actor = trial_state.actor(role)
        with pytest.raises(NotPermittedError):
            access_allocation(participant, actor)
        with pytest.raises(NotPermittedError):
            access_randomization_list(actor)


def test_unblinded_roles_see_what_their_work_needs(trial, trial_state):
    participant = trial_state.others["randomized"][1]
    allocated = _allocated(participant)
    part = trial.randomized_part
    administration = trial.administrations()[0]
    preparer = trial_state.actor(trial.preparer(administration))
    kit = RandomizationSlot.objects.get(participant=participant).kit_code
    arm = part.arm_in_period(allocated, administration.period) if part.is_crossover \
        else allocated
    assert access_preparation(kit, preparer)[administration.id] == \
        administration.by_arm[arm].preparation
    with pytest.raises(NotPermittedError):
        access_preparation(kit, trial_state.coordinator)
    with pytest.raises(NotFoundError):
        access_preparation("NO-SUCH-KIT", preparer)
    view = access_allocation(participant, trial_state.actor(trial.list_manager))
    assert (view.sequence or view.arm) == allocated
    rows = access_randomization_list(trial_state.statistician)
    assert sum(r["participant"] is not None for r in rows) == 2


@pytest.mark.protocols("randomized", "differs_by_arm")
def test_only_the_performer_sees_whether_a_procedure_is_real(trial, trial_state):
    participant = trial_state.others["randomized"][0]
    differs = next(a for a in trial.administrations() if a.differs_by_arm)
    allocated = _allocated(participant)
    arm = trial.randomized_part.arm_in_period(allocated, differs.period) \
        if trial.randomized_part.is_crossover else allocated
    performer = trial_state.actor(trial.performer(differs))
    assert access_procedure_type(participant, differs.id, performer) == \
        differs.by_arm[arm].procedure
    for role in (r.id for r in trial.protocol.roles if "procedure_type" not in r.sees):
        with pytest.raises(NotPermittedError):
            access_procedure_type(participant, differs.id, trial_state.actor(role))


@pytest.mark.protocols("randomized", "non_randomized_part")
def test_the_arm_of_a_single_arm_open_label_part_is_no_secret(trial, trial_state):
    earlier = trial_state.others["earlier"][0]
    earlier.refresh_from_db()
    part = trial.protocol.part(earlier.part)
    assert part.masking.level == "NONE" and len(part.arms) == 1
    view = access_allocation(earlier, trial_state.coordinator)
    assert view.arm == part.arms[0]


@pytest.mark.protocols("emergency_unblinding")
def test_emergency_unblinding_reveals_one_allocation_to_the_investigator_and_notifies_without_it(
        trial, trial_state):
    first, second = trial_state.others["randomized"]
    unblinder = trial_state.actor(trial.role("emergency_unblind"))
    with pytest.raises(NotPermittedError):
        do_unblind_participant(first, "anaphylaxis", PASSWORD, actor=trial_state.coordinator)
    with pytest.raises(NotPermittedError) as wrong:
        do_unblind_participant(first, "anaphylaxis", "guess", actor=unblinder)
    assert wrong.value.field == "password"
    with pytest.raises(InvalidInputError) as no_reason:
        do_unblind_participant(first, "  ", PASSWORD, actor=unblinder)
    assert no_reason.value.field == "reason"
    if trial_state.others["earlier"]:
        with pytest.raises(StateConflictError):
            do_unblind_participant(trial_state.others["earlier"][0], "x", PASSWORD,
                                   actor=unblinder)
    notices = Notification.objects.filter(subject__startswith="Emergency unblinding")
    assert not Unblinding.objects.exists() and not notices.exists()

    do_unblind_participant(first, "Anaphylaxis in the emergency room; treating physician "
                           "needs to know the treatment", PASSWORD, actor=unblinder)
    view = access_allocation(first, unblinder)
    assert (view.sequence or view.arm) == _allocated(first)
    with pytest.raises(NotPermittedError):
        access_allocation(second, unblinder)
    with pytest.raises(NotPermittedError):
        access_allocation(first, trial_state.coordinator)
    told = {r.id for r in trial.protocol.roles if "emergency_unblinding" in r.notified_of}
    assert told and {n.recipient_role for n in notices.all()} == told
    hidden = allocation_secrets(trial.protocol)
    assert not any(named_in(n.subject + n.body, hidden) for n in notices.all())
    assert all(first.screening_number in n.body for n in notices.all())
    event = AuditEvent.objects.get(action="unblind_participant")
    assert event.actor == unblinder.name and "Anaphylaxis" in event.reason


def test_no_audit_event_names_an_allocation(trial, trial_state):
    if trial.has("emergency_unblinding"):
        do_unblind_participant(trial_state.others["randomized"][0], "Severe reaction",
                               PASSWORD, actor=trial_state.actor(trial.role("emergency_unblind")))
    hidden = allocation_secrets(trial.protocol)
    for event in AuditEvent.objects.all():
        text = json.dumps([event.old, event.new, event.reason])
        assert not named_in(text, hidden), (event.action, text)
