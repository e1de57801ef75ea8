"""Safety tables on small hand-made data: counting rules and edge cases."""

from __future__ import annotations

import pytest

from trialkit.core.analysis import (
    AnalysisInputError,
    Condition,
    Table,
    by_worst_category,
    events_by_term,
    overview,
)

SUBJECTS = Table({"USUBJID": ["P1", "P2", "P3", "P4", "P5"],
                  "TRT01A": ["SHAM", "SHAM", "UMSC01", "UMSC01", "UMSC01"]})
EVENTS = Table({
    "USUBJID": ["P1", "P1", "P3", "P3", "P4", "P9"],
    "AESOC": ["NERVOUS", "NERVOUS", "NERVOUS", "GENERAL", "GENERAL", "NERVOUS"],
    "AEDECOD": ["HEADACHE", "HEADACHE", "DIZZINESS", "PYREXIA", "PYREXIA", "HEADACHE"],
    "AESER": ["N", "Y", "N", "N", "N", "Y"],
    "ATOXGR": ["1", "3", "2", "", "1", "4"],
})


def test_a_participant_counts_once_per_row_however_many_events_they_had():
    table = events_by_term(SUBJECTS, EVENTS)
    headache = table.row("NERVOUS", "HEADACHE").counts["SHAM"]
    assert (headache.subjects, headache.events, headache.percent) == (1, 2, 50.0)
    assert table.row().counts["UMSC01"].subjects == 2
    assert table.row("GENERAL").counts["UMSC01"].events == 2


def test_events_of_participants_outside_the_analysis_set_are_left_out_with_a_note():
    table = events_by_term(SUBJECTS, EVENTS)
    assert table.row("NERVOUS").counts["SHAM"].events == 2
    assert table.notes == ("1 event(s) of participants outside the analysis set (or "
                           "without an arm) were left out",)


def test_an_arm_without_events_still_shows_every_row_with_zeros():
    table = events_by_term(SUBJECTS, EVENTS)
    assert table.row("GENERAL", "PYREXIA").counts["SHAM"].subjects == 0
    assert {row.category for row in table.rows} == {
        (), ("GENERAL",), ("GENERAL", "PYREXIA"), ("NERVOUS",), ("NERVOUS", "DIZZINESS"),
        ("NERVOUS", "HEADACHE")}


def test_an_arm_listed_but_empty_has_no_percentage_rather_than_a_division_by_zero():
    table = events_by_term(SUBJECTS, EVENTS, arms=["SHAM", "UMSC01", "LOW DOSE"])
    assert table.denominators["LOW DOSE"] == 0
    assert table.row().counts["LOW DOSE"].percent is None


def test_an_arm_missing_from_a_listed_order_is_refused():
    with pytest.raises(AnalysisInputError, match="UMSC01"):
        events_by_term(SUBJECTS, EVENTS, arms=["SHAM"])


def test_frequency_order_puts_the_commonest_soc_first_and_keeps_terms_under_their_soc():
    events = Table({"USUBJID": ["P1", "P2", "P3", "P3", "P4"],
                    "AESOC": ["NERVOUS", "NERVOUS", "NERVOUS", "GENERAL", "GENERAL"],
                    "AEDECOD": ["HEADACHE", "HEADACHE", "DIZZINESS", "PYREXIA", "PYREXIA"]})
    table = events_by_term(SUBJECTS, events, order="frequency")
    assert [row.category for row in table.rows] == [
        (), ("NERVOUS",), ("NERVOUS", "HEADACHE"), ("NERVOUS", "DIZZINESS"), ("GENERAL",),
        ("GENERAL", "PYREXIA")]


def test_an_uncoded_term_is_shown_as_not_coded_rather_than_dropped():
    events = EVENTS.with_columns({"AEDECOD": ["HEADACHE", "", "DIZZINESS", "PYREXIA",
                                              "PYREXIA", "HEADACHE"]})
    table = events_by_term(SUBJECTS, events)
    assert table.row("NERVOUS", "(not coded)").counts["SHAM"].events == 1


def test_fisher_p_is_none_where_neither_arm_has_the_event():
    subjects = Table({"USUBJID": ["P1", "P2"], "TRT01A": ["SHAM", "UMSC01"]})
    events = Table({"USUBJID": ["P1"], "AESOC": ["NERVOUS"], "AEDECOD": ["HEADACHE"]})
    table = overview(subjects, events, categories={
        "any": None, "serious": Condition("AEDECOD", "EQ", ("SEIZURE",))}, reference="SHAM")
    assert table.row("any").p_values == {"UMSC01": 1.0}
    assert table.row("serious").p_values == {"UMSC01": None}


def test_the_overview_counts_participants_with_at_least_one_event_of_each_category():
    table = overview(SUBJECTS, EVENTS, categories={
        "any": None, "serious": Condition("AESER", "EQ", ("Y",))})
    assert table.row("serious").counts["SHAM"].subjects == 1
    assert table.row("serious").counts["UMSC01"].subjects == 0
    assert table.row("any").counts["UMSC01"].subjects == 2


def test_duplicate_participants_in_the_subjects_dataset_are_refused():
    subjects = Table({"USUBJID": ["P1", "P1"], "TRT01A": ["SHAM", "UMSC01"]})
    with pytest.raises(AnalysisInputError, match="not unique"):
        events_by_term(subjects, EVENTS)


def test_each_participant_is_counted_once_at_their_worst_grade():
    table = by_worst_category(SUBJECTS, EVENTS, column="ATOXGR",
                              order=("1", "2", "3", "4", "5"))
    assert table.row("NERVOUS", "HEADACHE", "3").counts["SHAM"].subjects == 1
    assert table.row("NERVOUS", "HEADACHE", "1").counts["SHAM"].subjects == 0
    assert table.row("NERVOUS", "HEADACHE", "1").counts["SHAM"].events == 1
    assert table.row("3").counts["SHAM"].subjects == 1


def test_a_missing_grade_ranks_below_every_grade_and_is_shown_not_dropped():
    table = by_worst_category(SUBJECTS, EVENTS, column="ATOXGR",
                              order=("1", "2", "3", "4", "5"))
    pyrexia = {grade: table.row("GENERAL", "PYREXIA", grade).counts["UMSC01"].subjects
               for grade in ("(missing)", "1")}
    assert pyrexia == {"(missing)": 1, "1": 1}
    assert table.row("2").counts["UMSC01"].subjects == 1  # P3's dizziness outranks it
    assert "1 event(s) without a value of 'ATOXGR'" in table.notes[1]


def test_a_grade_outside_the_declared_order_is_refused():
    with pytest.raises(AnalysisInputError, match=r"holds value\(s\) 3 not in the order"):
        by_worst_category(SUBJECTS, EVENTS, column="ATOXGR", order=("1", "2"))


def test_numeric_grades_read_as_whole_numbers():
    events = EVENTS.with_columns({"ATOXGR": [1.0, 3.0, 2.0, float("nan"), 1.0, 4.0]})
    table = by_worst_category(SUBJECTS, events, column="ATOXGR", order=("1", "2", "3", "4"),
                              levels=())
    assert table.row("3").counts["SHAM"].subjects == 1


def test_worst_relation_counts_sum_to_the_participants_with_any_event_in_the_pilot(
        adsl, adae):
    subjects = adsl.where(adsl.text("SAFFL") == "Y")
    events = adae.where(adae.text("TRTEMFL") == "Y")
    order = ("NONE", "REMOTE", "POSSIBLE", "PROBABLE")
    worst = by_worst_category(subjects, events, column="AEREL", order=order)
    any_event = events_by_term(subjects, events)
    for row in any_event.rows:
        for arm, count in row.counts.items():
            total = sum(worst.row(*row.category, level).counts[arm].subjects
                        for level in (*order, "(missing)")
                        if (*row.category, level) in {r.category for r in worst.rows})
            assert total == count.subjects, (row.category, arm)


def test_worst_severity_by_soc_and_pt_on_the_pilot_matches_an_independent_pandas_count(
        adsl, adae):
    # Independent implementation: pandas keeps each participant's most severe event per
    # SOC/PT, then counts participants per arm and severity.
    import pandas as pd

    subjects = adsl.where(adsl.text("SAFFL") == "Y")
    events = adae.where(adae.text("TRTEMFL") == "Y")
    order = ("MILD", "MODERATE", "SEVERE")
    table = by_worst_category(subjects, events, column="AESEV", order=order)
    frame = pd.DataFrame({name: events.text(name) for name in
                          ("USUBJID", "AESOC", "AEDECOD", "AESEV")})
    frame = frame.merge(pd.DataFrame({"USUBJID": subjects.text("USUBJID"),
                                      "ARM": subjects.text("TRT01A")}), on="USUBJID")
    frame["RANK"] = frame["AESEV"].map({level: i for i, level in enumerate(order)})
    worst = frame.groupby(["ARM", "AESOC", "AEDECOD", "USUBJID"])["RANK"].max().reset_index()
    expected = worst.groupby(["ARM", "AESOC", "AEDECOD", "RANK"]).size()
    compared = 0
    for (arm, soc, pt, rank), count in expected.items():
        assert table.row(soc, pt, order[rank]).counts[arm].subjects == count
        compared += 1
    total = sum(row.counts[arm].subjects for row in table.rows if len(row.category) == 3
                for arm in row.counts)
    assert total == int(expected.sum()) and compared > 300
