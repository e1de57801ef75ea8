"""The conformance rules of ``rules.yaml``, loaded as typed data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).parent / "rules.yaml"
TRIAL_DESIGN = frozenset({"TA", "TE", "TV", "TI", "TS"})
"""The trial design datasets: reference data, one per study, with no subject."""
NOT_GENERAL = TRIAL_DESIGN | {"DM", "SE", "SV", "SUPPQUAL", "RELREC", "DI"}
"""Datasets outside the general observation classes (no --SEQ-per-subject _general core)."""


@dataclass(frozen=True)
class Rule:
    id: str
    check: str
    severity: str
    core_id: str | None
    follows: str
    sdtmig: str
    message: str


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(Rule(r["id"], r["check"], r["level"], r.get("core_id"), r["follows"],
                      r["sdtmig"], r["message"]) for r in _data()["rules"])


def table_key(dataset: str) -> str:
    """The key of ``standard_variables`` for a dataset: SUPPAE → SUPPQUAL, QSPH → QS."""
    if dataset.startswith("SUPP"):
        return "SUPPQUAL"
    return dataset if dataset in _data()["standard_variables"] else dataset[:2]


def _expand(names: list[str], prefix: str) -> list[str]:
    return [prefix + n[2:] if n.startswith("--") else n for n in names]


def standard_variables(dataset: str, core: str, *, general: bool) -> list[str]:
    """The dataset's variables whose SDTMIG Core is ``core`` (Req or Exp)."""
    table = _data()["standard_variables"]
    prefix = dataset[:2]
    names = list(table.get(table_key(dataset), {}).get(core, []))
    if general:
        names = [*table["_general"].get(core, []), *names]
    return list(dict.fromkeys(_expand(names, prefix)))


def standard_core(dataset: str, variable: str) -> str:
    """Req, Exp or "" for a variable of a dataset (a general-class dataset when it has --SEQ)."""
    for core in ("Req", "Exp"):
        general = table_key(dataset) not in NOT_GENERAL
        if variable in standard_variables(dataset, core, general=general):
            return core
    return ""


def standard_codelist(dataset: str, variable: str) -> str:
    """The NCI code of the codelist ``variable`` is bound to by SDTM, or ""."""
    bound: dict[str, str] = _data()["standard_codelists"]
    if variable in bound:
        return bound[variable]
    return bound.get("--" + variable[2:], "") if variable[:2] == dataset[:2] else ""




def is_general(dataset: str) -> bool:
    return table_key(dataset) not in NOT_GENERAL


def dictionary_coded() -> frozenset[str]:
    """Req variables filled from a licensed coding dictionary (see TK-SD-04)."""
    return frozenset(_data().get("dictionary_coded", []))
