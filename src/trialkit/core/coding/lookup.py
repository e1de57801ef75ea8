"""Suggest dictionary terms for a verbatim adverse-event term.

Reporters write "head ache.", "HEADACHE" or "Fever  ": the comparison is on a normal form
(case folded, punctuation as spaces, runs of spaces as one). Exact matches of a lowest level
term come first; then terms in which each word of the verbatim begins a word, in order
("post lumb" finds "Post lumbar puncture syndrome", "back" finds "Back pain" and "Low back
pain"). Only current
LLTs are offered: a non-current one stays readable in old codings but is not chosen anew.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from trialkit.core.coding.dictionary import LowestLevelTerm

_NOT_WORD = re.compile(r"[^\w]+")


def normalise(term: str) -> str:
    """The comparable form of a term: lower case, words separated by single spaces."""
    return " ".join(_NOT_WORD.sub(" ", term.casefold()).replace("_", " ").split())


@dataclass(frozen=True)
class Suggestion:
    llt: LowestLevelTerm
    match: Literal["exact", "prefix"]


def _prefix_match(query: list[str], words: list[str]) -> bool:
    """Each query word begins a word of the term, in the term's order (not necessarily
    adjacent): "post lumb" matches "Post lumbar puncture syndrome"."""
    at = 0
    for part in query:
        while at < len(words) and not words[at].startswith(part):
            at += 1
        if at == len(words):
            return False
        at += 1
    return True


def suggest(verbatim: str, llts: Iterable[LowestLevelTerm], limit: int = 10) -> list[Suggestion]:
    """Exact LLT matches, then word-prefix matches, current LLTs only, each list by name."""
    query = normalise(verbatim)
    if not query:
        return []
    words = query.split()
    exact: list[Suggestion] = []
    prefix: list[Suggestion] = []
    for llt in llts:
        if not llt.current:
            continue
        name = normalise(llt.name)
        if name == query:
            exact.append(Suggestion(llt, "exact"))
        elif _prefix_match(words, name.split()):
            prefix.append(Suggestion(llt, "prefix"))
    by_name = sorted(exact, key=lambda s: s.llt.name) + sorted(prefix, key=lambda s: s.llt.name)
    return by_name[:limit]


def exact_match(verbatim: str, llts: Iterable[LowestLevelTerm]) -> LowestLevelTerm | None:
    """The one current LLT the verbatim term is, once normalised; None if none or several."""
    found = [s.llt for s in suggest(verbatim, llts, limit=2) if s.match == "exact"]
    return found[0] if len(found) == 1 else None
