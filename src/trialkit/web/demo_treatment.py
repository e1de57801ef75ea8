"""A demo participant's treatment and follow-up (see trialkit.web.demo_trial): each dose with
its visit's forms (the baseline before it, the administration record and vital signs after),
the visits the Day-0 dose plans, completion at the last one.

The administration record's items are found by their CDISC annotations (EXSTDTC, EXREFID,
EXLOT, EXOCCUR) and by a code list naming the administration; whether the product was given
is what the performer knows of the procedure (nothing is given in an arm whose procedure is
``none``), read through access as the performer.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING

from trialkit.core.protocol.design import Administration
from trialkit.core.protocol.forms import Form
from trialkit.web.trial.access import access_procedure_type
from trialkit.web.trial.actions.base import Actor, NotPermittedError
from trialkit.web.trial.actions.dosing import do_record_administration, do_record_visit
from trialkit.web.trial.actions.participants import do_end_participation
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.signing import do_sign_casebook
from trialkit.web.trial.models import Participant
from trialkit.web.trial.signatures import worklist

if TYPE_CHECKING:
    from trialkit.web.demo_story import Person
    from trialkit.web.demo_trial import DemoTrial

DAY = dt.timedelta(days=1)
FOLLOWING = ("vital_signs", "administration")
"""Kinds of forms entered after the dose at a dosing visit (the others are its baseline)."""


class Treatment:
    def __init__(self, trial: DemoTrial) -> None:
        self.trial = trial

    def dose(self, participant: Participant, person: Person, administration: Administration,
             kit: str) -> None:
        trial, visit = self.trial, administration.visit
        trial.enter_visit_forms(participant, person, visit,
                                lambda form: form.kind not in FOLLOWING)
        if kit:  # a concealed kit: the preparing role confirms it
            do_confirm_preparation(kit, administration.id,
                                   actor=trial.actor(administration.prepared_by))
        given_at = trial.clock.moment
        assert given_at is not None
        performer = trial.actor(administration.performed_by)
        given = self._given(participant, administration, performer)
        # The site fills the whole record (the lot, the volume) as the dose is given; the
        # dose then finds it agreeing with what it would fill itself (actions.dose_forms).
        for form_id in trial.protocol.visit(visit).forms:
            form = trial.protocol.form(form_id)
            if form.kind == "administration":
                values = self._record(form, administration, given_at, kit, given)
                for record in trial.enter(participant, person, form_id, visit, **values):
                    trial.sign_later(record, form, 1)
        do_record_administration(participant, administration.id, given_at, kit, actor=performer)
        trial.enter_visit_forms(participant, person, visit,
                                lambda form: form.kind == "vital_signs")
        for event in person.events:
            if event.after == administration.id:
                trial.at(trial.today + event.days * DAY, 11,
                         partial(trial.events.run, event, participant, person))
        if administration.id == trial.protocol.design.day_zero:
            self.schedule_visits(participant, person, kit)

    def _given(self, participant: Participant, administration: Administration,
               performer: Actor) -> bool:
        try:
            return access_procedure_type(participant, administration.id, performer) != "none"
        except NotPermittedError:  # a performer blind to it gives the same-looking product
            return True

    def _record(self, form: Form, administration: Administration, given_at: dt.datetime,
                kit: str, given: bool) -> dict[str, object]:
        """What the administration form records, found by the items' CDISC annotations: when,
        the kit (or the lot of an open-label product), whether it was given; and a choice
        whose code list names the administration."""
        lot = kit or f"LOT-{given_at:%y%m%d}"
        meaning: dict[str, object] = {"EXSTDTC": given_at.isoformat(), "EXREFID": lot,
                                      "EXOCCUR": given}
        if given:
            meaning["EXLOT"] = lot
        values: dict[str, object] = {}
        for item in form.items:
            variable = item.cdisc.variable if item.cdisc is not None else None
            if variable in meaning:
                values[item.id] = meaning[variable]
            elif item.codelist is not None and administration.id in {
                    c.code for c in self.trial.protocol.codelist(item.codelist).items}:
                values[item.id] = administration.id
        return values

    def schedule_visits(self, participant: Participant, person: Person, kit: str) -> None:
        trial = self.trial
        dosed = {a.visit for a in trial.protocol.design.administrations}
        for n, visit in enumerate(participant.visits.exclude(visit_id__in=dosed).filter(
                done_on__isnull=True, target_date__isnull=False)):
            if visit.visit_id in person.skipped:
                continue
            late = person.late.get(visit.visit_id, self._lateness(visit.visit_id, n))
            trial.at(visit.target_date + late * DAY, 9,
                     partial(self.visit, participant, person, visit.visit_id))
        for administration in trial.protocol.design.administrations:
            if administration.id != trial.protocol.design.day_zero:
                target = participant.visits.get(visit_id=administration.visit).target_date
                trial.at(target, 10, partial(self.dose, participant, person, administration,
                                             kit))

    def _lateness(self, visit_id: str, n: int) -> int:
        """A day or two late now and then, never past the end of the window."""
        window = self.trial.protocol.visit(visit_id).window
        return min(n % 3, window.after) if window is not None else 0

    def visit(self, participant: Participant, person: Person, visit_id: str) -> None:
        trial = self.trial
        do_record_visit(participant, visit_id, trial.today, actor=trial.screener)
        trial.enter_visit_forms(participant, person, visit_id)
        open_visits = participant.visits.filter(done_on__isnull=True, missed=False)
        if visit_id == trial.last_visit and not open_visits.exists():  # none skipped
            # The signers review the casebook a few days on; only a signed one is complete.
            trial.at(trial.today + 3 * DAY, 17, partial(self.complete, participant))

    def complete(self, participant: Participant) -> None:
        trial = self.trial
        for role in trial.protocol.roles:
            if "sign" in role.can and role.id in trial.team and worklist(
                    trial.actor(role.id), participant).exists():
                do_sign_casebook(participant, None, trial.passwords[role.id],
                                 "I confirm these data are accurate and complete",
                                 actor=trial.actor(role.id))
        do_end_participation(participant, "completed", trial.today, "",
                             actor=trial.investigator)
