"""The demo's trial, step by step on an agenda run in date order (see trialkit.web.demo).

Each step is what a person does on a day: screen a candidate, give a dose, see a participant
at a visit and enter the visit's forms, report an adverse event, raise or answer a query.
Steps that follow from others (a participant's visits after the Day-0 dose) are put on the
agenda when their cause happens, with the dates the schedule gives them. The agenda stops at
the present: later visits stay upcoming.
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

from trialkit.core.protocol import Protocol
from trialkit.web import demo_data as data
from trialkit.web.demo_people import AWAITING, FAILURE, IN_SCREENING, PHASE1, PHASE2A, Profile
from trialkit.web.trial.actions.adverse_events import do_report_serious_event
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.dosing import do_record_administration, do_record_visit
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.participants import (
    do_end_participation,
    do_enrol_participant,
    do_evaluate_eligibility,
    do_judge_criteria,
    do_record_consent,
    do_record_screen_failure,
    do_register_candidate,
)
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.queries import do_answer_query, do_close_query, do_raise_query
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.models import FormRecord, FormVersion, Participant, Query

DAY = dt.timedelta(days=1)


class DemoClock:
    """Makes ``timezone.now()`` a chosen moment while the demo is built (None: the real time).

    The integration tests' clock, as a context manager: actions read the time only through
    ``django.utils.timezone``, so each step happens on its own date.
    """

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None

    @contextmanager
    def running(self) -> Iterator[DemoClock]:
        real_now: Callable[[], dt.datetime] = timezone.now
        timezone.now = lambda: self.moment or real_now()
        try:
            yield self
        finally:
            timezone.now = real_now


@dataclass(order=True)
class _Step:
    moment: dt.datetime
    order: int
    run: Callable[[], object] = field(compare=False)


class DemoTrial:
    def __init__(self, protocol: Protocol, team: dict[str, Actor], passwords: dict[str, str],
                 clock: DemoClock) -> None:
        self.protocol, self.team, self.passwords, self.clock = protocol, team, passwords, clock
        self.site = protocol.identity.sites[0].id
        self.agenda: list[_Step] = []
        self.counter = itertools.count()
        self.numbers = itertools.count(1)
        self.participants: dict[str, Participant] = {}
        scheduled = [v for v in protocol.schedule.visits if v.day is not None]
        self.last_visit = max(scheduled, key=lambda v: v.day or 0).id

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

    def actor(self, role: str) -> Actor:
        return self.team[role]

    # -- the plan ---------------------------------------------------------------------------
    def plan(self, start: dt.date, seed: int, present: dt.date) -> None:
        """Put the whole trial on the agenda, Phase I Day 0 of the first participant on
        ``start``; ``present`` is the real today (the pipeline of candidates sits just before)."""
        statistician = self.actor("unblinded_statistician")
        self.at(start - 30 * DAY, 9, lambda: do_generate_randomization_list(
            seed, actor=statistician))
        self.at(start - 30 * DAY, 11, lambda: do_release_randomization_list(actor=statistician))
        for n, profile in enumerate(PHASE1):
            self.at(start + 35 * n * DAY - 7 * DAY, 9, partial(self.phase1, profile,
                                                               start + 35 * n * DAY))
        last_it = start + 35 * (len(PHASE1) - 1) * DAY + 28 * DAY
        decided = last_it + 28 * DAY
        self.at(decided, 15, self.smc_proceed)
        for k, profile in enumerate(PHASE2A):
            day0 = decided + (7 + 12 * k) * DAY
            self.at(day0 - 7 * DAY, 9, partial(self.phase2a, profile, day0))
        self.pipeline(present)

    # -- screening --------------------------------------------------------------------------
    def candidate(self, profile: Profile, index: dt.date, *, forms: tuple[str, ...] = ()
                  ) -> Participant:
        """Registered today, screening forms saved, eligibility evaluated for Day 0 ``index``."""
        coordinator = self.actor("coordinator")
        participant = do_register_candidate(f"{self.site}-{next(self.numbers):03d}", self.site,
                                            actor=coordinator)
        self.participants[profile.key] = participant
        screening = data.screening(self.today, sex=profile.sex, birth_year=profile.birth_year,
                                   course=profile.course, fs=profile.fs,
                                   pregnant=profile.pregnant)
        for form_id, values in screening.items():
            if not forms or form_id in forms:
                who = self.actor("edss_rater") if form_id == "EDSS" else coordinator
                do_save_form(participant, form_id, "SCR", values, actor=who)
        do_evaluate_eligibility(participant, index, actor=coordinator)
        participant.refresh_from_db()
        return participant

    def confirm(self, participant: Participant) -> None:
        """The investigator judges the history criteria; consent is signed and recorded."""
        eligibility = participant.eligibility or {}
        kinds = {c["id"]: c["kind"] for c in eligibility["result"]["criteria"]}
        judgements = {cid: "met" if kinds[cid] == "inclusion" else "not_met"
                      for cid in eligibility["undecided"]}
        investigator = self.actor("investigator")
        if judgements:
            do_judge_criteria(participant, judgements, "Referral letters, pharmacy and relapse "
                              "history reviewed with the patient", self.passwords["investigator"],
                              actor=investigator)
        taken_by = investigator.user.profile.printed_name
        do_save_form(participant, "CONSENT", "SCR", {
            "consent_date": self.today.isoformat(), "form_version": "ICF 2.0",
            "taken_by": taken_by}, actor=self.actor("coordinator"))
        do_record_consent(participant, self.today, "ICF 2.0", taken_by,
                          actor=self.actor("coordinator"))
        participant.refresh_from_db()

    def phase1(self, profile: Profile, day0: dt.date) -> None:
        participant = self.candidate(profile, day0)
        self.confirm(participant)
        do_enrol_participant(participant, "phase1", actor=self.actor("coordinator"))
        lot = f"LOT-{day0:%y%m}-{profile.birth_year % 100:02d}"
        self.at(day0, 10, lambda: self.dose(participant, profile, "iv", lot))

    def phase2a(self, profile: Profile, day0: dt.date) -> None:
        participant = self.candidate(profile, day0)
        self.confirm(participant)
        self.at(day0, 8, lambda: self.randomize(participant, profile))

    def randomize(self, participant: Participant, profile: Profile) -> None:
        result = do_randomize_participant(participant, actor=self.actor("coordinator"))
        self.at(self.today, 10, lambda: self.dose(participant, profile, "iv", result.kit_code))

    # -- treatment and visits ---------------------------------------------------------------
    def dose(self, participant: Participant, profile: Profile, administration: str,
             kit: str) -> None:
        visit = self.protocol.administration(administration).visit
        if "EDSS" in self.protocol.visit(visit).forms:  # the baseline rating precedes the dose
            self.save(participant, "EDSS", visit, data.edss(
                self.today, profile.fs_at(visit), rated=profile.rated.get(visit)), "edss_rater")
        planned = self.protocol.administration(administration)
        given_at = self.clock.moment
        assert given_at is not None
        participant.refresh_from_db()  # enrolled since the object was made
        if participant.part != "phase1":  # a concealed kit: the preparing role confirms it
            do_confirm_preparation(kit, administration, actor=self.actor(planned.prepared_by))
        performer = planned.performed_by
        do_record_administration(participant, administration, given_at,
                                 kit if participant.part != "phase1" else "",
                                 actor=self.actor(performer))
        record = self.save(participant, "DOSE", visit, data.dose(administration, given_at, kit))
        self.save(participant, "VS", visit, data.vitals(self.today, seed=profile.birth_year,
                                                        hour=12))
        self.at(self.today + DAY, 16, lambda: self.sign(record))
        for step in profile.events.get(administration, ()):
            self.at(self.today + step.after_days * DAY, 11,
                    partial(step.run, self, participant))
        if administration == self.protocol.design.day_zero:
            self.schedule_visits(participant, profile, kit)

    def schedule_visits(self, participant: Participant, profile: Profile, kit: str) -> None:
        dosed = {a.visit for a in self.protocol.design.administrations}
        for visit in participant.visits.exclude(visit_id__in=dosed).filter(
                done_on__isnull=True, target_date__isnull=False):
            if visit.visit_id in profile.skipped:
                continue
            late = profile.late.get(visit.visit_id, profile.birth_year % 3)
            self.at(visit.target_date + late * DAY, 9,
                    partial(self.visit, participant, profile, visit.visit_id))
        for administration in self.protocol.design.administrations:
            if administration.id != self.protocol.design.day_zero:
                target = participant.visits.get(visit_id=administration.visit).target_date
                self.at(target, 10, partial(self.dose, participant, profile,
                                            administration.id, kit))

    def visit(self, participant: Participant, profile: Profile, visit_id: str) -> None:
        do_record_visit(participant, visit_id, self.today, actor=self.actor("coordinator"))
        for form_id in self.protocol.visit(visit_id).forms:
            values = data.visit_form(form_id, self.today, fs=profile.fs_at(visit_id),
                                     seed=profile.birth_year,
                                     relapse=visit_id in profile.relapse_reviews)
            who = "edss_rater" if form_id == "EDSS" else "coordinator"
            record = self.save(participant, form_id, visit_id, values, who)
            if self.protocol.form(form_id).signature_required and form_id != "EDSS":
                self.at(self.today + 2 * DAY, 16, partial(self.sign, record))
        if visit_id == self.last_visit:
            do_end_participation(participant, "completed", self.today, "",
                                 actor=self.actor("investigator"))

    def save(self, participant: Participant, form_id: str, visit_id: str,
             values: data.Data, role: str = "coordinator", **kwargs: object) -> FormRecord:
        version: FormVersion = do_save_form(participant, form_id, visit_id, values,
                                            actor=self.actor(role), **kwargs)  # type: ignore[arg-type]
        return version.record

    def sign(self, record: FormRecord) -> None:
        do_sign_form(record, self.passwords["investigator"],
                     "I confirm these data are accurate and complete",
                     actor=self.actor("investigator"))

    # -- oversight --------------------------------------------------------------------------
    def smc_proceed(self) -> None:
        do_sign_safety_decision(
            "proceed", "All six Phase I participants completed the 28-day post-IT review with "
            "no dose-limiting toxicity; one grade 2 post-lumbar-puncture headache resolved.",
            self.passwords["smc_chair"], actor=self.actor("smc_chair"))

    def report_serious(self, record: FormRecord) -> None:
        do_report_serious_event(record, actor=self.actor("investigator"))

    def pipeline(self, present: dt.date) -> None:
        """A screen failure, a candidate awaiting randomization, one still in screening."""
        def fail() -> None:
            participant = self.candidate(FAILURE, self.today + 14 * DAY)
            do_record_screen_failure(participant, "", actor=self.actor("coordinator"))

        def awaiting() -> None:
            self.confirm(self.candidate(AWAITING, self.today + 6 * DAY))

        self.at(present - 40 * DAY, 9, fail)
        self.at(present - 1 * DAY, 9, awaiting)
        self.at(present - 2 * DAY, 14, lambda: self.candidate(
            IN_SCREENING, self.today + 14 * DAY, forms=("DM", "MSHIST", "ELIG")))

    # -- data management --------------------------------------------------------------------
    def raise_query(self, participant: Participant, form_id: str, visit_id: str, item: str,
                    text: str, role: str = "data_manager") -> Query:
        record = FormRecord.objects.get(participant=participant, form_id=form_id,
                                        visit_id=visit_id)
        return do_raise_query(record, item, text, actor=self.actor(role))

    def answer(self, query: Query, text: str, role: str = "coordinator") -> None:
        do_answer_query(query, text, actor=self.actor(role))

    def close(self, query: Query, text: str = "") -> None:
        do_close_query(query, text, actor=self.actor("data_manager"))
