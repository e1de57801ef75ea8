"""The unblinded roles' work: the preparing role confirms kits, and an administration that is
real in one arm and sham in another is recorded only by the role that may know which."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    give,
    last_it_day,
    make_team,
    open_phase2a,
)
from tests.integration.pages.support import signed_in
from trialkit.web.trial.actions.base import NotFoundError, NotPermittedError, StateConflictError
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import AuditEvent, KitPreparation
from trialkit.web.trial.study import current_study, protocol_of


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def trial(make_actor, clock):
    """Phase I done, one Phase IIa participant randomized; the roles by what they do."""
    team = make_team(make_actor)
    phase1 = open_phase2a(team, clock)
    index = last_it_day(phase1) + dt.timedelta(days=35)
    participant = eligible_and_consented("P2-001", team, clock, index)
    result = do_randomize_participant(participant, actor=team.coordinator)
    protocol = protocol_of(current_study())
    team.others.update({
        "participant": participant, "kit": result.kit_code, "index": index,
        "preparer": make_actor(protocol.design.administrations[0].prepared_by),
        "differs": next(a for a in protocol.design.administrations if a.differs_by_arm),
        "same": next(a for a in protocol.design.administrations if not a.differs_by_arm)})
    return team


def test_the_preparing_role_confirms_a_kit_once_and_the_trail_names_no_content(trial):
    kit, preparer, first = trial.others["kit"], trial.others["preparer"], trial.others["same"]
    done = do_confirm_preparation(kit, first.id, actor=preparer)
    assert (done.kit_code, done.administration_id, done.prepared_by) == (kit, first.id,
                                                                        preparer.user)
    with pytest.raises(StateConflictError, match="already confirmed"):
        do_confirm_preparation(kit, first.id, actor=preparer)
    event = AuditEvent.objects.get(action="confirm_preparation")
    protocol = protocol_of(current_study())
    secrets = {a.id for a in protocol.design.arms} | {a.label for a in protocol.design.arms} | {
        p.preparation for x in protocol.design.administrations for p in x.by_arm.values()}
    text = json.dumps([event.old, event.new, event.reason])
    assert kit in text and not any(secret in text for secret in secrets)


def test_only_the_preparing_role_confirms_and_only_an_allocated_kit(trial):
    kit, first = trial.others["kit"], trial.others["same"]
    with pytest.raises(NotPermittedError, match="prepare kit"):
        do_confirm_preparation(kit, first.id, actor=trial.coordinator)
    with pytest.raises(NotFoundError):
        do_confirm_preparation("NO-SUCH-KIT", first.id, actor=trial.others["preparer"])
    assert not KitPreparation.objects.exists()


def test_a_kit_already_given_is_not_confirmed_afterwards(trial, clock):
    participant, kit, first = (trial.others[k] for k in ("participant", "kit", "same"))
    give(participant, first.id, trial.others["index"], trial.investigator, clock,
         kit_code=kit)
    with pytest.raises(StateConflictError, match="already given"):
        do_confirm_preparation(kit, first.id, actor=trial.others["preparer"])


def test_an_administration_that_differs_by_arm_is_recorded_only_by_its_unblinded_performer(
        trial, clock):
    participant, kit = trial.others["participant"], trial.others["kit"]
    first, differs = trial.others["same"], trial.others["differs"]
    give(participant, first.id, trial.others["index"], trial.coordinator, clock, kit_code=kit)
    day = trial.others["index"] + dt.timedelta(days=28)
    for blinded in (trial.coordinator, trial.investigator):
        with pytest.raises(NotPermittedError, match="real in one arm and sham in another"):
            give(participant, differs.id, day, blinded, clock, kit_code=kit)
    dose = give(participant, differs.id, day, trial.proceduralist, clock, kit_code=kit)
    assert dose.administration_id == differs.id


def test_the_participant_page_offers_each_role_only_the_administrations_it_may_record(trial):
    participant = trial.others["participant"]
    differs, same = trial.others["differs"], trial.others["same"]
    page = f"/participants/{participant.pk}/"
    offered = {}
    for actor in (trial.coordinator, trial.proceduralist):
        text = signed_in(actor.name, PASSWORD).get(page).content.decode()
        offered[actor.role] = {a.id for a in (differs, same)
                               if f'<option value="{a.id}">' in text}
    assert offered[trial.coordinator.role] == {same.id}
    assert differs.id in offered[trial.proceduralist.role]
