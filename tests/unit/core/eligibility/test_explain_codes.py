"""Explanations name value sets and recorded codes in words, never by terminology codes (the
screening page read "Latest prothrombin time (LOINC:5902-2) result" and "is
SNOMED:426373005 on 2020-09-23")."""

from trialkit.core.eligibility import explain as ex
from trialkit.core.eligibility import nodes as n

RRMS = n.CodeSet("rrms", "diagnosis", ("SNOMED:426373005",), "relapsing-remitting MS")
COURSES = n.CodeSet("courses", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002"),
                    "MS with a stated course")


def test_a_value_set_reads_as_its_description_or_its_tests_names():
    assert ex.codes(RRMS).text == "relapsing-remitting MS"
    pt = next(code for code in ex.lab_names() if code.startswith("LOINC:"))
    tests = n.CodeSet("pt", "lab", (pt,))
    assert ex.codes(tests).text == ex.lab_names()[pt]
    assert "LOINC" not in ex.codes(tests).text
    assert ex.codes(n.CodeSet("other", "diagnosis", ("SNOMED:1",))).text == "other"


def test_a_recorded_code_reads_as_the_name_the_protocol_gives_it():
    assert ex.code_name("SNOMED:426373005", RRMS) == "relapsing-remitting MS"
    # A set of several codes names none of them: the code is all that is known.
    assert ex.code_name("SNOMED:426373005", COURSES) == "SNOMED:426373005"
    assert ex.code_name("SNOMED:425500002", RRMS) == "SNOMED:425500002"
