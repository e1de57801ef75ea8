"""Windows are (anchor − N months − D days, anchor]; months move like relativedelta."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

LAST_12 = n.Exists(n.Events("relapses", n.Window(months=12)))
LAST_1 = n.Exists(n.Events("relapses", n.Window(months=1)))


def relapse_on(pid: str, day: str, index: str = "2026-11-20") -> object:
    return patient(pid, index_date=index, relapses=[{"onset_date": day}])


def test_the_window_start_is_exclusive_and_the_index_date_inclusive(engine: Engine) -> None:
    check_table(engine, LAST_12, [
        (relapse_on("on_start", "2025-11-20"), "not_met"),
        (relapse_on("day_after_start", "2025-11-21"), "met"),
        (relapse_on("on_index", "2026-11-20"), "met"),
        (relapse_on("after_index", "2026-11-21"), "not_met"),
    ])


def test_one_month_before_march_31_is_february_29_in_a_leap_year(engine: Engine) -> None:
    check_table(engine, LAST_1, [
        (relapse_on("feb29", "2024-02-29", index="2024-03-31"), "not_met"),
        (relapse_on("mar1", "2024-03-01", index="2024-03-31"), "met"),
        (relapse_on("feb28_common", "2023-02-28", index="2023-03-31"), "not_met"),
        (relapse_on("mar1_common", "2023-03-01", index="2023-03-31"), "met"),
    ])


def test_twelve_months_before_february_29_is_february_28(engine: Engine) -> None:
    check_table(engine, LAST_12, [
        (relapse_on("feb28", "2023-02-28", index="2024-02-29"), "not_met"),
        (relapse_on("mar1", "2023-03-01", index="2024-02-29"), "met"),
    ])


def test_a_day_window_counts_days(engine: Engine) -> None:
    rule = n.Exists(n.Events("edss", n.Window(days=28)))
    check_table(engine, rule, [
        (patient("day28", edss=[{"date": "2026-10-23", "score": 3.0}]), "not_met"),
        (patient("day27", edss=[{"date": "2026-10-24", "score": 3.0}]), "met"),
    ])


def test_a_window_can_end_on_the_consent_date(engine: Engine) -> None:
    rule = n.Exists(n.Events("relapses", n.Window(months=1, anchor="consent")))
    consent = {"consent_date": "2026-10-01"}
    check_table(engine, rule, [
        (patient("before_consent", relapses=[{"onset_date": "2026-09-15"}], **consent), "met"),
        (patient("after_consent", relapses=[{"onset_date": "2026-10-15"}], **consent),
         "not_met"),
    ])


def test_age_is_completed_years_on_the_consent_date(engine: Engine) -> None:
    rule = n.And((n.Compare(n.Age(), ">=", n.Number(20)),
                  n.Compare(n.Age(), "<=", n.Number(65))))
    check_table(engine, rule, [
        (patient("turns20", birth_date="2006-11-02", consent_date="2026-11-02"), "met"),
        (patient("day_before_20", birth_date="2006-11-03", consent_date="2026-11-02"),
         "not_met"),
        (patient("last_day_65", birth_date="1960-11-03", consent_date="2026-11-02"), "met"),
        (patient("turns66", birth_date="1960-11-02", consent_date="2026-11-02"), "not_met"),
        (patient("no_birth_date", birth_date=None), "unknown"),
    ])


def test_a_leap_day_birthday_completes_a_year_on_february_28_of_a_common_year(
        engine: Engine) -> None:
    rule = n.Compare(n.Age(), ">=", n.Number(21))
    check_table(engine, rule, [
        (patient("feb28", birth_date="2000-02-29", consent_date="2021-02-28",
                 index_date="2021-03-10"), "met"),
        (patient("feb27", birth_date="2000-02-29", consent_date="2021-02-27",
                 index_date="2021-03-10"), "not_met"),
    ])


def test_time_since_a_date_compares_calendar_years(engine: Engine) -> None:
    first = n.Earliest(n.Events("diagnoses", None,
                                n.InCodes(n.CodeSet("ms", "diagnosis", ("ICD10:G35",)))),
                       "date")
    rule = n.And((n.Compare(first, "<=", n.AnchorDate("index", -24)),
                  n.Compare(first, ">=", n.AnchorDate("index", -180))))

    def dx(pid: str, day: str) -> object:
        return patient(pid, diagnoses=[{"code": "ICD10:G35", "date": day}])

    check_table(engine, rule, [
        (dx("exactly2", "2024-11-20"), "met"),
        (dx("under2", "2024-11-21"), "not_met"),
        (dx("exactly15", "2011-11-20"), "met"),
        (dx("over15", "2011-11-19"), "not_met"),
        (patient("none"), "unknown"),
    ])
