"""Cells of a CSV file made safe to open in a spreadsheet (formula injection).

A spreadsheet reads a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
read one starting with a tab or a carriage return the same way after trimming it; a value a
participant, a site or a scenario file supplied could then run a formula on the reviewer's
machine. Such a cell is written with a single quote in front (``'=1+2``), which spreadsheets
show as the text itself. A cell that is a plain number (``-1.5``, ``+3``, ``-2e-05``) is left
as it is: a spreadsheet reads it as that number, never as a formula, and analysis code reading
the file gets the number back.
"""

from __future__ import annotations

import re

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
LEAD_PATTERN = r"^[=+\-@\t\r]"
NUMBER_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""A plain decimal number, as a CSV reader would parse it back. Both patterns are written for
Python's ``re`` and RE2 alike (Arrow's compute functions use RE2)."""
_NUMBER = re.compile(NUMBER_PATTERN)


def needs_quote(text: str) -> bool:
    return text.startswith(FORMULA_LEADS) and _NUMBER.match(text) is None


def spreadsheet_safe(value: object) -> object:
    """``value`` with a quote in front if it is text a spreadsheet would run as a formula;
    anything else (numbers, None, dates) unchanged."""
    if isinstance(value, str) and needs_quote(value):
        return QUOTE + value
    return value
