"""The unblinded roles' work on every randomized protocol: the preparing role confirms kits,
and an administration that differs by arm (real in one, sham or nothing in another) is
recorded only by the role that may know which."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    DAY,
    Clock,
    give,
    make_team,
    open_randomized_part,
    randomized,
)
from tests.integration.pages.support import signed_in
from tests.protocol_cases import allocation_secrets, named_in
from trialkit.web.trial.actions.base import NotFoundError, NotPermittedError, StateConflictError
from trialkit.web.trial.actions.dosing import why_not_record
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.models import AuditEvent, KitPreparation

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def state(trial, make_actor, clock):
    """One participant randomized in the open part; the first administration and its
    preparing role."""
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    participant, kit = randomized("R-001", team, clock, opened.day0)
    first = trial.administrations()[0]
    team.others.update({"participant": participant, "kit": kit, "day0": opened.day0,
                        "first": first, "preparer": team.actor(first.prepared_by)})
    return team


def test_the_preparing_role_confirms_a_kit_once_and_the_trail_names_no_content(trial, state):
    kit, preparer, first = (state.others[k] for k in ("kit", "preparer", "first"))
    done = do_confirm_preparation(kit, first.id, actor=preparer)
    assert (done.kit_code, done.administration_id, done.prepared_by) == (kit, first.id,
                                                                        preparer.user)
    with pytest.raises(StateConflictError, match="already confirmed"):
        do_confirm_preparation(kit, first.id, actor=preparer)
    event = AuditEvent.objects.get(action="confirm_preparation")
    text = json.dumps([event.old, event.new, event.reason])
    assert kit in text and not named_in(text, allocation_secrets(trial.protocol))


def test_only_the_preparing_role_confirms_and_only_an_allocated_kit(trial, state):
    kit, first = state.others["kit"], state.others["first"]
    with pytest.raises(NotPermittedError, match="prepare kit"):
        do_confirm_preparation(kit, first.id, actor=state.coordinator)
    with pytest.raises(NotFoundError):
        do_confirm_preparation("NO-SUCH-KIT", first.id, actor=state.others["preparer"])
    assert not KitPreparation.objects.exists()


def test_a_kit_already_given_is_not_confirmed_afterwards(trial, state, clock):
    participant, kit, first = (state.others[k] for k in ("participant", "kit", "first"))
    give(participant, first.id, state.others["day0"], state.performing(first.id), clock,
         kit_code=kit)
    with pytest.raises(StateConflictError, match="already given"):
        do_confirm_preparation(kit, first.id, actor=state.others["preparer"])


def _given_before(trial, state, clock, differs) -> None:
    """The administrations given before ``differs``, on their days."""
    participant, kit, day0 = (state.others[k] for k in ("participant", "kit", "day0"))
    for administration in trial.administrations():
        if administration.id == differs.id:
            return
        give(participant, administration.id, day0 + trial.day_of(administration) * DAY,
             state.performing(administration.id), clock, kit_code=kit)


@pytest.mark.protocols("randomized", "differs_by_arm")
def test_an_administration_that_differs_by_arm_is_recorded_only_by_its_unblinded_performer(
        trial, state, clock):
    participant, kit = state.others["participant"], state.others["kit"]
    differs = next(a for a in trial.administrations() if a.differs_by_arm)
    _given_before(trial, state, clock, differs)
    day = state.others["day0"] + trial.day_of(differs) * DAY
    refused = [r.id for r in trial.roles("enter_data") if r.site_scoped
               and r.id != differs.performed_by]
    assert refused
    for role in refused:
        with pytest.raises(NotPermittedError, match="real in one arm and sham in another"):
            give(participant, differs.id, day, state.actor(role), clock, kit_code=kit)
    dose = give(participant, differs.id, day, state.performing(differs.id), clock,
                kit_code=kit)
    assert dose.administration_id == differs.id


def test_the_participant_page_offers_each_role_only_the_administrations_it_may_record(
        trial, state):
    participant = state.others["participant"]
    page = f"/participants/{participant.pk}/"
    roles = {trial.screener, *(a.performed_by for a in trial.administrations())}
    for role in sorted(roles):
        actor = state.actor(role)
        text = signed_in(actor.name, PASSWORD).get(page).content.decode()
        offered = {a.id for a in trial.administrations()
                   if f'<option value="{a.id}">' in text}
        assert offered == {a.id for a in trial.administrations()
                           if not why_not_record(actor, a)}, role
