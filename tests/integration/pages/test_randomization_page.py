"""Enrolment and randomization from the page, on every randomized protocol: every check shown
before the button, the gate's refusal where a committee gate stands before the part, and a
result that shows the number and kit but no allocation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.integration.committee_support import open_report
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    make_team,
    open_randomized_part,
    reviewed_part_done,
)
from tests.integration.pages.support import signed_in, text_of
from tests.protocol_cases import allocation_secrets, named_in
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.models import RandomizationSlot

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.mark.protocols("randomized", "committee_gate")
def test_randomization_is_refused_before_the_committee_decision_and_shows_its_checks(
        trial, make_actor, clock):
    team = make_team(trial, make_actor)
    opened = reviewed_part_done(team, clock)
    part = trial.randomized_part
    candidate = eligible_and_consented("R-01", team, clock, opened.day0)
    client = signed_in(team.coordinator.name, PASSWORD)
    url = reverse("pages:enrol", args=[candidate.pk])

    before = client.get(url).content.decode()
    assert "The participant is eligible under the current protocol version." in before
    assert "✗ not met" in before and "disabled" in before
    refused = client.post(url, {"part": part.id}, follow=True)
    assert "randomization refused" in text_of(refused.content)
    assert not RandomizationSlot.objects.filter(participant=candidate).exists()

    gate = trial.committee_gate_opening(part.id)
    do_sign_safety_decision(gate.opening_decisions[0], "Reviewed part safe", PASSWORD,
                            actor=team.actor(gate.signer_role), report_sha256=open_report(
                                team.actor, trial.protocol,
                                trial.protocol.gates.committee.index(gate)),
                            gate_index=trial.protocol.gates.committee.index(gate))
    after = client.get(url).content.decode()
    assert "✗ not met" not in after.split(part.name)[-1]


def test_randomizing_from_the_page_shows_the_number_and_kit_but_no_allocation(
        trial, make_actor, clock):
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    candidate = eligible_and_consented("R-02", team, clock, opened.day0)
    client = signed_in(team.coordinator.name, PASSWORD)
    url = reverse("pages:enrol", args=[candidate.pk])
    assert "✗ not met" not in client.get(url).content.decode().split(
        trial.randomized_part.name)[-1]
    response = client.post(url, {"part": trial.randomized_part.id})
    assert response["Location"] == reverse("pages:randomization_result", args=[candidate.pk])
    slot = RandomizationSlot.objects.get(participant=candidate)
    result = client.get(response["Location"]).content.decode()
    assert slot.number in result and slot.kit_code in result
    if "allocation" not in trial.protocol.role(trial.screener).sees:
        assert not named_in(text_of(result.encode()),
                            {s.lower() for s in allocation_secrets(trial.protocol)})
