"""A crossover trial run end to end on the two-period crossover protocol in protocols/: a
participant screened, consented and randomized to a sequence, the period-1 infusion, the switch
to period 2 at the planned visit, the period-2 infusion (refused before the switch, and inside
a washout in a variant of the protocol that sets one), and what each role reads of the
allocation (the sequence, the arm of each period, per-period preparations, by-arm summaries).

Roles are found by what the protocol lets them do; the screening data are this protocol's
forms (a relapsing-remitting patient who failed a year of interferon), entered through the
actions as a site would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.accounts_support import grant
from tests.conftest import ROOT
from tests.integration.conftest import PASSWORD
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.protocol.design import Administration, Part
from trialkit.core.scheduling import first_visit
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.access import (
    access_allocation,
    access_arms,
    access_exposure,
    access_preparation,
    access_procedure_type,
    access_randomization_list,
)
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import (
    Actor,
    NotPermittedError,
    StateConflictError,
    actor_for,
)
from trialkit.web.trial.actions.dosing import do_record_administration, do_record_visit
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.participants import (
    do_evaluate_eligibility,
    do_judge_criteria,
    do_record_consent,
    do_register_candidate,
)
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import (
    AuditEvent,
    Deviation,
    Participant,
    PeriodStart,
    RandomizationSlot,
)

CROSSOVER = ROOT / "protocols" / "nct01854957.yaml"
DAY0 = dt.date(2027, 3, 1)
"""The planned day 0 of every participant here."""


class Clock:
    """The trial's clock (``trialkit.web.trial.clock``) on a chosen day (10:00 UTC)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)
        # Installed as the process clock (live-server threads see it too), undone by
        # monkeypatch at the end of the test.
        monkeypatch.setattr(trial_clock, "_process_clock", self)

    def set(self, day: dt.date) -> dt.datetime:
        self.moment = dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC)
        return self.moment

    def now(self) -> dt.datetime:
        return self.moment


@dataclass
class Team:
    protocol: Protocol
    site: str
    actors: dict[str, Actor]
    """Role id → an actor in that role."""

    def holding(self, permission: str) -> Actor:
        """An actor whose role may do ``permission`` (the first such role of the protocol)."""
        return next(self.actors[r.id] for r in self.protocol.roles if permission in r.can)

    def seeing(self, information: str) -> Actor:
        return next(self.actors[r.id] for r in self.protocol.roles if information in r.sees)

    def blinded(self) -> list[Actor]:
        return [self.actors[r.id] for r in self.protocol.roles if not r.sees]


def load_team(path: Path) -> Team:
    """The protocol loaded as the study, and one user in every role at its first site (the
    username is the role id)."""
    study = do_load_protocol(path, actor=None)
    from trialkit.web.trial.study import protocol_of

    protocol = protocol_of(study)
    site = protocol.identity.sites[0].id
    manager = next(r.id for r in protocol.roles if "manage_users" in r.can)
    first = do_create_user(manager, PASSWORD, "Ada Admin", actor=None)
    do_grant_role(first, manager, None, actor=None)
    admin = actor_for(first, manager)
    actors = {manager: admin}
    for role in protocol.roles:
        if role.id == manager:
            continue
        user = do_create_user(role.id, PASSWORD, role.name, actor=admin)
        grant(user, role.id, site if role.site_scoped else None, admin=admin)
        actors[role.id] = actor_for(user, role.id)
    return Team(protocol, site, actors)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def team(db, clock: Clock) -> Team:
    return load_team(CROSSOVER)


def crossover_part(protocol: Protocol) -> Part:
    return next(part for part in protocol.design.parts if part.is_crossover)


def in_period(protocol: Protocol, index: int) -> Administration:
    period = crossover_part(protocol).periods[index].id
    return next(a for a in protocol.design.administrations if a.period == period)


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


# --- screening: this protocol's forms ---------------------------------------------------

def screening_data(on: dt.date) -> list[tuple[str, dict[str, object]]]:
    """A relapsing-remitting patient aged 41, diagnosed 5 years ago, on interferon beta for 4
    years with a relapse 6 months ago, EDSS 3.5 a month ago; no infection. (The consent form is
    entered by recording the consent.)"""
    def ago(days: int) -> str:
        return (on - dt.timedelta(days=days)).isoformat()

    return [
        ("DM01", {"BRTHDAT": "1986-02-11", "SEX": "female"}),
        ("MH02", {"MSCOURSE": "RRMS", "MSONSDAT": ago(5 * 365), "MSDGDAT": ago(5 * 365 - 60)}),
        ("CM01", {"CMTRT": "interferon beta-1a", "CMSTDAT": ago(4 * 365), "CMONGO": True}),
        ("CE01", {"CESTDAT": ago(180), "CETERM": "Optic neuritis, left eye"}),
        ("RS02", {"EDSSHDAT": ago(30), "EDSSHSC": 3.5}),
        ("IE01", {"ACTINF": False}),
    ]


def screened_and_consented(team: Team, clock: Clock, number: str) -> Participant:
    """Registered at the first site, consent recorded, screening forms entered, eligibility
    evaluated (the investigator judging what the forms leave open): ready to randomize."""
    on = clock.set(DAY0 - dt.timedelta(days=14)).date()
    coordinator = team.holding("screen")
    participant = do_register_candidate(number, team.site, actor=coordinator)
    do_record_consent(participant, on, "2.0", "Dr Rossi", actor=coordinator)
    visit = next(v.id for v in team.protocol.schedule.visits if v.day is not None)
    for form_id, data in screening_data(on):
        enterer = team.actors[team.protocol.form(form_id).entered_by[0]]
        do_save_form(participant, form_id, visit, data, actor=enterer)
    result = do_evaluate_eligibility(participant, DAY0, actor=coordinator)
    kinds = {c["id"]: c["kind"] for c in result.result["criteria"]}
    if result.undecided:
        do_judge_criteria(participant, {c: "met" if kinds[c] == "inclusion" else "not_met"
                                        for c in result.undecided},
                          "Records reviewed with the patient", PASSWORD,
                          actor=team.holding("sign"))
    participant.refresh_from_db()
    return participant


def live_list(team: Team, clock: Clock) -> None:
    clock.set(DAY0 - dt.timedelta(days=30))
    statistician = team.holding("manage_randomization")
    do_generate_randomization_list(actor=statistician)
    do_release_randomization_list(actor=statistician)


def randomized(team: Team, clock: Clock, number: str) -> tuple[Participant, str]:
    """A participant randomized on the day before day 0; returns them and their kit code."""
    participant = screened_and_consented(team, clock, number)
    clock.set(DAY0 - dt.timedelta(days=1))
    result = do_randomize_participant(participant, actor=team.holding("randomize"))
    participant.refresh_from_db()
    return participant, result.kit_code


def dose(team: Team, clock: Clock, participant: Participant, administration: Administration,
         on: dt.date, kit: str, **kwargs: object):
    given = clock.set(on)
    actor = team.actors[administration.performed_by]
    return do_record_administration(participant, administration.id, given, kit, actor=actor,
                                    **kwargs)


def sequence_of(participant: Participant) -> str:
    return RandomizationSlot.objects.get(participant=participant).treatment_sequence


# --- the journey ------------------------------------------------------------------------

def test_a_participant_is_screened_consented_and_randomized_to_a_sequence(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    slot = RandomizationSlot.objects.get(participant=participant)
    part = crossover_part(team.protocol)
    assert participant.status == Participant.Status.ENROLLED and participant.part == part.id
    assert slot.treatment_sequence in {s.id for s in part.sequences} and slot.arm == ""
    assert slot.kit_code == kit and participant.period == ""


def test_the_randomization_audit_event_names_no_sequence_and_no_arm(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, _ = randomized(team, clock, "MS-001")
    event = AuditEvent.objects.get(action="randomize_participant")
    part = crossover_part(team.protocol)
    words = {s.id for s in part.sequences} | set(part.arms)
    assert not words & set(str(event.new).replace("'", " ").split())
    assert sequence_of(participant) not in str(event.new)


def test_the_period_1_infusion_starts_period_1_and_is_audited(team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    first = in_period(team.protocol, 0)
    dose(team, clock, participant, first, DAY0, kit)
    participant.refresh_from_db()
    assert participant.period == first.period
    start = PeriodStart.objects.get(participant=participant)
    assert (start.period_id, start.started_on, start.administration_id) == (
        first.period, DAY0, first.id)
    event = AuditEvent.objects.get(action="start_period")
    assert event.new["period"] == first.period and event.old == {"period": None}
    assert sequence_of(participant) not in str(event.new)


def test_the_period_2_infusion_is_refused_before_the_switch_with_the_reason(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    second = in_period(team.protocol, 1)
    switch = first_visit(team.protocol, second.period or "")
    with pytest.raises(StateConflictError, match="dose refused") as refused:
        dose(team, clock, participant, second, day(100), kit)
    assert switch.name in refused.value.message and refused.value.field == "given_at"
    participant.refresh_from_db()
    assert participant.period == in_period(team.protocol, 0).period
    assert not participant.administrations.filter(administration_id=second.id).exists()


def test_recording_the_switch_visit_moves_the_participant_to_period_2(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    second = in_period(team.protocol, 1)
    switch = first_visit(team.protocol, second.period or "")
    assert switch.day is not None
    clock.set(day(switch.day))
    do_record_visit(participant, switch.id, day(switch.day), actor=team.holding("enter_data"))
    participant.refresh_from_db()
    assert participant.period == second.period
    assert PeriodStart.objects.get(participant=participant, period_id=second.period).visit_id \
        == switch.id
    assert [e.new["period"] for e in AuditEvent.objects.filter(action="start_period")] == [
        in_period(team.protocol, 0).period, second.period]
    dose(team, clock, participant, second, day(switch.day), kit)
    assert participant.administrations.filter(administration_id=second.id).exists()


def test_the_period_2_infusion_at_the_planned_visit_is_itself_the_switch(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    second = in_period(team.protocol, 1)
    switch = first_visit(team.protocol, second.period or "")
    assert switch.day is not None
    dose(team, clock, participant, second, day(switch.day - switch.window.before), kit)
    participant.refresh_from_db()
    visit = participant.visits.get(visit_id=switch.id)
    assert participant.period == second.period and visit.done_on == day(
        switch.day - switch.window.before)
    assert not Deviation.objects.filter(participant=participant).exists()


def test_visits_stay_planned_from_day_0_across_the_switch(team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0 + dt.timedelta(days=2), kit)
    planned = {v.visit_id: v.target_date for v in participant.visits.all()}
    for visit in team.protocol.schedule.visits:
        if visit.day is not None and visit.day > 0:
            assert planned[visit.id] == DAY0 + dt.timedelta(days=2 + visit.day)


def test_a_period_2_infusion_against_the_gate_needs_an_investigator_and_a_reason(
        team: Team, clock: Clock) -> None:
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    with pytest.raises(NotPermittedError) as refused:
        dose(team, clock, participant, in_period(team.protocol, 1), day(120), kit,
             override_reason="Relapse; the committee advised an early switch")
    assert refused.value.field == "override_reason"


def test_an_investigator_override_of_the_period_gate_starts_period_2_with_a_deviation(
        db, clock: Clock, tmp_path: Path) -> None:
    def investigators_infuse(document: dict[str, Any]) -> None:
        for role in document["roles"]:
            if "sign" in role.get("can", []):
                role["can"].append("record_administration")

    team = load_team(variant(tmp_path, investigators_infuse))
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    second = in_period(team.protocol, 1)
    clock.set(day(120))
    do_record_administration(participant, second.id, clock.moment, kit,
                             actor=team.holding("sign"),
                             override_reason="Relapse; the committee advised an early switch")
    participant.refresh_from_db()
    assert participant.period == second.period
    deviation = Deviation.objects.get(participant=participant, kind="dose_against_gate")
    assert first_visit(team.protocol, second.period or "").name in deviation.description


def variant(directory: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The crossover protocol file with ``change`` applied to its YAML document."""
    document = yaml.safe_load(CROSSOVER.read_text(encoding="utf-8"))
    change(document)
    path = directory / "crossover-variant.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def washout_variant(directory: Path, days: int) -> Path:
    """The crossover protocol with a washout of ``days`` between the periods."""
    def washout(document: dict[str, Any]) -> None:
        part = next(p for p in document["design"]["parts"] if p.get("sequences"))
        part["washout_days"] = days

    return variant(directory, washout)


def test_the_period_2_infusion_is_refused_inside_the_washout_and_given_after_it(
        db, clock: Clock, tmp_path: Path) -> None:
    # The washout ends 28 days after the planned switch visit, so the switch (recorded on its
    # planned day, after the visits before it) falls inside it.
    plain = load_protocol(washout_variant(tmp_path, 0))
    planned = first_visit(plain, in_period(plain, 1).period or "").day
    assert planned is not None
    team = load_team(washout_variant(tmp_path, planned + 28))
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    switch = first_visit(team.protocol, in_period(team.protocol, 1).period or "")
    clock.set(day(planned))
    do_record_visit(participant, switch.id, day(planned), actor=team.holding("enter_data"))
    with pytest.raises(StateConflictError, match="washout") as refused:
        dose(team, clock, participant, in_period(team.protocol, 1), day(planned + 27), kit)
    assert day(planned + 28).isoformat() in refused.value.message
    dose(team, clock, participant, in_period(team.protocol, 1), day(planned + 28), kit)


# --- what each role reads of the allocation ---------------------------------------------

@pytest.fixture
def switched(team: Team, clock: Clock) -> tuple[Participant, str]:
    """A participant dosed in period 1 and moved to period 2 at the switch visit."""
    live_list(team, clock)
    participant, kit = randomized(team, clock, "MS-001")
    dose(team, clock, participant, in_period(team.protocol, 0), DAY0, kit)
    switch = first_visit(team.protocol, in_period(team.protocol, 1).period or "")
    assert switch.day is not None
    clock.set(day(switch.day))
    do_record_visit(participant, switch.id, day(switch.day), actor=team.holding("enter_data"))
    return participant, kit


def test_a_role_that_sees_allocation_reads_the_sequence_and_the_arm_of_each_period(
        team: Team, switched: tuple[Participant, str]) -> None:
    participant, _ = switched
    part = crossover_part(team.protocol)
    view = access_allocation(participant, team.seeing("allocation"))
    sequence = part.sequence(sequence_of(participant))
    assert (view.sequence, view.sequence_label) == (sequence.id, sequence.label)
    assert [(p.period, p.arm) for p in view.periods] == list(
        zip((p.id for p in part.periods), sequence.arms, strict=True))
    assert view.period == part.periods[1].id and view.arm == sequence.arms[1]
    assert [p.started_on is not None for p in view.periods] == [True, True]
    assert sequence.label in view.description


def test_the_preparation_follows_the_arm_of_each_administrations_period(
        team: Team, switched: tuple[Participant, str]) -> None:
    _, kit = switched
    part = crossover_part(team.protocol)
    sequence = part.sequence(sequence_of(switched[0]))
    prepared = access_preparation(kit, team.seeing("preparation"))
    for index in (0, 1):
        administration = in_period(team.protocol, index)
        assert prepared[administration.id] == administration.by_arm[
            sequence.arms[index]].preparation


def _reads(document: dict[str, Any], role_id: str, form_id: str) -> bool:
    role = next(r for r in document["roles"] if r["id"] == role_id)
    return "reads" not in role or form_id in role["reads"]


def test_the_procedure_type_follows_the_arm_of_the_administrations_period(
        db, clock: Clock, tmp_path: Path) -> None:
    def second_infusion_sham_in_one_arm(document: dict[str, Any]) -> None:
        administration = document["design"]["administrations"][-1]
        administration["by_arm"][list(administration["by_arm"])[-1]]["procedure"] = "sham"
        for role in document["roles"]:
            if role["id"] == administration["performed_by"]:
                role.setdefault("sees", []).append("procedure_type")
                role.setdefault("can", []).extend(
                    p for p in ("perform_procedure", "enter_data") if p not in role["can"])
        # The form recording a real-or-sham procedure reveals the arm: entered by its performer,
        # read only by roles that see the procedure type or the allocation.
        seeing = [r["id"] for r in document["roles"]
                  if {"procedure_type", "allocation"} & set(r.get("sees", []))
                  ]
        visit = next(v for v in document["schedule"]["visits"]
                     if v["id"] == administration["visit"])
        for form in document["forms"]:
            if form["id"] in visit.get("forms", []) and form.get("kind") == "administration":
                form["entered_by"] = [administration["performed_by"]]
                form["read_by"] = [r for r in seeing if _reads(document, r, form["id"])]
                form.pop("signature_required", None)

    team = load_team(variant(tmp_path, second_infusion_sham_in_one_arm))
    live_list(team, clock)
    participant, _ = randomized(team, clock, "MS-001")
    sequence = crossover_part(team.protocol).sequence(sequence_of(participant))
    for index in (0, 1):
        administration = in_period(team.protocol, index)
        expected = administration.by_arm[sequence.arms[index]].procedure
        assert access_procedure_type(participant, administration.id,
                                     team.seeing("procedure_type")) == expected
    with pytest.raises(NotPermittedError):
        access_procedure_type(participant, in_period(team.protocol, 1).id,
                              team.holding("randomize"))


def test_the_randomization_list_gives_sequences_and_arms_by_period_never_a_sequence_as_arm(
        team: Team, switched: tuple[Participant, str]) -> None:
    part = crossover_part(team.protocol)
    rows = access_randomization_list(team.seeing("randomization_list"))
    assert {r["arm"] for r in rows} == {""}
    assert {r["treatment_sequence"] for r in rows} == {s.id for s in part.sequences}
    for row in rows:
        arms = part.sequence(row["treatment_sequence"]).arms
        assert [(a["period"], a["arm"]) for a in row["arms_by_period"]] == list(
            zip((p.id for p in part.periods), arms, strict=True))


def test_by_arm_summaries_count_a_crossover_participant_in_the_arm_of_each_period(
        team: Team, switched: tuple[Participant, str]) -> None:
    participant, _ = switched
    sequence = crossover_part(team.protocol).sequence(sequence_of(participant))
    # The role that prepares the committee's tables reads every arm; the committee itself
    # reads only frozen data cuts (tests/integration/test_data_cuts.py).
    preparer = next(team.actors[r.id] for r in team.protocol.roles
                    if {"allocation", "arm_summaries"} <= set(r.sees))
    assert access_arms(preparer, on=day(1))[participant.pk] == sequence.arms[0]
    assert access_arms(preparer)[participant.pk] == sequence.arms[1]
    exposure = access_exposure(preparer)[participant.pk]
    assert exposure.arms == sequence.arms
    assert [exposure.arm_on(day(n)) for n in (0, 200)] == list(sequence.arms)


def test_blinded_roles_read_neither_sequence_nor_arm_nor_list(
        team: Team, switched: tuple[Participant, str]) -> None:
    participant, kit = switched
    for actor in team.blinded():
        for read in (lambda a: access_allocation(participant, a), access_arms,
                     access_exposure, access_randomization_list,
                     lambda a: access_preparation(kit, a)):
            with pytest.raises(NotPermittedError):
                read(actor)
