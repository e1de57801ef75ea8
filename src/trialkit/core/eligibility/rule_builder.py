"""Builds nodes from parsed rules and type-checks them, reporting errors with line and column."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from lark import Token

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.wording import gettext_noop

Pos = tuple[int, int]
_DURATIONS: Final[dict[str, tuple[int, int]]] = {
    "day": (0, 1), "days": (0, 1), "week": (0, 7), "weeks": (0, 7),
    "month": (1, 0), "months": (1, 0), "year": (12, 0), "years": (12, 0),
}
_UNICODE_OPS: Final[dict[str, n.Op]] = {"≤": "<=", "≥": ">=", "≠": "!="}
_FLIP: Final[dict[str, n.Op]] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==",
                                 "!=": "!="}


class RuleError(ValueError):
    """A rule that does not parse or type-check; line and column are 1-based, in the rule."""

    def __init__(self, message: str, line: int, column: int) -> None:
        self.message, self.line, self.column = message, line, column
        super().__init__(f"line {line}, column {column}: {message}")


@dataclass(frozen=True, slots=True)
class Located:
    """A built piece with the position of its first character."""

    item: Any
    pos: Pos


@dataclass(frozen=True, slots=True)
class _Bare:
    """A bare name in a selection's place that is not a table: maybe a function's name."""

    name: str
    token: Token


@dataclass(frozen=True, slots=True)
class Elapsed:
    """``time_since(date)``: only meaningful compared with a duration."""

    date: n.Value


def _at(pos: Pos, message: str) -> RuleError:
    return RuleError(message, *pos)


def _op(token: Token) -> n.Op:
    text = str(token)
    if text in _UNICODE_OPS:
        return _UNICODE_OPS[text]
    for op in n.OPS_TYPED:
        if op == text:
            return op
    raise RuleError(f"unknown comparison '{text}'", token.line or 1, token.column or 1)


@dataclass(frozen=True, slots=True)
class Function:
    """A library function: its declaration and its parsed body (a Lark tree)."""

    name: str
    parameters: tuple[tuple[str, str], ...]
    """(name, type) pairs: type ``window`` or ``selection``."""
    returns: str
    body: Any


class Builder:
    """One method per grammar rule; each returns a ``Located`` node or part.

    ``tables`` are the record schema's tables; ``functions`` the library functions a rule may
    call, expanded where they are called with ``bindings`` holding their arguments.
    """

    def __init__(self, value_sets: Mapping[str, n.CodeSet], fallbacks: tuple[n.UlnFallback, ...],
                 screening_days: int, tables: Mapping[str, n.TableRef],
                 functions: Mapping[str, Function] | None = None,
                 bindings: Mapping[str, Located] | None = None, depth: int = 0,
                 patterns: Mapping[str, re.Pattern[str]] | None = None,
                 catalogue: LabCatalogue | None = None,
                 attestations: Mapping[str, str] | None = None) -> None:
        self.value_sets, self.fallbacks, self.screening_days = value_sets, fallbacks, screening_days
        self.tables = tables
        self.functions = functions or {}
        self.bindings = bindings or {}
        self.depth = depth
        self.attestations = attestations or {}
        """Attestation key → the label of the item that records it (for explanations)."""
        self.patterns = patterns or {}
        """Code kind → the pattern its codes must match (from the record schema)."""
        self.catalogue = catalogue or units.default_catalogue()
        """Units and test names of the lab catalogue (protocol tests included)."""

    # --- checking helpers ----------------------------------------------------------------------
    def condition(self, piece: Located, pos: Pos | None = None) -> n.Cond:
        if not isinstance(piece.item, n.CONDITIONS):
            raise _at(piece.pos, "this is a value, not a condition: compare it "
                      "(e.g. age >= 20) or use exists(...)")
        return cast(n.Cond, piece.item)

    def value(self, piece: Located) -> n.Value:
        if isinstance(piece.item, Elapsed):
            raise _at(piece.pos, "time_since(...) must be compared with a duration, "
                      "e.g. time_since(...) >= 2 years")
        if isinstance(piece.item, tuple):
            raise _at(piece.pos, "a duration compares only with time_since(...)")
        if not isinstance(piece.item, n.VALUES):
            raise _at(piece.pos, "a condition cannot be compared; expected a value")
        return cast(n.Value, piece.item)

    def make(self, pos: Pos, factory: Any, *args: Any) -> Located:
        try:
            return Located(factory(*args), pos)
        except n.NodeError as exc:
            raise _at(pos, str(exc)) from None

    def code_set(self, token: Token) -> n.CodeSet:
        name = str(token)
        if name not in self.value_sets:
            known = ", ".join(sorted(self.value_sets)) or "none defined"
            raise RuleError(f"unknown value set '{name}' (known: {known})",
                            token.line or 1, token.column or 1)
        return self.value_sets[name]

    # --- logic ---------------------------------------------------------------------------------
    def or_(self, pos: Pos, *parts: Located) -> Located:
        return self.make(pos, n.Or, tuple(self.condition(p) for p in parts))

    def and_(self, pos: Pos, *parts: Located) -> Located:
        return self.make(pos, n.And, tuple(self.condition(p) for p in parts))

    def not_(self, pos: Pos, part: Located) -> Located:
        return self.make(pos, n.Not, self.condition(part))

    # --- conditions ----------------------------------------------------------------------------
    def compare(self, pos: Pos, left: Located, op: Token, right: Located) -> Located:
        if isinstance(left.item, Elapsed):
            return self._elapsed(pos, left.item, _op(op), right)
        lhs, rhs = self.value(left), self.value(right)
        if isinstance(rhs, n.Quantity):
            self._check_unit(right.pos, lhs, rhs)
        return self.make(pos, n.Compare, lhs, _op(op), rhs)

    def between(self, pos: Pos, value: Located, low: Located, high: Located) -> Located:
        first = self.compare(pos, value, Token("COMP", ">="), low)
        second = self.compare(pos, value, Token("COMP", "<="), high)
        return self.make(pos, n.And, (first.item, second.item))

    def uln(self, pos: Pos, value: Located, op: Token, factor: Token, _times: Token) -> Located:
        lab = self.value(value)
        if not isinstance(lab, (n.Latest, n.Earliest)):
            raise _at(value.pos, "× uln applies to latest(labs …) or earliest(labs …)")
        return self.make(pos, n.UlnCompare, lab, _op(op), float(factor), self.fallbacks)

    def in_set(self, pos: Pos, value: Located, name: Token) -> Located:
        picked = self.value(value)
        if not isinstance(picked, (n.Latest, n.Earliest)):
            raise _at(value.pos, "'in <value set>' applies to latest(…) or earliest(…)")
        return self.make(pos, n.InSet, picked, self.code_set(name))

    def exists(self, pos: Pos, selection: Located) -> Located:
        return self.make(pos, n.Exists, self._events(selection))

    def attested(self, pos: Pos, key: Token) -> Located:
        return self.make(pos, n.Attested, str(key), self.attestations.get(str(key), ""))

    def increase(self, pos: Pos, picked: Located, steps: Located) -> Located:
        events, field = picked.item
        return self.make(pos, n.Increase, events, field, steps.item)

    def picked_field(self, pos: Pos, name: Token, selection: Located) -> Located:
        return Located((selection.item, str(name)), pos)

    def picked_default(self, pos: Pos, selection: Located) -> Located:
        events: n.Events = selection.item
        return Located((events, events.table.default), pos)

    def steps(self, pos: Pos, *steps: Located) -> Located:
        return Located(tuple(s.item for s in steps), pos)

    def step_when(self, pos: Pos, by: Token, op: Token, bound: Token) -> Located:
        if _op(op) != "<=":
            raise RuleError("a threshold applies to a baseline at most some value: "
                            "write 'when baseline <= N'", op.line or pos[0], op.column or pos[1])
        return self.make(pos, n.Step, float(by), float(bound))

    def step_otherwise(self, pos: Pos, by: Token) -> Located:
        return self.make(pos, n.Step, float(by))

    def step_always(self, pos: Pos, by: Token) -> Located:
        return self.make(pos, n.Step, float(by))

    def call(self, pos: Pos, name: Token, *args: Located) -> Located:
        return self._expand(pos, name, args, "condition")

    def failure(self, pos: Pos, exposures: Located, over: Located, until: Located,
                *events: Located) -> Located:
        sources = tuple(self._events(e) if not isinstance(e.item, n.IncreaseEvents) else e.item
                        for e in events)
        return self.make(pos, n.ExposureEvent, self._events(exposures), sources,
                         over.item, until.item)

    def over(self, pos: Pos, number: Token, unit: Token) -> Located:
        return Located(self._months(pos, number, unit), pos)

    def until(self, pos: Pos, number: Token, unit: Token) -> Located:
        return Located(self._months(pos, number, unit), pos)

    def event_rows(self, pos: Pos, selection: Located) -> Located:
        if isinstance(selection.item, _Bare):
            # A bare name that is no table: a library function returning events.
            return self._expand(pos, selection.item.name, (), "event")
        return selection

    def event_increase(self, pos: Pos, picked: Located, number: Token, unit: Token,
                       steps: Located) -> Located:
        events, field = picked.item
        if events.window is not None or events.where is not None:
            raise _at(picked.pos, "increases(...) reads every row of its table: give the "
                      "table alone")
        months = self._months(pos, number, unit)
        return self.make(pos, n.IncreaseEvents, events.table, field, steps.item, months)

    def event_call(self, pos: Pos, name: Token, *args: Located) -> Located:
        return self._expand(pos, name, args, "event")

    def event_start(self, pos: Pos, event: Located) -> Located:
        return event

    def arg(self, pos: Pos, value: Located) -> Located:
        return value

    # --- values --------------------------------------------------------------------------------
    def age(self, pos: Pos) -> Located:
        return self.make(pos, n.Age)

    def sex(self, pos: Pos) -> Located:
        return self.make(pos, n.Sex)

    def number(self, pos: Pos, token: Token) -> Located:
        return self.make(pos, n.Number, float(token))

    def quantity(self, pos: Pos, number: Token, unit: Token) -> Located:
        if str(unit) in _DURATIONS:
            return Located(_duration(float(number), str(unit), pos), pos)
        try:
            canonical = units.normalize(self.catalogue, str(unit))
        except units.UnitError as exc:
            raise RuleError(str(exc), unit.line or pos[0], unit.column or pos[1]) from None
        return self.make(pos, n.Quantity, float(number), canonical)

    def text(self, pos: Pos, token: Token) -> Located:
        return self.make(pos, n.Text, str(token)[1:-1])

    def count(self, pos: Pos, selection: Located) -> Located:
        return self.make(pos, n.Count, self._events(selection))

    def latest(self, pos: Pos, selection: Located, field: Located | None = None) -> Located:
        events = self._events(selection)
        name = field.item if field is not None else events.table.default
        return self.make(field.pos if field else pos, n.Latest, events, name)

    def earliest(self, pos: Pos, selection: Located, field: Located | None = None) -> Located:
        events = self._events(selection)
        name = field.item if field is not None else events.table.default
        return self.make(field.pos if field else pos, n.Earliest, events, name)

    def field(self, pos: Pos, name: Token) -> Located:
        return Located(str(name), (name.line or pos[0], name.column or pos[1]))

    def time_since(self, pos: Pos, value: Located) -> Located:
        date = self.value(value)
        if n.value_type(date) != "date":
            raise _at(value.pos, "time_since(...) needs a date, e.g. "
                      "time_since(earliest(diagnoses in <value set>).date)")
        return Located(Elapsed(date), pos)

    # --- selections ----------------------------------------------------------------------------
    def selection(self, pos: Pos, table: Token, *parts: Located) -> Located:
        name = str(table)
        if name not in self.tables:
            if not parts and name in self.functions:
                return Located(_Bare(name, table), pos)
            known = ", ".join(self.tables) or "none"
            raise RuleError(f"unknown table '{name}' (tables: {known})", table.line or pos[0],
                            table.column or pos[1])
        ref = self.tables[name]
        window, conds = None, []
        for part in parts:
            kind, item = part.item
            if kind == "window":
                window = item
            elif kind == "codes":
                conds.append(n.InCodes(self._codes_for(ref, item, part.pos)))
            else:
                conds.append(item)
        where = conds[0] if len(conds) == 1 else n.RowAnd(tuple(conds)) if conds else None
        return self.make(pos, n.Events, ref, window, where)

    def selection_param(self, pos: Pos, token: Token) -> Located:
        bound = self._bound(token)
        if not isinstance(bound.item, (n.Events, tuple)):
            raise _at(pos, f"{token} is not a selection or a window")
        return Located(bound.item, pos)

    def window_param(self, pos: Pos, token: Token) -> Located:
        bound = self._bound(token)
        if not (isinstance(bound.item, tuple) and bound.item[0] == "window"):
            raise _at(pos, f"{token} is not a window")
        return Located(bound.item, pos)

    def codes_named(self, pos: Pos, name: Token) -> Located:
        return Located(("codes", self.code_set(name)), pos)

    def codes_inline(self, pos: Pos, *tokens: Token) -> Located:
        return Located(("codes", tuple(str(t)[1:-1] for t in tokens)), pos)

    def window_last(self, pos: Pos, number: Token, unit: Token,
                    anchor: Located | None = None) -> Located:
        if str(unit) not in _DURATIONS:
            raise RuleError(f"'{unit}' is not days, weeks, months or years",
                            unit.line or pos[0], unit.column or pos[1])
        months, days = _duration(float(number), str(unit), pos)
        where = anchor.item if anchor is not None else "index"
        return Located(("window", self.make(pos, n.Window, months, days, where).item), pos)

    def window_screening(self, pos: Pos) -> Located:
        window = n.Window(days=self.screening_days, name=gettext_noop("the screening window"))
        return Located(("window", window), pos)

    def anchor(self, pos: Pos, token: Token) -> Located:
        return Located(str(token), pos)

    def where(self, pos: Pos, cond: Located) -> Located:
        return Located(("where", cond.item), pos)

    def row_or(self, pos: Pos, *parts: Located) -> Located:
        return self.make(pos, n.RowOr, tuple(p.item for p in parts))

    def row_and(self, pos: Pos, *parts: Located) -> Located:
        return self.make(pos, n.RowAnd, tuple(p.item for p in parts))

    def row_not(self, pos: Pos, part: Located) -> Located:
        return self.make(pos, n.RowNot, part.item)

    def row_compare(self, pos: Pos, name: Token, op: Token, value: Token) -> Located:
        literal: float | str = str(value)[1:-1] if value.type == "STRING" else float(value)
        return self.make(pos, n.FieldCompare, str(name), _op(op), literal)

    # --- private -------------------------------------------------------------------------------
    def _events(self, selection: Located) -> n.Events:
        if isinstance(selection.item, _Bare):
            known = ", ".join(self.tables) or "none"
            raise _at(selection.pos, f"'{selection.item.name}' is a function, not a table "
                      f"(tables: {known})")
        if not isinstance(selection.item, n.Events):
            raise _at(selection.pos, "expected a table selection here")
        return selection.item

    def _bound(self, token: Token) -> Located:
        name = str(token)[1:]
        if name not in self.bindings:
            raise RuleError(f"unknown parameter {token}", token.line or 1, token.column or 1)
        return self.bindings[name]

    def _expand(self, pos: Pos, name: Token | str, args: tuple[Located, ...],
                returns: str) -> Located:
        """A library function call: its body built with the arguments bound."""
        function = self.functions.get(str(name))
        if function is None:
            known = ", ".join(sorted(self.functions)) or "none defined"
            raise _at(pos, f"unknown function '{name}' (functions: {known})")
        if function.returns != returns:
            wanted = "a condition" if returns == "condition" else "events"
            raise _at(pos, f"{function.name}(...) gives {function.returns}s, not {wanted} here")
        if len(args) != len(function.parameters):
            raise _at(pos, f"{function.name} takes {len(function.parameters)} argument(s): "
                      + ", ".join(f"{p} ({t})" for p, t in function.parameters))
        bindings: dict[str, Located] = {}
        for arg, (param, kind) in zip(args, function.parameters, strict=True):
            is_window = isinstance(arg.item, tuple) and arg.item[0] == "window"
            if (kind == "window") != is_window or (kind == "selection"
                                                   and not isinstance(arg.item, n.Events)):
                raise _at(arg.pos, f"{function.name}: {param} must be a {kind}")
            bindings[param] = arg
        if self.depth >= 8:
            raise _at(pos, f"{function.name}: functions call each other too deeply")
        inner = Builder(self.value_sets, self.fallbacks, self.screening_days, self.tables,
                        self.functions, bindings, self.depth + 1, self.patterns, self.catalogue,
                        self.attestations)
        from trialkit.core.eligibility.language import build_tree

        try:
            built = build_tree(function.body, inner)
        except RuleError as exc:
            raise _at(pos, f"in {function.name} (its body, line {exc.line}, column "
                      f"{exc.column}): {exc.message}") from None
        return Located(built.item, pos)

    def _codes_for(self, table: n.TableRef, codes: n.CodeSet | tuple[str, ...],
                   pos: Pos) -> n.CodeSet:
        if isinstance(codes, n.CodeSet):
            return codes
        if table.code is None:
            raise _at(pos, f"{table.name} rows carry no code to select by")
        kind = table.code.kind
        pattern = self.patterns.get(kind)
        for code in codes:
            if pattern is not None and not pattern.match(code):
                raise _at(pos, f"'{code}' is not a {kind} code")
        names = units.short_names(self.catalogue)
        described = " or ".join(dict.fromkeys(names[c] for c in codes if c in names))
        return n.CodeSet(" or ".join(codes), kind, codes, described)

    def _elapsed(self, pos: Pos, elapsed: Elapsed, op: n.Op, right: Located) -> Located:
        if not isinstance(right.item, tuple):
            raise _at(right.pos, "time_since(...) compares with a duration, e.g. 2 years")
        months, days = right.item
        limit = n.AnchorDate("index", -months, -days)
        return self.make(pos, n.Compare, elapsed.date, _FLIP[op], limit)

    def _months(self, pos: Pos, number: Token, unit: Token) -> int:
        months, days = _duration(float(number), str(unit), pos)
        if days:
            raise _at(pos, "give this period in months or years")
        return months

    def _check_unit(self, pos: Pos, left: n.Value, right: n.Quantity) -> None:
        if not isinstance(left, (n.Latest, n.Earliest)) or \
                left.events.table.type_of(left.field) != "quantity":
            return
        for test in _tests(left.events.where):
            try:
                units.convert(self.catalogue, 1.0, test, right.unit, right.unit)
            except units.UnitError as exc:
                raise _at(pos, str(exc)) from None


def _tests(cond: n.RowCond | None) -> list[str]:
    if isinstance(cond, n.InCodes):
        return list(cond.codes.codes)
    if isinstance(cond, (n.RowAnd, n.RowOr)):
        return [t for part in cond.parts for t in _tests(part)]
    return []


def _duration(number: float, unit: str, pos: Pos) -> tuple[int, int]:
    if unit not in _DURATIONS:
        raise _at(pos, f"'{unit}' is not a duration (days, weeks, months, years)")
    if not number.is_integer():
        raise _at(pos, f"a duration is a whole number of {unit}")
    months, days = _DURATIONS[unit]
    return int(number) * months, int(number) * days
