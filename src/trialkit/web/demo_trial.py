"""The demo's trial, step by step on an agenda run in date order (see trialkit.web.demo).

Each step is what a person does on a day: screen a candidate, randomize or enrol them, give a
dose, see a participant at a visit and enter the visit's forms. Steps that follow from others
(a participant's visits after the Day-0 dose) are put on the agenda when their cause happens,
with the dates the schedule gives them. The agenda stops at the present: later visits stay
upcoming. What each person enters and what happens to them comes from the story
(trialkit.web.demo_story); everything else follows from the protocol: which parts open when,
who does what, which forms a visit collects.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.utils import timezone

from trialkit.core.forms.consent_record import consent_values
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.demo_events import EventSteps
from trialkit.web.demo_plan import Joining, Layout
from trialkit.web.demo_story import Person, Story
from trialkit.web.demo_treatment import Treatment
from trialkit.web.demo_values import form_values
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.consent_forms import facts_on_file
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.participants import (
    do_enrol_participant,
    do_evaluate_eligibility,
    do_judge_criteria,
    do_record_consent,
    do_record_screen_failure,
    do_register_candidate,
)
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.actions.smc_reports import do_produce_smc_report, may_produce_smc_report
from trialkit.web.trial.models import FormRecord, FormVersion, Participant

DAY = dt.timedelta(days=1)


class DemoError(RuntimeError):
    """The story does not fit the protocol (a candidate meant to join is not eligible...)."""


class DemoClock:
    """The clock the demo's actions run on: a chosen moment while the story is told (None: the
    real time), so each step happens on its own date. Injected with ``clock.using``; nothing
    global is patched."""

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.moment or timezone.now()

    @contextmanager
    def running(self) -> Iterator[DemoClock]:
        with trial_clock.using(self):
            yield self


@dataclass(order=True)
class _Step:
    moment: dt.datetime
    order: int
    run: Callable[[], object] = field(compare=False)


class DemoTrial:
    def __init__(self, protocol: Protocol, story: Story, team: dict[str, Actor],
                 passwords: dict[str, str], clock: DemoClock) -> None:
        self.protocol, self.story, self.team = protocol, story, team
        self.passwords, self.clock = passwords, clock
        self.site = protocol.identity.sites[0].id
        self.agenda: list[_Step] = []
        self.counter = itertools.count()
        self.numbers = itertools.count(1)
        self.participants: dict[str, Participant] = {}
        self.joined: list[str] = []
        """Keys of the people who joined a part, in order."""
        self.order = [v.id for v in sorted(protocol.schedule.visits,
                                           key=lambda v: (v.day is None, v.day or 0))]
        self.screening = next(v for v in protocol.schedule.visits if v.day is not None
                              and v.id == self.order[0])
        scheduled = [v for v in protocol.schedule.visits if v.day is not None]
        self.last_visit = max(scheduled, key=lambda v: v.day or 0).id
        self.events = EventSteps(self)
        self.treatment = Treatment(self)

    # -- the agenda -------------------------------------------------------------------------
    def at(self, day: dt.date, hour: int, step: Callable[[], object]) -> None:
        moment = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
        heapq.heappush(self.agenda, _Step(moment, next(self.counter), step))

    def run_until(self, moment: dt.datetime) -> None:
        while self.agenda and self.agenda[0].moment <= moment:
            step = heapq.heappop(self.agenda)
            self.clock.moment = step.moment
            step.run()

    @property
    def today(self) -> dt.date:
        return (self.clock.moment or timezone.now()).date()

    # -- who does what ----------------------------------------------------------------------
    def actor(self, role: str) -> Actor:
        return self.team[role]

    def role_that(self, *can: str) -> str:
        return next(r.id for r in self.protocol.roles if set(can) <= set(r.can))

    @property
    def screener(self) -> Actor:
        doers = [r for r in self.protocol.roles
                 if {"screen", "consent", "enter_data"} <= set(r.can)]
        joining = [r for r in doers if {"enrol", "randomize"} & set(r.can)]
        return self.actor(next((r.id for r in joining if "sign" not in r.can), joining[0].id))

    @property
    def investigator(self) -> Actor:
        return self.actor(self.role_that("sign", "screen"))

    def enterer(self, form: Form, visit_id: str = "") -> Actor:
        """The story's choice, else the listed role that enters the fewest forms (the rater
        enters the rating, the infusion nurse the infusion record)."""
        chosen = (self.story.screening_entry if visit_id == self.screening.id
                  else {}).get(form.id) or self.story.entry.get(form.id)
        if chosen:
            return self.actor(chosen)
        needed = "report_adverse_event" if form.kind == "adverse_event" else "enter_data"
        able = [r for r in form.entered_by if needed in self.protocol.role(r).can]
        load = {r: sum(r in f.entered_by for f in self.protocol.forms) for r in able}
        return self.actor(min(able, key=lambda r: (load[r], able.index(r))))

    # -- the plan ---------------------------------------------------------------------------
    def plan(self, present: dt.date, limit: int | None = None) -> dt.date:
        """Put the whole trial on the agenda, its last Day 0 three weeks before ``present``
        unless the story says when the first one was; returns the first Day 0."""
        layout = Layout(self.protocol, self.story, limit)
        joinings = layout.joinings(dt.date(2000, 1, 1))
        last = max(j.day0 for j in joinings)
        days = self.story.first_day0_days_ago
        start = present - dt.timedelta(days=days) if days is not None else \
            present - 21 * DAY - (last - dt.date(2000, 1, 1))
        shift = start - dt.date(2000, 1, 1)
        if self.protocol.randomization is not None:
            manager = self.actor(self.role_that("manage_randomization"))
            self.at(start - 30 * DAY, 9, lambda: do_generate_randomization_list(actor=manager))
            self.at(start - 30 * DAY, 11, lambda: do_release_randomization_list(actor=manager))
        for joining in layout.joinings(start):
            self.at(joining.day0 - self.story.screening_days * DAY, 9,
                    partial(self.screen_and_join, joining))
        for part_id, decided in layout.decisions(joinings).items():
            self.at(decided + shift, 15, partial(self.committee_opens, part_id))
        self.pipeline(present)
        return start

    # -- screening and joining --------------------------------------------------------------
    def candidate(self, person: Person, index: dt.date) -> Participant:
        """Registered and consented today, then screening forms saved and eligibility evaluated
        for Day 0 ``index`` (no study data before informed consent)."""
        participant = do_register_candidate(f"{self.site}-{next(self.numbers):03d}", self.site,
                                            actor=self.screener)
        self.participants[person.key] = participant
        do_record_consent(participant, self.today, self.story.consent_version,
                          self.investigator.user.profile.printed_name, actor=self.screener)
        visit = self.screening.id
        participant.refresh_from_db()
        consent = facts_on_file(participant)
        for form_id in self.screening.forms:
            if person.only is not None and form_id not in person.only:
                continue
            form = self.protocol.form(form_id)
            if form.kind != "consent" or consent is None:
                self.enter(participant, person, form_id, visit)
            elif not FormRecord.objects.filter(participant=participant, visit_id=visit,
                                               form_id=form_id).exists():
                # The consent filled every form it could; the rest agree with it.
                self.enter(participant, person, form_id, visit,
                           **consent_values(form, consent))
        do_evaluate_eligibility(participant, index, actor=self.screener)
        participant.refresh_from_db()
        return participant

    def enter(self, participant: Participant, person: Person, form_id: str, visit_id: str,
              **given: object) -> list[FormRecord]:
        """The visit's instances of a form as the person gives them, filled in now. A
        repeating form at screening (a history log) has the instances the story lists."""
        form = self.protocol.form(form_id)
        history = form.repeating and visit_id == self.screening.id
        now = {i.id: self._now() for i in form.items if i.type == "datetime"}
        records = []
        for values in self.story.instances(person, form_id, self.order, visit_id,
                                           repeating=history):
            data = form_values(self.protocol, form, self.today, {**now, **values, **given})
            records.append(self.save(participant, form_id, visit_id, data,
                                     self.enterer(form, visit_id)))
        return records

    def _now(self) -> str:
        return (self.clock.moment or timezone.now()).isoformat()

    def confirm(self, participant: Participant, person: Person) -> None:
        """The investigator judges what the forms leave open (consent is on file)."""
        eligibility = participant.eligibility or {}
        if eligibility.get("failing"):
            raise DemoError(f"the demo's candidate '{person.key}' fails criteria "
                            f"{', '.join(eligibility['failing'])}: give values that meet them "
                            "in the story (protocols/demo/<protocol>.yaml)")
        kinds = {c["id"]: c["kind"] for c in eligibility["result"]["criteria"]}
        judgements = {cid: "met" if kinds[cid] == "inclusion" else "not_met"
                      for cid in eligibility["undecided"]}
        if judgements:
            do_judge_criteria(participant, judgements, "Referral letters, pharmacy and "
                              "medical history reviewed with the patient",
                              self.passwords[self.investigator.role], actor=self.investigator)
        participant.refresh_from_db()

    def screen_and_join(self, joining: Joining) -> None:
        participant = self.candidate(joining.person, joining.day0)
        self.joined.append(joining.person.key)
        self.confirm(participant, joining.person)
        self._before_day0(participant, joining)
        if joining.part.allocation != "RANDOMIZED":
            do_enrol_participant(participant, joining.part.id, actor=self.screener)
            self._dose_day0(participant, joining, "")
            return
        self.at(joining.day0 + self.story.randomize_day * DAY, 8,
                partial(self.randomize, participant, joining))

    def _before_day0(self, participant: Participant, joining: Joining) -> None:
        """Visits between screening and Day 0 (a harvest, a randomization visit): their forms
        on their planned day."""
        for visit in self.protocol.schedule.visits:
            if visit.day is not None and visit.day < 0 and visit.id != self.screening.id:
                self.at(joining.day0 + visit.day * DAY, 11, partial(
                    self.enter_visit_forms, participant, joining.person, visit.id))

    def enter_visit_forms(self, participant: Participant, person: Person, visit_id: str,
                           kinds: Callable[[Form], bool] = lambda form: True) -> None:
        for form_id in self.protocol.visit(visit_id).forms:
            form = self.protocol.form(form_id)
            if kinds(form) and form.kind != "administration":
                for record in self.enter(participant, person, form_id, visit_id):
                    self.sign_later(record, form, 2)

    def randomize(self, participant: Participant, joining: Joining) -> None:
        result = do_randomize_participant(participant, actor=self.screener)
        self._dose_day0(participant, joining, result.kit_code)

    def _dose_day0(self, participant: Participant, joining: Joining, kit: str) -> None:
        day_zero = self.protocol.design.day_zero or self.protocol.design.administrations[0].id
        self.at(joining.day0, 10, partial(self.treatment.dose, participant, joining.person,
                                          self.protocol.administration(day_zero), kit))

    def committee_opens(self, part_id: str) -> None:
        gates = self.protocol.gates.committee
        index = next((i for i, g in enumerate(gates) if g.opens_part == part_id), None)
        assert index is not None  # scheduled only for a part a gate opens
        gate = gates[index]
        # The decision is made on the open-session report produced that day (by the chair
        # where the chair may produce it, else by a study-wide role that reviews safety).
        producer = next(a for a in (self.actor(gate.signer_role), *self.team.values())
                        if may_produce_smc_report(a))
        report = do_produce_smc_report(index, "open", actor=producer)
        do_sign_safety_decision(gate.opening_decisions[0], self.story.committee_rationale,
                                self.passwords[gate.signer_role],
                                actor=self.actor(gate.signer_role), gate_index=index,
                                report_sha256=report.pdf_sha256)

    def save(self, participant: Participant, form_id: str, visit_id: str,
             values: dict[str, object], actor: Actor, **kwargs: object) -> FormRecord:
        version: FormVersion = do_save_form(participant, form_id, visit_id, values,
                                            actor=actor, **kwargs)  # type: ignore[arg-type]
        return version.record

    def sign_later(self, record: FormRecord, form: Form, days: int) -> None:
        """The investigator signs what needs a signature (a rating is left for them to do)."""
        if form.signature_required and form.kind != "assessment":
            self.at(self.today + days * DAY, 16, partial(self.sign, record))

    def sign(self, record: FormRecord) -> None:
        do_sign_form(record, self.passwords[self.investigator.role],
                     "I confirm these data are accurate and complete",
                     actor=self.investigator)

    # -- the candidates at the present ------------------------------------------------------
    def pipeline(self, present: dt.date) -> None:
        """A screen failure, a candidate awaiting their part, one still in screening."""
        story = self.story

        def fail(person: Person) -> None:
            participant = self.candidate(person, self.today + 14 * DAY)
            reason = "" if (participant.eligibility or {}).get("failing") else \
                "The investigator judged the candidate unsuitable"
            do_record_screen_failure(participant, reason, actor=self.screener)

        def awaiting(person: Person) -> None:
            self.confirm(self.candidate(person, self.today + 6 * DAY), person)

        if story.screen_failure is not None:
            self.at(present - 40 * DAY, 9, partial(fail, story.screen_failure))
        if story.awaiting is not None:
            self.at(present - 1 * DAY, 9, partial(awaiting, story.awaiting))
        if story.in_screening is not None:
            self.at(present - 2 * DAY, 14, partial(self.candidate, story.in_screening,
                                                   present + 12 * DAY))
