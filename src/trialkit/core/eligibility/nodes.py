"""The eligibility query model: immutable, typed nodes that every engine evaluates the same way.

A criterion is a tree of nodes. Conditions (``Cond``) evaluate to one of three statuses:
``met``, ``not_met`` or ``unknown`` (Kleene logic: ``unknown`` means the data cannot decide).
Values (``Value``) are numbers, quantities, text, codes or dates; a missing value makes every
comparison with it ``unknown``. Row conditions (``RowCond``) filter rows of one logical table.

Shared semantics (the contract between the in-memory and the batch engines):

* **Anchors.** ``index`` is the planned Day-0 date, ``consent`` the consent date (the index
  date when absent). Calendar months move like ``dateutil.relativedelta``: the day is clipped
  to the month's length, so Mar 31 − 1 month = Feb 28 (Feb 29 in a leap year).
* **Windows.** ``Window(months=N, days=D)`` is the interval (anchor − N months − D days, anchor]:
  exclusive start, inclusive end. No window (``None``) means all history up to the anchor.
  Rows dated after the anchor never count. A diagnosis counts when [date, end_date] overlaps
  the window (end_date null = still present); a medication when [start_date, end_date]
  overlaps it (end_date null = ongoing up to the anchor); other tables by their date.
* **Observation period.** Absence counts only inside it. A node that concludes from absence
  (``Exists``, ``Count``'s upper bound, ``ExposureEvent``) is ``unknown`` instead of
  ``not_met`` when its window (capped at the birth date) is not inside the observation period.
* **Latest / earliest.** The rows on the latest (earliest) date of the selection. When several
  rows share that date, a comparison on them is ``met`` only if it holds for every one of them,
  ``not_met`` only if it fails for every one of them, else ``unknown``. No row: ``unknown``.
* **Counts** are intervals: rows whose ``where`` is ``unknown`` may or may not count, and an
  uncovered window leaves the upper bound open. A comparison is decided only if it holds (or
  fails) for every count in the interval.
* **Codes.** ICD-10 value-set codes match by prefix (``ICD10:C`` matches ``ICD10:C50.9``);
  SNOMED and LOINC codes exactly; an ingredient value set matches the lower-case ingredient
  name, or ``RXNORM:<id>`` / ``ATC:<code>`` entries against those columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

Status: TypeAlias = Literal["met", "not_met", "unknown"]
MET: Final[Literal["met"]] = "met"
NOT_MET: Final[Literal["not_met"]] = "not_met"
UNKNOWN: Final[Literal["unknown"]] = "unknown"

Anchor: TypeAlias = Literal["index", "consent"]
Op: TypeAlias = Literal["<", "<=", "==", "!=", ">=", ">"]
OPS_TYPED: Final[tuple[Op, ...]] = ("<", "<=", "==", "!=", ">=", ">")
OPS: Final[tuple[str, ...]] = OPS_TYPED
Table: TypeAlias = Literal["diagnoses", "relapses", "mri_scans", "edss", "labs", "medications"]
ValueType: TypeAlias = Literal["number", "quantity", "text", "code", "date", "count"]
CodeKind: TypeAlias = Literal["diagnosis", "ingredient", "lab"]

# Columns of the logical tables (see PATIENT-RECORD.md) and the type each has in expressions.
# "quantity" is a number that carries its row's unit and test, so it converts between units.
TABLE_FIELDS: Final[dict[str, dict[str, ValueType]]] = {
    "diagnoses": {"code": "code", "date": "date", "end_date": "date"},
    "relapses": {"onset_date": "date"},
    "mri_scans": {"date": "date", "gd_enhancing_lesions": "number", "new_t2_lesions": "number"},
    "edss": {"date": "date", "score": "number"},
    "labs": {"date": "date", "test": "code", "value": "quantity", "value_text": "text",
             "unit": "text", "uln": "number", "lln": "number"},
    "medications": {"ingredient": "code", "start_date": "date", "end_date": "date",
                    "rxnorm": "text", "atc": "text", "route": "text"},
}
DATE_FIELD: Final[dict[str, str]] = {
    "diagnoses": "date", "relapses": "onset_date", "mri_scans": "date", "edss": "date",
    "labs": "date", "medications": "start_date",
}
CODE_FIELD: Final[dict[str, str]] = {"diagnoses": "code", "medications": "ingredient",
                                     "labs": "test"}
CODE_KIND: Final[dict[str, CodeKind]] = {"diagnoses": "diagnosis", "medications": "ingredient",
                                         "labs": "lab"}
# The field ``latest(edss)`` etc. means when no field is named.
DEFAULT_FIELD: Final[dict[str, str]] = {"edss": "score", "labs": "value", "diagnoses": "code",
                                        "medications": "ingredient", "relapses": "onset_date",
                                        "mri_scans": "date"}


class NodeError(ValueError):
    """A node built with arguments that make no sense (checked at construction)."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise NodeError(message)


# --- Building blocks ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CodeSet:
    """A protocol value set, copied into the tree so every engine sees the same codes."""

    id: str
    kind: CodeKind
    codes: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        _require(bool(self.id), "a value set needs an id")
        _require(bool(self.codes), f"value set '{self.id}' has no codes")


@dataclass(frozen=True, slots=True)
class Window:
    """The interval (anchor − months − days, anchor]; ``name`` labels it in explanations."""

    months: int = 0
    days: int = 0
    anchor: Anchor = "index"
    name: str = ""

    def __post_init__(self) -> None:
        _require(self.months >= 0 and self.days >= 0, "a window reaches back, not forward: "
                 f"months={self.months}, days={self.days}")
        _require(self.months > 0 or self.days > 0, "a window must be at least one day long")
        _require(self.anchor in ("index", "consent"), f"unknown anchor '{self.anchor}'")


@dataclass(frozen=True, slots=True)
class UlnFallback:
    """The protocol's ULN for a test, used when a result carries no reference range."""

    test: str
    value: float
    unit: str

    def __post_init__(self) -> None:
        _require(self.value > 0, f"fallback ULN for {self.test} must be positive")


# --- Row conditions (inside ``where``) ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InCodes:
    """The row's code (diagnosis code, ingredient or lab test) is in the value set."""

    codes: CodeSet


@dataclass(frozen=True, slots=True)
class FieldCompare:
    """``field op value`` on one row; a null field makes it unknown."""

    field: str
    op: Op
    value: float | str

    def __post_init__(self) -> None:
        _require(self.op in OPS, f"unknown operator '{self.op}'")


@dataclass(frozen=True, slots=True)
class RowAnd:
    """Every part holds for the row (Kleene and)."""

    parts: tuple[RowCond, ...]

    def __post_init__(self) -> None:
        _require(len(self.parts) >= 2, "'and' needs at least two parts")


@dataclass(frozen=True, slots=True)
class RowOr:
    """Some part holds for the row (Kleene or)."""

    parts: tuple[RowCond, ...]

    def __post_init__(self) -> None:
        _require(len(self.parts) >= 2, "'or' needs at least two parts")


@dataclass(frozen=True, slots=True)
class RowNot:
    """The part does not hold for the row (Kleene not)."""

    part: RowCond


RowCond: TypeAlias = InCodes | FieldCompare | RowAnd | RowOr | RowNot


def row_fields(cond: RowCond) -> set[str]:
    """Fields a row condition reads (``InCodes`` reads the table's code column)."""
    if isinstance(cond, FieldCompare):
        return {cond.field}
    if isinstance(cond, InCodes):
        return set()
    if isinstance(cond, RowNot):
        return row_fields(cond.part)
    return set().union(*(row_fields(p) for p in cond.parts))


def is_definite(cond: RowCond) -> bool:
    """True when the condition can never be unknown (it reads only non-null code columns)."""
    if isinstance(cond, InCodes):
        return True
    if isinstance(cond, FieldCompare):
        return False
    if isinstance(cond, RowNot):
        return is_definite(cond.part)
    return all(is_definite(p) for p in cond.parts)


@dataclass(frozen=True, slots=True)
class Events:
    """The rows of one table inside a window that satisfy ``where``."""

    table: Table
    window: Window | None = None
    where: RowCond | None = None

    def __post_init__(self) -> None:
        _require(self.table in TABLE_FIELDS, f"unknown table '{self.table}'")
        if self.where is not None:
            fields = TABLE_FIELDS[self.table]
            for name in sorted(row_fields(self.where)):
                _require(name in fields, f"{self.table} has no field '{name}' "
                         f"(fields: {', '.join(fields)})")
            _check_codes(self.where, self.table)
            _check_field_values(self.where, fields)


def _check_codes(cond: RowCond, table: str) -> None:
    if isinstance(cond, InCodes):
        _require(table in CODE_KIND, f"{table} rows carry no code to match a value set against")
        _require(cond.codes.kind == CODE_KIND[table], f"value set '{cond.codes.id}' holds "
                 f"{cond.codes.kind} codes; {table} needs {CODE_KIND[table]} codes")
    elif isinstance(cond, RowNot):
        _check_codes(cond.part, table)
    elif isinstance(cond, (RowAnd, RowOr)):
        for part in cond.parts:
            _check_codes(part, table)


def _check_field_values(cond: RowCond, fields: dict[str, ValueType]) -> None:
    if isinstance(cond, FieldCompare):
        kind = fields[cond.field]
        _require(kind in ("number", "text", "code"), f"'{cond.field}' cannot be filtered in "
                 "'where' (compare lab values and dates outside it)")
        _require((kind == "number") == (not isinstance(cond.value, str)),
                 f"'{cond.field}' is {'a number' if kind == 'number' else 'text'}; "
                 f"got {cond.value!r}")
        _require(kind == "number" or cond.op in ("==", "!="),
                 f"text compares only with == or !=, not {cond.op}")
    elif isinstance(cond, RowNot):
        _check_field_values(cond.part, fields)
    elif isinstance(cond, (RowAnd, RowOr)):
        for part in cond.parts:
            _check_field_values(part, fields)


@dataclass(frozen=True, slots=True)
class EdssWorseningEvent:
    """Event source for ``ExposureEvent``: an EDSS row whose score exceeds the earliest EDSS
    in the ``lookback_months`` before it (inclusive of that row's date) by ≥ 1.0 when that
    baseline is ≤ 5.0, or by ≥ 0.5 when it is ≥ 5.5. The event is dated on the later row."""

    lookback_months: int = 24

    def __post_init__(self) -> None:
        _require(self.lookback_months > 0, "lookback must be positive")


EventSource: TypeAlias = Events | EdssWorseningEvent


# --- Values --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Number:
    """A plain number literal."""

    value: float


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit (``250 mg/dL``); compared after converting the other side."""

    value: float
    unit: str

    def __post_init__(self) -> None:
        _require(bool(self.unit), "a quantity needs a unit")


@dataclass(frozen=True, slots=True)
class Text:
    """A text literal (``"female"``, ``"positive"``)."""

    value: str


@dataclass(frozen=True, slots=True)
class AnchorDate:
    """The anchor date shifted by calendar months and days (negative = earlier)."""

    anchor: Anchor = "index"
    months: int = 0
    days: int = 0


@dataclass(frozen=True, slots=True)
class Age:
    """Age in completed years on the anchor date (the consent date by default)."""

    anchor: Anchor = "consent"


@dataclass(frozen=True, slots=True)
class Sex:
    """The patient's sex: ``"female"`` or ``"male"``; unknown when not recorded."""


@dataclass(frozen=True, slots=True)
class Count:
    """How many rows are selected: an interval [definite, possible] (see module docstring)."""

    events: Events


@dataclass(frozen=True, slots=True)
class Latest:
    """``field`` on the latest-dated selected rows; ``where`` must never be unknown."""

    events: Events
    field: str

    def __post_init__(self) -> None:
        _check_pick(self.events, self.field)


@dataclass(frozen=True, slots=True)
class Earliest:
    """``field`` on the earliest-dated selected rows; ``where`` must never be unknown."""

    events: Events
    field: str

    def __post_init__(self) -> None:
        _check_pick(self.events, self.field)


def _check_pick(events: Events, field: str) -> None:
    fields = TABLE_FIELDS[events.table]
    _require(field in fields, f"{events.table} has no field '{field}' "
             f"(fields: {', '.join(fields)})")
    _require(events.where is None or is_definite(events.where),
             "latest/earliest select rows by codes only; filter values with a comparison")


Value: TypeAlias = Number | Quantity | Text | AnchorDate | Age | Sex | Count | Latest | Earliest


def value_type(value: Value) -> ValueType:
    """The type a value has in comparisons."""
    if isinstance(value, (Number, Age)):
        return "number"
    if isinstance(value, Quantity):
        return "quantity"
    if isinstance(value, (Text, Sex)):
        return "text"
    if isinstance(value, AnchorDate):
        return "date"
    if isinstance(value, Count):
        return "count"
    return TABLE_FIELDS[value.events.table][value.field]


_COMPARABLE: Final[set[tuple[str, str]]] = {
    ("number", "number"), ("quantity", "quantity"), ("text", "text"), ("code", "text"),
    ("date", "date"), ("count", "number"),
}


# --- Conditions ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right``. Quantities convert the left side to the right side's unit; a count
    compares with a number literal; text and codes support only ``==`` and ``!=``."""

    left: Value
    op: Op
    right: Value

    def __post_init__(self) -> None:
        _require(self.op in OPS, f"unknown operator '{self.op}'")
        pair = (value_type(self.left), value_type(self.right))
        _require(pair in _COMPARABLE, f"cannot compare {pair[0]} with {pair[1]}"
                 + (" (give the number a unit, e.g. 250 mg/dL)" if pair[0] == "quantity" else ""))
        if pair[0] in ("text", "code"):
            _require(self.op in ("==", "!="), f"text compares only with == or !=, not {self.op}")
        if pair[0] == "count":
            _require(isinstance(self.right, Number), "a count compares with a number literal")
        if pair[0] == "quantity":
            _require(isinstance(self.right, Quantity), "a lab value compares with a quantity")


@dataclass(frozen=True, slots=True)
class UlnCompare:
    """A lab result relative to its ULN: ``value op factor × ULN``. The ULN is the result's own
    ``uln``, else the protocol fallback for its test (converted to the result's unit), else the
    comparison is unknown."""

    value: Latest | Earliest
    op: Op
    factor: float
    fallbacks: tuple[UlnFallback, ...] = ()

    def __post_init__(self) -> None:
        _require(self.op in OPS, f"unknown operator '{self.op}'")
        _require(self.value.events.table == "labs" and self.value.field == "value",
                 "× ULN applies to a lab value")
        _require(self.factor > 0, "the ULN factor must be positive")


@dataclass(frozen=True, slots=True)
class InSet:
    """The code on the latest/earliest row is in the value set (e.g. the MS course)."""

    value: Latest | Earliest
    codes: CodeSet

    def __post_init__(self) -> None:
        table = self.value.events.table
        _require(self.value.field == CODE_FIELD.get(table), "only a code field is matched "
                 "against a value set")
        _require(self.codes.kind == CODE_KIND[table], f"value set '{self.codes.id}' holds "
                 f"{self.codes.kind} codes; {table} needs {CODE_KIND[table]} codes")


@dataclass(frozen=True, slots=True)
class Exists:
    """At least one selected row (absence decides only inside the observation period)."""

    events: Events


@dataclass(frozen=True, slots=True)
class Attested:
    """An attestation: true = met, false = not_met, absent = unknown."""

    key: str

    def __post_init__(self) -> None:
        _require(self.key.isidentifier(), f"'{self.key}' is not an attestation key")


@dataclass(frozen=True, slots=True)
class EdssWorsening:
    """Latest EDSS in the window minus the earliest EDSS in the window is ≥ 1.0 when that
    earliest score is ≤ 5.0, ≥ 0.5 when it is ≥ 5.5. Fewer than two dated scores: unknown."""

    window: Window


@dataclass(frozen=True, slots=True)
class ExposureEvent:
    """Treatment failure: some exposure (a row of ``exposures``, a medications selection) that
    lasted more than ``min_months`` (end_date, or the anchor while ongoing, is later than
    start + min_months) has an event from ``events`` dated in
    [start + min_months, end + grace_months] (while ongoing: up to the anchor), never after
    the anchor. ``not_met`` needs the observation period to cover birth to the anchor."""

    exposures: Events
    events: tuple[EventSource, ...]
    min_months: int = 6
    grace_months: int = 3

    def __post_init__(self) -> None:
        _require(self.exposures.table == "medications", "exposures are medication rows")
        _require(bool(self.events), "name at least one kind of event")
        _require(self.min_months >= 0 and self.grace_months >= 0, "months must be ≥ 0")
        for source in self.events:
            if isinstance(source, Events):
                _require(source.table in ("relapses", "mri_scans", "edss", "diagnoses"),
                         f"{source.table} rows are not activity events")
                _require(source.window is None, "events during an exposure take no window")


@dataclass(frozen=True, slots=True)
class And:
    """Every part is met (Kleene: any not_met → not_met; else any unknown → unknown)."""

    parts: tuple[Cond, ...]

    def __post_init__(self) -> None:
        _require(len(self.parts) >= 2, "'and' needs at least two parts")


@dataclass(frozen=True, slots=True)
class Or:
    """Some part is met (Kleene: any met → met; else any unknown → unknown)."""

    parts: tuple[Cond, ...]

    def __post_init__(self) -> None:
        _require(len(self.parts) >= 2, "'or' needs at least two parts")


@dataclass(frozen=True, slots=True)
class Not:
    """The part is not met (met ↔ not_met; unknown stays unknown)."""

    part: Cond


Cond: TypeAlias = (Compare | UlnCompare | InSet | Exists | Attested | EdssWorsening
                   | ExposureEvent | And | Or | Not)
CONDITIONS: Final[tuple[type, ...]] = (Compare, UlnCompare, InSet, Exists, Attested,
                                        EdssWorsening, ExposureEvent, And, Or, Not)
VALUES: Final[tuple[type, ...]] = (Number, Quantity, Text, AnchorDate, Age, Sex, Count, Latest,
                                   Earliest)
Node: TypeAlias = Cond | Value | Events | RowCond | EventSource | Window | CodeSet


def kleene_and(statuses: list[Status]) -> Status:
    if NOT_MET in statuses:
        return NOT_MET
    return UNKNOWN if UNKNOWN in statuses else MET


def kleene_or(statuses: list[Status]) -> Status:
    if MET in statuses:
        return MET
    return UNKNOWN if UNKNOWN in statuses else NOT_MET


def kleene_not(status: Status) -> Status:
    if status == MET:
        return NOT_MET
    return MET if status == NOT_MET else UNKNOWN
