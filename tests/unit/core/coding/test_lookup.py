"""Suggesting dictionary terms for a verbatim term."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from trialkit.core.coding import exact_match, normalise, read_dictionary, suggest

LLTS = tuple(read_dictionary(FIXTURES / "meddra").llts.values())


@pytest.mark.parametrize(("verbatim", "normal"), [
    ("  HEAD   ache. ", "head ache"), ("Post-LP headache", "post lp headache"),
    ("Flu-like symptoms!", "flu like symptoms"), ("", ""), ("...", ""),
])
def test_a_verbatim_term_is_compared_in_a_normal_form(verbatim, normal):
    assert normalise(verbatim) == normal


def test_an_exact_match_ignores_case_spacing_and_punctuation():
    [first, *_] = suggest(" fever. ", LLTS)
    assert (first.llt.name, first.match) == ("Fever", "exact")
    assert exact_match("post lp HEADACHE", LLTS).name == "Post-LP headache"


def test_exact_matches_come_before_word_prefix_matches():
    names = [(s.llt.name, s.match) for s in suggest("headache", LLTS)]
    assert names[0] == ("Headache", "exact")
    assert ("Headache NOS", "prefix") in names and ("Migraine headache", "prefix") in names


def test_each_verbatim_word_must_begin_a_word_of_the_term_in_order():
    names = {s.llt.name for s in suggest("post lumb", LLTS)}
    assert names == {"Post lumbar puncture syndrome", "Post lumbar puncture headache"}
    assert not suggest("lumb post", LLTS)
    assert {s.llt.name for s in suggest("back", LLTS)} == {"Back pain", "Backache",
                                                           "Low back pain"}


def test_a_non_current_term_is_never_suggested_nor_auto_coded():
    assert "Febrile" not in {s.llt.name for s in suggest("febrile", LLTS)}
    assert exact_match("Back ache", LLTS) is None
    assert exact_match("Febrile", LLTS) is None


def test_no_term_is_no_suggestion_and_suggestions_are_limited():
    assert suggest("   ", LLTS) == []
    assert exact_match("a rash on Tuesday", LLTS) is None
    assert len(suggest("p", LLTS, limit=3)) == 3
