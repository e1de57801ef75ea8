"""CTCAE v5 helpers for the AE forms: grades, aminotransferase grading, seriousness, deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trialkit.core.scoring.checks import ScoringInputError
from trialkit.core.scoring.ctcae import (
    Seriousness,
    aminotransferase_grade,
    ctcae_grade,
    sae_report_deadline,
    sae_report_is_late,
)


@pytest.mark.parametrize(("value", "grade"), [(1, 1), (5, 5), ("3", 3)])
def test_a_ctcae_grade_from_one_to_five_is_accepted(value, grade):
    assert ctcae_grade(value) == grade


@pytest.mark.parametrize("bad", [0, 6, -1, "x", "", True, 2.0, None])
def test_anything_else_is_not_a_ctcae_grade(bad):
    with pytest.raises(ScoringInputError, match=r"^grade: must be a CTCAE grade 1-5"):
        ctcae_grade(bad)


@pytest.mark.parametrize(("alt", "grade"), [
    (0, 0), (40, 0),                # at or below the ULN: no grade
    (40.1, 1), (120, 1),            # >ULN-3.0xULN
    (120.1, 2), (200, 2),           # >3.0-5.0xULN
    (200.1, 3), (800, 3),           # >5.0-20.0xULN
    (800.1, 4), (5000, 4),          # >20.0xULN
])
def test_alt_is_graded_by_multiples_of_the_upper_limit_with_each_limit_in_the_lower_grade(alt,
                                                                                          grade):
    assert aminotransferase_grade(alt, 40) == grade


def test_a_value_of_exactly_three_times_a_decimal_uln_is_still_grade_one():
    # 35.1 / 11.7 is 3.0000000000000004 in binary floating point.
    assert aminotransferase_grade(35.1, 11.7, "ast") == 1


@pytest.mark.parametrize(("value", "uln", "field"), [
    (-1, 40, "alt"), (float("nan"), 40, "alt"), ("50", 40, "alt"), (50, 0, "alt_uln"),
    (50, None, "alt_uln"),
])
def test_a_bad_value_or_uln_is_refused_naming_it(value, uln, field):
    with pytest.raises(ScoringInputError) as caught:
        aminotransferase_grade(value, uln)
    assert caught.value.field == field


def test_the_seriousness_criteria_are_the_six_of_ich_e2a():
    assert [c.label for c in Seriousness] == [
        "results in death", "is life-threatening",
        "requires inpatient hospitalisation or prolongation of existing hospitalisation",
        "results in persistent or significant disability/incapacity",
        "is a congenital anomaly/birth defect",
        "is an important medical event (medical judgement)"]


def test_each_seriousness_criterion_is_flagged_by_its_sdtm_ae_variable():
    assert [c.variable for c in Seriousness] == [
        "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]


def test_the_reference_ae_form_asks_every_criterion_through_its_variable(reference_protocol):
    form = next(f for f in reference_protocol.forms if f.kind == "adverse_event")
    assert all(form.item_with("AE", c.variable) is not None for c in Seriousness)


def test_the_sae_deadline_is_24_hours_after_awareness_in_utc():
    aware = datetime(2024, 3, 10, 22, 30, tzinfo=timezone(timedelta(hours=2)))
    deadline = sae_report_deadline(aware)
    assert deadline == datetime(2024, 3, 11, 20, 30, tzinfo=UTC)
    assert deadline.utcoffset() == timedelta(0)


def test_a_report_at_the_deadline_is_on_time_and_one_second_later_is_late():
    aware = datetime(2024, 3, 31, 0, 15, tzinfo=UTC)
    assert not sae_report_is_late(aware, aware + timedelta(hours=24))
    assert sae_report_is_late(aware, aware + timedelta(hours=24, seconds=1))


def test_a_naive_time_or_a_report_before_awareness_is_refused():
    with pytest.raises(ScoringInputError, match=r"^aware_at: must carry a time zone"):
        sae_report_deadline(datetime(2024, 3, 10, 22, 30))
    aware = datetime(2024, 3, 10, 22, 30, tzinfo=UTC)
    with pytest.raises(ScoringInputError, match=r"^reported_at: is before"):
        sae_report_is_late(aware, aware - timedelta(minutes=1))
