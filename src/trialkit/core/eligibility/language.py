"""The criteria language: one readable expression per criterion, parsed into ``nodes``.

A rule states a fact about the patient; it is ``met``, ``not_met`` or ``unknown``::

    age >= 20 and age <= 65                       # completed years on the consent date
    sex == "female"
    attested consent_given                        # an attestation; absent = unknown
    count(seizures within last 12 months) >= 1   # a table the protocol declares
    exists(diagnoses in cancer)                   # a value set of the protocol; any time
    exists(medications in steroids within last 12 months)   # ongoing or ended in the window
    latest(labs "LOINC:5902-2" within screening) <= 1.5 x uln
    latest(labs in glucose within screening) > 250 mg/dL
    latest(diagnoses in subtype) in early_onset   # the code of the latest row in a value set
    time_since(earliest(diagnoses in disease).date) in [2 years, 15 years]
    increase(score of nihss within last 30 days, by 4)
    treatment_failure(medications in therapy, over 6 months, until 3 months after stopping,
                      seizures, scans where new_lesions >= 1, score_worsening)
    score_worsened(within last 24 months)         # a library function of the protocol

Logic: ``and``, ``or``, ``not`` and parentheses, three-valued (``unknown and false`` is false).
Selections: a table of the record schema, then optionally codes (``in <value set>``,
``"LOINC:…"`` or ``["LOINC:…", …]``), a window (``within last N months|days|years|weeks
[before consent]`` or ``within screening``) and ``where`` conditions on row fields. Values:
``age``, ``sex``, numbers, quantities with units (``250 mg/dL``), text in double quotes,
``count(…)``, ``latest(…)`` / ``earliest(…)`` with an optional ``.field`` (default: the
table's default column), ``time_since(date)`` compared with a duration. Library functions
(``record.functions`` of the protocol) take windows and selections as ``$parameters`` and
expand to the same nodes. ``#`` starts a comment. Reference: docs/criteria-language.md.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.eligibility.grammar import GRAMMAR
from trialkit.core.eligibility.rule_builder import Builder, Function, Located, RuleError
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import ATTESTATIONS, RecordSchema, TableDef, base_schema

if TYPE_CHECKING:
    from trialkit.core.protocol.model import Protocol as TrialProtocol

__all__ = ["RuleContext", "RuleError", "ValueSetLike", "parse_rule", "table_ref"]


class ValueSetLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def codes(self) -> tuple[str, ...]: ...


class FallbackLike(Protocol):
    @property
    def test(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...


def attestation_labels(protocol: TrialProtocol) -> dict[str, str]:
    """Attestation key → the label of the item that records it (``attestations.<key>``)."""
    prefix = f"{ATTESTATIONS}."
    return {item.maps_to.to.removeprefix(prefix): item.label
            for form in protocol.forms for item in form.items
            if item.maps_to is not None and item.maps_to.to.startswith(prefix)}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False,
                start=["start", "event_start"])


_TYPES: dict[str, n.ValueType] = {"number": "number", "count": "number", "quantity": "quantity",
                                  "text": "text", "code": "code", "date": "date"}


def table_ref(table: TableDef) -> n.TableRef:
    """A record-schema table as the nodes carry it."""
    code = None
    if table.code is not None:
        c = table.code
        code = n.CodeColumn(c.column, c.kind, tuple(c.prefix_match), c.lower_case,
                            tuple(n.AlternateCode(a.prefix, a.column, a.match)
                                  for a in c.alternates))
    return n.TableRef(table.id, table.noun, tuple((c.id, _TYPES[c.type]) for c in table.columns),
                      table.date, table.default, table.end, code)


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may name: tables, value sets, fallback ULNs, library functions; and
    what the engines need to run its rules (the record schema and the lab catalogue)."""

    tables: Mapping[str, n.TableRef]
    value_sets: Mapping[str, n.CodeSet]
    fallbacks: tuple[n.UlnFallback, ...] = ()
    screening_days: int = 28
    functions: Mapping[str, Function] | None = None
    patterns: Mapping[str, re.Pattern[str]] | None = None
    schema: RecordSchema | None = None
    catalogue: LabCatalogue | None = None
    attestations: Mapping[str, str] | None = None
    """Attestation key → the label of the protocol item that records it."""

    @classmethod
    def of(cls, protocol: TrialProtocol) -> RuleContext:
        """The context of a protocol's criteria; RuleError if a function body is malformed."""
        elig = protocol.eligibility
        context = cls.build(protocol.record_schema(), protocol.value_sets,
                            elig.fallback_uln, elig.screening_window_days,
                            catalogue=protocol.lab_catalogue())
        return dataclasses.replace(context, attestations=attestation_labels(protocol))

    @classmethod
    def build(cls, schema: RecordSchema, value_sets: Iterable[ValueSetLike],
              fallback_uln: Iterable[FallbackLike] = (), screening_days: int = 28,
              *, catalogue: LabCatalogue | None = None) -> RuleContext:
        functions: dict[str, Function] = {}
        for f in schema.functions:
            start = "start" if f.returns == "condition" else "event_start"
            try:
                tree = _parser().parse(f.body, start=start)
            except UnexpectedInput as exc:
                error = _syntax_error(exc, f.body)
                raise RuleError(f"function {f.name}: {error.message}", error.line,
                                error.column) from None
            functions[f.name] = Function(f.name, tuple((p.name, p.type) for p in f.parameters),
                                         f.returns, tree)
        patterns = {kind: re.compile(column.pattern)
                    for kind, column in schema.code_kinds().items() if column.pattern}
        return cls({t.id: table_ref(t) for t in schema.tables},
                   {vs.id: n.CodeSet(vs.id, vs.kind, tuple(vs.codes), vs.description)
                    for vs in value_sets},
                   tuple(n.UlnFallback(f.test, float(f.value), f.unit) for f in fallback_uln),
                   screening_days, functions, patterns, schema,
                   catalogue or units.default_catalogue())

    @property
    def record_schema(self) -> RecordSchema:
        return self.schema or base_schema()

    @property
    def lab_catalogue(self) -> LabCatalogue:
        return self.catalogue or units.default_catalogue()

    def builder(self) -> Builder:
        return Builder(self.value_sets, self.fallbacks, self.screening_days, self.tables,
                       self.functions, patterns=self.patterns, catalogue=self.lab_catalogue,
                       attestations=self.attestations)

    def parse(self, text: str) -> n.Cond:
        """Parse and type-check a rule; raise RuleError(message, line, column) if wrong."""
        try:
            tree = _parser().parse(text, start="start")
        except UnexpectedInput as exc:
            raise _syntax_error(exc, text) from None
        builder = self.builder()
        return builder.condition(build_tree(tree, builder), _start(tree))


def build_tree(tree: Tree[Any], builder: Builder) -> Located:
    """Nodes from a parse tree (a rule, or a function body with its arguments bound)."""
    try:
        result: Located = _ToNodes(builder).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, RuleError):
            raise exc.orig_exc from None
        raise
    return result


def parse_rule(text: str, *, value_sets: Mapping[str, ValueSetLike],
               fallback_uln: Iterable[FallbackLike] = (), screening_days: int = 28,
               schema: RecordSchema | None = None,
               catalogue: LabCatalogue | None = None) -> n.Cond:
    """Parse and type-check a rule against a record schema (default: the base record) and a
    lab catalogue (default: the packaged one)."""
    context = RuleContext.build(schema or base_schema(), value_sets.values(), fallback_uln,
                                screening_days, catalogue=catalogue)
    return context.parse(text)


def _start(tree: Tree[Any] | Any) -> tuple[int, int]:
    meta = getattr(tree, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return 1, 1
    return meta.line, meta.column


_READABLE = {
    "COMP": "a comparison (<, <=, ==, !=, >=, >)", "NUMBER": "a number", "STRING":
    'a quoted text ("…")', "NAME": "a name", "UNIT": "a unit", "LPAR": "'('",
    "RPAR": "')'", "COMMA": "','", "LSQB": "'['", "RSQB": "']'", "DOT": "'.'",
    "PARAM": "a $parameter",
    "TIMES": "'x' (as in 1.5 x uln)", "ANCHOR": "index or consent", "$END": "the end of the rule",
}


def _syntax_error(exc: UnexpectedInput, text: str) -> RuleError:
    line, column = getattr(exc, "line", 1), getattr(exc, "column", 1)
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        return RuleError(f"unexpected character {char!r}", line, column)
    expected = sorted(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or [])
    names = [_READABLE.get(e, e.lower().strip('"') if e.isupper() else e) for e in expected]
    wanted = f" (expected {', '.join(dict.fromkeys(names))})" if names else ""
    if isinstance(exc, UnexpectedEOF):
        last = text.rstrip().splitlines() or [""]
        return RuleError(f"the rule ends too early{wanted}", len(last), len(last[-1]) + 1)
    token = getattr(exc, "token", None)
    if token is not None and token.type == "$END":
        last = text.rstrip().splitlines() or [""]
        return RuleError(f"the rule ends too early{wanted}", len(last), len(last[-1]) + 1)
    previous = (getattr(exc, "token_history", None) or [None])[-1]
    if names == ["'('"] and previous is not None and previous.type == "NAME":
        # A bare name where a value or condition belongs reads as a function call missing
        # its '(': the name itself is what is wrong (a typo, or a keyword out of place).
        return RuleError(f"unexpected '{previous}'", previous.line or line,
                         previous.column or column)
    word, column = _word_at(text, line, column)
    return RuleError(f"unexpected '{word or token}'{wanted}", line, column)


def _word_at(text: str, line: int, column: int) -> tuple[str, int]:
    """The whole word around a position (a keyword prefix like 'age' in 'agee' is split off
    by the lexer), with the column where it starts."""
    row = text.splitlines()[line - 1] if text.splitlines() else ""
    start = end = column - 1
    while start > 0 and (row[start - 1].isalnum() or row[start - 1] == "_"):
        start -= 1
    while end < len(row) and (row[end].isalnum() or row[end] == "_"):
        end += 1
    return row[start:end], start + 1


@v_args(meta=True)
class _ToNodes(Transformer[Token, Any]):
    """Turns the parse tree into nodes; each method hands its position to the builder."""

    def __init__(self, builder: Builder) -> None:
        super().__init__()
        self.b = builder

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        method = getattr(self.b, data, None)
        if method is None:
            raise RuleError(f"unsupported construct '{data}'", meta.line, meta.column)
        return method((meta.line, meta.column), *children)
