"""The preparing role's queue, on every randomized protocol: kits it prepares, with a button
to confirm each one ready."""

from __future__ import annotations

import pytest

from tests.integration.pages.support import client_for, randomize_the_waiting_candidate, text_of
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


def test_the_randomization_list_names_each_stratum_in_words_not_as_stored(trial, module_demo):
    # The page once showed the stored key: [["ms_course", "RRMS"]].
    protocol = trial.protocol
    page = text_of(client_for(module_demo, trial.list_manager).get(
        "/randomization/list/").content)
    assert "[[" not in page and "[]" not in page
    assert f"part {protocol.part(protocol.randomization.part).name.lower()}" in page
    if not protocol.randomization.strata:
        assert "all participants" in page
    for factor in protocol.randomization.strata:
        item = protocol.form(factor.form).item(factor.item)
        codes = protocol.codelist(item.codelist) if item.codelist else None
        for level in factor.levels:
            shown = codes.decode(level) if codes else level
            assert f"{item.label}: {shown}".lower() in page, (factor.id, level)
