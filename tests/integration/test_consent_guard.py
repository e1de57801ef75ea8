"""No study data about a person before their informed consent is on file (ICH E6 GCP 4.8.8;
the site trial's finding, "data accepted before consent"), on every protocol.

The kernel's ``Guard.CONSENTED`` refuses a form (other than the consent form itself), an adverse
event or a dose of a participant without consent on file: nothing is written but the audited
refusal. Once consent is recorded the same data are accepted. The pages leave out what the
guard would refuse, and say why.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.integration.capture_support import adverse_event
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    DAY,
    START,
    eligible_and_consented,
    give,
    join,
    kit_of,
    list_live,
)
from tests.integration.pages.support import signed_in
from trialkit.web.trial.actions.base import StateConflictError
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.participants import do_record_consent, do_register_candidate
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    Administration,
    AuditEvent,
    FormRecord,
    FormVersion,
    Participant,
)

pytestmark = pytest.mark.protocols()


def _refused_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))


def _candidate(trial, team, clock, number: str) -> Participant:
    clock.set(START - 7 * DAY)
    return do_register_candidate(number, trial.site, actor=team.coordinator)


def _screening_form(trial, kind_is_consent: bool) -> str:
    return next(f for f in trial.screening_visit.forms
                if (trial.form(f).kind == "consent") == kind_is_consent)


def test_a_form_and_an_adverse_event_are_refused_before_consent_and_accepted_after(
        trial, team, clock):
    participant = _candidate(trial, team, clock, "C-001")
    visit = trial.screening_visit.id
    screening = trial.screening_forms(clock.today)
    form = trial.form(next(f for f in screening if trial.form(f).kind != "consent"))
    ae = trial.adverse_event_form

    def save_form():
        return do_save_form(participant, form.id, visit, screening[form.id][0],
                            actor=team.entering(form.id))

    def save_ae():
        return do_save_form(participant, ae.id, "", adverse_event(trial, clock.today),
                            actor=team.entering(ae.id))

    team.entering(form.id), team.entering(ae.id)  # their accounts made before counting
    before = AuditEvent.objects.count()
    for save, name in ((save_form, form.name), (save_ae, ae.name)):
        with pytest.raises(StateConflictError) as refused:
            save()
        assert refused.value.message.startswith(
            f"Record the participant's informed consent before entering {name}")
        assert refused.value.field == "consent_date"
    # Nothing written but the two refusals, each audited with the participant and the field.
    assert not FormRecord.objects.filter(participant=participant).exists()
    assert not FormVersion.objects.filter(record__participant=participant).exists()
    events = _refused_since(before)
    assert [e.action for e in events] == [AuditAction.ACTION_REFUSED] * 2
    assert all(e.new["action"] == AuditAction.SAVE_FORM and e.new["field"] == "consent_date"
               and e.new["participant"] == "C-001" and e.new["status"] == 409
               for e in events)

    # The consent form itself is entered as consent is taken.
    consent_form = _screening_form(trial, kind_is_consent=True)
    do_save_form(participant, consent_form, visit, screening[consent_form][0],
                 actor=team.entering(consent_form))

    do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    assert save_form().number == 1
    assert save_ae().number == 1
    assert FormRecord.objects.filter(participant=participant).count() == 3


def test_a_dose_is_refused_without_consent_on_file_and_recorded_with_it(trial, team, clock):
    if trial.entry_part.allocation == "RANDOMIZED":
        list_live(team, clock)
    participant = eligible_and_consented("C-002", team, clock, START)
    join(participant, trial.entry_part.id, team)
    consented_on = Participant.objects.get(pk=participant.pk).consent_date
    first = trial.administrations()[0].id
    # The consent's record gone (as in the site's finding): the dose must wait for it.
    Participant.objects.filter(pk=participant.pk).update(consent_date=None)
    performer = team.performing(first)
    before = AuditEvent.objects.count()
    with pytest.raises(StateConflictError,
                       match="informed consent before recording a dose") as refused:
        give(participant, first, START, performer, clock, kit_code=kit_of(participant))
    assert refused.value.field == "consent_date"
    assert not Administration.objects.filter(participant=participant).exists()
    events = _refused_since(before)
    assert [e.action for e in events] == [AuditAction.ACTION_REFUSED]
    assert events[0].new["action"] == AuditAction.RECORD_ADMINISTRATION

    Participant.objects.filter(pk=participant.pk).update(consent_date=consented_on)
    give(participant, first, START, performer, clock, kit_code=kit_of(participant))
    assert Administration.objects.filter(participant=participant).count() == 1


def test_pages_offer_only_the_consent_form_until_consent_is_on_file(trial, team, clock):
    participant = _candidate(trial, team, clock, "C-003")
    visit = trial.screening_visit.id
    form = trial.form(_screening_form(trial, kind_is_consent=False))
    consent_form = trial.form(_screening_form(trial, kind_is_consent=True))
    clients: dict[str, object] = {}

    def browser_of(actor):  # one sign-in per person (a second factor's code is used once)
        if actor.name not in clients:
            clients[actor.name] = signed_in(actor.name, PASSWORD)
        return clients[actor.name]

    browser = browser_of(team.coordinator)
    screening = reverse("pages:screening", args=[participant.pk])
    entry = reverse("pages:form_entry", args=[participant.pk, visit, form.id])
    consent_entry = reverse("pages:form_entry", args=[participant.pk, visit, consent_form.id])

    page = browser.get(screening).content.decode()
    assert consent_entry in page and entry not in page
    assert "informed consent before entering the screening forms" in page
    enterer = browser_of(team.entering(form.id))
    page = enterer.get(entry).content.decode()
    assert "informed consent before entering" in page and 'id="entry-form"' not in page
    consenter = browser_of(team.entering(consent_form.id))
    assert 'id="entry-form"' in consenter.get(consent_entry).content.decode()

    do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    page = browser.get(screening).content.decode()
    assert entry in page and "informed consent before" not in page
    assert 'id="entry-form"' in enterer.get(entry).content.decode()
