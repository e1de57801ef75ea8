"""A dose is recorded once: the dose action fills the administration form of its visit, and a
hand entry of that form cannot contradict it (trialkit.web.trial.actions.dose_forms).

On every protocol: the form's items are found by what they mean (their EX annotations and the
code list naming the administration), never by their ids.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.journey_support import give, in_first_part
from trialkit.core.forms.dose_record import DoseFacts
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.actions.dose_forms import dose_forms, values_of_dose
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.models import FormRecord, FormVersion, RandomizationSlot

pytestmark = pytest.mark.protocols()

def _joined(team, clock):
    return in_first_part("D-01", team, clock)


def _first_dose(team):
    administration = team.trial.administrations()[0]
    [form] = dose_forms(team.trial.protocol, administration.id)
    return administration, form


def _item_meaning(form, variable):
    return next(i.id for i in form.items if i.cdisc is not None and i.cdisc.variable == variable)


def _product_given(team, participant, administration) -> bool:
    """Whether the participant's arm gives product at this administration (its procedure is
    not ``none``), read from the protocol and the allocation, not from the action."""
    participant.refresh_from_db()
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    arms = [slot.arm] if slot is not None and slot.arm else list(
        team.trial.protocol.part(participant.part).arms)
    procedures = {administration.by_arm[a].procedure for a in arms if a in administration.by_arm}
    assert len(procedures) == 1, "the test expects one arm with content for this dose"
    return procedures.pop() != "none"


def _latest(participant, form, visit) -> FormVersion:
    record = FormRecord.objects.get(participant=participant, form_id=form.id, visit_id=visit)
    return record.versions.get(number=record.latest_version)


def test_recording_the_dose_enters_its_form_with_the_doses_facts(team, clock):
    participant, code, day0 = _joined(team, clock)
    administration, form = _first_dose(team)
    performer = team.performing(administration.id)

    dose = give(participant, administration.id, day0, performer, clock, kit_code=code)

    version = _latest(participant, form, administration.visit)
    assert version.number == 1 and version.saved_by == performer.name
    given_at = _item_meaning(form, "EXSTDTC")
    assert dt.datetime.fromisoformat(version.data[given_at]) == dose.given_at
    assert version.data[_item_meaning(form, "EXOCCUR")] is _product_given(team, participant,
                                                                           administration)
    if any(i.cdisc is not None and i.cdisc.variable == "EXREFID" for i in form.items):
        assert version.data[_item_meaning(form, "EXREFID")] == code


def test_a_hand_entry_cannot_give_the_dose_another_time_but_may_complete_the_rest(team, clock):
    participant, code, day0 = _joined(team, clock)
    administration, form = _first_dose(team)
    give(participant, administration.id, day0, team.performing(administration.id), clock,
         kit_code=code)
    first = _latest(participant, form, administration.visit)
    given_at = _item_meaning(form, "EXSTDTC")
    other_time = dt.datetime.fromisoformat(first.data[given_at]) + dt.timedelta(hours=1)
    enterer = team.entering(form.id)

    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, form.id, administration.visit,
                     {**first.data, given_at: other_time.isoformat()}, actor=enterer,
                     reason="typed again")
    assert refused.value.field == given_at
    assert "recorded with the dose" in refused.value.message
    assert _latest(participant, form, administration.visit).number == 1

    text = next(i.id for i in form.items if i.type == "text" and i.cdisc is None
                and not i.required)
    do_save_form(participant, form.id, administration.visit, {**first.data, text: "uneventful"},
                 actor=enterer, reason="comment added")
    assert _latest(participant, form, administration.visit).data[text] == "uneventful"


def test_a_form_entered_before_the_dose_is_corrected_by_it_with_the_reason(team, clock):
    participant, code, day0 = _joined(team, clock)
    administration, form = _first_dose(team)
    given_at = _item_meaning(form, "EXSTDTC")
    an_hour_early = clock.set(day0, hour=9)
    protocol = team.trial.protocol
    typed = values_of_dose(form, DoseFacts(administration.id, an_hour_early, code, True),
                           protocol)
    do_save_form(participant, form.id, administration.visit, typed,
                 actor=team.entering(form.id))

    give(participant, administration.id, day0, team.performing(administration.id), clock,
         kit_code=code)

    version = _latest(participant, form, administration.visit)
    assert version.number == 2 and version.reason == "recorded with the dose"
    assert dt.datetime.fromisoformat(version.data[given_at]) == clock.moment
