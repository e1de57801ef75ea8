"""Consent is recorded once: the consent action fills the consent form, and a hand entry of
that form cannot contradict it (trialkit.web.trial.actions.consent_forms).

On every protocol: the form's items are found by the consent fact each holds (``holds``),
never by their ids. A form that asks more than the consent knows (whether the participant
signed personally) is left for the site, whose entry must agree with the consent.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.protocol_cases import form_values
from trialkit.core.forms.consent_record import ConsentFacts, consent_values
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.actions.consent_forms import consent_forms
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.participants import do_record_consent, do_register_candidate
from trialkit.web.trial.models import FormRecord, FormVersion

pytestmark = pytest.mark.protocols()

SIGNED = ConsentFacts(dt.date(2026, 11, 2), "ICF 2.0", "Dr Lin")


def _candidate(team, clock, number="C-01"):
    clock.set(SIGNED.date, hour=9)
    return do_register_candidate(number, team.trial.site, actor=team.coordinator)


def _consent_form(team):
    [(visit, form)] = consent_forms(team.trial.protocol)
    return visit, form


def _asks_only_the_consent(form) -> bool:
    return all(item.holds is not None for item in form.items if item.required)


def _latest(participant, form, visit) -> FormVersion | None:
    record = FormRecord.objects.filter(participant=participant, form_id=form.id,
                                       visit_id=visit).first()
    return None if record is None else record.versions.get(number=record.latest_version)


def _consent(participant, team, facts=SIGNED):
    return do_record_consent(participant, facts.date, facts.form_version, facts.taken_by,
                             actor=team.coordinator)


def _typed(team, form, facts, clock):
    """A complete hand entry of the consent form giving ``facts``."""
    return form_values(team.trial.protocol, form, clock.today, dict(consent_values(form, facts)))


def test_recording_consent_enters_its_form_where_the_form_asks_nothing_more(team, clock):
    participant = _candidate(team, clock)
    visit, form = _consent_form(team)

    _consent(participant, team)

    version = _latest(participant, form, visit)
    if not _asks_only_the_consent(form):
        assert version is None  # the site enters the rest, agreeing with the consent
        return
    assert version is not None and version.number == 1
    assert version.saved_by == team.coordinator.name
    assert {k: version.data[k] for k in consent_values(form, SIGNED)} == \
        consent_values(form, SIGNED)
    by_fact = {item.holds: item.id for item in form.items if item.holds}
    assert version.data[by_fact["consent.date"]] == "2026-11-02"


def test_a_hand_entry_cannot_give_the_consent_another_version_but_may_agree(team, clock):
    participant = _candidate(team, clock)
    visit, form = _consent_form(team)
    _consent(participant, team)
    before = _latest(participant, form, visit)
    enterer = team.entering(form.id)
    version_item = next(i.id for i in form.items if i.holds == "consent.form_version")
    agreeing = _typed(team, form, SIGNED, clock)

    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, form.id, visit, {**agreeing, version_item: "ICF 1.0"},
                     actor=enterer, reason="typed again")
    assert refused.value.field == version_item
    assert "recorded with the consent" in refused.value.message
    assert _latest(participant, form, visit) == before

    if before is None:  # the form asks more than the consent: the site's agreeing entry
        do_save_form(participant, form.id, visit, agreeing, actor=enterer)
        assert _latest(participant, form, visit).data[version_item] == "ICF 2.0"


def test_a_form_entered_before_the_consent_is_corrected_by_it_with_the_reason(team, clock):
    participant = _candidate(team, clock)
    visit, form = _consent_form(team)
    earlier = ConsentFacts(SIGNED.date, "ICF 1.9", "Dr Wu")
    do_save_form(participant, form.id, visit, _typed(team, form, earlier, clock),
                 actor=team.entering(form.id))

    _consent(participant, team)

    version = _latest(participant, form, visit)
    assert version.number == 2 and version.reason == "recorded with the consent"
    assert {k: version.data[k] for k in consent_values(form, SIGNED)} == \
        consent_values(form, SIGNED)


def test_a_re_consent_to_a_new_version_corrects_the_form(team, clock):
    participant = _candidate(team, clock)
    visit, form = _consent_form(team)
    do_save_form(participant, form.id, visit, _typed(team, form, SIGNED, clock),
                 actor=team.entering(form.id))
    _consent(participant, team)
    assert _latest(participant, form, visit).number == 1  # the entry agreed: nothing to do

    clock.set(SIGNED.date + dt.timedelta(days=3), hour=9)
    amended = ConsentFacts(clock.today, "ICF 3.0", SIGNED.taken_by)
    _consent(participant, team, amended)

    version = _latest(participant, form, visit)
    assert version.number == 2 and version.reason == "recorded with the consent"
    assert {k: version.data[k] for k in consent_values(form, amended)} == \
        consent_values(form, amended)
