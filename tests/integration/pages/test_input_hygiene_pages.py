"""Input hygiene on the pages (docs/security.md, "Input hygiene"): the same rules as the API,
refused as a form error naming the field, with nothing written and never a 500."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.integration.capture_support import consented
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, site_today, text_of
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import AuditEvent, FormRecord, Participant

pytestmark = pytest.mark.protocols()

PAGES = Path(__file__).resolve().parents[3] / "src" / "trialkit" / "web" / "pages"


@pytest.fixture
def screening(trial, make_actor):
    """A candidate and a signed-in client of the role that screens, consents and enters data."""
    coordinator = make_actor(trial.screener)
    participant = do_register_candidate("H-100", trial.site, actor=coordinator)
    client = signed_in(coordinator.name, PASSWORD)
    client.raise_request_exception = False
    return client, participant


def test_year_0001_as_the_planned_day_0_of_the_checklist_is_a_form_error(trial, screening):
    """It used to overflow the screening windows: a 500."""
    client, participant = screening
    url = reverse("pages:screening", args=[participant.pk])
    for headers in ({}, {"HTTP_X_FRAGMENT": "1"}):
        page = client.get(url, {"index_date": "0001-01-01"}, **headers)
        assert page.status_code == 200
        assert "planned day 0 must be a date from 1900-01-01" in text_of(page.content)
    far = client.get(url, {"index_date": "9999-12-31"})
    assert far.status_code == 200 and "planned day 0 must be a date" in text_of(far.content)


@pytest.mark.parametrize(("step", "fields", "says"), [
    ("evaluate", {"index_date": "0001-01-01"}, "index date: must be a date from"),
    ("evaluate", {"index_date": "9999-12-31"}, "index date: must be a date from"),
    ("consent", {"consent_date": "0001-01-01", "form_version": "v1", "taken_by": "Dr A"},
     "consent date: must be a date from 1900-01-01"),
    ("consent", {"consent_date": "2020-01-01", "form_version": "v1", "taken_by": "Dr\x07A"},
     "taken by: must not contain control characters"),
    ("fail", {"reason": "x" * 2001}, "reason: is longer than 2000 characters")])
def test_a_refused_screening_field_is_named_and_nothing_is_recorded(trial, screening, step,
                                                                    fields, says):
    client, participant = screening
    events = AuditEvent.objects.count()
    url = reverse("pages:screening_action", args=[participant.pk, step])
    answer = client.post(url, fields, follow=True)
    assert says in text_of(answer.content)
    participant.refresh_from_db()
    assert (participant.status, participant.consent_date, participant.planned_day0) == (
        Participant.Status.SCREENING, None, None)
    assert AuditEvent.objects.count() == events


def test_a_visit_on_0001_01_01_is_refused(trial, screening):
    client, participant = screening
    visit = trial.screening_visit.id
    answer = client.post(reverse("pages:record_visit", args=[participant.pk, visit]),
                         {"done_on": "0001-01-01"}, follow=True)
    assert "done on: must be a date from 1900-01-01" in text_of(answer.content)
    assert not participant.visits.filter(done_on__isnull=False).exists()


def test_a_200_kb_username_on_the_sign_in_page_is_a_form_error_and_not_audited(trial, admin):
    events = AuditEvent.objects.count()
    answer = Client().post(reverse("pages:login"), {"username": "u" * 200_000,
                                                    "password": "x"})
    assert answer.status_code == 422
    assert "username: is longer than 150 characters" in text_of(answer.content)
    assert "u" * 200 not in answer.content.decode()
    assert AuditEvent.objects.count() == events


def test_form_items_refuse_control_characters_and_implausible_birth_dates(trial, screening,
                                                                          make_actor):
    _, participant = screening
    consented(participant, make_actor(trial.screener, username="hygiene-consent-taker"))
    form, item = next((f, i) for f, i in trial.items(
        lambda f, i: i.maps_to is not None and i.maps_to.to == "patient.birth_date"))
    enterer = make_actor(trial.entry_role(form), username="hygiene-enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, trial.visits_collecting(form)[0],
                                            form.id])
    values = trial.values(form, site_today(participant.site))
    tomorrow = (site_today(participant.site) + dt.timedelta(days=1)).isoformat()
    for day in ("9999-12-31", tomorrow, "0001-01-01"):
        fields = {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
                  for k, v in values.items()} | {f"item-{item.id}": day}
        answer = client.post(url, fields)
        assert answer.status_code == 422, day
        assert f'id="err-{item.id}"' in answer.content.decode()
        assert "must be a date from 1900-01-01" in text_of(answer.content)
    text_item = next((i for i in form.items if i.type == "text" and i.derived is None), None)
    if text_item is not None:
        fields[f"item-{item.id}"] = "1980-05-05"
        fields[f"item-{text_item.id}"] = "bell\x07"
        answer = client.post(url, fields)
        assert answer.status_code == 422 and f'id="err-{text_item.id}"' in answer.content.decode()
    assert not FormRecord.objects.filter(participant=participant, form_id=form.id).exists()


def test_control_characters_in_a_query_string_are_refused_with_400(trial, admin):
    client = signed_in(admin.name, PASSWORD)
    client.raise_request_exception = False
    answer = client.get(reverse("pages:audit"), {"actor": "a\x00b"})
    assert answer.status_code == 400 and "actor must not contain control characters" in \
        text_of(answer.content)


def test_page_views_read_submitted_fields_only_through_the_boundary():
    """Every field a page reads goes through ``trialkit.web.boundary.posted.Posted``."""
    direct = [f"{path.name}:{number}" for path in sorted(PAGES.glob("*.py"))
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if "request.POST.get(" in line or "request.POST[" in line]
    assert not direct, direct


@pytest.mark.parametrize(("fields", "english"), [
    ({"consent_date": "0001-01-01", "form_version": "v1", "taken_by": "Dr A"},
     "must be a date from"),
    ({"consent_date": "2020-01-01", "form_version": "v1", "taken_by": "Dr\x07A"},
     "must not contain control characters")])
def test_a_refused_field_is_explained_in_the_readers_language(trial, screening, fields,
                                                              english):
    # The rules are trialkit.core's: their words reached a Chinese page in English.
    from django.utils import translation

    from trialkit.core.hygiene import InputRefusedError, check_date
    from trialkit.web.boundary.fields import DATES, rule
    from trialkit.web.trial.gate_facts import today
    from trialkit.web.trial.wording import read

    client, participant = screening
    client.cookies["trialkit_language"] = "zh-hant"
    url = reverse("pages:screening_action", args=[participant.pk, "consent"])
    page = text_of(client.post(url, fields, follow=True).content)
    with pytest.raises(InputRefusedError) as refused:  # the same rule, read directly
        check_date(dt.date.fromisoformat(fields["consent_date"]), DATES["consent_date"], today())
        rule("taken_by").clean(fields["taken_by"], required=True)
    with translation.override("zh-hant"):
        chinese = read(refused.value.wording)
    assert chinese != str(refused.value)
    assert english not in page
    assert chinese.lower() in page
