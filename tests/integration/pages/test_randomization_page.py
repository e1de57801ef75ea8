"""Enrolment and randomization from the page: every check shown before the button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    last_it_day,
    make_team,
    run_phase1,
)
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_release_randomization_list,
)
from trialkit.web.trial.models import RandomizationSlot


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_randomization_is_refused_before_the_smc_decision_and_shows_its_checks(make_actor,
                                                                               clock):
    team = make_team(make_actor)
    clock.set(START - dt.timedelta(days=30))
    do_generate_randomization_list(20260101, actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)
    phase1 = run_phase1(team, clock)
    candidate = eligible_and_consented("P2-01", team, clock,
                                       last_it_day(phase1) + dt.timedelta(days=35))
    client = signed_in(team.coordinator.name, PASSWORD)
    url = reverse("pages:enrol", args=[candidate.pk])

    before = client.get(url).content.decode()
    assert "The participant is eligible under the current protocol version." in before
    assert "✗ not met" in before and "disabled" in before
    refused = client.post(url, {"part": "phase2a"}, follow=True)
    assert "randomization refused" in text_of(refused.content)
    assert not RandomizationSlot.objects.filter(participant=candidate).exists()

    do_sign_safety_decision("proceed", "Phase I safe", PASSWORD, actor=team.chair)
    after = client.get(url).content.decode()
    assert "✗ not met" not in after.split("Phase IIa")[-1]
    response = client.post(url, {"part": "phase2a"})
    assert response["Location"] == reverse("pages:randomization_result", args=[candidate.pk])
    slot = RandomizationSlot.objects.get(participant=candidate)
    result = client.get(response["Location"]).content.decode()
    assert slot.number in result and slot.kit_code in result
    assert slot.arm not in result.lower()
