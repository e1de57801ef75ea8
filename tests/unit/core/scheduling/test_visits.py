"""Visit targets and windows of the reference protocol, statuses at the edges, deviations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import (
    PlannedVisit,
    VisitStatus,
    plan_visit,
    plan_visits,
    statuses_on,
    window_deviation,
)

DAY_ZERO = date(2025, 3, 3)


def day(n: int) -> date:
    return DAY_ZERO + timedelta(days=n)


@pytest.fixture
def planned(reference_protocol: Protocol) -> dict[str, PlannedVisit]:
    return {p.visit_id: p for p in plan_visits(reference_protocol, DAY_ZERO)}


def test_day_28_is_due_on_day_28_with_a_window_from_day_25_to_day_31(
        planned: dict[str, PlannedVisit]) -> None:
    visit = planned["D28"]
    assert (visit.target, visit.earliest, visit.latest) == (day(28), day(25), day(31))
    assert visit.target == date(2025, 3, 31)


def test_month_12_is_day_393_plus_or_minus_14(planned: dict[str, PlannedVisit]) -> None:
    visit = planned["M12"]
    assert (visit.day, visit.target, visit.earliest, visit.latest) == (
        393, day(393), day(379), day(407))


def test_screening_spans_day_minus_28_to_day_minus_1(planned: dict[str, PlannedVisit]) -> None:
    assert (planned["SCR"].earliest, planned["SCR"].latest) == (day(-28), day(-1))


def test_every_scheduled_visit_is_planned_in_order_and_the_unscheduled_one_is_not(
        reference_protocol: Protocol) -> None:
    ids = [p.visit_id for p in plan_visits(reference_protocol, DAY_ZERO)]
    assert ids == ["SCR", "D0", "D28", "W4PIT", "M3", "M6", "M9", "M12"]


def test_an_unscheduled_visit_has_no_target_date(reference_protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="UNS"):
        plan_visit(reference_protocol.visit("UNS"), DAY_ZERO)


@pytest.mark.parametrize(("on", "expected"), [
    (24, VisitStatus.UPCOMING),
    (25, VisitStatus.DUE),
    (28, VisitStatus.DUE),
    (29, VisitStatus.OVERDUE),
    (31, VisitStatus.OVERDUE),
    (32, VisitStatus.MISSED),
])
def test_day_28_status_at_each_edge_of_its_window(
        planned: dict[str, PlannedVisit], on: int, expected: VisitStatus) -> None:
    assert planned["D28"].status_on(day(on)) is expected


def test_a_visit_without_a_window_is_missed_the_day_after_its_target(
        planned: dict[str, PlannedVisit]) -> None:
    assert planned["D0"].status_on(day(0)) is VisitStatus.DUE
    assert planned["D0"].status_on(day(1)) is VisitStatus.MISSED


def test_a_completed_visit_is_done_from_its_completion_date_even_after_the_window(
        planned: dict[str, PlannedVisit]) -> None:
    visit = planned["D28"]
    assert visit.status_on(day(27), completed_on=day(27)) is VisitStatus.DONE
    assert visit.status_on(day(40), completed_on=day(35)) is VisitStatus.DONE


def test_a_completion_dated_after_the_status_date_is_not_yet_done(
        planned: dict[str, PlannedVisit]) -> None:
    assert planned["D28"].status_on(day(26), completed_on=day(27)) is VisitStatus.DUE


def test_statuses_on_a_date_cover_every_planned_visit(reference_protocol: Protocol) -> None:
    plans = plan_visits(reference_protocol, DAY_ZERO)
    statuses = statuses_on(plans, day(30), {"SCR": day(-10), "D0": day(0)})
    assert statuses["SCR"] is VisitStatus.DONE
    assert statuses["D0"] is VisitStatus.DONE
    assert statuses["D28"] is VisitStatus.OVERDUE
    assert statuses["W4PIT"] is VisitStatus.UPCOMING
    assert statuses["M12"] is VisitStatus.UPCOMING


def test_statuses_refuse_a_completion_for_an_unknown_visit(reference_protocol: Protocol) -> None:
    plans = plan_visits(reference_protocol, DAY_ZERO)
    with pytest.raises(ValueError, match="completed: unknown visit id"):
        statuses_on(plans, day(30), {"D99": day(1)})


def test_a_completion_inside_the_window_is_no_deviation(planned: dict[str, PlannedVisit]) -> None:
    assert window_deviation(planned["D28"], day(25)) is None
    assert window_deviation(planned["D28"], day(31)) is None


def test_a_late_completion_records_a_deviation_with_the_days_late(
        planned: dict[str, PlannedVisit]) -> None:
    deviation = window_deviation(planned["D28"], day(33))
    assert deviation is not None
    assert (deviation.visit_id, deviation.kind, deviation.days_outside) == (
        "D28", "visit_out_of_window", 2)
    assert "after the window closed on 2025-04-03" in deviation.description


def test_an_early_completion_records_a_deviation_with_negative_days(
        planned: dict[str, PlannedVisit]) -> None:
    deviation = window_deviation(planned["M12"], day(377))
    assert deviation is not None
    assert deviation.days_outside == -2
    assert "before the window opened" in deviation.description
