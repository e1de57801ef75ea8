"""The outcome of evaluating a condition: status, explanation, evidence, and what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from trialkit.core.eligibility import nodes as n


@dataclass(frozen=True, slots=True)
class Outcome:
    status: n.Status
    explanation: str
    evidence: tuple[dict[str, Any], ...] = ()
    missing: tuple[str, ...] = ()
    """When unknown: the data that would decide it, in words."""


def all_of(statuses: Sequence[n.Status]) -> n.Status:
    """Met if every status is met, not_met if every one is not_met, otherwise unknown."""
    if statuses and all(s == n.MET for s in statuses):
        return n.MET
    if statuses and all(s == n.NOT_MET for s in statuses):
        return n.NOT_MET
    return n.UNKNOWN


def combine(kind: Literal["and", "or"], parts: Sequence[Outcome]) -> Outcome:
    """Kleene and/or, explained by the parts that decide the result."""
    statuses = [p.status for p in parts]
    status = n.kleene_and(statuses) if kind == "and" else n.kleene_or(statuses)
    if status == n.UNKNOWN:
        decisive = [p for p in parts if p.status == n.UNKNOWN]
    elif (kind == "and") == (status == n.MET):
        decisive = list(parts)  # every part had to agree
    else:
        decisive = [p for p in parts if p.status == status]
    missing = evidence_of(decisive, "missing") if status == n.UNKNOWN else ()
    return Outcome(status, " ".join(dict.fromkeys(p.explanation for p in decisive)),
                   evidence_of(decisive, "evidence"), missing)


def evidence_of(parts: Sequence[Outcome], attr: Literal["evidence", "missing"]) -> tuple[Any, ...]:
    """The parts' evidence rows (or missing items), without repeats, in order."""
    seen: list[Any] = []
    for part in parts:
        for item in getattr(part, attr):
            if item not in seen:
                seen.append(item)
    return tuple(seen)
