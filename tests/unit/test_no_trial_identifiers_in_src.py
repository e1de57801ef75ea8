"""Nothing trial-specific in src/: no protocol's form, item, role, code list, value set, visit,
part, arm, administration, table or function id appears in trialkit's code or templates.

A trial's facts live in protocols/. The check reads every string literal of src/**/*.py (with
``ast``, so a variable name is never confused with a literal) and every word of the templates
and packaged data, and fails on any identifier of any protocol in protocols/. Some words are
trialkit's own vocabulary as well as some trial's id: those are derived from where trialkit
defines them (the base patient record, the lab catalogue, its data model, the derivation
functions' parameters, CDISC names the protocols annotate), and a short list of plain words
is allowed with the reason beside each. The format-1 upgrader is the one module that names
format 1's item vocabulary, by design (docs/adr/0007).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.protocol.labs import packaged_catalogue
from trialkit.core.protocol.record import base_schema

SRC = ROOT / "src" / "trialkit"
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
# Format 1 made these item ids meaningful; its upgrader must name them (ADR 0007).
EXEMPT_FILES = {SRC / "core" / "protocol" / "upgrade.py"}
PLAIN_WORDS = {
    # Generic English words that trialkit uses for its own meaning (model fields, page words,
    # audit vocabulary) and some trial also uses as an item id.
    "action", "administration", "comment", "completed", "lab", "main", "outcome", "reason",
    "result", "serious", "status", "term", "it", "confirmed", "cells",
    # The generic roles the registry importer proposes for a new protocol's skeleton, and its
    # default screening visit (interop/ctgov/skeleton_defaults.py): a template, not a trial.
    "coordinator", "investigator", "monitor", "data_manager", "administrator",
    "unblinded_statistician", "SCR",
}


def _protocol_ids(protocol: Protocol) -> set[str]:
    d = protocol.design
    groups = [protocol.forms, protocol.codelists, protocol.value_sets, protocol.roles,
              protocol.schedule.visits, d.parts, d.arms, d.administrations, d.interventions,
              protocol.record.tables, [i for f in protocol.forms for i in f.items],
              [c for f in protocol.forms for c in f.checks],
              [p for part in d.parts for p in (*part.periods, *part.sequences)]]
    ids = {element.id for group in groups for element in group}
    return ids | {f.name for f in protocol.record.functions}


def _cdisc_names(protocol: Protocol) -> set[str]:
    names: set[str] = set()
    for form in protocol.forms:
        for item in form.items:
            if item.cdisc is not None:
                names |= {item.cdisc.domain, item.cdisc.variable or "", item.cdisc.testcd or ""}
    return names - {""}


@cache
def trialkit_vocabulary() -> frozenset[str]:
    """Words trialkit itself defines, wherever a trial also happens to use them as ids."""
    from django.apps import apps

    from trialkit.core.scoring.derivations import _REGISTRY

    schema = base_schema()
    words = {f.id for f in schema.patient} | {t.id for t in schema.tables}
    words |= {c.id for t in schema.tables for c in t.columns}
    catalogue = packaged_catalogue()
    words |= {t.short.lower() for t in catalogue.tests} | {u.dimension for u in
                                                          catalogue.units.values()}
    words |= {f.name for model in apps.get_app_config("trial").get_models()
              for f in model._meta.get_fields()}
    words |= {p for d in _REGISTRY.values() for p in (d.inputs or ())}
    words |= _action_parameters()
    for path in PROTOCOLS:
        words |= _cdisc_names(load_protocol(path))
    return frozenset(words | PLAIN_WORDS)


def _action_parameters() -> set[str]:
    """The parameter names of trialkit's actions (``do_record_consent(..., form_version,
    taken_by)``): its own API, which pages and the JSON API repeat as field names."""
    import importlib
    import inspect
    import pkgutil

    import trialkit.web.trial.actions as actions

    names: set[str] = set()
    for info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"{actions.__name__}.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_"):
                names |= set(inspect.signature(function).parameters)
    return names


@cache
def trial_ids() -> dict[str, frozenset[str]]:
    """Each protocol's ids that are not also trialkit's own vocabulary."""
    return {path.stem: frozenset(_protocol_ids(load_protocol(path)) - trialkit_vocabulary())
            for path in PROTOCOLS}


def _literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exported = {id(node) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                for node in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in exported:
            yield node.lineno, node.value


def _words(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line):
            yield number, word


def _sources() -> list[Path]:
    found = [p for p in SRC.rglob("*") if p.suffix in (".py", ".html", ".yaml", ".txt")]
    return sorted(p for p in found if "migrations" not in p.parts and p not in EXEMPT_FILES)


def _hits(ids: frozenset[str]) -> list[str]:
    hits = []
    for path in _sources():
        tokens = _literals(path) if path.suffix == ".py" else _words(path)
        hits += [f"{path.relative_to(ROOT)}:{line}: {token!r}" for line, token in tokens
                 if token in ids]
    return hits


@pytest.mark.django_db
@pytest.mark.parametrize("stem", [p.stem for p in PROTOCOLS])
def test_src_names_no_identifier_of_this_trial(stem):
    assert _hits(trial_ids()[stem]) == []


def test_the_check_would_see_a_trial_identifier_in_a_literal(tmp_path: Path):
    planted = tmp_path / "planted.py"
    planted.write_text('FORM = "MSHIST"\nname = MSHIST_LOOKALIKE\n', encoding="utf-8")
    assert [value for _, value in _literals(planted)] == ["MSHIST"]
    assert "MSHIST" in trial_ids()["nct05532943"]


def test_the_reference_trial_s_distinctive_ids_are_checked():
    ids = trial_ids()["nct05532943"]
    assert {"MSHIST", "pt_uln", "aptt_uln", "ms_course", "cell_lab", "it_proceduralist",
            "umsc01", "edss_rater", "smc_chair", "phase2a"} <= ids
