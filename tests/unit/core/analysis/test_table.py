"""The neutral input: tables of columns, the Dataset-JSON 1.1 reader and row selections."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import (
    AllOf,
    AnalysisInputError,
    AnyOf,
    Condition,
    Not,
    Table,
    read_dataset_json,
)
from trialkit.core.analysis.subsets import mask
from trialkit.core.analysis.table import missing


def dataset(rows, version="1.1.0"):
    return {"datasetJSONVersion": version, "name": "ADTTE", "records": len(rows),
            "columns": [
                {"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string"},
                {"itemOID": "IT.AVAL", "name": "AVAL", "dataType": "integer"},
                {"itemOID": "IT.RATE", "name": "RATE", "dataType": "decimal"},
                {"itemOID": "IT.ADT", "name": "ADT", "dataType": "date",
                 "targetDataType": "integer"},
                {"itemOID": "IT.FL", "name": "FL", "dataType": "boolean"}],
            "rows": rows}


def test_columns_are_read_only_copies_of_equal_length():
    source = np.array([1.0, 2.0])
    table = Table({"A": source, "B": ["x", "y"]})
    source[0] = 99.0
    assert table["A"][0] == 1.0
    with pytest.raises(ValueError):
        table["A"][0] = 5.0
    with pytest.raises(AnalysisInputError, match="differ in length"):
        Table({"A": [1.0], "B": [1.0, 2.0]})


def test_an_absent_column_is_named_with_the_ones_present():
    with pytest.raises(AnalysisInputError, match=r"'C' is not in the table \(it has: A, B\)"):
        Table({"A": [1], "B": [2]})["C"]


def test_dataset_json_types_become_table_conventions():
    table = read_dataset_json(dataset([["P1", 10, "1.25", "2024-03-01", True],
                                       [None, None, None, None, False]]))
    assert list(table.text("USUBJID")) == ["P1", ""]
    assert np.isnan(table.numeric("AVAL")[1]) and table.numeric("AVAL")[0] == 10.0
    assert table.numeric("RATE")[0] == 1.25
    assert table["ADT"].dtype == np.dtype("datetime64[D]")
    assert np.isnat(table["ADT"][1])
    assert list(table.numeric("FL")) == [1.0, 0.0]
    assert list(missing(table["USUBJID"])) == [False, True]


def test_only_dataset_json_1_1_is_read_and_ragged_rows_are_refused():
    with pytest.raises(AnalysisInputError, match=r"expected 1\.1\.x"):
        read_dataset_json(dataset([], version="1.0.0"))
    with pytest.raises(AnalysisInputError, match=r"rows\[1\]: 2 values for 5 columns"):
        read_dataset_json(dataset([["P1", 1]]))


def test_the_pilot_adsl_reads_with_its_254_participants(adsl):
    assert adsl.n_rows == 254
    assert adsl["TRTSDT"].dtype == np.dtype("datetime64[D]")


AE = Table({"AESER": ["Y", "N", "", "N"], "AEREL": ["PROBABLE", "NONE", "POSSIBLE", ""],
            "GRADE": np.array([3.0, 1.0, np.nan, 2.0])})


@pytest.mark.parametrize(("where", "expected"), [
    (Condition("AESER", "EQ", ("Y",)), [True, False, False, False]),
    (Condition("AESER", "NE", ("Y",)), [False, True, True, True]),
    (Condition("AEREL", "IN", ("POSSIBLE", "PROBABLE")), [True, False, True, False]),
    (Condition("GRADE", "GE", (2,)), [True, False, False, True]),
    (Condition("GRADE", "NOTIN", ("3",)), [False, True, True, True]),
    (AllOf((Condition("AESER", "EQ", ("N",)), Condition("GRADE", "LT", (2,)))),
     [False, True, False, False]),
    (AnyOf((Condition("AESER", "EQ", ("Y",)), Condition("AEREL", "EQ", ("",)))),
     [True, False, False, True]),
    (Not(Condition("AESER", "EQ", ("Y",))), [False, True, True, True]),
    (None, [True, True, True, True]),
])
def test_conditions_select_rows_as_sas_would(where, expected):
    assert list(mask(AE, where)) == expected


def test_ordering_comparisons_on_text_and_non_numbers_on_numbers_are_refused():
    with pytest.raises(AnalysisInputError, match="needs a numeric column"):
        mask(AE, Condition("AESER", "GT", ("A",)))
    with pytest.raises(AnalysisInputError, match="not a number"):
        mask(AE, Condition("GRADE", "EQ", ("high",)))
    with pytest.raises(AnalysisInputError, match="takes one value"):
        Condition("AESER", "EQ", ("Y", "N"))
