"""REDCap's data dictionary format, as data (REDCap's documented "Data Dictionary" CSV).

A data dictionary is a CSV file with exactly these 18 columns, one row per field; the first
row's field is the record identifier. These tables are the rules both directions follow and
the export's validator checks, written from REDCap's documentation rather than derived from
our writer, so the validator is independent of it.
"""

from __future__ import annotations

import re

HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)
(VARIABLE, FORM, SECTION, FIELD_TYPE, LABEL, CHOICES, NOTE, VALIDATION, MIN, MAX, IDENTIFIER,
 BRANCHING, REQUIRED, ALIGNMENT, QUESTION, MATRIX, MATRIX_RANKING, ANNOTATION) = HEADER

FIELD_TYPES = frozenset({
    "text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc",
    "descriptive", "slider", "file", "sql"})
"""Every field type a data dictionary may name."""
CHOICE_TYPES = frozenset({"dropdown", "radio", "checkbox"})
"""Field types whose choices column lists ``code, label | code, label``."""

VALIDATION_TYPES = frozenset({
    "date_ymd", "date_mdy", "date_dmy", "datetime_ymd", "datetime_mdy", "datetime_dmy",
    "datetime_seconds_ymd", "datetime_seconds_mdy", "datetime_seconds_dmy", "time",
    "time_mm_ss", "integer", "number", "number_1dp", "number_2dp", "number_3dp", "number_4dp",
    "number_comma_decimal", "number_1dp_comma_decimal", "number_2dp_comma_decimal",
    "number_3dp_comma_decimal", "number_4dp_comma_decimal", "email", "phone", "zipcode",
    "alpha_only", "mrn_10d", "mrn_generic", "postalcode_australia", "postalcode_canada",
    "postalcode_french", "postalcode_germany", "ssn", "vmrn"})
"""The text validation types REDCap ships with (an installation may add its own)."""
DATE_TYPES = frozenset({"date_ymd", "date_mdy", "date_dmy"})
DATETIME_TYPES = frozenset({t for t in VALIDATION_TYPES if t.startswith("datetime")})
INTEGER_TYPES = frozenset({"integer"})
NUMBER_TYPES = frozenset({t for t in VALIDATION_TYPES if t.startswith("number")})

YES = "y"
"""The value of a set flag column (Identifier?, Required Field?, Matrix Ranking?)."""
ALIGNMENTS = frozenset({"", "RV", "RH", "LV", "LH"})

VARIABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""Lower-case letters, digits and underscores, starting with a letter."""
FORM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_VARIABLE_LENGTH = 26
"""REDCap accepts up to 100 characters but warns above 26: statistics packages truncate."""
CHOICE_CODE = re.compile(r"^-?[A-Za-z0-9_]+(\.[0-9]+)?$")
"""A raw coded value: letters, digits, underscores, or a (negative / decimal) number."""
BRANCH_VARIABLE = re.compile(r"\[([a-z][a-z0-9_]*)(\([^)]*\))?\]")
"""A field named in branching logic or a calculation: ``[sex]``, ``[symptoms(2)]``."""
