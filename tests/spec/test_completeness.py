"""Nothing in the language goes untested or unhandled: every node type has a handler in both
engines and appears in a spec case; every grammar rule has a builder method."""

from __future__ import annotations

from lark import Lark

from tests.spec.support import all_specs
from trialkit.core.eligibility import history, in_memory, selection
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.grammar import GRAMMAR
from trialkit.core.eligibility.rule_builder import Builder
from trialkit.prescreen import _history_sql, _sql, engine

KINDS = {"conditions": n.CONDITIONS, "values": n.VALUES, "row conditions": n.ROW_CONDITIONS,
         "event sources": n.EVENT_SOURCES}


def _used_in_specs() -> set[type]:
    used: set[type] = set()
    for spec in all_specs():
        for case in spec.cases:
            for node in spec.parse(case).values():
                used |= {type(item) for item in n.walk(node)}
    return used


def test_every_node_type_appears_in_some_spec_case() -> None:
    used = _used_in_specs()
    missing = {kind: [t.__name__ for t in types if t not in used]
               for kind, types in KINDS.items()}
    assert missing == {kind: [] for kind in KINDS}


def test_the_in_memory_engine_has_a_handler_for_every_node_type() -> None:
    handled = {"conditions": in_memory.HANDLED["conditions"],
               "values": in_memory.HANDLED["values"],
               "row conditions": tuple(selection.ROW_HANDLERS),
               "event sources": history.EVENT_SOURCES}
    assert {k: set(v) for k, v in handled.items()} == {k: set(v) for k, v in KINDS.items()}


def test_the_batch_engine_has_a_handler_for_every_node_type() -> None:
    handled = {"conditions": engine.HANDLED["conditions"], "values": engine.HANDLED["values"],
               "row conditions": _sql.ROW_CONDITIONS,
               "event sources": _history_sql.EVENT_SOURCES}
    assert {k: set(v) for k, v in handled.items()} == {k: set(v) for k, v in KINDS.items()}


def test_every_grammar_rule_and_alias_has_a_builder_method() -> None:
    parser = Lark(GRAMMAR, parser="lalr", start=["start", "event_start"])
    names = set()
    for rule in parser.rules:
        name = rule.alias or rule.origin.name
        if rule.options.expand1 and rule.alias is None:
            continue  # ?rule: a single child passes through, no node is built
        if name == "start" or str(name).startswith("_"):  # Lark's own inlined helpers
            continue
        names.add(str(name))
    missing = sorted(name for name in names if not callable(getattr(Builder, name, None)))
    assert missing == []
