"""The gates' checks read in the reader's language: the sentences core explains a gate with
(sequential enrolment, the committee's gate, pauses, the enrolment cap) are templates marked for
the catalogue, worded on a page in the reader's language and in the protocol's own in the API.

Before, core built each sentence as an English f-string, so a Traditional Chinese dashboard,
committee page and enrolment page showed every gate check in English, and a refused
randomization was explained in English between Chinese words."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import START, eligible_and_consented, list_live, make_team
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.scheduling import Check, Verdict
from trialkit.web.pages import readers
from trialkit.web.trial.study import current_study, protocol_to_read
from trialkit.web.trial.wording import name_of, sentence_of

pytestmark = pytest.mark.protocols()


def _worded(verdicts: list[Verdict]) -> list[Check]:
    checks = [check for verdict in verdicts for check in verdict.checks
              if check.wording is not None]
    assert checks, "the gates have checks worded by core"
    return checks


def _assert_read_in_chinese(page: str, checks: list[Check]) -> None:
    with translation.override("zh-hant"):
        for check in checks:
            chinese = sentence_of(check)
            assert chinese != check.sentence, f"no translation of {check.wording}"
            assert chinese.lower() in page
            assert check.sentence.lower() not in page


def test_the_enrolment_page_explains_every_check_in_chinese(trial, make_actor, clock):
    team = make_team(trial, make_actor)
    candidate = eligible_and_consented("W-01", team, clock, START)
    client = signed_in(team.coordinator.name, PASSWORD)
    client.cookies["trialkit_language"] = "zh-hant"
    page = text_of(client.get(reverse("pages:enrol", args=[candidate.pk])).content)
    with translation.override("zh-hant"):
        verdicts = [readers.enrolment_checks(candidate, part.id, team.coordinator)
                    for part in trial.protocol.design.parts]
    _assert_read_in_chinese(page, _worded(verdicts))


@pytest.mark.protocols("committee_gate")
def test_the_dashboard_and_committee_page_name_and_explain_the_gates_in_chinese(
        trial, make_actor, clock):
    team = make_team(trial, make_actor)
    study = current_study()
    with translation.override("zh-hant"):
        verdicts = readers.gate_status(study, protocol_to_read(study))
        names = [name_of(verdict) for verdict in verdicts]
    for page_name, role in (("pages:dashboard", team.coordinator),
                            ("pages:committee", team.actor(trial.protocol.gates.committee[0]
                                                           .signer_role))):
        client = signed_in(role.name, PASSWORD)
        client.cookies["trialkit_language"] = "zh-hant"
        page = text_of(client.get(reverse(page_name)).content)
        _assert_read_in_chinese(page, _worded(verdicts))
        for verdict, name in zip(verdicts, names, strict=True):
            assert name.lower() in page
            if verdict.wording is not None:
                assert verdict.name.lower() not in page


def test_a_translated_administration_is_named_in_the_readers_words(trial):
    # The reference protocol carries zh-Hant names of its administrations; core's sentences
    # name an administration without an article, so "the " is in the English template only.
    from trialkit.core.scheduling import names_of

    protocol = trial.protocol.in_language("zh-hant")
    names = names_of(protocol)
    for adm in trial.protocol.design.administrations:
        assert not names[adm.id].startswith("the ")
        if protocol.administration(adm.id).name != adm.name:
            assert names[adm.id] == protocol.administration(adm.id).name


@pytest.mark.protocols("committee_gate")
def test_a_refused_randomization_is_explained_in_chinese_on_the_page_and_in_english_in_the_api(
        trial, make_actor, clock):
    team = make_team(trial, make_actor)
    list_live(team, clock)
    candidate = eligible_and_consented("W-02", team, clock, START)
    part = trial.randomized_part
    randomizer = next(team.actor(role.id) for role in trial.protocol.roles
                      if "randomize" in role.can)
    with translation.override("en"):
        english = readers.enrolment_checks(candidate, part.id, randomizer)
    closed = next(check for check in english.unmet if check.wording is not None)
    with translation.override("zh-hant"):
        chinese = sentence_of(closed)
    client = signed_in(randomizer.name, PASSWORD)
    client.cookies["trialkit_language"] = "zh-hant"
    answer = client.post(reverse("pages:enrol", args=[candidate.pk]), {"part": part.id},
                         follow=True)
    page = text_of(answer.content)
    assert chinese.lower() in page and closed.sentence.lower() not in page

    api = client.post(f"/api/participants/{candidate.pk}/randomization", {},
                      content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert api.status_code == 409
    assert closed.sentence in api.json()["detail"] and chinese not in api.json()["detail"]
