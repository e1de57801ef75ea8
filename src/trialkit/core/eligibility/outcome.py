"""The outcome of evaluating a condition: status, explanation, evidence, and what is missing.

The explanation and the missing data are ``Wording``s (``trialkit.core.wording``): English in
``explanation`` and ``missing``, the reader's language where a page reads ``said`` and ``gaps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from trialkit.core.eligibility import nodes as n
from trialkit.core.wording import Wording, gettext_noop, joined


@dataclass(frozen=True, slots=True)
class Outcome:
    status: n.Status
    said: Wording
    """Why, for the screening staff."""
    evidence: tuple[dict[str, Any], ...] = ()
    gaps: tuple[Wording, ...] = ()
    """When unknown: the data that would decide it, in words."""

    @property
    def explanation(self) -> str:
        return self.said.text

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(gap.text for gap in self.gaps)


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
    gaps = evidence_of(decisive, "gaps") if status == n.UNKNOWN else ()
    said = joined(_distinct(decisive), gettext_noop("%(first)s %(rest)s"))
    return Outcome(status, said, evidence_of(decisive, "evidence"), gaps)


def _distinct(parts: Sequence[Outcome]) -> list[Wording]:
    """The parts' sentences without repeats (two parts may say the same thing). Compared as
    wordings, not as text: a screening that wants only statuses never formats a sentence."""
    return list(dict.fromkeys(part.said for part in parts))


def evidence_of(parts: Sequence[Outcome], attr: Literal["evidence", "gaps"]) -> tuple[Any, ...]:
    """The parts' evidence rows (or missing items), without repeats, in order."""
    seen: list[Any] = []
    for part in parts:
        for item in getattr(part, attr):
            if item not in seen:
                seen.append(item)
    return tuple(seen)
