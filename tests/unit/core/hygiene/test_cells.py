"""CSV cells a spreadsheet would run as formulas get a leading quote."""

from __future__ import annotations

import pytest

from trialkit.core.hygiene import spreadsheet_safe


@pytest.mark.parametrize("cell", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1",
                                  "=HYPERLINK(\"http://x\",\"y\")", "-", "+", "-1.5 "])
def test_a_formula_leading_cell_is_quoted(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-1.5", "+3", "-2e-05", "-.5", "plain", "a=b", "", None, 7,
                                  -3.25, True])
def test_numbers_and_ordinary_text_are_left_alone(cell):
    assert spreadsheet_safe(cell) == cell
