"""Enrolment into a part that is not randomized, from the page: the confirmation names the part
as people read it (its name, in the reader's language where the protocol carries one), never
its id."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import START, eligible_and_consented, list_live, make_team
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.models import Participant

pytestmark = pytest.mark.protocols("non_randomized_part")


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_enrolling_from_the_page_names_the_part_in_the_readers_words(
        trial, make_actor, clock, language):
    team = make_team(trial, make_actor)
    list_live(team, clock)
    part = trial.entry_part
    assert part.allocation != "RANDOMIZED"
    candidate = eligible_and_consented("E-01", team, clock, START)
    client = signed_in(team.coordinator.name, PASSWORD)
    client.cookies["trialkit_language"] = language
    answer = client.post(reverse("pages:enrol", args=[candidate.pk]), {"part": part.id},
                         follow=True)
    name = trial.protocol.in_language(language).part(part.id).name
    with translation.override(language):
        said = gettext("Enrolled in %(part)s.") % {"part": name}
    assert said.lower() in text_of(answer.content)
    assert Participant.objects.get(pk=candidate.pk).part == part.id


@pytest.mark.protocols()
def test_the_participants_own_checks_are_in_the_readers_language(trial, make_actor, clock):
    # They were English literals, shown as they were on a Traditional Chinese page.
    team = make_team(trial, make_actor)
    candidate = eligible_and_consented("E-02", team, clock, START)
    client = signed_in(team.coordinator.name, PASSWORD)
    client.cookies["trialkit_language"] = "zh-hant"
    page = text_of(client.get(reverse("pages:enrol", args=[candidate.pk])).content)
    with translation.override("zh-hant"):
        consented = gettext("Informed consent is on file.")
    assert consented != "Informed consent is on file."
    assert consented.lower() in page
    assert "informed consent is on file" not in page
