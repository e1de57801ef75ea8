"""Screening through the pages: the checklist follows the data as it is entered."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import screening_forms
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.models import Participant


def _criterion(text: str, criterion: str) -> str:
    """The checklist line of one criterion, e.g. ``i4 unknown inclusion: ...``."""
    start = text.index(f" {criterion.lower()} ")
    return text[start:start + 400]


def _post_form(client, participant, form_id, data):
    fields = {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
              for k, v in data.items()}
    url = reverse("pages:form_entry", args=[participant.pk, "SCR", form_id])
    return client.post(url, fields)


def test_the_checklist_updates_as_screening_data_arrives_and_says_what_is_missing(make_actor):
    make_actor("coordinator")
    rater = make_actor("edss_rater")
    client = signed_in("coordinator-CMUH", PASSWORD)
    response = client.post(reverse("pages:register_candidate"),
                           {"screening_number": "S-100", "site": "CMUH"})
    participant = Participant.objects.get(screening_number="S-100")
    assert response["Location"] == reverse("pages:screening", args=[participant.pk])
    page = text_of(client.get(response["Location"]).content)
    assert "checklist for a planned day 0" in page
    assert _criterion(page, "I4").startswith(" i4 unknown")
    assert "still missing:" in _criterion(page, "I4") and "no edss score" in _criterion(page, "I4")

    today = timezone.localdate()
    forms = screening_forms(today)
    for form_id in ("DM", "MSHIST", "ELIG", "LAB", "MRI"):
        assert _post_form(client, participant, form_id, forms[form_id]).status_code == 302
    rater_client = signed_in(rater.name, PASSWORD)
    assert _post_form(rater_client, participant, "EDSS", forms["EDSS"]).status_code == 302

    page = text_of(client.get(reverse("pages:screening", args=[participant.pk])).content)
    assert _criterion(page, "I4").startswith(" i4 met")
    assert _criterion(page, "E2").startswith(" e2 not_met")


def test_the_checklist_fragment_follows_the_planned_day_zero(make_actor):
    make_actor("coordinator")
    client = signed_in("coordinator-CMUH", PASSWORD)
    client.post(reverse("pages:register_candidate"), {"screening_number": "S-101", "site": "CMUH"})
    participant = Participant.objects.get(screening_number="S-101")
    day0 = timezone.localdate() + dt.timedelta(days=20)
    fragment = client.get(reverse("pages:screening", args=[participant.pk]),
                          {"index_date": day0.isoformat()}, HTTP_X_FRAGMENT="1")
    text = fragment.content.decode()
    assert "<html" not in text and day0.isoformat() in text


def test_evaluation_consent_and_screen_failure_are_recorded_from_the_page(make_actor):
    make_actor("coordinator")
    client = signed_in("coordinator-CMUH", PASSWORD)
    client.post(reverse("pages:register_candidate"), {"screening_number": "S-102", "site": "CMUH"})
    participant = Participant.objects.get(screening_number="S-102")
    forms = screening_forms(timezone.localdate(), sex="female")
    forms["ELIG"]["pregnant"] = True
    for form_id in ("DM", "ELIG"):
        _post_form(client, participant, form_id, forms[form_id])
    base = reverse("pages:screening", args=[participant.pk])
    day0 = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    client.post(base + "evaluate/", {"index_date": day0})
    participant.refresh_from_db()
    assert participant.eligibility["verdict"] == "ineligible"
    refused = client.post(base + "consent/", {"consent_date": "tomorrow"}, follow=True)
    assert "consent date: give a date as yyyy-mm-dd" in text_of(refused.content)
    client.post(base + "fail/", {"reason": ""})
    participant.refresh_from_db()
    assert participant.status == "screen_failed" and "E1" in participant.end_reason


def test_the_checklist_counts_the_investigators_judgements_as_the_stored_evaluation_does(
        make_actor, monkeypatch):
    from tests.integration.journey_support import (
        Clock,
        judge_history_criteria,
        make_team,
        register_and_screen,
    )
    from trialkit.web.pages.views_screening import checklist
    from trialkit.web.trial.study import current_study, protocol_of

    team = make_team(make_actor)
    clock = Clock(monkeypatch)
    index = dt.date(2026, 12, 10)
    participant = register_and_screen("SCR-J1", team, clock, index)
    protocol = protocol_of(current_study())
    before, lines_before, _ = checklist(participant, protocol, index)
    undecided = set(participant.eligibility["undecided"])
    assert before == "incomplete" and undecided
    assert {line.id for line in lines_before if line.status == "unknown"} == undecided

    stored = judge_history_criteria(participant, team)
    participant.refresh_from_db()
    after, lines_after, _ = checklist(participant, protocol, index)
    assert after == stored["verdict"] == "eligible"
    judged = {line.id: line.status for line in lines_after if line.id in undecided}
    assert "unknown" not in judged.values()
    assert all(line.judgement is not None for line in lines_after if line.id in undecided)
