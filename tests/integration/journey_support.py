"""Shared steps of the participant-journey tests, for any protocol: a settable clock, the
protocol's roles as a team, screening, joining a part, doses, and the gates before a part.

Every step goes through the actions (forms by data capture's ``do_save_form``), so the tests
exercise what a site does. What is entered, by whom, and in which order the parts open follows
from the protocol (tests/protocol_cases.py). Dates are absolute; the clock makes "today"
whatever a step needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from tests.integration.committee_support import open_report
from tests.integration.conftest import PASSWORD
from tests.protocol_cases import TrialCase
from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.consent_forms import facts_on_file
from trialkit.web.trial.actions.dosing import do_record_administration
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.participants import (
    do_enrol_participant,
    do_evaluate_eligibility,
    do_judge_criteria,
    do_record_consent,
    do_register_candidate,
)
from trialkit.web.trial.actions.randomization import (
    RandomizationResult,
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Administration, Participant, RandomizationSlot

DAY = dt.timedelta(days=1)
START = dt.date(2027, 1, 4)
"""Day 0 of the first participant."""


class Clock:
    """The trial's clock (``trialkit.web.trial.clock``) at a chosen moment (09:00 UTC of a
    day unless told otherwise)."""

    def __init__(self, monkeypatch) -> None:
        self.moment = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        # Installed as the process clock (live-server threads see it too), undone by
        # monkeypatch at the end of the test.
        monkeypatch.setattr(trial_clock, "_process_clock", self)

    def set(self, day: dt.date, hour: int = 9) -> dt.datetime:
        self.moment = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
        return self.moment

    def now(self) -> dt.datetime:
        return self.moment

    @property
    def today(self) -> dt.date:
        return self.moment.date()


@dataclass
class Team:
    """The protocol's roles as actors at the trial's first site, each made when first needed."""

    trial: TrialCase
    make_actor: Callable[..., Actor]
    actors: dict[str, Actor] = field(default_factory=dict)
    others: dict[str, Any] = field(default_factory=dict)
    """What a test's fixture built beforehand (participants, kits, ...)."""

    def actor(self, role: str) -> Actor:
        if role not in self.actors:
            self.actors[role] = self.make_actor(role)
        return self.actors[role]

    @property
    def coordinator(self) -> Actor:
        """The site's screening, consenting and enrolling role."""
        return self.actor(self.trial.screener)

    @property
    def investigator(self) -> Actor:
        return self.actor(self.trial.investigator)

    @property
    def statistician(self) -> Actor:
        """The role that generates and releases the randomization list."""
        return self.actor(self.trial.list_manager)

    @property
    def chair(self) -> Actor:
        """The signer of the first committee gate's decisions."""
        return self.actor(self.trial.protocol.gates.committee[0].signer_role)

    def entering(self, form: str) -> Actor:
        return self.actor(self.trial.entry_role(form))

    def performing(self, administration: str) -> Actor:
        return self.actor(self.trial.performer(administration))


def make_team(trial: TrialCase, make_actor) -> Team:
    return Team(trial, make_actor)


def register_and_screen(number: str, team: Team, clock: Clock, index: dt.date,
                        changes: Mapping[str, Any] | None = None) -> Participant:
    """Registered and consented, then screening forms saved (a week before ``index``) and
    eligibility evaluated: no study data before informed consent (``Guard.CONSENTED``)."""
    trial = team.trial
    clock.set(index - 7 * DAY)
    participant = do_register_candidate(number, trial.site, actor=team.coordinator)
    do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    visit = trial.screening_visit.id
    participant.refresh_from_db()
    for form_id, instances in trial.screening_forms(clock.today, changes,
                                                    facts_on_file(participant)).items():
        for values in instances:
            do_save_form(participant, form_id, visit, values, actor=team.entering(form_id))
    do_evaluate_eligibility(participant, index, actor=team.coordinator)
    participant.refresh_from_db()
    return participant


def judge_history_criteria(participant: Participant, team: Team) -> Evaluation:
    """The investigator judges what the forms leave open: inclusions met, exclusions absent."""
    evaluation = participant.evaluation()
    kinds = {c["id"]: c["kind"] for c in evaluation.result["criteria"]}
    judgements = {cid: "met" if kinds[cid] == "inclusion" else "not_met"
                  for cid in evaluation.undecided}
    if not judgements:
        return evaluation
    return do_judge_criteria(participant, judgements, "Referral letters and pharmacy history "
                             "reviewed with the patient", PASSWORD, actor=team.investigator)


def eligible_and_consented(number: str, team: Team, clock: Clock, index: dt.date,
                           changes: Mapping[str, Any] | None = None) -> Participant:
    participant = register_and_screen(number, team, clock, index, changes)
    judge_history_criteria(participant, team)
    participant.refresh_from_db()
    return participant


def join(participant: Participant, part_id: str, team: Team) -> RandomizationResult | None:
    """Into a part: by randomization where the part is randomized, else by enrolment."""
    if team.trial.protocol.part(part_id).allocation == "RANDOMIZED":
        return do_randomize_participant(participant, actor=team.coordinator)
    do_enrol_participant(participant, part_id, actor=team.coordinator)
    return None


OPEN_LABEL_CODE = "PREP-0001"
"""The preparation code a site records for a dose that comes from no randomization kit."""


def in_first_part(number: str, team: Team, clock: Clock) -> tuple[Participant, str, dt.date]:
    """A participant in the protocol's first part, with the code their first dose comes with
    (their kit, or a preparation code), and the Day 0 they may receive it."""
    part = team.trial.protocol.design.parts[0]
    day0 = START
    if part.allocation == "RANDOMIZED":
        day0 = open_randomized_part(team, clock).day0
    participant = eligible_and_consented(number, team, clock, day0)
    result = join(participant, part.id, team)
    return participant, (result.kit_code if result is not None else OPEN_LABEL_CODE), day0


def give(participant: Participant, administration: str, day: dt.date, actor: Actor,
         clock: Clock, **kwargs) -> Administration:
    when = clock.set(day, hour=10)
    return do_record_administration(participant, administration, when, actor=actor, **kwargs)


def kit_of(participant: Participant) -> str:
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    return slot.kit_code if slot is not None else ""


def dose_all(participant: Participant, day0: dt.date, team: Team, clock: Clock) -> None:
    """Every administration of the protocol on its visit's day after ``day0``, by its
    performer, from the participant's own kit."""
    for administration in team.trial.administrations():
        give(participant, administration.id, day0 + team.trial.day_of(administration) * DAY,
             team.performing(administration.id), clock, kit_code=kit_of(participant))


def run_part(part_id: str, team: Team, clock: Clock, count: int | None = None,
             first_day0: dt.date = START) -> list[Participant]:
    """``count`` participants (the part's target) joined and dosed in turn; in a sequential
    part each Day 0 is the earliest the rule allows after the previous participant."""
    trial = team.trial
    gate = trial.sequential_gate(part_id)
    step = 7 * DAY
    if gate is not None:
        step = (max(trial.day_of(a) for a in gate.previous_must_have_received)
                + gate.wait_days) * DAY
    participants, day0 = [], first_day0
    for n in range(1, (count or trial.protocol.part(part_id).enrolment_target) + 1):
        participant = eligible_and_consented(f"{part_id[:6].upper()}-{n:02d}", team, clock, day0)
        join(participant, part_id, team)
        dose_all(participant, day0, team, clock)
        participants.append(participant)
        day0 += step
    return participants


def last_dose_day(participants: list[Participant], administration: str) -> dt.date:
    """The day the last of ``participants`` received ``administration``."""
    return max(timezone.localdate(a.given_at) for p in participants
               for a in p.administrations.filter(administration_id=administration))


@dataclass(frozen=True)
class Opened:
    """A randomized part open for randomization."""

    earlier: list[Participant]
    """The participants of the part its committee reviewed (none without a gate)."""
    review_end: dt.date | None
    """The first day the committee's decision may open the part (None: no gate)."""
    day0: dt.date
    """A Day 0 a participant may be randomized for."""


def list_live(team: Team, clock: Clock) -> None:
    clock.set(START - 30 * DAY)
    do_generate_randomization_list(actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)


def reviewed_part_done(team: Team, clock: Clock) -> Opened:
    """The list live; the part the randomized part's committee reviews run to the end of its
    review period (no decision yet). Without a gate the part is open from the start."""
    list_live(team, clock)
    trial = team.trial
    assert trial.randomized_part is not None
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    if gate is None:
        clock.set(START - 7 * DAY)
        return Opened([], None, START)
    earlier = run_part(gate.reviews_part, team, clock)
    review_end = last_dose_day(earlier, gate.after_administration) + \
        gate.days_after_administration * DAY
    clock.set(review_end)
    return Opened(earlier, review_end, review_end + 7 * DAY)


def open_randomized_part(team: Team, clock: Clock) -> Opened:
    """The randomized part open: its list live and, where a committee gate stands before it,
    the reviewed part done and the committee's opening decision e-signed."""
    opened = reviewed_part_done(team, clock)
    gate = team.trial.committee_gate_opening(team.trial.randomized_part.id)
    if gate is not None:
        gate_index = team.trial.protocol.gates.committee.index(gate)
        do_sign_safety_decision(gate.opening_decisions[0], "No safety concern in the "
                                "reviewed part", PASSWORD, actor=team.actor(gate.signer_role),
                                gate_index=gate_index, report_sha256=open_report(
                                    team.actor, team.trial.protocol, gate_index))
    return opened


def randomized(number: str, team: Team, clock: Clock, day0: dt.date,
               changes: Mapping[str, Any] | None = None) -> tuple[Participant, str]:
    """Screened a week before ``day0``, consented and randomized; with the kit code."""
    participant = eligible_and_consented(number, team, clock, day0, changes)
    result = do_randomize_participant(participant, actor=team.coordinator)
    return participant, result.kit_code
