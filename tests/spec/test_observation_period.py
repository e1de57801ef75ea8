"""Absence is evidence only inside the observation period; presence always counts."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

RECENT_RELAPSE = n.Exists(n.Events("relapses", n.Window(months=1)))
CANCER = n.Exists(n.Events("diagnoses", None,
                           n.InCodes(n.CodeSet("cancer", "diagnosis", ("ICD10:C",)))))
TWO_RELAPSES = n.Compare(n.Count(n.Events("relapses", n.Window(months=24))), ">=", n.Number(2))
NO_RELAPSE = n.Compare(n.Count(n.Events("relapses", n.Window(months=12))), "<", n.Number(1))


def period(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def test_a_history_ending_before_the_index_leaves_a_recent_absence_unknown(
        engine: Engine) -> None:
    check_table(engine, RECENT_RELAPSE, [
        (patient("ends_early", observation_period=period("2010-01-01", "2026-09-30")),
         "unknown"),
        (patient("covers", observation_period=period("2010-01-01", "2026-11-20")), "not_met"),
        (patient("desk_record"), "not_met"),
        (patient("found_anyway", observation_period=period("2010-01-01", "2026-09-30"),
                 relapses=[{"onset_date": "2026-11-01"}]), "met"),
    ])


def test_a_history_not_reaching_birth_leaves_an_ever_absence_unknown(engine: Engine) -> None:
    check_table(engine, CANCER, [
        (patient("from_2005", observation_period=period("2005-01-01", "2026-11-20")),
         "unknown"),
        (patient("from_birth", observation_period=period("1980-06-15", "2026-11-20")),
         "not_met"),
        (patient("history_of_cancer", observation_period=period("2005-01-01", "2026-11-20"),
                 diagnoses=[{"code": "ICD10:C50.9", "date": "2012-01-10",
                             "end_date": "2013-06-01"}]), "met"),
    ])


def test_a_window_reaching_before_birth_is_covered_from_birth(engine: Engine) -> None:
    check_table(engine, RECENT_RELAPSE, [
        (patient("newborn", birth_date="2026-11-01",
                 observation_period=period("2026-11-01", "2026-11-20")), "not_met"),
    ])


def test_a_count_is_decided_when_every_possible_count_agrees(engine: Engine) -> None:
    short = period("2026-01-01", "2026-11-20")
    check_table(engine, TWO_RELAPSES, [
        (patient("two_seen", observation_period=short,
                 relapses=[{"onset_date": "2026-02-01"}, {"onset_date": "2026-03-01"}]), "met"),
        (patient("one_seen", observation_period=short,
                 relapses=[{"onset_date": "2026-02-01"}]), "unknown"),
        (patient("one_full_history", relapses=[{"onset_date": "2026-02-01"}]), "not_met"),
    ])
    check_table(engine, NO_RELAPSE, [
        (patient("none_short", observation_period=period("2026-06-01", "2026-11-20")),
         "unknown"),
        (patient("none_full"), "met"),
        (patient("one", relapses=[{"onset_date": "2026-06-01"}]), "not_met"),
    ])
