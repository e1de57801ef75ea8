"""The Neurostatus EDSS from FS grades: the agreed test vectors, conversions, floors, checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialkit.core.scoring.checks import Outcome, ScoringInputError
from trialkit.core.scoring.edss import (
    EDSS_SCALE,
    FunctionalSystems,
    check_rater_edss,
    edss_from_kurtzke,
    edss_value,
    kurtzke_ambulation_floor,
    neurostatus_ambulation_floor,
    neurostatus_edss,
)

FS_NAMES = ("pyramidal", "cerebellar", "brainstem", "sensory", "bowel_bladder", "visual",
            "cerebral")
FS_MAX = (6, 5, 5, 6, 6, 6, 5)

# PROTOCOL-NOTES §5: pyr, cer, bs, sens, bb raw, vis raw, cereb, amb16 -> EDSS, agreed by two
# independent implementations.
PROTOCOL_VECTORS = [
    ((0, 0, 0, 0, 0, 0, 0, 0), 0.0), ((1, 0, 0, 0, 0, 0, 0, 0), 1.0),
    ((1, 0, 1, 0, 0, 0, 0, 0), 1.5), ((2, 0, 0, 0, 0, 0, 0, 0), 2.0),
    ((0, 0, 0, 0, 0, 0, 0, 1), 2.0), ((2, 2, 0, 0, 0, 0, 0, 0), 2.5),
    ((2, 2, 0, 2, 0, 0, 0, 0), 3.0), ((0, 0, 0, 0, 4, 0, 0, 0), 3.0),
    ((2, 2, 2, 2, 0, 2, 0, 0), 3.5), ((3, 2, 0, 0, 0, 0, 0, 0), 3.5),
    ((0, 3, 0, 0, 0, 0, 3, 0), 3.5), ((2, 2, 2, 2, 2, 2, 0, 0), 4.0),
    ((4, 0, 0, 0, 0, 0, 0, 0), 4.0), ((0, 0, 0, 0, 0, 6, 0, 0), 4.0),
    ((4, 3, 0, 0, 0, 0, 0, 0), 4.5), ((0, 0, 0, 0, 0, 0, 0, 2), 4.5),
    ((4, 4, 0, 0, 0, 0, 0, 0), 5.0), ((0, 0, 5, 0, 0, 0, 0, 0), 5.0),
    ((0, 0, 0, 0, 6, 0, 0, 0), 5.0),
]
AMBULATION_FLOORS = {1: 2.0, 2: 4.5, 3: 5.0, 4: 5.5, 5: 6.0, 6: 6.0, 7: 6.0, 8: 6.5, 9: 6.5,
                     10: 7.0, 11: 7.5, 12: 8.0, 13: 8.5, 14: 9.0, 15: 9.5, 16: 10.0}


def _fs(*grades: int) -> FunctionalSystems:
    return FunctionalSystems(*grades)


def _edss(*grades: int, ambulation: int = 0) -> float:
    return neurostatus_edss(_fs(*grades), ambulation).score


@pytest.mark.parametrize(("grades", "expected"), PROTOCOL_VECTORS,
                         ids=[",".join(map(str, g)) for g, _ in PROTOCOL_VECTORS])
def test_every_protocol_notes_vector_gives_the_agreed_edss_without_judgement(grades, expected):
    result = neurostatus_edss(_fs(*grades[:7]), grades[7])
    assert result.score == expected
    assert not result.rater_judgement
    assert result.judgement_band is None


@pytest.mark.parametrize(("ambulation", "floor"), sorted(AMBULATION_FLOORS.items()))
def test_each_ambulation_score_sets_its_floor_over_normal_fs_grades(ambulation, floor):
    assert neurostatus_ambulation_floor(ambulation) == floor
    result = neurostatus_edss(_fs(0, 0, 0, 0, 0, 0, 0), ambulation)
    assert result.score == floor
    assert result.rule == f"Neurostatus ambulation {ambulation} sets the floor {floor:.1f}"


def test_an_fs_step_above_the_ambulation_floor_decides_the_score():
    result = neurostatus_edss(_fs(3, 2, 0, 0, 0, 0, 0), 1)
    assert (result.score, result.fs_score, result.ambulation_floor) == (3.5, 3.5, 2.0)
    assert result.rule == "one FS grade of 3 with one or two grades of 2"


@pytest.mark.parametrize(("raw", "counted"), [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3),
                                              (6, 4)])
def test_the_raw_visual_grade_is_converted_before_stepping(raw, counted):
    assert _fs(0, 0, 0, 0, 0, raw, 0).converted()["visual"] == counted
    assert _edss(0, 0, 0, 0, 0, raw, 0) == _edss(counted, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize(("raw", "counted"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4),
                                              (6, 5)])
def test_the_raw_bowel_bladder_grade_is_converted_before_stepping(raw, counted):
    assert _fs(0, 0, 0, 0, raw, 0, 0).converted()["bowel_bladder"] == counted
    assert _edss(0, 0, 0, 0, raw, 0, 0) == _edss(counted, 0, 0, 0, 0, 0, 0)


def test_a_cerebral_grade_of_one_does_not_count():
    assert _edss(0, 0, 0, 0, 0, 0, 1) == 0.0
    assert _edss(1, 0, 0, 0, 0, 0, 1) == 1.0
    assert _edss(0, 0, 0, 0, 0, 0, 2) == 2.0


@pytest.mark.parametrize(("grades", "best"), [
    ((4, 2, 0, 0, 0, 0, 0), 4.0),   # one 4 with a 2: beyond "others 0 or 1"
    ((3, 3, 3, 0, 0, 0, 0), 4.0),   # three 3s: beyond two 3s
    ((3, 2, 2, 2, 0, 0, 0), 4.0),   # one 3 with three 2s
    ((3, 3, 2, 0, 0, 0, 0), 4.0),   # two 3s with a 2
    ((4, 3, 3, 3, 0, 0, 0), 4.5),   # one 4 with three 3s
    ((4, 3, 2, 0, 0, 0, 0), 4.5),   # one 4 with a 3 and a 2
    ((3, 3, 3, 3, 3, 2, 0), 4.5),   # five 3s with a 2
])
def test_unnamed_combinations_in_the_four_to_five_band_are_rater_judgement(grades, best):
    result = neurostatus_edss(_fs(*grades), 0)
    assert result.score == best
    assert result.rater_judgement
    assert result.judgement_band == (4.0, 5.0)
    assert "Rater judgement" in result.explanation
    assert "a combination exceeding" in result.rule


def test_an_ambulation_floor_narrows_or_ends_the_judgement_band():
    at_300_metres = neurostatus_edss(_fs(4, 2, 0, 0, 0, 0, 0), 2)
    assert (at_300_metres.score, at_300_metres.judgement_band) == (4.5, (4.5, 5.0))
    at_200_metres = neurostatus_edss(_fs(4, 2, 0, 0, 0, 0, 0), 3)
    assert (at_200_metres.score, at_200_metres.rater_judgement) == (5.0, False)


def test_the_explanation_names_the_converted_grades_and_the_deciding_rule():
    result = neurostatus_edss(_fs(0, 0, 0, 0, 4, 6, 1), 0)
    assert "bowel and bladder 3" in result.explanation
    assert "visual 4" in result.explanation
    assert "cerebral 0" in result.explanation
    assert result.explanation.endswith("EDSS 4.5, decided by: one FS grade of 4 with one or two grades of 3.")


@pytest.mark.parametrize(("grade", "floor"), [(0, 0.0), (1, 4.0), (2, 4.5), (3, 5.0), (4, 5.5),
                                              (5, 6.0), (6, 6.5), (7, 7.0), (8, 7.5), (9, 8.0),
                                              (10, 8.5), (11, 9.0), (12, 9.5), (13, 10.0)])
def test_the_kurtzke_ambulation_coding_converts_to_floors(grade, floor):
    assert kurtzke_ambulation_floor(grade) == floor
    assert edss_from_kurtzke(_fs(0, 0, 0, 0, 0, 0, 0), grade).score == floor


@pytest.mark.parametrize(("position", "bad"), [(i, FS_MAX[i] + 1) for i in range(7)]
                         + [(i, -1) for i in range(7)])
def test_an_out_of_range_grade_is_refused_naming_its_functional_system(position, bad):
    grades = [0] * 7
    grades[position] = bad
    with pytest.raises(ScoringInputError, match=rf"^{FS_NAMES[position]}: must be between 0 and "
                                                rf"{FS_MAX[position]}, got {bad}$") as caught:
        FunctionalSystems(*grades)
    assert caught.value.field == FS_NAMES[position]


@pytest.mark.parametrize("bad", [2.5, "3", None, True, float("nan")])
def test_a_grade_that_is_not_a_whole_number_is_refused(bad):
    with pytest.raises(ScoringInputError, match=r"^sensory: must be a whole number"):
        FunctionalSystems(0, 0, 0, bad, 0, 0, 0)  # type: ignore[arg-type]


def test_an_integral_decimal_grade_is_accepted_as_its_integer():
    assert FunctionalSystems(3.0, 0, 0, 0, 0, 0, 0).pyramidal == 3  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [17, -1])
def test_an_out_of_range_ambulation_score_is_refused(bad):
    with pytest.raises(ScoringInputError, match=r"^ambulation: must be between 0 and 16"):
        neurostatus_edss(_fs(0, 0, 0, 0, 0, 0, 0), bad)
    with pytest.raises(ScoringInputError, match=r"^ambulation: must be between 0 and 13"):
        edss_from_kurtzke(_fs(0, 0, 0, 0, 0, 0, 0), bad if bad < 0 else 14)


def test_a_rater_score_equal_to_the_computed_one_agrees_and_opens_no_query():
    assert edss_value(Decimal("3.5")) == 3.5
    check = check_rater_edss(3.5, neurostatus_edss(_fs(3, 2, 0, 0, 0, 0, 0), 0))
    assert (check.outcome, check.opens_query) == (Outcome.AGREE, False)


def test_a_rater_score_differing_on_an_unambiguous_pattern_opens_a_query():
    check = check_rater_edss(4.0, neurostatus_edss(_fs(3, 2, 0, 0, 0, 0, 0), 0))
    assert (check.outcome, check.opens_query) == (Outcome.DISAGREE, True)
    assert "4.0 differs from the computed 3.5" in check.message


def test_a_rater_score_inside_the_judgement_band_is_a_note_not_a_query():
    result = neurostatus_edss(_fs(4, 2, 0, 0, 0, 0, 0), 0)
    check = check_rater_edss(4.5, result)
    assert (check.outcome, check.opens_query) == (Outcome.RATER_JUDGEMENT, False)
    assert "rater judgement" in check.message


def test_a_rater_score_outside_the_judgement_band_still_opens_a_query():
    check = check_rater_edss(3.5, neurostatus_edss(_fs(4, 2, 0, 0, 0, 0, 0), 0))
    assert check.outcome is Outcome.DISAGREE


@pytest.mark.parametrize("bad", [0.5, 4.25, 10.5, -1, "4.0", True])
def test_a_rater_score_off_the_edss_scale_is_refused(bad):
    with pytest.raises(ScoringInputError, match=r"^score: "):
        edss_value(bad)


grades_strategy = st.tuples(*(st.integers(0, high) for high in FS_MAX), st.integers(0, 16))


@given(grades_strategy, st.integers(0, 7), st.data())
def test_raising_any_grade_never_lowers_the_computed_edss(grades, position, data):
    highs = (*FS_MAX, 16)
    raised = list(grades)
    raised[position] = data.draw(st.integers(grades[position], highs[position]))
    assert _edss(*raised[:7], ambulation=raised[7]) >= _edss(*grades[:7], ambulation=grades[7])


@given(grades_strategy)
def test_the_computed_edss_is_always_on_the_edss_scale(grades):
    result = neurostatus_edss(_fs(*grades[:7]), grades[7])
    assert result.score in EDSS_SCALE
    assert result.score == max(result.fs_score, result.ambulation_floor)
    if result.rater_judgement:
        assert result.judgement_band is not None
        assert result.judgement_band[0] <= result.score <= result.judgement_band[1]
