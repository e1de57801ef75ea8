"""The preparing role's queue: kits it prepares, with a button to confirm each one ready."""

from __future__ import annotations

from django.contrib.auth.models import User

from tests.integration.pages.support import client_for, demo_trial
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import KitPreparation, Participant, RandomizationSlot
from trialkit.web.trial.study import current_study, protocol_of


def _randomize_the_waiting_candidate(demo) -> RandomizationSlot:
    """The demo's consented candidate is randomized: a kit nobody has prepared yet."""
    protocol = protocol_of(current_study())
    role = next(r.id for r in protocol.roles if "randomize" in r.can)
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    randomizer = actor_for(User.objects.get(username=sign_in.username), role)
    waiting = Participant.objects.get(status=Participant.Status.CONSENTED)
    do_randomize_participant(waiting, actor=randomizer)
    return RandomizationSlot.objects.select_related("participant").get(participant=waiting)


def test_the_preparing_role_confirms_a_pending_kit_from_its_queue():
    demo = demo_trial()
    protocol = protocol_of(current_study())
    preparer = next(r for r in protocol.roles if "prepare_kit" in r.can)
    slot = _randomize_the_waiting_candidate(demo)
    administration = next(a for a in protocol.design.administrations
                          if a.prepared_by == preparer.id)
    client = client_for(demo, preparer.id)
    queue = client.get("/preparations/").content.decode()
    assert "Confirm prepared" in queue and slot.kit_code in queue
    assert f"<h1>{preparer.workspace or 'Preparations'}</h1>" in queue
    form = {"kit_code": slot.kit_code, "administration_id": administration.id}
    blinded = next(r for r in protocol.roles if r.blinded and "enter_data" in r.can)
    assert client_for(demo, blinded.id).post("/preparations/confirm/", form).status_code == 403
    assert client.post("/preparations/confirm/", form).status_code == 302
    assert KitPreparation.objects.filter(participant=slot.participant,
                                         administration_id=administration.id).exists()
    assert "Preparation confirmed." in client.get("/preparations/").content.decode()
