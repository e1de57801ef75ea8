"""The pre-screen's CSV output neutralises cells a spreadsheet would run as formulas (patient
keys come from site databases)."""

from __future__ import annotations

import csv

import pyarrow as pa

from trialkit.prescreen.run import write_result


def test_text_cells_that_start_a_formula_are_quoted_and_numbers_are_not(tmp_path):
    table = pa.table({"person_source_value": ["=HYPERLINK(\"http://x\")", "@SUM(1)", "-7",
                                              "+cmd", "P-001", None],
                      "age": [40, 41, 42, 43, 44, 45]})
    out = tmp_path / "ranked.csv"
    write_result(table, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["person_source_value"] for r in rows] == [
        "'=HYPERLINK(\"http://x\")", "'@SUM(1)", "-7", "'+cmd", "P-001", ""]
    assert [r["age"] for r in rows] == ["40", "41", "42", "43", "44", "45"]
