"""What happens to a demo participant between visits: adverse events (resolving, or serious
and reported), log entries, data queries raised, answered and closed (see demo_story.Event).

The adverse-event form's items are found by their CDISC annotations (AESTDTC, AEENDTC,
AESER, AESHOSP), as the server finds them; every other value comes from the story.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING

from trialkit.core.protocol.forms import Form
from trialkit.web.demo_story import (
    AdverseEventStep,
    Answer,
    AutomaticAnswer,
    Event,
    LogStep,
    Person,
    QueryStep,
)
from trialkit.web.demo_values import form_values
from trialkit.web.trial.actions.adverse_events import do_report_serious_event
from trialkit.web.trial.actions.queries import do_answer_query, do_close_query, do_raise_query
from trialkit.web.trial.models import FormRecord, Participant, Query

if TYPE_CHECKING:
    from trialkit.web.demo_trial import DemoTrial
    from trialkit.web.trial.actions.base import Actor

DAY = dt.timedelta(days=1)


class EventSteps:
    def __init__(self, trial: DemoTrial) -> None:
        self.trial = trial

    def run(self, event: Event, participant: Participant, person: Person) -> None:
        if event.adverse_event is not None:
            self.adverse_event(participant, event.adverse_event)
        if event.log is not None:
            self.log(participant, event.log)
        if event.query is not None:
            self.query(participant, event.query)
        if event.answer_automatic is not None:
            self.answer_automatic(participant, event.answer_automatic)

    # -- adverse events ---------------------------------------------------------------------
    def adverse_event(self, participant: Participant, step: AdverseEventStep) -> FormRecord:
        """Reported today with onset yesterday; it resolves ``lasts`` days later."""
        trial = self.trial
        form = self._form()
        onset = trial.today - DAY
        values = {**trial.story.adverse_events.ongoing, **step.values,
                  self._ae_item("AESTDTC"): onset.isoformat()}
        if step.serious:
            values |= {self._ae_item("AESER"): True, self._criterion(): True}
        data = form_values(trial.protocol, form, trial.today, values)
        actor = trial.actor(step.by) if step.by else trial.enterer(form)
        record = trial.save(participant, form.id, "", data, actor)
        if step.report:
            trial.at(trial.today + DAY, 8, lambda: do_report_serious_event(
                record, f"{trial.protocol.identity.sponsor.name}, safety desk",
                f"SAE-{participant.screening_number}-{record.repeat_index}",
                actor=trial.investigator))
        if step.lasts is not None:
            end = onset + step.lasts * DAY
            resolved = {**data, **trial.story.adverse_events.resolved,
                        self._ae_item("AEENDTC"): end.isoformat()}
            trial.at(end + DAY, 11, lambda: trial.save(
                participant, form.id, "", resolved, actor,
                reason="Event resolved; end date and outcome added",
                repeat_index=record.repeat_index))
            trial.at(end + 3 * DAY, 16, lambda: trial.sign(record))
        return record

    def _ae_item(self, variable: str) -> str:
        item = self._form().item_with("AE", variable)
        if item is None:
            raise LookupError(f"the adverse-event form has no item annotated AE.{variable}")
        return item.id

    def _criterion(self) -> str:
        """The seriousness criterion a demo's serious event meets: hospitalisation, else
        another medically important event."""
        form = self._form()
        found = form.item_with("AE", "AESHOSP") or form.item_with("AE", "AESMIE")
        return found.id if found is not None else self._ae_item("AESLIFE")

    def _form(self) -> Form:
        return next(f for f in self.trial.protocol.forms if f.kind == "adverse_event")

    # -- logs and queries -------------------------------------------------------------------
    def log(self, participant: Participant, step: LogStep) -> FormRecord:
        trial = self.trial
        form = trial.protocol.form(step.form)
        data = form_values(trial.protocol, form, trial.today, step.values)
        actor = trial.actor(step.by) if step.by else trial.enterer(form)
        return trial.save(participant, form.id, "", data, actor)

    def query(self, participant: Participant, step: QueryStep) -> Query:
        trial = self.trial
        record = FormRecord.objects.filter(participant=participant, form_id=step.form,
                                           visit_id=step.visit).order_by("repeat_index").first()
        if record is None:
            raise LookupError(f"the story queries form {step.form} at visit '{step.visit}' "
                              f"of {participant.screening_number}, which has no such form")
        raiser = trial.actor(step.by or trial.role_that("raise_query", "close_query",
                                                        "lock_data"))
        query = do_raise_query(record, step.item, step.text, actor=raiser)
        if step.answer is not None:
            trial.at(trial.today + step.answer.after_days * DAY, 14,
                     partial(self.answer, query, step.answer))
        if step.close is not None:
            trial.at(trial.today + step.close.after_days * DAY, 10,
                     partial(self.close, query, step.close, raiser))
        return query

    def answer(self, query: Query, answer: Answer) -> None:
        actor = self.trial.actor(answer.by) if answer.by else self.trial.screener
        do_answer_query(query, answer.text, actor=actor)

    def close(self, query: Query, closing: Answer, raiser: Actor) -> None:
        actor = self.trial.actor(closing.by) if closing.by else raiser
        do_close_query(query, closing.text, actor=actor)

    def answer_automatic(self, participant: Participant, step: AutomaticAnswer) -> None:
        query = Query.objects.get(record__participant=participant, record__form_id=step.form,
                                  record__visit_id=step.visit, automatic=True,
                                  status=Query.Status.OPEN)
        actor = self.trial.actor(step.by) if step.by else self.trial.screener
        do_answer_query(query, step.text, actor=actor)

    # -- at the present ---------------------------------------------------------------------
    def serious_now(self) -> None:
        """The story's serious event of the present, for its person (or the last one)."""
        trial, story = self.trial, self.trial.story
        if story.serious_now is None or not trial.joined:
            return
        key = story.serious_now.person
        if key not in trial.joined:  # not in a smaller demo: the last participant instead
            key = trial.joined[-1]
        self.adverse_event(trial.participants[key], story.serious_now.adverse_event)
