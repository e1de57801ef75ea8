"""Shared steps of the participant-journey tests: a settable clock, screening data, Phase I.

Every step goes through the actions (forms by data capture's ``do_save_form``), so the tests
exercise what a site does. Dates are absolute; the clock makes "today" whatever a step needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from tests.integration.conftest import PASSWORD
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
    do_generate_randomization_list,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Participant

FS_ITEMS = ("fs_pyramidal", "fs_cerebellar", "fs_brainstem", "fs_sensory", "fs_bowel_bladder",
            "fs_visual", "fs_cerebral", "ambulation")
START = dt.date(2027, 1, 4)
"""Day 0 of the first Phase I participant."""


class Clock:
    """Makes ``timezone.now()`` a chosen moment (09:00 UTC of a day unless told otherwise)."""

    def __init__(self, monkeypatch) -> None:
        self.moment = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, day: dt.date, hour: int = 9) -> dt.datetime:
        self.moment = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
        return self.moment

    @property
    def today(self) -> dt.date:
        return self.moment.date()


@dataclass
class Team:
    coordinator: object
    investigator: object
    proceduralist: object
    chair: object
    statistician: object
    others: dict[str, object] = field(default_factory=dict)


def make_team(make_actor) -> Team:
    return Team(coordinator=make_actor("coordinator"), investigator=make_actor("investigator"),
                proceduralist=make_actor("it_proceduralist"), chair=make_actor("smc_chair"),
                statistician=make_actor("unblinded_statistician"))


def screening_forms(on: dt.date, *, course: str = "RRMS", sex: str = "male",
                    birth_date: str = "1984-05-12") -> dict[str, dict[str, object]]:
    """Screening data of a patient who meets every criterion the forms can decide."""
    day = on.isoformat()
    return {
        "DM": {"birth_date": birth_date, "sex": sex, "childbearing_potential": False},
        "MSHIST": {"ms_course": course, "diagnosis_date": (on.replace(year=on.year - 6)).isoformat()},
        "ELIG": {"willing_to_consent": True, "agrees_to_contraception": True, "pregnant": False,
                 "lactating": False, "mri_contraindicated": False, "immunocompromised": False,
                 "active_infection_systemic_treatment": False,
                 "investigator_deems_unsuitable": False},
        "EDSS": {"assessment_date": day, **dict.fromkeys(FS_ITEMS, 0), "fs_pyramidal": 3,
                 "edss": 3.0},
        "MRI": {"scan_date": day, "gd_enhancing_lesions": 1, "new_t2_lesions": 2},
        "LAB": {"sample_date": day, "pt": 12.0, "pt_uln": 13.5, "aptt": 30.0, "aptt_uln": 35.0,
                "ast": 22.0, "ast_uln": 40.0, "alt": 25.0, "alt_uln": 40.0, "egfr": 96.0,
                "fasting_glucose": 92.0},
    }


def register_and_screen(number: str, team: Team, clock: Clock, index: dt.date, *,
                        course: str = "RRMS", **changes: dict[str, object]) -> Participant:
    """Registered, screening forms saved (a week before ``index``) and eligibility evaluated."""
    clock.set(index - dt.timedelta(days=7))
    participant = do_register_candidate(number, "CMUH", actor=team.coordinator)
    forms = screening_forms(clock.today, course=course)
    for form_id, data in forms.items():
        do_save_form(participant, form_id, "SCR", {**data, **changes.get(form_id, {})},
                     actor=team.coordinator)
    do_evaluate_eligibility(participant, index, actor=team.coordinator)
    participant.refresh_from_db()
    return participant


def judge_history_criteria(participant: Participant, team: Team) -> dict[str, object]:
    """The investigator judges what the forms leave open: inclusions met, exclusions absent."""
    undecided = participant.eligibility["undecided"]
    kinds = {c["id"]: c["kind"] for c in participant.eligibility["result"]["criteria"]}
    judgements = {cid: "met" if kinds[cid] == "inclusion" else "not_met" for cid in undecided}
    return do_judge_criteria(participant, judgements, "Referral letters and pharmacy history "
                             "reviewed with the patient", PASSWORD, actor=team.investigator)


def eligible_and_consented(number: str, team: Team, clock: Clock, index: dt.date,
                           *, course: str = "RRMS") -> Participant:
    participant = register_and_screen(number, team, clock, index, course=course)
    judge_history_criteria(participant, team)
    do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    participant.refresh_from_db()
    return participant


def run_phase1(team: Team, clock: Clock, part: str = "phase1") -> list[Participant]:
    """Six participants enrolled and dosed in turn: IV on day 0, IT on day 28, the next IV
    exactly seven days after the previous IT (the earliest the sequential rule allows)."""
    participants = []
    day0 = START
    for n in range(1, 7):
        p = eligible_and_consented(f"P1-{n:02d}", team, clock, day0)
        do_enrol_participant(p, part, actor=team.coordinator)
        give(p, "iv", day0, team.investigator, clock)
        give(p, "it", day0 + dt.timedelta(days=28), team.proceduralist, clock)
        participants.append(p)
        day0 += dt.timedelta(days=35)
    return participants


def give(participant: Participant, administration: str, day: dt.date, actor, clock: Clock,
         **kwargs):
    when = clock.set(day, hour=10)
    return do_record_administration(participant, administration, when, actor=actor, **kwargs)


def last_it_day(phase1: list[Participant]) -> dt.date:
    """The day the last Phase I participant received the intrathecal dose."""
    return max(timezone.localdate(a.given_at) for p in phase1
               for a in p.administrations.filter(administration_id="it"))


def open_phase2a(team: Team, clock: Clock, seed: int = 20260101) -> list[Participant]:
    """Phase I done, the list live, the chair's proceed signed after the review period."""
    clock.set(START - dt.timedelta(days=30))
    do_generate_randomization_list(seed, actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)
    phase1 = run_phase1(team, clock)
    clock.set(last_it_day(phase1) + dt.timedelta(days=28))
    do_sign_safety_decision("proceed", "No safety concern in Phase I", PASSWORD,
                            actor=team.chair)
    return phase1
