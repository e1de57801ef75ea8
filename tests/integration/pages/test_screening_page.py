"""Screening through the pages on every protocol: the checklist follows the data as it is
entered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.forms.consent_record import ConsentFacts
from trialkit.web.trial.models import Participant

pytestmark = pytest.mark.protocols()


def _criterion(text: str, criterion: str) -> str:
    """The checklist line of one criterion, e.g. ``i4 ? unknown inclusion: ...``."""
    start = text.index(f" {criterion.lower()} ")
    return text[start:start + 400]


def _post_form(client, participant, visit, form_id, data):
    fields = {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
              for k, v in data.items()}
    url = reverse("pages:form_entry", args=[participant.pk, visit, form_id])
    return client.post(url, fields)


def _register(trial, make_actor, number: str):
    coordinator = make_actor(trial.screener)
    client = signed_in(coordinator.name, PASSWORD)
    response = client.post(reverse("pages:register_candidate"),
                           {"screening_number": number, "site": trial.site})
    return client, response, Participant.objects.get(screening_number=number)


def _consent(client, participant) -> ConsentFacts:
    """Informed consent recorded from the screening page: no screening data before it."""
    consent = ConsentFacts(timezone.localdate(), "ICF 1.0", "Dr Lin")
    response = client.post(reverse("pages:screening", args=[participant.pk]) + "consent/", {
        "consent_date": consent.date.isoformat(), "form_version": consent.form_version,
        "taken_by": consent.taken_by})
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.consent_date == timezone.localdate()
    return consent


def _enter_all(trial, participant, make_actor, forms) -> None:
    """Every screening form through the entry page, each by the role that enters it."""
    visit = trial.screening_visit.id
    clients = {}
    for form_id, instances in forms.items():
        role = trial.entry_role(form_id)
        if role not in clients:
            clients[role] = signed_in(make_actor(role, username=f"p-{role}").name, PASSWORD)
        for values in instances:
            assert _post_form(clients[role], participant, visit, form_id,
                              values).status_code == 302, form_id


def test_the_checklist_updates_as_screening_data_arrives_and_says_what_is_missing(
        trial, make_actor):
    client, response, participant = _register(trial, make_actor, "S-100")
    assert response["Location"] == reverse("pages:screening", args=[participant.pk])
    page = text_of(client.get(response["Location"]).content)
    assert "checklist for a planned day 0" in page
    kinds = {c.id: c.kind for c in trial.protocol.eligibility.criteria}
    undecided = set(trial.data["undecided"])
    inclusion = next(c for c, k in kinds.items() if k == "inclusion" and c not in undecided)
    exclusion = next((c for c, k in kinds.items() if k == "exclusion" and c not in undecided),
                     None)
    assert _criterion(page, inclusion).startswith(f" {inclusion.lower()} ? unknown")
    assert "still missing:" in _criterion(page, inclusion)

    consent = _consent(client, participant)
    _enter_all(trial, participant, make_actor,
               trial.screening_forms(timezone.localdate(), consent=consent))
    page = text_of(client.get(reverse("pages:screening", args=[participant.pk])).content)
    assert _criterion(page, inclusion).startswith(f" {inclusion.lower()} ✓ met")
    if exclusion is not None:
        # An exclusion criterion that is not met is the good result: it once showed "not_met"
        # in red.
        assert _criterion(page, exclusion).startswith(f" {exclusion.lower()} ✓ does not apply")
        html = client.get(reverse("pages:screening", args=[participant.pk])).content.decode()
        assert f'<span class="mark status ok">{exclusion} ✓ does not apply</span>' in html
        assert "not_met" not in html.split('id="checklist"')[1].split("</div>")[0]


def test_the_checklist_fragment_follows_the_planned_day_zero(trial, make_actor):
    client, _, participant = _register(trial, make_actor, "S-101")
    day0 = timezone.localdate() + dt.timedelta(days=20)
    fragment = client.get(reverse("pages:screening", args=[participant.pk]),
                          {"index_date": day0.isoformat()}, HTTP_X_FRAGMENT="1")
    text = fragment.content.decode()
    assert "<html" not in text and day0.isoformat() in text


def test_evaluation_consent_and_screen_failure_are_recorded_from_the_page(trial, make_actor):
    client, _, participant = _register(trial, make_actor, "S-102")
    consent = _consent(client, participant)
    ineligible = trial.data["ineligible"]
    forms = trial.screening_forms(timezone.localdate(), ineligible["change"], consent)
    _enter_all(trial, participant, make_actor, forms)
    base = reverse("pages:screening", args=[participant.pk])
    day0 = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    client.post(base + "evaluate/", {"index_date": day0})
    participant.refresh_from_db()
    assert participant.eligibility["verdict"] == "ineligible"
    refused = client.post(base + "consent/", {"consent_date": "tomorrow"}, follow=True)
    assert "consent date: give a date as yyyy-mm-dd" in text_of(refused.content)
    client.post(base + "fail/", {"reason": ""})
    participant.refresh_from_db()
    assert participant.status == "screen_failed"
    assert ineligible["failing"][0] in participant.end_reason


def test_the_checklist_counts_the_investigators_judgements_as_the_stored_evaluation_does(
        trial, make_actor, monkeypatch):
    from tests.integration.journey_support import (
        Clock,
        judge_history_criteria,
        make_team,
        register_and_screen,
    )
    from trialkit.web.pages.screening_checklist import checklist

    team = make_team(trial, make_actor)
    clock = Clock(monkeypatch)
    index = dt.date(2026, 12, 10)
    participant = register_and_screen("SCR-J1", team, clock, index)
    undecided = set(participant.eligibility["undecided"])
    before, lines_before, _ = checklist(participant, trial.protocol, index)
    assert {line.id for line in lines_before if line.status == "unknown"} == undecided
    assert before == ("incomplete" if undecided else "eligible")

    stored = judge_history_criteria(participant, team)
    participant.refresh_from_db()
    after, lines_after, _ = checklist(participant, trial.protocol, index)
    assert after == stored.verdict == "eligible"
    judged = {line.id: line.status for line in lines_after if line.id in undecided}
    assert "unknown" not in judged.values()
    assert all(line.judgement is not None for line in lines_after if line.id in undecided)
