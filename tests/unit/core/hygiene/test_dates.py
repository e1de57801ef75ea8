"""Date windows and their published patterns."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from trialkit.core.hygiene import (
    DateKind,
    InputRefusedError,
    check_date,
    date_pattern,
    moment_pattern,
    parse_date,
    parse_local_moment,
    parse_moment,
    window,
)

TODAY = dt.date(2026, 5, 17)


def test_the_windows_of_each_kind():
    assert window(DateKind.PAST, TODAY) == (dt.date(1900, 1, 1), TODAY)
    assert window(DateKind.PLANNED, TODAY) == (TODAY, dt.date(2031, 5, 17))
    assert window(DateKind.ANY, TODAY) == (dt.date(1900, 1, 1), dt.date(2031, 5, 17))
    assert window(DateKind.PLANNED, dt.date(2028, 2, 29))[1] == dt.date(2033, 2, 28)


@pytest.mark.parametrize(("kind", "day"), [
    (DateKind.PAST, dt.date(1, 1, 1)), (DateKind.PAST, dt.date(9999, 12, 31)),
    (DateKind.PAST, TODAY + dt.timedelta(days=1)), (DateKind.PLANNED, TODAY - dt.timedelta(1)),
    (DateKind.ANY, dt.date(1899, 12, 31)), (DateKind.ANY, dt.date(2031, 5, 18))])
def test_a_date_outside_its_window_is_refused_saying_the_window(kind, day):
    with pytest.raises(InputRefusedError, match=r"from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d"):
        check_date(day, kind, TODAY)


@pytest.mark.parametrize(("first", "last"), [
    (dt.date(1900, 1, 1), TODAY), (TODAY, dt.date(2031, 5, 17)), (TODAY, TODAY),
    (dt.date(2026, 2, 28), dt.date(2026, 3, 1)), (dt.date(1999, 12, 31), dt.date(2000, 1, 1)),
    (dt.date(1909, 10, 9), dt.date(2090, 1, 10))])
def test_the_date_pattern_matches_exactly_the_window(first, last):
    pattern = re.compile(date_pattern(first, last))
    day = first - dt.timedelta(days=400)
    while day <= last + dt.timedelta(days=400):
        assert bool(pattern.match(day.isoformat())) == (first <= day <= last), day
        day += dt.timedelta(days=1)
    for text in ("2026-13-01", "2026-00-10", "2026-05-32", "2026-05-00", "26-05-17"):
        assert not pattern.match(text)


def test_the_moment_pattern_takes_rfc_3339_with_a_time_zone():
    pattern = re.compile(moment_pattern(dt.date(1900, 1, 1), TODAY))
    for good in ("2026-05-17T10:00:00Z", "2020-01-01t23:59:59.123+08:00", "1900-01-01T00:00:00z"):
        assert pattern.match(good)
        assert parse_moment(good).tzinfo is not None
    for bad in ("2026-05-17T10:00:00", "2026-05-17 10:00:00Z", "2026-05-18T00:00:00Z",
                "2026-05-17T24:00:00Z", "2026-05-17T10:00:60Z", "2026-05-17T10:00:00+24:00"):
        assert not pattern.match(bad)


def test_only_plain_calendar_dates_parse():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    for bad in ("2023-02-29", "20240229", "2024-W09-4", "2024-02-29T00:00", " 2024-02-29", "0"):
        with pytest.raises(InputRefusedError):
            parse_date(bad)


TAIPEI, ROME = ZoneInfo("Asia/Taipei"), ZoneInfo("Europe/Rome")


@pytest.mark.parametrize("text", ["2026-12-03 09:30", "2026-12-03T09:30", "2026-12-03 09:30:00"])
def test_a_wall_clock_time_is_read_in_the_sites_zone_and_kept_in_utc(text):
    assert parse_local_moment(text, TAIPEI) == dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)


def test_a_time_with_its_offset_is_read_at_that_offset_whatever_the_zone():
    assert parse_local_moment("2026-10-25 02:30 +01:00", ROME) == \
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    assert parse_local_moment("2026-12-03T01:30Z", TAIPEI) == \
        dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)


def test_a_time_the_clocks_skip_or_repeat_is_refused_not_guessed():
    with pytest.raises(InputRefusedError, match="does not exist in Europe/Rome"):
        parse_local_moment("2026-03-29 02:30", ROME)
    with pytest.raises(InputRefusedError, match=r"happened twice in Europe/Rome.*"
                       r"2026-10-25 02:30 \+02:00 or 2026-10-25 02:30 \+01:00"):
        parse_local_moment("2026-10-25 02:30", ROME)
    # Either side of the change is an ordinary time.
    assert parse_local_moment("2026-10-25 03:30", ROME).hour == 2


@pytest.mark.parametrize("text", ["2026-12-03 9:30", "03/12/2026 09:30", "2026-12-03", "",
                                  "2026-12-03 24:00", "2026-02-30 10:00"])
def test_anything_but_an_iso_date_and_24_hour_time_is_refused(text):
    with pytest.raises(InputRefusedError):
        parse_local_moment(text, TAIPEI)
