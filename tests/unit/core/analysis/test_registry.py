"""Methods by name with parameters as data: what a protocol file will declare."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.analysis import (
    AnalysisInputError,
    Table,
    ancova,
    as_data,
    method,
    methods,
)

DATA = Table({"ARM": ["SHAM", "SHAM", "SHAM", "UMSC01", "UMSC01", "UMSC01"],
              "STRATUM": ["RRMS", "SPMS", "RRMS", "SPMS", "RRMS", "SPMS"],
              "BASE": np.array([3.0, 4.5, 2.5, 4.0, 3.5, 5.0]),
              "CHG": np.array([0.5, 0.0, 0.5, -0.5, 0.0, -0.5])})
ANCOVA = {"response": "CHG", "treatment": "ARM", "reference": "SHAM",
          "factors": ["STRATUM"], "covariates": ["BASE"]}


def test_a_method_run_by_name_with_data_parameters_equals_the_direct_call():
    by_name = method("ancova").run({"data": DATA}, ANCOVA)
    direct = ancova(DATA, response="CHG", treatment="ARM", reference="SHAM",
                    factors=["STRATUM"], covariates=["BASE"])
    assert by_name == direct


def test_factor_reference_levels_can_be_given_as_a_mapping():
    result = method("ancova").run({"data": DATA}, {**ANCOVA, "factors": {"STRATUM": "SPMS"}})
    assert "STRATUM=RRMS" in [c.label for c in result.coefficients]


def test_an_unknown_method_names_the_known_ones():
    with pytest.raises(AnalysisInputError, match=r"no analysis method 'anova'.*ancova"):
        method("anova")


@pytest.mark.parametrize(("parameters", "message"), [
    ({**ANCOVA, "covariate": ["BASE"]}, r"unknown parameter\(s\) covariate"),
    ({"treatment": "ARM", "reference": "SHAM"}, "ancova.response: required"),
    ({**ANCOVA, "response": "EDSS"}, "column 'EDSS' is not in the data dataset"),
    ({**ANCOVA, "covariates": "BASE"}, "expected a list of column names"),
    ({**ANCOVA, "confidence": "95%"}, "expected a number"),
    ({**ANCOVA, "comparisons": [["UMSC01"]]}, r"\[arm, against\] pairs"),
])
def test_parameters_are_checked_before_the_method_runs(parameters, message):
    with pytest.raises(AnalysisInputError, match=message):
        method("ancova").run({"data": DATA}, parameters)


def test_a_missing_dataset_role_is_named():
    with pytest.raises(AnalysisInputError, match=r"dataset\(s\) events not given"):
        method("ae_by_term").run({"subjects": DATA}, {})


def test_safety_categories_are_read_as_ars_like_conditions():
    subjects = Table({"USUBJID": ["P1", "P2"], "TRT01A": ["SHAM", "UMSC01"]})
    events = Table({"USUBJID": ["P1", "P2", "P2"], "AESER": ["N", "Y", "N"],
                    "AEREL": ["NONE", "PROBABLE", "REMOTE"]})
    table = method("ae_overview").run({"subjects": subjects, "events": events}, {
        "categories": {
            "any": None,
            "serious": {"variable": "AESER", "comparator": "EQ", "values": ["Y"]},
            "related, not serious": {"all_of": [
                {"variable": "AEREL", "comparator": "IN", "values": ["POSSIBLE", "PROBABLE"]},
                {"not": {"variable": "AESER", "comparator": "EQ", "values": "Y"}}]}}})
    assert [table.row(label).counts["UMSC01"].subjects
            for label in ("any", "serious", "related, not serious")] == [1, 1, 0]


def test_a_malformed_condition_is_refused():
    with pytest.raises(AnalysisInputError, match="variable, comparator and values"):
        method("ae_overview").run({"subjects": DATA, "events": DATA},
                                  {"categories": {"x": {"column": "AESER"}}})


def test_every_method_names_an_oracle_test_that_exists_and_documents_its_parameters():
    assert len(methods()) == 16
    for registered in methods():
        assert (ROOT / registered.oracle).is_file(), registered.name
        assert callable(registered.implementation()), registered.name  # named by module
        assert all(parameter.doc for parameter in registered.parameters), registered.name
        docs = (ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
        assert f"`{registered.name}`" in docs, registered.name


def test_results_become_json_ready_data():
    result = method("ancova").run({"data": DATA}, ANCOVA)
    data = as_data(result)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["differences"][0]["label"] == "UMSC01 - SHAM"
