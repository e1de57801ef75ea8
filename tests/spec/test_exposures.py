"""Medication exposures: ongoing to the index, overlap with windows, events during treatment."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

CD20 = n.CodeSet("cd20", "ingredient", ("rituximab", "ocrelizumab", "RXNORM:121191"))
DMT = n.CodeSet("dmt", "ingredient", ("fingolimod", "natalizumab"))
RECENT_CD20 = n.Exists(n.Events("medications", n.Window(months=12), n.InCodes(CD20)))
FAILURE = n.ExposureEvent(
    n.Events("medications", None, n.InCodes(DMT)),
    (n.Events("relapses"),
     n.Events("mri_scans", None, n.RowOr((n.FieldCompare("new_t2_lesions", ">=", 1),
                                          n.FieldCompare("gd_enhancing_lesions", ">=", 1)))),
     n.EdssWorseningEvent()))


def med(pid: str, start: str, end: str | None, name: str = "rituximab", **fields: object
        ) -> object:
    return patient(pid, medications=[{"ingredient": name, "start_date": start, "end_date": end}],
                   **fields)


def test_an_ongoing_exposure_overlaps_every_window_up_to_the_index(engine: Engine) -> None:
    check_table(engine, RECENT_CD20, [
        (med("ongoing_since_long", "2019-01-01", None), "met"),
        (med("ended_on_window_start", "2024-01-01", "2025-11-20"), "not_met"),
        (med("ended_day_after_start", "2024-01-01", "2025-11-21"), "met"),
        (med("starts_after_index", "2026-12-01", None), "not_met"),
        (med("other_drug", "2026-01-01", None, name="fingolimod"), "not_met"),
    ])


def test_an_ingredient_value_set_can_match_by_rxnorm_code(engine: Engine) -> None:
    record = patient("by_code", medications=[{"ingredient": "mabthera biosimilar",
                                             "rxnorm": "121191", "start_date": "2026-01-01"}])
    check_table(engine, RECENT_CD20, [(record, "met")])


def dmt(pid: str, start: str, end: str | None, **events: object) -> object:
    return med(pid, start, end, name="fingolimod", **events)


def test_an_event_counts_from_six_months_into_treatment(engine: Engine) -> None:
    check_table(engine, FAILURE, [
        (dmt("at_six_months", "2020-01-01", None, relapses=[{"onset_date": "2020-07-01"}]),
         "met"),
        (dmt("before_six_months", "2020-01-01", None,
             relapses=[{"onset_date": "2020-06-30"}]), "not_met"),
    ])


def test_an_event_counts_up_to_three_months_after_stopping(engine: Engine) -> None:
    check_table(engine, FAILURE, [
        (dmt("three_months_after", "2020-01-01", "2021-01-01",
             relapses=[{"onset_date": "2021-04-01"}]), "met"),
        (dmt("too_late", "2020-01-01", "2021-01-01",
             relapses=[{"onset_date": "2021-04-02"}]), "not_met"),
        (dmt("exactly_six_months_of_drug", "2020-01-01", "2020-07-01",
             relapses=[{"onset_date": "2020-07-01"}]), "not_met"),
    ])


def test_mri_activity_and_edss_worsening_are_failure_events(engine: Engine) -> None:
    check_table(engine, FAILURE, [
        (dmt("new_t2", "2020-01-01", None,
             mri_scans=[{"date": "2021-01-01", "new_t2_lesions": 2}]), "met"),
        (dmt("quiet_mri", "2020-01-01", None,
             mri_scans=[{"date": "2021-01-01", "new_t2_lesions": 0,
                         "gd_enhancing_lesions": 0}]), "not_met"),
        (dmt("unassessed_mri", "2020-01-01", None, mri_scans=[{"date": "2021-01-01"}]),
         "unknown"),
        (dmt("edss_up", "2020-01-01", None, edss=[{"date": "2020-03-01", "score": 3.0},
                                                  {"date": "2020-09-01", "score": 4.0}]), "met"),
        (dmt("edss_flat", "2020-01-01", None, edss=[{"date": "2020-03-01", "score": 3.0},
                                                    {"date": "2020-09-01", "score": 3.5}]),
         "not_met"),
    ])


def test_no_treatment_failure_needs_the_whole_history(engine: Engine) -> None:
    check_table(engine, FAILURE, [
        (patient("no_dmt_desk"), "not_met"),
        (patient("no_dmt_extract", observation_period={"start": "2020-01-01",
                                                       "end": "2026-11-20"}), "unknown"),
    ])


def edss_on_dmt(pid: str, *scores: tuple[str, float]) -> object:
    return dmt(pid, "2020-01-01", None,
               edss=[{"date": day, "score": score} for day, score in scores])


def test_edss_worsening_compares_with_the_earliest_scores_of_the_24_months_before(
        engine: Engine) -> None:
    """The look-back is (date − 24 months, date]: a baseline on its first day is out."""
    check_table(engine, FAILURE, [
        (edss_on_dmt("baseline_on_the_edge", ("2021-03-01", 3.0), ("2023-03-01", 4.0)),
         "not_met"),
        (edss_on_dmt("baseline_a_day_inside", ("2021-03-02", 3.0), ("2023-03-01", 4.0)), "met"),
        (edss_on_dmt("leap_day_edge", ("2022-02-28", 2.0), ("2024-02-29", 3.5)), "not_met"),
        (edss_on_dmt("leap_day_inside", ("2022-03-01", 2.0), ("2024-02-29", 3.5)), "met"),
        (edss_on_dmt("earliest_not_lowest", ("2021-06-01", 4.0), ("2021-09-01", 2.0),
                     ("2022-06-01", 4.5)), "not_met"),
        (edss_on_dmt("high_baseline_half_step", ("2021-06-01", 6.0), ("2022-06-01", 6.5)),
         "met"),
    ])


def test_same_day_edss_scores_each_count(engine: Engine) -> None:
    """Two baseline scores on one day must both be exceeded; two later scores are two
    candidate events."""
    check_table(engine, FAILURE, [
        (edss_on_dmt("baselines_disagree", ("2021-06-01", 3.0), ("2021-06-01", 3.5),
                     ("2022-06-01", 4.0)), "unknown"),
        (edss_on_dmt("one_of_two_late_scores", ("2021-06-01", 3.0), ("2022-06-01", 4.0),
                     ("2022-06-01", 3.5)), "met"),
        (edss_on_dmt("same_day_only", ("2022-06-01", 3.0), ("2022-06-01", 4.5)), "not_met"),
    ])
