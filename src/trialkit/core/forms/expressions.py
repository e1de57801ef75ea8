"""The edit-check language: expressions over the items of one form, checked at load.

A check is a condition that should hold for a saved form::

    end_date >= onset_date
    serious == any(sae_death, sae_life_threatening, sae_hospitalisation)
    sample_date <= today
    scan_date >= consent_date + 0 days          # items of this form only
    not (sex == "male" and pregnant)

Values: item ids, numbers, "text" (a choice item compares with its codes), ``true``,
``false``, ``today`` (the day of entry), and ``<date> ± N days|weeks|months|years``.
Functions: ``any(...)`` and ``all(...)`` of booleans (an unanswered box counts as not ticked),
``count(...)`` of true booleans, ``present(item)`` and ``missing(item)``. Logic is three-valued
like the criteria language: a comparison with an unanswered item is unknown, and an unknown
check opens no query (missing data is the "required" rule's business, not the check's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, VisitError

from trialkit.core.eligibility.dates import add_months
from trialkit.core.protocol.forms import Form

Kind = Literal["number", "text", "date", "boolean"]
Truth = bool | None

GRAMMAR = r"""
?start: disj
?disj: conj | conj ("or" conj)+                -> or_
?conj: neg | neg ("and" neg)+                  -> and_
?neg: "not" neg                                -> not_
    | compare
?compare: sum | sum COMP sum                   -> compare
?sum: atom | sum SIGN NUMBER UNIT              -> shift
?atom: NAME                                    -> item
     | NUMBER                                  -> number
     | STRING                                  -> text
     | "true"                                  -> true
     | "false"                                 -> false
     | "today"                                 -> today
     | FUNC "(" NAME ("," NAME)* ")"           -> call
     | "(" disj ")"

FUNC.2: /(any|all|count|present|missing)(?=\s*\()/
COMP: /<=|>=|==|!=|<|>/
SIGN: "+" | "-"
UNIT: /(days?|weeks?|months?|years?)(?![A-Za-z0-9_])/
NUMBER: /[0-9]+(\.[0-9]+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /"[^"\n]*"/
%import common.WS
%ignore WS
"""


class ExpressionError(ValueError):
    """An expression that does not parse or type-check; line and column are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        self.message, self.line, self.column = message, line, column
        super().__init__(f"line {line}, column {column}: {message}")


@dataclass(frozen=True, slots=True)
class Expr:
    kind: Kind


@dataclass(frozen=True, slots=True)
class Constant(Expr):
    value: Any


@dataclass(frozen=True, slots=True)
class ItemRef(Expr):
    item: str


@dataclass(frozen=True, slots=True)
class Today(Expr):
    pass


@dataclass(frozen=True, slots=True)
class Shift(Expr):
    date: Expr
    months: int
    days: int


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    left: Expr
    op: str
    right: Expr


@dataclass(frozen=True, slots=True)
class Logic(Expr):
    op: Literal["and", "or", "not"]
    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call(Expr):
    function: str
    items: tuple[str, ...]


_ITEM_KINDS: dict[str, Kind] = {"integer": "number", "decimal": "number", "text": "text",
                                "choice": "text", "date": "date", "datetime": "date",
                                "boolean": "boolean"}
_UNITS = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "year": (12, 0)}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True)


@lru_cache(maxsize=256)
def _parse_cached(text: str, items: tuple[tuple[str, Kind, tuple[str, ...]], ...]) -> Expr:
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        where = exc.pos_in_stream or 0
        raise ExpressionError(f"unexpected character {text[where:where + 1]!r}",
                              exc.line, exc.column) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        shown = "the end of the check" if token is None or token.type == "$END" else str(token)
        raise ExpressionError(f"unexpected {shown}", getattr(exc, "line", 1),
                              getattr(exc, "column", 1)) from None
    known = {item_id: (kind, codes) for item_id, kind, codes in items}
    try:
        result: Expr = _Build(known).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            raise exc.orig_exc from None
        raise
    if result.kind != "boolean":
        raise ExpressionError("a check must be true or false: compare this value")
    return result


def parse_check(text: str, form: Form, codes: Mapping[str, tuple[str, ...]] | None = None) -> Expr:
    """Parse and type-check ``text`` against ``form``'s items; ``codes`` gives each choice
    item's codes when they should be checked too."""
    codes = codes or {}
    items = tuple((item.id, _ITEM_KINDS[item.type], codes.get(item.id, ()))
                  for item in form.items)
    return _parse_cached(text, items)


@v_args(meta=True)
class _Build(Transformer[Token, Expr]):
    def __init__(self, items: Mapping[str, tuple[Kind, tuple[str, ...]]]) -> None:
        super().__init__()
        self.items = items

    def item(self, meta: Any, children: list[Token]) -> Expr:
        name = str(children[0])
        if name not in self.items:
            known = ", ".join(sorted(self.items))
            raise ExpressionError(f"'{name}' is not an item of this form (items: {known})",
                                  meta.line, meta.column)
        return ItemRef(self.items[name][0], name)

    def number(self, meta: Any, children: list[Token]) -> Expr:
        return Constant("number", float(children[0]))

    def text(self, meta: Any, children: list[Token]) -> Expr:
        return Constant("text", str(children[0])[1:-1])

    def true(self, meta: Any, children: list[Token]) -> Expr:
        return Constant("boolean", True)

    def false(self, meta: Any, children: list[Token]) -> Expr:
        return Constant("boolean", False)

    def today(self, meta: Any, children: list[Token]) -> Expr:
        return Today("date")

    def shift(self, meta: Any, children: list[Any]) -> Expr:
        date, sign, number, unit = children
        if date.kind != "date":
            raise ExpressionError("only a date moves by days, weeks, months or years",
                                  meta.line, meta.column)
        if "." in str(number):
            raise ExpressionError(f"a whole number of {unit}", meta.line, meta.column)
        months, days = _UNITS[str(unit).rstrip("s")]
        factor = int(str(number)) * (1 if str(sign) == "+" else -1)
        return Shift("date", date, months * factor, days * factor)

    def call(self, meta: Any, children: list[Token]) -> Expr:
        function, *names = (str(c) for c in children)
        for name in names:
            if name not in self.items:
                raise ExpressionError(f"'{name}' is not an item of this form",
                                      meta.line, meta.column)
            if function in ("any", "all", "count") and self.items[name][0] != "boolean":
                raise ExpressionError(f"{function}(...) takes yes/no items; '{name}' is not "
                                      "one", meta.line, meta.column)
        if function in ("present", "missing") and len(names) != 1:
            raise ExpressionError(f"{function}(...) takes one item", meta.line, meta.column)
        return Call("number" if function == "count" else "boolean", function, tuple(names))

    def compare(self, meta: Any, children: list[Any]) -> Expr:
        left, op, right = children
        if left.kind != right.kind:
            raise ExpressionError(f"cannot compare {left.kind} with {right.kind}",
                                  meta.line, meta.column)
        if left.kind in ("text", "boolean") and str(op) not in ("==", "!="):
            raise ExpressionError(f"{left.kind} compares only with == or !=",
                                  meta.line, meta.column)
        for ref, literal in ((left, right), (right, left)):
            if isinstance(ref, ItemRef) and isinstance(literal, Constant) and ref.kind == "text":
                codes = self.items[ref.item][1]
                if codes and literal.value not in codes:
                    raise ExpressionError(f'"{literal.value}" is not a code of {ref.item} '
                                          f"({', '.join(codes)})", meta.line, meta.column)
        return Compare("boolean", left, str(op), right)

    def _logic(self, op: Literal["and", "or", "not"], meta: Any, parts: list[Expr]) -> Expr:
        for part in parts:
            if part.kind != "boolean":
                raise ExpressionError(f"'{op}' joins conditions, not {part.kind} values",
                                      meta.line, meta.column)
        return Logic("boolean", op, tuple(parts))

    def or_(self, meta: Any, children: list[Expr]) -> Expr:
        return self._logic("or", meta, children)

    def and_(self, meta: Any, children: list[Expr]) -> Expr:
        return self._logic("and", meta, children)

    def not_(self, meta: Any, children: list[Expr]) -> Expr:
        return self._logic("not", meta, children)


def evaluate(expr: Expr, values: Mapping[str, object], today: dt.date) -> Any:
    """The value of ``expr`` for a form's saved values; None = unknown."""
    if isinstance(expr, Constant):
        return expr.value
    if isinstance(expr, ItemRef):
        return _as_kind(values.get(expr.item), expr.kind)
    if isinstance(expr, Today):
        return today
    if isinstance(expr, Shift):
        base = evaluate(expr.date, values, today)
        return None if base is None else add_months(base, expr.months) + dt.timedelta(
            days=expr.days)
    if isinstance(expr, Compare):
        return _compare(evaluate(expr.left, values, today), expr.op,
                        evaluate(expr.right, values, today))
    if isinstance(expr, Logic):
        parts = [evaluate(p, values, today) for p in expr.parts]
        return _kleene(expr.op, parts)
    if isinstance(expr, Call):
        return _call(expr, values)
    raise NotImplementedError(f"no evaluation for {type(expr).__name__}")


def item_refs(expr: Expr) -> frozenset[str]:
    """The items an expression reads."""
    if isinstance(expr, ItemRef):
        return frozenset((expr.item,))
    if isinstance(expr, Shift):
        return item_refs(expr.date)
    if isinstance(expr, Compare):
        return item_refs(expr.left) | item_refs(expr.right)
    if isinstance(expr, Logic):
        return frozenset().union(*(item_refs(p) for p in expr.parts))
    if isinstance(expr, Call):
        return frozenset(expr.items)
    return frozenset()


def holds(expr: Expr, values: Mapping[str, object], today: dt.date) -> Truth:
    """Whether a check holds (True), fails (False) or cannot be judged (None)."""
    result = evaluate(expr, values, today)
    return result if isinstance(result, bool) or result is None else bool(result)


def _as_kind(value: object, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        # A date-time item compares by its calendar day (as stored: UTC).
        return dt.date.fromisoformat(value[:10])
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "text":
        return str(value)
    return value


def _compare(left: Any, op: str, right: Any) -> Truth:
    if left is None or right is None:
        return None
    result: bool = {"<": left < right, "<=": left <= right, "==": left == right,
                    "!=": left != right, ">=": left >= right, ">": left > right}[op]
    return result


def _kleene(op: str, parts: list[Any]) -> Truth:
    if op == "not":
        return None if parts[0] is None else not parts[0]
    if op == "and":
        if any(p is False for p in parts):
            return False
        return None if any(p is None for p in parts) else True
    if any(p is True for p in parts):
        return True
    return None if any(p is None for p in parts) else False


def _call(expr: Call, values: Mapping[str, object]) -> Any:
    given = [values.get(name) for name in expr.items]
    if expr.function == "present":
        return given[0] is not None
    if expr.function == "missing":
        return given[0] is None
    ticked = [v is True for v in given]
    if expr.function == "any":
        return any(ticked)
    if expr.function == "all":
        return all(ticked)
    return float(sum(ticked))
