"""Concealment: who may read an arm, a preparation, a real/sham procedure; emergency unblinding."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    last_it_day,
    make_team,
    open_phase2a,
)
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
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import AuditEvent, Notification, RandomizationSlot, Unblinding
from trialkit.web.trial.study import current_study, protocol_of

BLINDED = ("coordinator", "investigator", "edss_rater", "smc_member", "smc_chair", "monitor",
           "data_manager", "statistician", "sponsor_viewer", "administrator")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def trial(make_actor, clock):
    """Phase I done, Phase IIa open, one RRMS and one SPMS participant randomized."""
    team = make_team(make_actor)
    phase1 = open_phase2a(team, clock)
    index = last_it_day(phase1) + dt.timedelta(days=35)
    randomized = []
    for number, course in (("P2-001", "RRMS"), ("P2-002", "SPMS")):
        p = eligible_and_consented(number, team, clock, index, course=course)
        do_randomize_participant(p, actor=team.coordinator)
        randomized.append(p)
    team.others.update({"cell_lab": make_actor("cell_lab"), "phase1": phase1,
                        "randomized": randomized})
    return team


def _arm(participant) -> str:
    return RandomizationSlot.objects.get(participant=participant).arm


def _secrets() -> set[str]:
    """Every string that would reveal an arm: ids, labels, preparations."""
    protocol = protocol_of(current_study())
    found = {arm.id for arm in protocol.design.arms} | {arm.label for arm in protocol.design.arms}
    for administration in protocol.design.administrations:
        found |= {p.preparation for p in administration.by_arm.values()}
    return found


def test_blinded_roles_are_refused_the_arm(trial, make_actor):
    participant = trial.others["randomized"][0]
    for role in BLINDED:
        actor = {"coordinator": trial.coordinator, "investigator": trial.investigator,
                 "smc_chair": trial.chair}.get(role) or make_actor(role)
        with pytest.raises(NotPermittedError):
            access_allocation(participant, actor)
        with pytest.raises(NotPermittedError):
            access_randomization_list(actor)


def test_unblinded_roles_see_what_their_work_needs(trial):
    participant = trial.others["randomized"][1]
    arm = _arm(participant)
    protocol = protocol_of(current_study())
    lab = trial.others["cell_lab"]
    assert access_allocation(participant, lab).arm == arm
    kit = RandomizationSlot.objects.get(participant=participant).kit_code
    assert access_preparation(kit, lab) == {
        a.id: a.by_arm[arm].preparation for a in protocol.design.administrations}
    with pytest.raises(NotPermittedError):
        access_preparation(kit, trial.coordinator)
    with pytest.raises(NotFoundError):
        access_preparation("UMSC-0000-0000-0", lab)
    expected = "sham" if arm == "placebo" else "real"
    assert access_procedure_type(participant, "it", trial.proceduralist) == expected
    for actor in (trial.coordinator, trial.investigator):
        with pytest.raises(NotPermittedError):
            access_procedure_type(participant, "it", actor)
    rows = access_randomization_list(trial.statistician)
    assert {r["arm"] for r in rows} == {"umsc01", "placebo"}
    assert sum(r["participant"] is not None for r in rows) == 2


def test_the_open_label_phase1_arm_is_no_secret(trial):
    phase1 = trial.others["phase1"][0]
    assert access_allocation(phase1, trial.coordinator).arm == "umsc01"
    assert access_procedure_type(phase1, "it", trial.coordinator) == "real"


def test_emergency_unblinding_reveals_one_arm_to_the_investigator_and_notifies_without_it(
        trial):
    first, second = trial.others["randomized"]
    with pytest.raises(NotPermittedError):
        do_unblind_participant(first, "anaphylaxis", PASSWORD, actor=trial.coordinator)
    with pytest.raises(NotPermittedError) as wrong:
        do_unblind_participant(first, "anaphylaxis", "guess", actor=trial.investigator)
    assert wrong.value.field == "password"
    with pytest.raises(InvalidInputError) as no_reason:
        do_unblind_participant(first, "  ", PASSWORD, actor=trial.investigator)
    assert no_reason.value.field == "reason"
    with pytest.raises(StateConflictError):
        do_unblind_participant(trial.others["phase1"][0], "x", PASSWORD,
                               actor=trial.investigator)
    unblinding_notices = Notification.objects.filter(subject__startswith="Emergency unblinding")
    assert not Unblinding.objects.exists() and not unblinding_notices.exists()

    do_unblind_participant(first, "Anaphylaxis in the emergency room; treating physician "
                           "needs to know the treatment", PASSWORD, actor=trial.investigator)
    assert access_allocation(first, trial.investigator).arm == _arm(first)
    with pytest.raises(NotPermittedError):
        access_allocation(second, trial.investigator)
    with pytest.raises(NotPermittedError):
        access_allocation(first, trial.coordinator)
    notified = unblinding_notices.all()
    told = {r.id for r in protocol_of(current_study()).roles
            if "emergency_unblinding" in r.notified_of}
    assert told and {n.recipient_role for n in notified} == told
    secrets = _secrets()
    assert not any(s in n.subject + n.body for n in notified for s in secrets)
    assert all(first.screening_number in n.body for n in notified)
    event = AuditEvent.objects.get(action="unblind_participant")
    assert event.actor == trial.investigator.name and "Anaphylaxis" in event.reason


def test_no_audit_event_a_blinded_role_can_read_names_an_arm(trial):
    do_unblind_participant(trial.others["randomized"][0], "Severe reaction", PASSWORD,
                           actor=trial.investigator)
    secrets = _secrets()
    for event in AuditEvent.objects.all():
        text = json.dumps([event.old, event.new, event.reason])
        assert not any(secret in text for secret in secrets), (event.action, text)
