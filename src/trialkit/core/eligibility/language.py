"""The criteria language: one readable expression per criterion, parsed into ``nodes``.

A rule states a fact about the patient; it is ``met``, ``not_met`` or ``unknown``::

    age >= 20 and age <= 65                       # completed years on the consent date
    sex == "female"
    attested willing_to_consent                   # an attestation; absent = unknown
    count(relapses within last 12 months) >= 1
    exists(mri_scans within last 12 months where gd_enhancing_lesions >= 1)
    exists(diagnoses in malignancy)               # a value set of the protocol; any time
    exists(medications in anti_cd20 within last 12 months)   # ongoing or ended in the window
    latest(labs "LOINC:5902-2" within screening) <= 1.5 x uln
    latest(labs in fasting_glucose within screening) > 250 mg/dL
    latest(edss within screening) in [2.0, 6.5]   # inclusive bounds
    latest(diagnoses in ms_course) in ms_rrms     # the code of the latest row in a value set
    time_since(earliest(diagnoses in ms).date) in [2 years, 15 years]
    edss_worsened(within last 24 months)
    treatment_failure(medications in ms_dmt, over 6 months, until 3 months after stopping,
                      relapses, mri_scans where new_t2_lesions >= 1, edss_worsening)

Logic: ``and``, ``or``, ``not`` and parentheses, three-valued (``unknown and false`` is false).
Selections: a table (``diagnoses relapses mri_scans edss labs medications``), then optionally
codes (``in <value set>``, ``"LOINC:…"`` or ``["LOINC:…", …]``), a window (``within last N
months|days|years|weeks [before consent]`` or ``within screening``) and ``where`` conditions on
row fields. Values: ``age``, ``sex``, numbers, quantities with units (``250 mg/dL``), text in
double quotes, ``count(…)``, ``latest(…)`` / ``earliest(…)`` with an optional ``.field``
(default: the table's main value), ``time_since(date)`` compared with a duration.
``#`` starts a comment. The full reference is docs/criteria-language.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.grammar import GRAMMAR
from trialkit.core.eligibility.rule_builder import Builder, RuleError

__all__ = ["RuleError", "ValueSetLike", "parse_rule"]


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


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_rule(text: str, *, value_sets: Mapping[str, ValueSetLike],
               fallback_uln: Iterable[FallbackLike] = (),
               screening_days: int = 28) -> n.Cond:
    """Parse and type-check a rule; raise RuleError(message, line, column) if it is wrong."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    sets = {key: n.CodeSet(vs.id, _kind(vs.kind), tuple(vs.codes), vs.description)
            for key, vs in value_sets.items()}
    fallbacks = tuple(n.UlnFallback(f.test, float(f.value), f.unit) for f in fallback_uln)
    builder = Builder(sets, fallbacks, screening_days)
    try:
        result = _ToNodes(builder).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, RuleError):
            raise exc.orig_exc from None
        raise
    return builder.condition(result, _start(tree))


def _kind(kind: str) -> n.CodeKind:
    if kind not in ("diagnosis", "ingredient", "lab"):
        raise RuleError(f"value set kind '{kind}' is not diagnosis, ingredient or lab", 1, 1)
    return kind  # type: ignore[return-value]


def _start(tree: Tree[Any] | Any) -> tuple[int, int]:
    meta = getattr(tree, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return 1, 1
    return meta.line, meta.column


_READABLE = {
    "COMP": "a comparison (<, <=, ==, !=, >=, >)", "NUMBER": "a number", "STRING":
    'a quoted text ("…")', "NAME": "a name", "UNIT": "a unit", "TABLE":
    "a table (diagnoses, relapses, mri_scans, edss, labs, medications)", "LPAR": "'('",
    "RPAR": "')'", "COMMA": "','", "LSQB": "'['", "RSQB": "']'", "DOT": "'.'",
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
