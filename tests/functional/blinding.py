"""What a blinded reader must never receive, and a detector that finds it in API answers.

Facts are taken from the database and protocol of the trial under test, never hard-coded:
- anywhere: any preparation text, the value ``sham``, an arm that belongs to no open-label part
  (its id or label), any sequence of a crossover part (its id or label), and the number or kit
  code of any slot not yet allocated (list content);
- in anything about a randomized participant (an endpoint whose path names the participant or
  one of their records or kits, a JSON object or CSV row that names them): any arm id or label
  of the randomized part, and the values ``real`` / ``sham``.
Open-label participants' arm is not concealed (access.py says so), hence the scoping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import FormRecord, Participant, RandomizationSlot


@dataclass(frozen=True)
class Concealed:
    everywhere: frozenset[str]
    about_randomized: frozenset[str]
    randomized_ids: frozenset[int]
    randomized_numbers: frozenset[str]
    """Screening numbers of randomized participants."""
    randomized_records: frozenset[int]
    randomized_kits: frozenset[str]


def concealed_facts(protocol: Protocol) -> Concealed:
    open_arms = {arm for part in protocol.design.parts
                 if part.masking.level == "NONE" and len(part.arms) == 1 for arm in part.arms}
    randomized_part = protocol.randomization.part if protocol.randomization else ""
    masked_arms = [protocol.arm(a) for a in protocol.part(randomized_part).arms]
    preparations = {p.preparation for a in protocol.design.administrations
                    for p in a.by_arm.values()}
    free = RandomizationSlot.objects.filter(participant__isnull=True)
    taken = RandomizationSlot.objects.filter(participant__isnull=False)
    hidden_arms = {v for a in masked_arms if a.id not in open_arms for v in (a.id, a.label)}
    hidden_arms |= {v for part in protocol.design.parts for seq in part.sequences
                    for v in (seq.id, seq.label)}
    ids = frozenset(taken.values_list("participant_id", flat=True))
    return Concealed(
        everywhere=frozenset(v.lower() for v in preparations | hidden_arms | {"sham"}
                             | set(free.values_list("number", flat=True))
                             | set(free.values_list("kit_code", flat=True))),
        about_randomized=frozenset(v.lower() for a in masked_arms for v in (a.id, a.label))
        | {"real", "sham"},
        randomized_ids=ids,
        randomized_numbers=frozenset(Participant.objects.filter(id__in=ids).values_list(
            "screening_number", flat=True)),
        randomized_records=frozenset(FormRecord.objects.filter(
            participant_id__in=ids).values_list("id", flat=True)),
        randomized_kits=frozenset(taken.values_list("kit_code", flat=True)))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _names_randomized(obj: dict[str, Any], facts: Concealed) -> bool:
    return (obj.get("participant_id") in facts.randomized_ids
            or obj.get("screening_number") in facts.randomized_numbers
            or obj.get("participant") in facts.randomized_numbers
            or ("screening_number" in obj and obj.get("id") in facts.randomized_ids))


def _randomized_scopes(value: Any, facts: Concealed) -> Iterator[Any]:
    if isinstance(value, dict):
        if _names_randomized(value, facts):
            yield value
            return
        for item in value.values():
            yield from _randomized_scopes(item, facts)
    elif isinstance(value, list):
        for item in value:
            yield from _randomized_scopes(item, facts)


def _hits(strings: Iterator[str], forbidden: frozenset[str], exact: bool) -> set[str]:
    found = set()
    for text in strings:
        low = text.strip().lower()
        for bad in forbidden:
            if low == bad or (not exact and len(bad) > 12 and bad in low):
                found.add(bad)
    return found


def leaks(body: Any, *, about_randomized: bool, facts: Concealed) -> set[str]:
    """Concealed values found in a JSON body (or a CSV text, given as a str)."""
    if isinstance(body, str):
        rows = list(csv.reader(io.StringIO(body)))
        body = [dict(enumerate(row)) | {"screening_number": next(
            (c for c in row if c in facts.randomized_numbers), None)} for row in rows]
    found = _hits(_strings(body), facts.everywhere, exact=False)
    scopes = [body] if about_randomized else list(_randomized_scopes(body, facts))
    for scope in scopes:
        found |= _hits(_strings(scope), facts.about_randomized, exact=True)
    return found
