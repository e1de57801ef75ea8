"""The reference protocol's gates: sequential Phase I dosing, the SMC gate, pauses and caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import CommitteeGate, SequentialEnrolment
from trialkit.core.scheduling import (
    CommitteeDecision,
    ParticipantDosing,
    committee_gate,
    enrolment_cap,
    may_dose,
    may_enrol,
    may_randomize,
    pause_state,
    sequential_enrolment,
)

SMC = "Safety Monitoring Committee (SMC)"
FIRST_IV = date(2024, 1, 1)


@pytest.fixture
def rule(reference_protocol: Protocol) -> SequentialEnrolment:
    return reference_protocol.gates.sequential_enrolment[0]


@pytest.fixture
def gate(reference_protocol: Protocol) -> CommitteeGate:
    return reference_protocol.gates.committee[0]


def dosed(pid: str, iv: date, it: date | None = None, open_saes: int = 0) -> ParticipantDosing:
    given = {"iv": iv} if it is None else {"iv": iv, "it": it}
    return ParticipantDosing(pid, given, open_saes)


def phase1_cohort() -> list[ParticipantDosing]:
    """Six participants, each IV 5 weeks after the previous one and IT on their Day 28."""
    starts = [FIRST_IV + timedelta(weeks=5 * i) for i in range(6)]
    return [dosed(f"P{i + 1}", s, s + timedelta(days=28)) for i, s in enumerate(starts)]


LAST_IT = FIRST_IV + timedelta(weeks=25, days=28)
REVIEW_END = LAST_IT + timedelta(days=28)


def decision(what: str, on: date, role: str = "smc_chair", e_signed: bool = True,
             hour: int = 10) -> CommitteeDecision:
    signed_at = datetime(on.year, on.month, on.day, hour, tzinfo=UTC)
    return CommitteeDecision(SMC, what, role, signed_at, e_signed)


# Sequential enrolment -------------------------------------------------------------------------

def test_the_first_phase1_participant_may_be_dosed_at_once(rule: SequentialEnrolment) -> None:
    assert sequential_enrolment(rule, [], FIRST_IV).allowed


def test_day_0_is_refused_before_the_previous_participants_it_plus_7_days(
        rule: SequentialEnrolment) -> None:
    previous = dosed("P1", FIRST_IV, FIRST_IV + timedelta(days=28))
    verdict = sequential_enrolment(rule, [previous], FIRST_IV + timedelta(days=34))
    assert not verdict.allowed
    assert [c.id for c in verdict.unmet] == ["sequential.wait_days"]
    assert "the earliest date is 2024-02-05" in verdict.reasons[0]


def test_day_0_is_allowed_on_the_previous_participants_it_plus_7_days(
        rule: SequentialEnrolment) -> None:
    previous = dosed("P1", FIRST_IV, FIRST_IV + timedelta(days=28))
    assert sequential_enrolment(rule, [previous], FIRST_IV + timedelta(days=35)).allowed


def test_day_0_is_refused_while_the_previous_participant_has_an_open_sae(
        rule: SequentialEnrolment) -> None:
    previous = dosed("P1", FIRST_IV, FIRST_IV + timedelta(days=28), open_saes=1)
    verdict = sequential_enrolment(rule, [previous], FIRST_IV + timedelta(days=60))
    assert [c.id for c in verdict.unmet] == ["sequential.no_open_sae"]


def test_day_0_is_refused_until_the_previous_participant_has_had_the_it_dose(
        rule: SequentialEnrolment) -> None:
    previous = dosed("P1", FIRST_IV)
    verdict = sequential_enrolment(rule, [previous], FIRST_IV + timedelta(days=90))
    assert {c.id for c in verdict.unmet} == {"sequential.received.it", "sequential.wait_days"}


def test_only_the_immediately_previous_participant_is_waited_for(
        rule: SequentialEnrolment) -> None:
    earlier = phase1_cohort()[:2]
    second_it = earlier[1].administered["it"]
    assert not sequential_enrolment(rule, earlier, second_it + timedelta(days=6)).allowed
    assert sequential_enrolment(rule, earlier, second_it + timedelta(days=7)).allowed


def test_an_administration_dated_after_the_decision_date_is_not_yet_known(
        rule: SequentialEnrolment) -> None:
    previous = dosed("P1", FIRST_IV, FIRST_IV + timedelta(days=28))
    verdict = sequential_enrolment(rule, [previous], FIRST_IV + timedelta(days=20))
    assert "sequential.received.it" in {c.id for c in verdict.unmet}


def test_a_rule_listing_no_administration_only_checks_the_previous_participants_saes() -> None:
    rule = SequentialEnrolment(part="p", gated_administration="iv",
                               previous_must_have_received=(), wait_days=7)
    assert sequential_enrolment(rule, [dosed("P1", FIRST_IV)], FIRST_IV).allowed
    blocked = sequential_enrolment(rule, [dosed("P1", FIRST_IV, open_saes=2)], FIRST_IV)
    assert [c.id for c in blocked.unmet] == ["sequential.no_open_sae"]


# Committee gate -------------------------------------------------------------------------------

def test_the_smc_gate_opens_once_every_participant_is_28_days_past_it_and_the_chair_signed(
        gate: CommitteeGate) -> None:
    verdict = committee_gate(gate, phase1_cohort(), 6, [decision("proceed", REVIEW_END)],
                             REVIEW_END)
    assert verdict.allowed, verdict.reasons


def test_the_smc_gate_stays_closed_the_day_before_the_last_participant_is_28_days_past_it(
        gate: CommitteeGate) -> None:
    on = REVIEW_END - timedelta(days=1)
    verdict = committee_gate(gate, phase1_cohort(), 6, [decision("proceed", on)], on)
    assert "committee.days_elapsed" in {c.id for c in verdict.unmet}
    assert "Still waiting: P6." in verdict.check("committee.days_elapsed").sentence


def test_the_smc_gate_stays_closed_while_phase1_is_not_fully_enrolled(gate: CommitteeGate) -> None:
    verdict = committee_gate(gate, phase1_cohort()[:5], 6, [decision("proceed", REVIEW_END)],
                             REVIEW_END + timedelta(days=60))
    assert [c.id for c in verdict.unmet] == ["committee.enrolled"]


def test_the_smc_gate_stays_closed_until_a_participant_receives_it(gate: CommitteeGate) -> None:
    cohort = phase1_cohort()
    cohort[3] = dosed("P4", cohort[3].administered["iv"])
    verdict = committee_gate(gate, cohort, 6, [decision("proceed", REVIEW_END)], REVIEW_END)
    assert "Not yet given the it: P4." in verdict.check("committee.administered").sentence
    assert not verdict.allowed


@pytest.mark.parametrize("wrong", [
    decision("proceed", REVIEW_END, role="smc_member"),
    decision("proceed", REVIEW_END, e_signed=False),
    decision("pause", REVIEW_END),
    decision("stop", REVIEW_END),
], ids=["a member's proceed", "an unsigned proceed", "a pause", "a stop"])
def test_the_smc_gate_needs_the_chairs_e_signed_opening_decision(
        gate: CommitteeGate, wrong: CommitteeDecision) -> None:
    verdict = committee_gate(gate, phase1_cohort(), 6, [wrong], REVIEW_END)
    assert "committee.decision" in {c.id for c in verdict.unmet}


def test_ignored_decisions_are_counted_in_the_explanation(gate: CommitteeGate) -> None:
    decisions = [decision("proceed", REVIEW_END, role="smc_member"),
                 decision("proceed", REVIEW_END, e_signed=False)]
    verdict = committee_gate(gate, phase1_cohort(), 6, decisions, REVIEW_END)
    assert "2 decision(s) ignored" in verdict.check("committee.decision").sentence


def test_proceed_with_modifications_also_opens_the_gate(gate: CommitteeGate) -> None:
    verdict = committee_gate(gate, phase1_cohort(), 6,
                             [decision("proceed_with_modifications", REVIEW_END)], REVIEW_END)
    assert verdict.allowed


def test_a_proceed_signed_before_the_review_period_ended_does_not_open_the_gate(
        gate: CommitteeGate) -> None:
    early = decision("proceed", REVIEW_END - timedelta(days=3))
    verdict = committee_gate(gate, phase1_cohort(), 6, [early], REVIEW_END + timedelta(days=5))
    assert [c.id for c in verdict.unmet] == ["committee.decision_after_review"]


def test_a_decision_signed_after_the_evaluation_date_does_not_count_yet(
        gate: CommitteeGate) -> None:
    later = decision("proceed", REVIEW_END + timedelta(days=2))
    verdict = committee_gate(gate, phase1_cohort(), 6, [later], REVIEW_END + timedelta(days=1))
    assert "committee.decision" in {c.id for c in verdict.unmet}


def test_the_latest_chair_decision_wins(gate: CommitteeGate) -> None:
    decisions = [decision("proceed", REVIEW_END, hour=9), decision("pause", REVIEW_END, hour=15)]
    assert not committee_gate(gate, phase1_cohort(), 6, decisions, REVIEW_END).allowed
    decisions.append(decision("proceed", REVIEW_END + timedelta(days=3)))
    assert committee_gate(gate, phase1_cohort(), 6, decisions,
                          REVIEW_END + timedelta(days=3)).allowed


def test_a_decision_the_committee_cannot_take_is_an_error_naming_it(gate: CommitteeGate) -> None:
    with pytest.raises(ValueError, match=r"decisions\[0\]\.decision: 'approve'"):
        committee_gate(gate, phase1_cohort(), 6, [decision("approve", REVIEW_END)], REVIEW_END)


def test_a_decision_without_a_time_zone_is_an_error(gate: CommitteeGate) -> None:
    naive = CommitteeDecision(SMC, "proceed", "smc_chair", datetime(2024, 8, 1, 10), True)
    with pytest.raises(ValueError, match="signed_at: must be timezone-aware"):
        committee_gate(gate, phase1_cohort(), 6, [naive], REVIEW_END)


# Pause ----------------------------------------------------------------------------------------

def test_a_pause_blocks_until_a_later_signed_decision_resumes(gate: CommitteeGate) -> None:
    paused_on = date(2024, 3, 1)
    decisions = [decision("pause", paused_on)]
    assert pause_state(gate, decisions, paused_on - timedelta(days=1)).allowed
    assert not pause_state(gate, decisions, paused_on).allowed
    assert not pause_state(gate, decisions, paused_on + timedelta(days=100)).allowed
    decisions.append(decision("proceed", paused_on + timedelta(days=10)))
    assert pause_state(gate, decisions, paused_on + timedelta(days=10)).allowed


def test_a_pause_not_signed_by_the_chair_does_not_pause(gate: CommitteeGate) -> None:
    decisions = [decision("pause", date(2024, 3, 1), role="smc_member")]
    assert pause_state(gate, decisions, date(2024, 3, 2)).allowed


def test_a_pause_blocks_phase1_dosing_and_enrolment(reference_protocol: Protocol) -> None:
    previous = dosed("P1", FIRST_IV, FIRST_IV + timedelta(days=28))
    on = FIRST_IV + timedelta(days=40)
    pause = [decision("pause", on - timedelta(days=1))]
    assert may_dose(reference_protocol, "phase1", "iv", [previous], [], on).allowed
    dose = may_dose(reference_protocol, "phase1", "iv", [previous], pause, on)
    assert [c.id for c in dose.unmet] == ["pause"]
    assert not may_enrol(reference_protocol, "phase1", 1, pause, on).allowed
    assert may_enrol(reference_protocol, "phase1", 1, [], on).allowed


# Caps and the combined randomization question ---------------------------------------------------

def test_the_cap_refuses_the_seventh_phase1_participant(reference_protocol: Protocol) -> None:
    phase1 = reference_protocol.part("phase1")
    assert enrolment_cap(phase1, 5).allowed
    verdict = enrolment_cap(phase1, 6)
    assert not verdict.allowed
    assert "participant 7 would exceed the target" in verdict.reasons[0]


def test_phase2a_randomization_combines_the_smc_gate_and_the_pause(
        reference_protocol: Protocol) -> None:
    cohort = {"phase1": phase1_cohort()}
    opened = [decision("proceed", REVIEW_END)]
    assert may_randomize(reference_protocol, "phase2a", cohort, opened, REVIEW_END).allowed
    assert not may_randomize(reference_protocol, "phase2a", {}, opened, REVIEW_END).allowed
    paused = [*opened, decision("pause", REVIEW_END + timedelta(days=30))]
    verdict = may_randomize(reference_protocol, "phase2a", cohort, paused,
                            REVIEW_END + timedelta(days=30))
    assert {c.id for c in verdict.unmet} == {"committee.decision", "pause"}


def test_a_part_that_is_not_randomized_cannot_be_asked_to_randomize(
        reference_protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="part_id: part 'phase1' is not randomized"):
        may_randomize(reference_protocol, "phase1", {}, [], REVIEW_END)
