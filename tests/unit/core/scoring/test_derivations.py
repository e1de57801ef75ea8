"""The registry of form derivations, and protocols naming a function it does not know."""

from __future__ import annotations

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.protocol import ProtocolError, parse_protocol
from trialkit.core.scoring.checks import Outcome, ScoringInputError
from trialkit.core.scoring.derivations import (
    UnknownDerivationError,
    derivation,
    derive,
    known_derivations,
)

# A form's items, named as a protocol names them, and how its derived item maps them to the
# function's parameters (the function knows no form).
VISIT = {"fs_pyr": 3, "fs_cer": 2, "fs_bs": 0, "fs_sens": 1, "fs_bb": 1, "fs_vis": 0,
         "fs_cbr": 1, "amb": 0, "rater_score": 3.5, "assessment_date": "2024-05-02"}
INPUTS = {"pyramidal": "fs_pyr", "cerebellar": "fs_cer", "brainstem": "fs_bs",
          "sensory": "fs_sens", "bowel_bladder": "fs_bb", "visual": "fs_vis",
          "cerebral": "fs_cbr", "ambulation": "amb"}


def _derived_items(protocol):
    return [(form, item) for form in protocol.forms for item in form.items
            if item.derived is not None]


def test_every_derivation_the_reference_protocol_names_is_known_with_its_inputs(
        reference_protocol):
    derived = _derived_items(reference_protocol)
    assert [item.derived.function for _, item in derived] == ["neurostatus_edss"]
    for _, item in derived:
        assert item.derived.function in known_derivations()
        assert tuple(item.derived.inputs) == derivation(item.derived.function).inputs


def test_the_edss_derivation_computes_from_the_entered_items():
    derived = derive("neurostatus_edss", INPUTS, VISIT)
    assert derived.value == 3.5
    assert "one FS grade of 3 with one or two grades of 2" in derived.explanation
    assert derived.check(3.5, "edss").outcome is Outcome.AGREE
    assert derived.check(3.0, "edss").opens_query


def test_a_judgement_pattern_carries_its_band_into_the_check():
    derived = derive("neurostatus_edss", INPUTS, {**VISIT, "fs_pyr": 4})
    assert (derived.value, derived.judgement_band) == (4.0, (4.0, 5.0))
    check = derived.check(4.5, "edss")
    assert (check.outcome, check.opens_query) == (Outcome.RATER_JUDGEMENT, False)


def test_a_missing_input_is_named_by_its_item():
    values = {k: v for k, v in VISIT.items() if k not in ("fs_vis", "amb")}
    with pytest.raises(ScoringInputError, match=r"^fs_vis: .*missing: visual, ambulation"):
        derive("neurostatus_edss", INPUTS, values)


def test_an_out_of_range_grade_is_named_by_its_form_item():
    with pytest.raises(ScoringInputError, match=r"^fs_vis: must be between 0 and 6, got 7$"):
        derive("neurostatus_edss", INPUTS, {**VISIT, "fs_vis": 7})


def test_an_entered_value_that_is_not_a_number_cannot_be_compared():
    with pytest.raises(ScoringInputError, match=r"^edss: must be a number"):
        derive("neurostatus_edss", INPUTS, VISIT).check("3.5", "edss")


def test_an_unknown_function_name_is_refused_listing_the_known_ones():
    with pytest.raises(UnknownDerivationError, match=r"'kurtzke_edss'.*neurostatus_edss"):
        derive("kurtzke_edss", INPUTS, VISIT)


def test_the_sum_takes_any_inputs_and_names_a_missing_one():
    assert derive("sum", {"a": "x", "b": "y"}, {"x": 2, "y": 3.5}).value == 5.5
    with pytest.raises(ScoringInputError, match=r"^y: is needed"):
        derive("sum", {"a": "x", "b": "y"}, {"x": 2})


def test_a_protocol_naming_an_unknown_derivation_function_is_refused_at_load(reference_protocol):
    text = REFERENCE_PROTOCOL.read_text(encoding="utf-8")
    assert text.count("function: neurostatus_edss") == 1
    amended = text.replace("function: neurostatus_edss", "function: kurtzke_edss")
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(amended, source="amended.yaml")
    [problem] = caught.value.problems
    [(form, item)] = _derived_items(reference_protocol)
    form_index = reference_protocol.forms.index(form)
    item_index = form.items.index(item)
    assert problem.dotted_path() == f"forms[{form_index}].items[{item_index}].derived.function"
    assert problem.line == amended[: amended.index("kurtzke_edss")].count("\n") + 1
    assert "unknown derivation function 'kurtzke_edss'" in problem.message
    assert "neurostatus_edss" in problem.message
