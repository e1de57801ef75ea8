"""Confirmed disability worsening and improvement: the PROTOCOL-NOTES §3 rule's edge cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from trialkit.core.analysis import (
    AnalysisInputError,
    Assessment,
    DisabilityRule,
    confirmed_change,
)

DAY0 = date(2024, 1, 1)
WORSENING = DisabilityRule("worsening", ((5.0, 1.0), (10.0, 0.5)), confirmation_days=91,
                           relapse_exclusion_days=30)
IMPROVEMENT = DisabilityRule("improvement", ((5.0, 1.0), (10.0, 0.5)),
                             confirmation_days=91, relapse_exclusion_days=30)


def on(day: int) -> date:
    return DAY0 + timedelta(days=day)


def series(*points: tuple[int, float]) -> list[Assessment]:
    return [Assessment(on(day), score) for day, score in points]


def run(baseline: float, *points: tuple[int, float], relapses=(), rule=WORSENING):
    return confirmed_change(Assessment(DAY0, baseline), series(*points),
                            [on(d) for d in relapses], rule)


def test_a_one_point_rise_from_a_baseline_of_five_confirmed_three_months_later_is_an_event():
    outcome = run(5.0, (91, 6.0), (182, 6.0))
    assert (outcome.event, outcome.onset, outcome.confirmed_on, outcome.days) == (
        True, on(91), on(182), 91)
    assert outcome.required_change == 1.0


def test_half_a_point_is_not_enough_from_five_but_is_from_five_and_a_half():
    assert not run(5.0, (91, 5.5), (182, 5.5)).event
    outcome = run(5.5, (91, 6.0), (182, 6.0))
    assert (outcome.event, outcome.required_change) == (True, 0.5)


def test_confirmation_needs_the_full_interval_not_one_day_less():
    assert not run(3.0, (91, 4.0), (181, 4.0)).event
    assert run(3.0, (91, 4.0), (182, 4.0)).event


def test_a_dip_below_the_threshold_before_confirmation_breaks_a_sustained_change():
    assert not run(3.0, (91, 4.0), (120, 3.5), (182, 4.0)).event
    relaxed = DisabilityRule("worsening", ((5.0, 1.0), (10.0, 0.5)), 91, 30, sustained=False)
    assert run(3.0, (91, 4.0), (120, 3.5), (182, 4.0), rule=relaxed).event


def test_an_unconfirmed_rise_is_followed_by_a_later_confirmed_one():
    outcome = run(3.0, (91, 4.0), (182, 3.0), (273, 4.5), (365, 4.0))
    assert (outcome.event, outcome.onset, outcome.confirmed_on) == (True, on(273), on(365))


def test_a_rise_at_the_last_visit_cannot_be_confirmed_and_the_participant_is_censored():
    outcome = run(3.0, (91, 3.0), (182, 3.5), (365, 4.5))
    assert (outcome.event, outcome.end, outcome.days) == (False, on(365), 365)


def test_an_edss_within_thirty_days_after_a_relapse_onset_is_not_used():
    outcome = run(3.0, (91, 4.0), (182, 4.0), relapses=[80])
    assert outcome.excluded == (on(91),)
    assert not outcome.event  # the 182 rise has no later visit to confirm it
    assert run(3.0, (91, 4.0), (182, 4.0), relapses=[60]).event  # 31 days before: used


def test_a_relapse_window_includes_its_onset_day_and_its_thirtieth_day():
    assert run(3.0, (91, 4.0), (182, 4.0), relapses=[91]).excluded == (on(91),)
    assert run(3.0, (121, 4.0), (212, 4.0), relapses=[91]).excluded == (on(121),)
    assert run(3.0, (122, 4.0), (213, 4.0), relapses=[91]).excluded == ()


def test_a_relapse_affected_visit_neither_confirms_nor_breaks_a_sustained_change():
    outcome = run(3.0, (91, 4.0), (150, 2.0), (182, 4.0), relapses=[140])
    assert (outcome.event, outcome.excluded) == (True, (on(150),))
    blocked = run(3.0, (91, 4.0), (182, 4.0), relapses=[170])
    assert not blocked.event


def test_improvement_is_the_mirror_rule():
    assert run(6.0, (91, 5.5), (182, 5.5), rule=IMPROVEMENT).event
    assert not run(4.0, (91, 3.5), (182, 3.0), rule=IMPROVEMENT).event
    assert run(4.0, (91, 3.0), (182, 3.0), rule=IMPROVEMENT).event


def test_without_any_usable_visit_the_participant_is_censored_at_baseline():
    outcome = run(3.0, (20, 4.0), relapses=[10])
    assert (outcome.event, outcome.end, outcome.days) == (False, DAY0, 0)


def test_visits_are_taken_in_date_order_whatever_order_they_come_in():
    outcome = confirmed_change(Assessment(DAY0, 3.0), series((182, 4.0), (91, 4.0)), [],
                               WORSENING)
    assert outcome.onset == on(91)


def test_thresholds_are_parameters_so_other_conventions_need_no_code():
    from_zero = DisabilityRule("worsening", ((0.0, 1.5), (5.5, 1.0), (10.0, 0.5)), 168, 30)
    assert not run(0.0, (91, 1.0), (270, 1.0), rule=from_zero).event
    assert run(0.0, (91, 1.5), (270, 1.5), rule=from_zero).event


def test_inconsistent_inputs_are_refused():
    with pytest.raises(AnalysisInputError, match="increasing order"):
        DisabilityRule("worsening", ((10.0, 0.5), (5.0, 1.0)), 91, 30)
    with pytest.raises(AnalysisInputError, match="above every threshold"):
        run(6.0, (91, 7.0), rule=DisabilityRule("worsening", ((5.0, 1.0),), 91, 30))
    with pytest.raises(AnalysisInputError, match="two different EDSS scores"):
        run(3.0, (91, 4.0), (91, 3.5))
    with pytest.raises(AnalysisInputError, match="outside 0-10"):
        run(3.0, (91, 10.5))
