"""Reading a REDCap data dictionary: the CSV checked cell by cell, as rows of named columns.

Every problem is located the way a person finds it in a spreadsheet: the row number (the
header is row 1) and the column's header. Reading stops at nothing: all problems are
collected, so one run lists everything to fix. Nothing is written while any remain.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from trialkit.interop.redcap import format as fmt


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.message}"


class DictionaryError(ValueError):
    """A data dictionary that cannot be imported; ``problems`` locates each fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass
class Field:
    row: int
    cells: dict[str, str]
    choices: tuple[Choice, ...] = ()
    annotation: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, column: str) -> str:
        return self.cells[column]

    @property
    def name(self) -> str:
        return self.cells[fmt.VARIABLE]

    @property
    def type(self) -> str:
        return self.cells[fmt.FIELD_TYPE]

    @property
    def validation(self) -> str:
        return self.cells[fmt.VALIDATION]


def read_dictionary(text: str) -> list[Field]:
    """The dictionary's fields, or DictionaryError listing every located problem."""
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not records:
        raise DictionaryError([Problem(1, fmt.VARIABLE, "the file is empty")])
    problems = _header_problems(records[0])
    if problems:
        raise DictionaryError(problems)
    fields: list[Field] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(fmt.HEADER):
            problems.append(Problem(number, fmt.VARIABLE, f"{len(record)} cells, the header "
                                    f"has {len(fmt.HEADER)}"))
            continue
        one = Field(number, {c: v.strip() for c, v in zip(fmt.HEADER, record, strict=True)})
        problems += _field_problems(one, seen)
        fields.append(one)
    if not fields:
        problems.append(Problem(2, fmt.VARIABLE, "no fields"))
    problems += _reference_problems(fields)
    if problems:
        raise DictionaryError(problems)
    return fields


def _header_problems(header: list[str]) -> list[Problem]:
    found = [h.strip().lstrip("\ufeff") for h in header]
    problems = [Problem(1, column, "column missing from the header")
                for column in fmt.HEADER if column not in found]
    problems += [Problem(1, column, "not a data dictionary column")
                 for column in found if column not in fmt.HEADER]
    if not problems and tuple(found) != fmt.HEADER:
        problems.append(Problem(1, found[0], "the columns are not in REDCap's order"))
    return problems


def _field_problems(f: Field, seen: dict[str, int]) -> list[Problem]:
    out: list[Problem] = []

    def bad(column: str, message: str) -> None:
        out.append(Problem(f.row, column, message))

    if not fmt.VARIABLE_NAME.match(f.name) or len(f.name) > 100:
        bad(fmt.VARIABLE, f"'{f.name}' is not a variable name (lower-case letters, digits "
                          "and _, starting with a letter)")
    elif f.name in seen:
        bad(fmt.VARIABLE, f"'{f.name}' is already defined in row {seen[f.name]}")
    else:
        seen[f.name] = f.row
    if not fmt.FORM_NAME.match(f[fmt.FORM]):
        bad(fmt.FORM, f"'{f[fmt.FORM]}' is not a form name")
    if f.type not in fmt.FIELD_TYPES:
        bad(fmt.FIELD_TYPE, f"unknown field type '{f.type}' (one of "
                            f"{', '.join(sorted(fmt.FIELD_TYPES))})")
    if f.type in fmt.CHOICE_TYPES:
        try:
            f.choices = parse_choices(f[fmt.CHOICES])
        except ValueError as exc:
            bad(fmt.CHOICES, str(exc))
    elif f.type == "calc" and not f[fmt.CHOICES]:
        bad(fmt.CHOICES, "a calc field needs its calculation")
    if f.validation and f.validation not in fmt.VALIDATION_TYPES:
        bad(fmt.VALIDATION, f"unknown validation type '{f.validation}'")
    elif f.validation and f.type not in ("text", "slider"):
        bad(fmt.VALIDATION, f"a {f.type} field takes no text validation")
    for column in (fmt.IDENTIFIER, fmt.REQUIRED, fmt.MATRIX_RANKING):
        if f[column].lower() not in ("", fmt.YES):
            bad(column, f"'{f[column]}' is neither y nor empty")
    if f[fmt.ALIGNMENT] not in fmt.ALIGNMENTS:
        bad(fmt.ALIGNMENT, f"'{f[fmt.ALIGNMENT]}' is not RV, RH, LV or LH")
    out += _range_problems(f)
    f.annotation = parse_annotation(f[fmt.ANNOTATION])
    return out


def parse_choices(text: str) -> tuple[Choice, ...]:
    """``1, Yes | 2, No`` → choices; ValueError says what is wrong with which part."""
    if not text:
        raise ValueError("a choice field needs choices (code, label | code, label)")
    choices: list[Choice] = []
    for part in text.split("|"):
        code, comma, label = part.strip().partition(",")
        code, label = code.strip(), label.strip()
        if not comma or not code or not label:
            raise ValueError(f"'{part.strip()}' is not 'code, label'")
        if not fmt.CHOICE_CODE.match(code):
            raise ValueError(f"'{code}' is not a choice code (letters, digits, _ or a number)")
        if code in {c.code for c in choices}:
            raise ValueError(f"choice code '{code}' is given twice")
        choices.append(Choice(code, label))
    return tuple(choices)


def parse_annotation(text: str) -> dict[str, str]:
    """The ``key=value`` words after ``trialkit:`` in a field annotation (action tags and
    other text are REDCap's business and are left alone)."""
    _, marker, rest = text.partition("trialkit:")
    if not marker:
        return {}
    found: dict[str, str] = {}
    for word in rest.split():
        key, equals, value = word.partition("=")
        if equals:
            found[key] = value
    return found


def number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _range_problems(f: Field) -> list[Problem]:
    low, high = f[fmt.MIN], f[fmt.MAX]
    if not (low or high):
        return []
    numeric = f.validation in fmt.INTEGER_TYPES | fmt.NUMBER_TYPES or f.type == "slider"
    if not numeric:
        dated = f.validation in fmt.DATE_TYPES | fmt.DATETIME_TYPES
        if dated and low and high and f.validation.endswith("ymd") and low > high \
                and "today" not in (low, high) and "now" not in (low, high):
            return [Problem(f.row, fmt.MIN, f"minimum {low} is after the maximum {high}")]
        return []
    problems = [Problem(f.row, column, f"'{value}' is not a number")
                for column, value in ((fmt.MIN, low), (fmt.MAX, high))
                if value and number(value) is None]
    lo, hi = number(low), number(high)
    if not problems and lo is not None and hi is not None and lo > hi:
        problems.append(Problem(f.row, fmt.MIN, f"minimum {low} is greater than the maximum "
                                                f"{high}"))
    return problems


def _reference_problems(fields: list[Field]) -> list[Problem]:
    """Branching logic and calculations may name only fields of the dictionary."""
    names = {f.name for f in fields}
    problems = []
    for f in fields:
        for column in (fmt.BRANCHING, fmt.CHOICES if f.type == "calc" else None):
            if column is None:
                continue
            for match in fmt.BRANCH_VARIABLE.finditer(f[column]):
                if match.group(1) not in names:
                    problems.append(Problem(f.row, column, f"names [{match.group(1)}], which "
                                                           "is no field of the dictionary"))
    return problems
