"""The eligibility query model: immutable, typed nodes that every engine evaluates the same way.

A criterion is a tree of nodes. Conditions (``Cond``) evaluate to one of three statuses:
``met``, ``not_met`` or ``unknown`` (Kleene logic: ``unknown`` means the data cannot decide).
Values (``Value``) are numbers, quantities, text, codes or dates; a missing value makes every
comparison with it ``unknown``. Row conditions (``RowCond``) filter rows of one logical table.

Shared semantics (the contract between the in-memory and the batch engines):

* **Anchors.** ``index`` is the planned Day-0 date, ``consent`` the consent date (the index
  date when absent). Calendar months move like ``dateutil.relativedelta``: the day is clipped
  to the month's length, so Mar 31 − 1 month = Feb 28 (Feb 29 in a leap year).
* **Tables.** Every node that reads rows carries its table's schema (``TableRef``, copied from
  the protocol's record schema), so engines know no table by name.
* **Windows.** ``Window(months=N, days=D)`` is the interval (anchor − N months − D days, anchor]:
  exclusive start, inclusive end. No window (``None``) means all history up to the anchor.
  Rows dated after the anchor never count. A row of a spanning table (``TableRef.end``:
  diagnoses, medications) counts when [date, end] overlaps the window (end null = still
  present or ongoing up to the anchor); other rows count by their date.
* **Observation period.** Absence counts only inside it. A node that concludes from absence
  (``Exists``, ``Count``'s upper bound, ``ExposureEvent``) is ``unknown`` instead of
  ``not_met`` when its window (capped at the birth date) is not inside the observation period.
* **Latest / earliest.** The rows on the latest (earliest) date of the selection. When several
  rows share that date, a comparison on them is ``met`` only if it holds for every one of them,
  ``not_met`` only if it fails for every one of them, else ``unknown``. No row: ``unknown``.
* **Counts** are intervals: rows whose ``where`` is ``unknown`` may or may not count, and an
  uncovered window leaves the upper bound open. A comparison is decided only if it holds (or
  fails) for every count in the interval.
* **Codes.** A value set matches its table's code column (``CodeColumn``): codes of the
  systems in ``prefix_match`` by prefix (``ICD10:C`` matches ``ICD10:C50.9``), others exactly,
  in lower case where ``lower_case``; codes with an alternate prefix (``RXNORM:``, ``ATC:``)
  match that alternate column instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from dataclasses import field as dataclass_field
from typing import Final, Literal, TypeAlias

Status: TypeAlias = Literal["met", "not_met", "unknown"]
MET: Final[Literal["met"]] = "met"
NOT_MET: Final[Literal["not_met"]] = "not_met"
UNKNOWN: Final[Literal["unknown"]] = "unknown"

Anchor: TypeAlias = Literal["index", "consent"]
Op: TypeAlias = Literal["<", "<=", "==", "!=", ">=", ">"]
OPS_TYPED: Final[tuple[Op, ...]] = ("<", "<=", "==", "!=", ">=", ">")
OPS: Final[tuple[str, ...]] = OPS_TYPED
ValueType: TypeAlias = Literal["number", "quantity", "text", "code", "date", "count"]
"""How a value behaves in comparisons. "quantity" is a number that carries its row's unit and
test, so it converts between units; "count" is the result of ``count(...)``."""


class NodeError(ValueError):
    """A node built with arguments that make no sense (checked at construction)."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise NodeError(message)


# --- Building blocks ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AlternateCode:
    """Value-set codes starting with ``prefix`` match ``column`` (exactly or by prefix)."""

    prefix: str
    column: str
    match: Literal["exact", "prefix"] = "exact"


@dataclass(frozen=True, slots=True)
class CodeColumn:
    """The column value sets of ``kind`` are matched against, and how (see CodeSet)."""

    column: str
    kind: str
    prefix_match: tuple[str, ...] = ()
    lower_case: bool = False
    alternates: tuple[AlternateCode, ...] = ()


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table of the patient record as the nodes need it: copied from the record schema into
    the tree, so every engine reads the same columns, dates and code rules without a lookup.

    A row is dated by ``date``; with ``end`` it spans ``[date, end]`` (end null = ongoing) and
    counts in any window it overlaps. ``default`` is what ``latest(table)`` reads.
    """

    name: str
    noun: str
    columns: tuple[tuple[str, ValueType], ...]
    date: str
    default: str
    end: str | None = None
    code: CodeColumn | None = None

    def __post_init__(self) -> None:
        names = [name for name, _ in self.columns]
        _require(self.date in names and self.default in names,
                 f"table {self.name}: date and default must be columns")
        _require(self.end is None or self.end in names, f"table {self.name}: unknown end column")
        _require(self.code is None or self.code.column in names,
                 f"table {self.name}: unknown code column")

    @property
    def fields(self) -> dict[str, ValueType]:
        return dict(self.columns)

    def type_of(self, field: str) -> ValueType:
        return self.fields[field]

    @property
    def spans(self) -> bool:
        return self.end is not None


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A protocol value set, copied into the tree so every engine sees the same codes."""

    id: str
    kind: str
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
ROW_CONDITIONS: Final[tuple[type, ...]] = (InCodes, FieldCompare, RowAnd, RowOr, RowNot)


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

    table: TableRef
    window: Window | None = None
    where: RowCond | None = None

    def __post_init__(self) -> None:
        if self.where is not None:
            fields = self.table.fields
            for name in sorted(row_fields(self.where)):
                _require(name in fields, f"{self.table.name} has no field '{name}' "
                         f"(fields: {', '.join(fields)})")
            _check_codes(self.where, self.table)
            _check_field_values(self.where, fields)


def _check_codes(cond: RowCond, table: TableRef) -> None:
    if isinstance(cond, InCodes):
        _require(table.code is not None,
                 f"{table.name} rows carry no code to match a value set against")
        assert table.code is not None
        _require(cond.codes.kind == table.code.kind, f"value set '{cond.codes.id}' holds "
                 f"{cond.codes.kind} codes; {table.name} needs {table.code.kind} codes")
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
class Step:
    """A threshold of a change: ``by`` when the baseline is at most ``at_most`` (None: any
    baseline). Steps are tried in order; the first that applies sets the threshold."""

    by: float
    at_most: float | None = None

    def __post_init__(self) -> None:
        _require(self.by > 0, "a change threshold is positive")


def _check_steps(steps: tuple[Step, ...]) -> None:
    _require(bool(steps), "give at least one threshold ('by N')")
    _require(steps[-1].at_most is None, "the last threshold must apply to any baseline "
             "('by N otherwise')")
    for step in steps[:-1]:
        _require(step.at_most is not None, "only the last threshold applies to any baseline")


def threshold(steps: tuple[Step, ...], baseline: float) -> float:
    """The change needed from ``baseline``: the first step whose bound admits it."""
    for step in steps:
        if step.at_most is None or baseline <= step.at_most:
            return step.by
    raise AssertionError("the last step applies to any baseline")


def _check_number_field(table: TableRef, field: str) -> None:
    _require(field in table.fields, f"{table.name} has no field '{field}' "
             f"(fields: {', '.join(table.fields)})")
    _require(table.type_of(field) == "number", f"{table.name}.{field} is not a number")


@dataclass(frozen=True, slots=True)
class IncreaseEvents:
    """Event source for ``ExposureEvent``: a row whose ``field`` exceeds the earliest value in
    the ``lookback_months`` before it (that row's own date included) by at least the step's
    threshold for that earliest value. The event is dated on the later row; a row that is
    itself the earliest in its look-back is no event."""

    table: TableRef
    field: str
    steps: tuple[Step, ...]
    lookback_months: int

    def __post_init__(self) -> None:
        _check_number_field(self.table, self.field)
        _check_steps(self.steps)
        _require(self.lookback_months > 0, "the look-back must be positive")


EventSource: TypeAlias = Events | IncreaseEvents
EVENT_SOURCES: Final[tuple[type, ...]] = (Events, IncreaseEvents)


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
    fields = events.table.fields
    _require(field in fields, f"{events.table.name} has no field '{field}' "
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
    return value.events.table.type_of(value.field)


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
        _require(self.value.events.table.type_of(self.value.field) == "quantity",
                 "× ULN applies to a lab value (a quantity with its own reference range)")
        _require(self.factor > 0, "the ULN factor must be positive")


@dataclass(frozen=True, slots=True)
class InSet:
    """The code on the latest/earliest row is in the value set (e.g. the MS course)."""

    value: Latest | Earliest
    codes: CodeSet

    def __post_init__(self) -> None:
        table = self.value.events.table
        _require(table.code is not None and self.value.field == table.code.column,
                 "only a code field is matched against a value set")
        assert table.code is not None
        _require(self.codes.kind == table.code.kind, f"value set '{self.codes.id}' holds "
                 f"{self.codes.kind} codes; {table.name} needs {table.code.kind} codes")


@dataclass(frozen=True, slots=True)
class Exists:
    """At least one selected row (absence decides only inside the observation period)."""

    events: Events


@dataclass(frozen=True, slots=True)
class Attested:
    """An attestation: true = met, false = not_met, absent = unknown."""

    key: str
    label: str = dataclass_field(default="", compare=False)
    """How explanations name it: the label of the protocol item that records it."""

    def __post_init__(self) -> None:
        _require(self.key.isidentifier(), f"'{self.key}' is not an attestation key")


@dataclass(frozen=True, slots=True)
class Increase:
    """The latest value of ``field`` among the selected rows minus the earliest value is at
    least the threshold the steps give for that earliest value (the baseline). Fewer than two
    dates: unknown. Rows tied on the latest or earliest date decide only if every pair agrees.
    (A disease library names it, e.g. a disability score that worsened by 1.0 from a low
    baseline, else by 0.5.)"""

    events: Events
    field: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        _check_number_field(self.events.table, self.field)
        _check_steps(self.steps)
        _require(self.events.where is None or is_definite(self.events.where),
                 "an increase selects rows by codes only")


@dataclass(frozen=True, slots=True)
class ExposureEvent:
    """Events during an exposure (treatment failure): some exposure (a row of ``exposures``,
    a table whose rows span an interval, e.g. medications) that lasted more than
    ``min_months`` (its end, or the anchor while ongoing, is later than start + min_months)
    has an event from ``events`` dated in [start + min_months, end + grace_months] (while
    ongoing: up to the anchor), never after the anchor. ``not_met`` needs the observation
    period to cover birth to the anchor."""

    exposures: Events
    events: tuple[EventSource, ...]
    min_months: int = 6
    grace_months: int = 3

    def __post_init__(self) -> None:
        _require(self.exposures.table.spans, f"exposures are rows with a start and an end; "
                 f"{self.exposures.table.name} rows are dated once")
        _require(bool(self.events), "name at least one kind of event")
        _require(self.min_months >= 0 and self.grace_months >= 0, "months must be ≥ 0")
        for source in self.events:
            if isinstance(source, Events):
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


Cond: TypeAlias = (Compare | UlnCompare | InSet | Exists | Attested | Increase
                   | ExposureEvent | And | Or | Not)
CONDITIONS: Final[tuple[type, ...]] = (Compare, UlnCompare, InSet, Exists, Attested,
                                        Increase, ExposureEvent, And, Or, Not)
VALUES: Final[tuple[type, ...]] = (Number, Quantity, Text, AnchorDate, Age, Sex, Count, Latest,
                                   Earliest)
Node: TypeAlias = (Cond | Value | Events | RowCond | EventSource | Window | CodeSet | TableRef
                   | Step)


def walk(node: object) -> Iterator[object]:
    """Every node of a tree (the node itself first), through tuples of nodes."""
    if node is None:
        return
    if isinstance(node, tuple):
        for item in node:
            yield from walk(item)
        return
    yield node
    if is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, tuple) or is_dataclass(value):
                yield from walk(value)


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
