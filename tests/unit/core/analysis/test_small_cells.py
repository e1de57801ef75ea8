"""The small-cell rule of the committee's tables by arm: no shown count, no difference of two
rows, no difference between two cuts, places a participant in an arm."""

from __future__ import annotations

import itertools

import pytest

from trialkit.core.analysis.small_cells import CountRow, ShownRow, is_safe, protect, published

K = 5


def _rows(at_risk, any_event, serious, grades=None):
    """A table of two arms: randomized ⊇ any event ⊇ serious, worst grades partitioning any."""
    rows = [CountRow("randomized", "Randomized", at_risk, sum(at_risk)),
            CountRow("any_event", "Any", any_event, sum(any_event), parent="randomized"),
            CountRow("serious", "Serious", serious, sum(serious), parent="any_event")]
    for grade, counts in (grades or {}).items():
        rows.append(CountRow(f"grade:{grade}", f"Grade {grade}", counts, sum(counts),
                             parent="any_event", partition="worst_grade"))
    return rows


def _shown(rows):
    return {r.key: r.counts for r in rows}


def test_a_count_is_safe_when_every_arm_is_zero_or_every_arm_reaches_the_threshold():
    assert is_safe((0, 0), K) and is_safe((5, 9), K)
    assert not is_safe((1, 7), K) and not is_safe((0, 6), K) and not is_safe((4, 4), K)


def test_a_row_with_one_participant_in_one_arm_is_withheld_whole():
    """The attack: one grade-4 event in the listing and a by-arm count of (1, 0)."""
    shown = _shown(protect(_rows((10, 10), (6, 6), (0, 0), {"1": (6, 5), "4": (0, 1)}), K))
    assert shown["randomized"] == (10, 10) and shown["serious"] == (0, 0)
    assert shown["grade:4"] is None
    # Grade 1 alone would leave "any minus grade 1" = (0, 1): withheld with its partition.
    assert shown["grade:1"] is None


def test_the_participants_outside_a_row_are_a_row_too():
    """9 of 10 with an event in one arm, 10 of 10 in the other: the one without is placed."""
    shown = _shown(protect(_rows((10, 10), (9, 10), (0, 0)), K))
    assert shown["any_event"] is None and shown["randomized"] == (10, 10)


def test_the_difference_of_two_nested_rows_is_checked():
    """Any event (11, 5) and serious (5, 5) would say all six non-serious are in one arm."""
    shown = _shown(protect(_rows((20, 20), (11, 5), (5, 5)), K))
    assert shown["any_event"] == (11, 5)
    assert shown["serious"] is None


def test_a_difference_between_two_cuts_is_checked():
    """One participant joins a row between two cuts: showing both would name their arm."""
    first = protect(_rows((10, 10), (5, 5), (0, 0)), K)
    assert _shown(first)["any_event"] == (5, 5)
    second = _shown(protect(_rows((10, 10), (6, 5), (0, 0)), K, [first]))
    assert second["any_event"] is None
    assert second["randomized"] == (10, 10)
    grown = _shown(protect(_rows((15, 15), (10, 10), (0, 0)), K, [first]))
    assert grown["randomized"] == (15, 15) and grown["any_event"] == (10, 10)


def test_randomization_counts_are_withheld_while_an_arm_is_small_or_grew_by_one():
    assert _shown(protect(_rows((3, 2), (0, 0), (0, 0)), K))["randomized"] is None
    first = protect(_rows((10, 10), (0, 0), (0, 0)), K)
    later = _shown(protect(_rows((11, 10), (0, 0), (0, 0)), K, [first]))
    assert later["randomized"] is None


def test_nothing_shown_can_be_combined_into_a_small_cell():
    """Exhaustively over small two-arm tables: every vector a reader can compute from what is
    shown (rows, nested differences, a partition's remainder) is safe."""
    for a, b, s_a, s_b, g_a, g_b in itertools.product(range(0, 12, 3), range(0, 12, 4),
                                                      range(0, 7, 3), range(0, 7, 2),
                                                      range(0, 7, 3), range(0, 7, 2)):
        if s_a > a or s_b > b or g_a > a or g_b > b:
            continue
        rows = _rows((12, 12), (a, b), (s_a, s_b),
                     {"1": (a - g_a, b - g_b), "3": (g_a, g_b)})
        for how, vector in published(protect(rows, K)).items():
            assert is_safe(vector, K), (rows, how, vector)


def test_the_threshold_is_at_least_one():
    with pytest.raises(ValueError):
        protect(_rows((1, 1), (0, 0), (0, 0)), 0)


def test_withheld_rows_keep_their_pooled_count():
    [root, *_] = protect(_rows((3, 2), (0, 0), (0, 0)), K)
    assert root == ShownRow("randomized", "Randomized", 5, None)
