"""A recorded dose is corrected with a reason, on its own day, and its form follows
(``dosing.do_correct_administration``). Before it, a mistyped time could not be put right:
the administration form refuses a hand entry that contradicts the dose (ADR 0021)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import give, in_first_part
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.dose_forms import dose_forms
from trialkit.web.trial.actions.dosing import do_correct_administration, why_not_record
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Administration, AuditEvent, FormRecord
from trialkit.web.trial.site_time import zone_of

pytestmark = pytest.mark.protocols()

def _dosed(team, clock):
    """A participant of the first part given its first administration at 10:00 on Day 0."""
    participant, code, day0 = in_first_part("K-01", team, clock)
    administration = team.trial.administrations()[0]
    performer = team.performing(administration.id)
    dose = give(participant, administration.id, day0, performer, clock, kit_code=code)
    clock.set(day0, hour=16)
    return participant, administration, performer, dose


def test_a_mistyped_time_is_corrected_with_its_reason_and_the_form_follows(team, clock):
    participant, administration, performer, dose = _dosed(team, clock)
    corrected = dose.given_at - dt.timedelta(hours=1, minutes=15)

    do_correct_administration(participant, administration.id, corrected,
                              "typed 10:00 for 08:45 (infusion log)", actor=performer)

    assert Administration.objects.get(pk=dose.pk).given_at == corrected
    event = AuditEvent.objects.filter(action=AuditAction.CORRECT_ADMINISTRATION).get()
    assert event.reason == "typed 10:00 for 08:45 (infusion log)"
    assert dt.datetime.fromisoformat(event.old["given_at"]) == dose.given_at
    for form in dose_forms(team.trial.protocol, administration.id):
        record = FormRecord.objects.filter(participant=participant, form_id=form.id).first()
        if record is None:
            continue  # a form asking more than the dose knows waits for the site
        latest = record.versions.get(number=record.latest_version)
        given = next(i.id for i in form.items
                     if i.cdisc is not None and i.cdisc.variable == "EXSTDTC")
        assert dt.datetime.fromisoformat(latest.data[given]) == corrected
        assert latest.reason == "typed 10:00 for 08:45 (infusion log)"


@pytest.mark.parametrize(("shift", "reason", "error", "field"), [
    (dt.timedelta(days=1), "wrong day", StateConflictError, "given_at"),
    (dt.timedelta(minutes=-30), "  ", InvalidInputError, "reason"),
    (dt.timedelta(0), "nothing", StateConflictError, "given_at"),
])
def test_a_correction_that_moves_the_day_lacks_a_reason_or_changes_nothing_is_refused(
        team, clock, shift, reason, error, field):
    participant, administration, performer, dose = _dosed(team, clock)
    clock.set(dose.given_at.date() + dt.timedelta(days=2), hour=9)
    before = AuditEvent.objects.filter(action=AuditAction.CORRECT_ADMINISTRATION).count()
    with pytest.raises(error) as refused:
        do_correct_administration(participant, administration.id, dose.given_at + shift,
                                  reason, actor=performer)
    assert refused.value.field == field
    assert Administration.objects.get(pk=dose.pk).given_at == dose.given_at
    assert AuditEvent.objects.filter(
        action=AuditAction.CORRECT_ADMINISTRATION).count() == before


def test_a_role_that_may_not_record_the_dose_may_not_correct_it(team, clock):
    participant, administration, _, dose = _dosed(team, clock)
    outsider = next(r for r in team.trial.protocol.roles
                    if "record_administration" not in r.can
                    and "perform_procedure" not in r.can and r.site_scoped)
    with pytest.raises(NotPermittedError):
        do_correct_administration(participant, administration.id,
                                  dose.given_at - dt.timedelta(minutes=5), "typo",
                                  actor=team.actor(outsider.id))
    assert Administration.objects.get(pk=dose.pk).given_at == dose.given_at


def test_the_participant_page_corrects_a_dose_in_the_sites_time(team, clock):
    participant, administration, performer, dose = _dosed(team, clock)
    client = signed_in(performer.name, PASSWORD)
    page = client.get(reverse("pages:participant", args=[participant.pk])).content.decode()
    assert reverse("pages:correct_dose", args=[participant.pk]) in page
    local = dose.given_at.astimezone(zone_of(participant.site)) - dt.timedelta(minutes=20)
    answer = client.post(reverse("pages:correct_dose", args=[participant.pk]), {
        "administration_id": administration.id, "given_at": local.strftime("%Y-%m-%d %H:%M"),
        "reason": "clock on the pump was slow"}, follow=True)
    assert "administration corrected" in text_of(answer.content)
    assert Administration.objects.get(pk=dose.pk).given_at == local


def test_why_a_role_may_not_record_a_dose_is_worded_in_the_readers_language(team):
    # It was an English f-string, shown as it was on a Traditional Chinese page.
    administration = team.trial.administrations()[0]
    outsider = next(r for r in team.trial.protocol.roles
                    if "record_administration" not in r.can and "perform_procedure" not in r.can)
    refusal = why_not_record(team.actor(outsider.id), administration)
    with translation.override("en"):
        english = str(refusal)
    with translation.override("zh-hant"):
        chinese = str(refusal)
    assert english and chinese != english
    assert not re.search(r"\b(may|role|record|only)\b", chinese), chinese


def test_the_participant_page_records_a_dose_in_the_sites_time(team, clock):
    participant, code, day0 = in_first_part("K-02", team, clock)
    administration = team.trial.administrations()[0]
    performer = team.performing(administration.id)
    clock.set(day0, hour=12)
    wall = dt.datetime.combine(day0, dt.time(9, 5), tzinfo=zone_of(participant.site))
    answer = signed_in(performer.name, PASSWORD).post(
        reverse("pages:record_dose", args=[participant.pk]),
        {"administration_id": administration.id, "given_at": wall.strftime("%Y-%m-%d %H:%M"),
         "kit_code": code}, follow=True)
    assert "administration recorded" in text_of(answer.content)
    assert participant.administrations.get(administration_id=administration.id).given_at == wall
