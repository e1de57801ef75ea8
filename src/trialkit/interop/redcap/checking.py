"""The checks a written data dictionary must pass before a site uploads it.

Two independent looks: REDCap's documented rules (``format``: the exact header, the field and
validation types, the variable-name rules including the 26-character advice, a record
identifier first) applied cell by cell here, and a full re-read by the importer, which parses
every choice list, range and reference the way an upload would.
"""

from __future__ import annotations

import csv
import io

from trialkit.interop.redcap import format as fmt
from trialkit.interop.redcap.importing import import_dictionary
from trialkit.interop.redcap.reading import DictionaryError


def dictionary_problems(text: str) -> list[str]:
    """Everything wrong with a data dictionary; empty when REDCap would take it."""
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not records or tuple(records[0]) != fmt.HEADER:
        return ["row 1: the header is not REDCap's 18 data dictionary columns in order"]
    problems = []
    for number, record in enumerate(records[1:], start=2):
        cells = dict(zip(fmt.HEADER, record, strict=False))
        name = cells.get(fmt.VARIABLE, "")
        if len(name) > fmt.MAX_VARIABLE_LENGTH or not fmt.VARIABLE_NAME.match(name):
            problems.append(f"row {number}: variable name '{name}' breaks REDCap's rules")
        if cells.get(fmt.FIELD_TYPE) not in fmt.FIELD_TYPES:
            problems.append(f"row {number}: field type '{cells.get(fmt.FIELD_TYPE)}' unknown")
        validation = cells.get(fmt.VALIDATION, "")
        if validation and validation not in fmt.VALIDATION_TYPES:
            problems.append(f"row {number}: validation type '{validation}' unknown")
    first = dict(zip(fmt.HEADER, records[1], strict=False)) if len(records) > 1 else {}
    if first.get(fmt.FIELD_TYPE) != "text" or not first.get(fmt.VARIABLE):
        problems.append("row 2: the first field must be the record identifier (a text field)")
    try:
        import_dictionary(text, entered_by=("reader",))
    except DictionaryError as exc:
        problems += [str(p) for p in exc.problems]
    return problems
