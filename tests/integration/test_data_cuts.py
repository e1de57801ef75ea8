"""Tables by arm for the safety committee only as data cuts frozen at a date, on every blinded
protocol: prepared by the role the protocol lets read every allocation and tables by arm, read
by the committee (which reads no arm live), small cells withheld, a crossover participant's
events counted in the arm of the period they began in."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.capture_support import adverse_event
from tests.integration.journey_support import (
    DAY,
    Clock,
    make_team,
    open_randomized_part,
    randomized,
)
from trialkit.web.pages.readers import enrolment_by_part
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import InvalidInputError, NotPermittedError
from trialkit.web.trial.actions.data_cuts import do_prepare_data_cut
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.data_cuts import count_rows
from trialkit.web.trial.models import AuditEvent, DataCut, RandomizationSlot
from trialkit.web.trial.study import current_study

pytestmark = pytest.mark.protocols("blinded")


def committee_role(trial) -> str:
    """A role that reviews safety and sees tables by arm, not allocations."""
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and "arm_summaries" in r.sees and "allocation" not in r.sees)


def preparer_role(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and {"allocation", "arm_summaries"} <= set(r.sees) and not r.site_scoped)


@pytest.fixture
def four(trial, make_actor, monkeypatch):
    """The randomized part open and four participants randomized; the clock a month on."""
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    people = [randomized(f"R-{n:03d}", team, clock, opened.day0)[0] for n in range(1, 5)]
    clock.set(opened.day0 + 30 * DAY)
    return team, people, opened.day0


def _event(trial, team, participant, on: dt.date, **kwargs) -> None:
    form = trial.adverse_event_form
    do_save_form(participant, form.id, "", adverse_event(trial, on, **kwargs),
                 actor=team.entering(form.id))


def test_a_committee_role_reads_no_arm_live_and_its_attempt_is_audited(trial, make_actor):
    committee = make_actor(committee_role(trial))
    assert not access.may_read_arms(committee)
    with pytest.raises(NotPermittedError):
        access.access_arms(committee)
    refused = AuditEvent.objects.get(action="read_refused")
    assert (refused.actor, refused.new["read"]) == (committee.name, "read_allocation")
    # The dashboard's enrolment by part carries no count by arm for it.
    rows = enrolment_by_part(committee, current_study(), trial.protocol)
    assert all(row.by_arm is None for row in rows)


def test_only_a_study_wide_role_that_sees_allocations_and_tables_by_arm_prepares_a_cut(
        trial, make_actor, four):
    team, _, day0 = four
    committee = team.actor(committee_role(trial))
    preparer = team.actor(preparer_role(trial))
    with pytest.raises(NotPermittedError):
        do_prepare_data_cut(day0, actor=committee)
    assert AuditEvent.objects.filter(action="action_refused",
                                     new__action="prepare_data_cut").count() == 1
    with pytest.raises(InvalidInputError) as future:
        do_prepare_data_cut(day0 + 365 * DAY, actor=preparer)
    assert future.value.field == "as_of"
    cut = do_prepare_data_cut(day0 + 7 * DAY, actor=preparer)
    prepared = AuditEvent.objects.get(action="prepare_data_cut")
    assert prepared.new == {"as_of": (day0 + 7 * DAY).isoformat(), "threshold": 5}
    assert [c.pk for c in access.access_data_cuts(committee)] == [cut.pk]
    read = AuditEvent.objects.filter(action="read_arm_summaries").get()
    assert (read.actor, read.new["subjects"]) == (committee.name, [str(cut.pk)])
    blinded = team.coordinator
    with pytest.raises(NotPermittedError):
        access.access_data_cuts(blinded)


@pytest.mark.protocols("blinded", "parallel_randomization")
def test_small_cells_are_withheld_and_the_counts_follow_the_arms(trial, make_actor, four,
                                                                 settings):
    team, people, day0 = four
    preparer = team.actor(preparer_role(trial))
    arm_of = dict(RandomizationSlot.objects.filter(participant__in=people).values_list(
        "participant_id", "arm"))
    arms = list(trial.randomized_part.arms)
    sizes = [list(arm_of.values()).count(a) for a in arms]
    for participant in people:  # everyone: no complement is a small cell, whatever the split
        _event(trial, team, participant, day0 + 2 * DAY)
    cut = do_prepare_data_cut(day0 + 10 * DAY, actor=preparer)
    rows = {r["key"]: r for r in cut.tables["rows"]}
    assert rows["randomized"]["pooled"] == 4 and rows["any_event"]["pooled"] == 4
    assert all(r["counts"] is None for r in rows.values()), "4 participants: all small cells"
    settings.TRIALKIT_SMALL_CELL = 1  # anything but a zero beside a non-zero may be shown
    exact = {r["key"]: r for r in do_prepare_data_cut(day0 + 11 * DAY,
                                                      actor=preparer).tables["rows"]}
    assert exact["randomized"]["counts"] == sizes
    assert exact["any_event"]["counts"] == sizes
    assert exact["serious"]["counts"] == [0] * len(arms)
    # An event on or after the cut's date is not in it; a cut is frozen once made.
    _event(trial, team, people[0], day0 + 20 * DAY, term="Nausea", serious=True)
    again = {r["key"]: r for r in do_prepare_data_cut(day0 + 12 * DAY,
                                                      actor=preparer).tables["rows"]}
    assert again["serious"]["counts"] == [0] * len(arms)
    assert DataCut.objects.get(pk=cut.pk).tables == cut.tables


@pytest.mark.protocols("crossover")
def test_a_crossover_event_counts_in_the_arm_of_the_period_it_began_in(
        trial, make_actor, monkeypatch):
    from tests.integration.journey_support import give, kit_of
    from trialkit.core.scheduling import first_visit
    from trialkit.web.trial.actions.dosing import do_record_visit

    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    participant, kit = randomized("X-001", team, clock, opened.day0)
    part = trial.randomized_part
    sequence = part.sequence(RandomizationSlot.objects.get(
        participant=participant).treatment_sequence)
    first, second = (next(a for a in trial.protocol.design.administrations
                          if a.period == p.id) for p in part.periods[:2])
    give(participant, first.id, opened.day0, team.performing(first.id), clock, kit_code=kit)
    switch = first_visit(trial.protocol, second.period or "")
    switch_day = opened.day0 + switch.day * DAY
    clock.set(switch_day)
    do_record_visit(participant, switch.id, switch_day, actor=team.coordinator)
    assert kit_of(participant) == kit
    _event(trial, team, participant, opened.day0 + 3 * DAY, term="Headache")
    clock.set(switch_day + 10 * DAY)
    _event(trial, team, participant, switch_day + 2 * DAY, term="Fatigue")
    preparer = team.actor(preparer_role(trial))
    arms, rows, undated = count_rows(preparer, current_study(), clock.today)
    counts = {r.key: dict(zip(arms, r.counts, strict=True)) for r in rows}
    assert undated == 0
    assert counts["randomized"] == dict.fromkeys(sequence.arms, 1)
    # One event in each period: one participant with an event in each arm (counted by the
    # arm they were on today, both would fall in the second period's arm).
    assert counts["any_event"] == dict.fromkeys(sequence.arms, 1)
    _, before_switch, _ = count_rows(preparer, current_study(), switch_day - DAY)
    early = {r.key: dict(zip(arms, r.counts, strict=True)) for r in before_switch}
    assert early["randomized"] == {sequence.arms[0]: 1, sequence.arms[1]: 0}
    assert early["any_event"] == {sequence.arms[0]: 1, sequence.arms[1]: 0}
