"""The preparing role's queue, on every randomized protocol: kits it prepares, with a button
to confirm each one ready."""

from __future__ import annotations

import pytest

from tests.integration.pages.support import client_for, randomize_the_waiting_candidate
from trialkit.web.trial.models import KitPreparation

pytestmark = pytest.mark.protocols("randomized")


def test_the_preparing_role_confirms_a_pending_kit_from_its_queue(trial, module_demo):
    protocol = trial.protocol
    preparer = next(r for r in protocol.roles if "prepare_kit" in r.can)
    slot = randomize_the_waiting_candidate(module_demo, protocol)
    administration = next(a for a in trial.administrations() if a.prepared_by == preparer.id)
    client = client_for(module_demo, preparer.id)
    queue = client.get("/preparations/").content.decode()
    assert "Confirm prepared" in queue and slot.kit_code in queue
    assert f"<h1>{preparer.workspace or 'Preparations'}</h1>" in queue
    form = {"kit_code": slot.kit_code, "administration_id": administration.id}
    blinded = next(r for r in protocol.roles if r.blinded and "enter_data" in r.can)
    assert client_for(module_demo, blinded.id).post("/preparations/confirm/",
                                                    form).status_code == 403
    assert client.post("/preparations/confirm/", form).status_code == 302
    assert KitPreparation.objects.filter(participant=slot.participant,
                                         administration_id=administration.id).exists()
    assert "Preparation confirmed." in client.get("/preparations/").content.decode()
