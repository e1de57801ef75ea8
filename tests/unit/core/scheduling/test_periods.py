"""Crossover periods: the period on a date, what starts a period, and the gates on a period's
administration (period reached, washout), on the two-period crossover protocol in protocols/
and on variants of it (a washout, a third period)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import ROOT
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.protocol.design import Administration, Part, Period, Sequence
from trialkit.core.scheduling import (
    PeriodFacts,
    first_visit,
    may_dose,
    names_of,
    next_period,
    period_checks,
    period_on,
    period_started_by,
    switch_opens,
)

CROSSOVER = ROOT / "protocols" / "nct01854957.yaml"
DAY0 = date(2027, 3, 1)


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol(CROSSOVER)


def crossover_part(protocol: Protocol) -> Part:
    return next(part for part in protocol.design.parts if part.is_crossover)


def in_period(protocol: Protocol, index: int) -> Administration:
    """The administration given in the part's period ``index`` (0-based)."""
    period = crossover_part(protocol).periods[index].id
    return next(a for a in protocol.design.administrations if a.period == period)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def ids(protocol: Protocol) -> tuple[str, str]:
    first, second = (p.id for p in crossover_part(protocol).periods)
    return first, second


def check(protocol: Protocol, part: Part, administration: Administration, facts: PeriodFacts,
          on: date, check_id: str) -> tuple[bool, str]:
    verdict = period_checks(protocol, part, administration, facts, on, names_of(protocol))
    found = verdict.check(check_id)
    return found.met, found.sentence


def test_a_participant_is_in_no_period_before_the_first_one_starts(protocol: Protocol) -> None:
    first, _ = ids(protocol)
    assert period_on(crossover_part(protocol), {first: day(0)}, day(-1)) is None


def test_a_participant_is_in_the_latest_period_started_on_or_before_the_date(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    starts = {first: day(0), second: day(168)}
    assert [period_on(part, starts, day(n)) for n in (0, 167, 168, 400)] == [
        first, first, second, second]


def test_a_period_started_after_the_date_is_not_yet_known_on_that_date(protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    assert period_on(part, {first: day(0), second: day(170)}, day(169)) == first


def test_an_unknown_period_in_the_starts_is_an_error_naming_it(protocol: Protocol) -> None:
    with pytest.raises(ValueError, match=r"starts: unknown period.*nope"):
        period_on(crossover_part(protocol), {"nope": day(0)}, day(1))


def test_periods_follow_in_order_and_the_first_follows_no_period(protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    assert [next_period(part, None), next_period(part, first), next_period(part, second)] == [
        first, second, None]


def test_the_first_visit_of_a_period_is_its_earliest_scheduled_visit(protocol: Protocol) -> None:
    _, second = ids(protocol)
    visits = [v for v in protocol.schedule.visits if v.period == second and v.day is not None]
    assert first_visit(protocol, second) == min(visits, key=lambda v: v.day or 0)
    assert first_visit(protocol, second).id == in_period(protocol, 1).visit


def test_a_visit_or_dose_of_a_later_period_starts_it_and_an_earlier_one_starts_nothing(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    assert period_started_by(part, None, first) == first
    assert period_started_by(part, first, second) == second
    assert period_started_by(part, second, first) is None
    assert period_started_by(part, second, second) is None
    assert period_started_by(part, first, None) is None


def test_the_switch_opens_with_the_window_of_the_periods_first_visit(protocol: Protocol) -> None:
    _, second = ids(protocol)
    visit = first_visit(protocol, second)
    assert visit.day is not None
    assert switch_opens(protocol, second, DAY0) == day(visit.day - visit.window.before)
    assert switch_opens(protocol, second, None) is None


def test_the_first_periods_dose_starts_the_first_period(protocol: Protocol) -> None:
    met, sentence = check(protocol, crossover_part(protocol), in_period(protocol, 0),
                          PeriodFacts(), day(0), "crossover.period_reached")
    assert met and "in no period yet" in sentence


def test_the_second_periods_dose_is_refused_before_the_switch_visits_window_opens(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    opens = switch_opens(protocol, second, DAY0)
    assert opens is not None
    facts = PeriodFacts({first: day(0)}, {in_period(protocol, 0).id: day(0)}, DAY0)
    met, sentence = check(protocol, part, in_period(protocol, 1), facts,
                          opens - timedelta(days=1), "crossover.period_reached")
    assert not met
    assert first_visit(protocol, second).name in sentence and opens.isoformat() in sentence


def test_the_second_periods_dose_at_the_switch_visit_is_allowed_once_its_window_opens(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    opens = switch_opens(protocol, second, DAY0)
    assert opens is not None
    facts = PeriodFacts({first: day(0)}, {in_period(protocol, 0).id: day(0)}, DAY0)
    met, _ = check(protocol, part, in_period(protocol, 1), facts, opens,
                   "crossover.period_reached")
    assert met


def test_the_second_periods_dose_is_allowed_once_the_switch_visit_started_the_period(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    facts = PeriodFacts({first: day(0), second: day(150)}, {}, DAY0)
    met, sentence = check(protocol, part, in_period(protocol, 1), facts, day(150),
                          "crossover.period_reached")
    assert met and names_of(protocol)[second] in sentence


def test_the_first_periods_dose_is_refused_once_the_second_period_started(
        protocol: Protocol) -> None:
    part, (first, second) = crossover_part(protocol), ids(protocol)
    facts = PeriodFacts({first: day(0), second: day(168)}, {}, DAY0)
    met, sentence = check(protocol, part, in_period(protocol, 0), facts, day(170),
                          "crossover.period_reached")
    assert not met and "is over" in sentence


def test_the_switch_needs_day_zero_to_plan_its_visit(protocol: Protocol) -> None:
    part, (first, _) = crossover_part(protocol), ids(protocol)
    facts = PeriodFacts({first: day(0)}, {}, None)
    met, _ = check(protocol, part, in_period(protocol, 1), facts, day(400),
                   "crossover.period_reached")
    assert not met


def with_washout(part: Part, days: int) -> Part:
    return part.model_copy(update={"washout_days": days})


def test_no_washout_means_nothing_to_wait_for(protocol: Protocol) -> None:
    part, (first, second) = with_washout(crossover_part(protocol), 0), ids(protocol)
    facts = PeriodFacts({first: day(0), second: day(1)}, {in_period(protocol, 0).id: day(0)},
                        DAY0)
    met, sentence = check(protocol, part, in_period(protocol, 1), facts, day(1),
                          "crossover.washout")
    assert met and "no washout" in sentence


def test_the_second_periods_dose_is_refused_inside_the_washout_and_allowed_at_its_end(
        protocol: Protocol) -> None:
    part, (first, second) = with_washout(crossover_part(protocol), 28), ids(protocol)
    facts = PeriodFacts({first: day(0), second: day(10)}, {in_period(protocol, 0).id: day(0)},
                        DAY0)
    refused = check(protocol, part, in_period(protocol, 1), facts, day(27), "crossover.washout")
    allowed = check(protocol, part, in_period(protocol, 1), facts, day(28), "crossover.washout")
    assert not refused[0] and day(28).isoformat() in refused[1]
    assert allowed[0]


def test_the_washout_counts_from_the_last_dose_of_the_previous_period_known_on_the_date(
        protocol: Protocol) -> None:
    part, (first, second) = with_washout(crossover_part(protocol), 28), ids(protocol)
    late_first_dose = {in_period(protocol, 0).id: day(40)}
    facts = PeriodFacts({first: day(0), second: day(10)}, late_first_dose, DAY0)
    met, sentence = check(protocol, part, in_period(protocol, 1), facts, day(30),
                          "crossover.washout")
    assert met and "nothing to wash out" in sentence


def three_periods(protocol: Protocol) -> tuple[Protocol, Part]:
    """The crossover part with a third period (P3 repeats the first arm) and no visit of its
    own: enough to ask what skipping a period means."""
    part = crossover_part(protocol)
    periods = (*part.periods, Period(id="P3", name="Period 3"))
    sequences = tuple(Sequence(id=s.id, label=s.label, arms=(*s.arms, s.arms[0]))
                      for s in part.sequences)
    return protocol, part.model_copy(update={"periods": periods, "sequences": sequences})


def test_a_dose_that_skips_a_period_is_refused(protocol: Protocol) -> None:
    _, part = three_periods(protocol)
    first, _ = ids(protocol)
    third = in_period(protocol, 1).model_copy(update={"period": "P3", "id": "inf_p3"})
    met, sentence = check(protocol, part, third, PeriodFacts({first: day(0)}, {}, DAY0),
                          day(300), "crossover.period_reached")
    assert not met and "first" in sentence


def test_period_checks_refuse_an_administration_outside_the_parts_periods(
        protocol: Protocol) -> None:
    outside = in_period(protocol, 0).model_copy(update={"period": None})
    with pytest.raises(ValueError, match="is not given in a period"):
        period_checks(protocol, crossover_part(protocol), outside, PeriodFacts(), day(0))


def test_may_dose_adds_the_period_checks_to_a_periods_administration(protocol: Protocol) -> None:
    part = crossover_part(protocol)
    first, _ = ids(protocol)
    verdict = may_dose(protocol, part.id, in_period(protocol, 1).id, [], [], day(10),
                       periods=PeriodFacts({first: day(0)}, {}, DAY0))
    assert not verdict.allowed
    assert {c.id for c in verdict.unmet} == {"crossover.period_reached"}


def test_may_dose_needs_the_period_facts_of_a_periods_administration(protocol: Protocol) -> None:
    part = crossover_part(protocol)
    with pytest.raises(ValueError, match=r"^periods:"):
        may_dose(protocol, part.id, in_period(protocol, 0).id, [], [], day(0))


def test_may_dose_of_a_parallel_protocol_has_no_period_checks(
        reference_protocol: Protocol) -> None:
    administration = reference_protocol.design.administrations[0]
    part = reference_protocol.design.parts[0]
    verdict = may_dose(reference_protocol, part.id, administration.id, [], [], day(0))
    assert not any(c.id.startswith("crossover.") for c in verdict.checks)
