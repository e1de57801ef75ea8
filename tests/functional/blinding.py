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
import difflib
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
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


# -- the differential check: twins in different arms, shown to a blinded reader ---------------
#
# Two participants with the same story, entered on the same days by the same people, differ
# only in their arm and in their own identifiers. A blinded reader's view of one, with each
# identifier replaced by its counterpart's, must equal the view of the other; any remaining
# difference is something the arm changed. (tests/integration/pages/blinding_world.py makes
# the twins.)

_TOKEN = re.compile(r"[\w.:@+-]+")


@dataclass(frozen=True)
class Counterparts:
    """Each identifier of twin A with the matching one of twin B, as text."""

    pairs: frozenset[tuple[str, str]]
    words: tuple[tuple[str, str], ...]
    """Identifiers that may sit inside longer text (screening numbers, kit codes): replaced by
    a placeholder in each twin's text before comparing, longest first."""

    def same(self, a: str, b: str) -> bool:
        return a == b or (a, b) in self.pairs


# Rows hanging off a participant, created in the same order for both twins, paired by order.
_ROWS = (("FormRecord", "participant"), ("FormVersion", "record__participant"),
         ("Query", "record__participant"), ("QueryMessage", "query__record__participant"),
         ("Signature", "version__record__participant"), ("Administration", "participant"),
         ("ScheduledVisit", "participant"), ("Deviation", "participant"),
         ("SeriousEventClock", "record__participant"), ("KitPreparation", "participant"))


def counterparts(a: Participant, b: Participant) -> Counterparts:
    from trialkit.web.trial import models

    pairs = {(str(a.pk), str(b.pk)), (str(a.sequence_in_part), str(b.sequence_in_part))}
    for name, path in _ROWS:
        model = getattr(models, name, None)
        if model is None or path.split("__")[0] not in {f.name for f in model._meta.get_fields()}:
            continue
        rows_a, rows_b = (list(model.objects.filter(**{path: p}).order_by("pk").values_list(
            "pk", flat=True)) for p in (a, b))
        pairs |= {(str(x), str(y)) for x, y in zip(rows_a, rows_b, strict=False)}
    events_a, events_b = (_events_about(p) for p in (a, b))
    pairs |= {(str(x), str(y)) for ea, eb in zip(events_a, events_b, strict=False)
              for x, y in zip(ea, eb, strict=True)}
    slot_a, slot_b = (RandomizationSlot.objects.get(participant=p) for p in (a, b))
    words = [(a.screening_number, b.screening_number), (slot_a.number, slot_b.number),
             (slot_a.kit_code, slot_b.kit_code)]
    return Counterparts(frozenset(pairs), tuple(sorted(
        ((x.lower(), y.lower()) for x, y in words if x and y), key=lambda w: -len(w[0]))))


def _events_about(participant: Participant) -> list[tuple[int, int]]:
    """(id, sequence) of the audit events naming the participant, oldest first."""
    from trialkit.web.trial.models import AuditEvent

    number = participant.screening_number
    return [(e.pk, e.sequence) for e in AuditEvent.objects.order_by("sequence")
            if (e.object_type == "Participant" and e.object_id == str(participant.pk))
            or number in json.dumps([e.old, e.new], default=str)]


def _placeheld(text: str, words: tuple[tuple[str, str], ...], side: int) -> str:
    # Whole words only: a randomization number such as 0035 also occurs inside a protocol
    # version's hash, which the twins share.
    for n, pair in enumerate(words):
        text = re.sub(rf"(?<![0-9a-z]){re.escape(pair[side])}(?![0-9a-z])", f"⟨id{n}⟩", text)
    return text


def text_differences(a: str, b: str, twins: Counterparts) -> list[tuple[str, str]]:
    """Where two texts (lower case) differ beyond the twins' identifiers: (A's words, B's)."""
    ta = _TOKEN.findall(_placeheld(a.lower(), twins.words, 0))
    tb = _TOKEN.findall(_placeheld(b.lower(), twins.words, 1))
    return _differing(ta, tb, twins.same)


def json_differences(a: Any, b: Any, twins: Counterparts) -> list[tuple[str, str]]:
    """As ``text_differences`` for JSON bodies, compared leaf by leaf (path = value)."""
    fa = [(path, _placeheld(v, twins.words, 0)) for path, v in _leaves(a)]
    fb = [(path, _placeheld(v, twins.words, 1)) for path, v in _leaves(b)]

    def same(x: tuple[str, str], y: tuple[str, str]) -> bool:
        return x[0] == y[0] and twins.same(x[1], y[1])

    return [(str(x), str(y)) for x, y in _differing(fa, fb, same)]


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _leaves(item, f"{path}[{n}]")
    else:
        yield path, str(value).lower()


def _differing(a: list[Any], b: list[Any], same: Any) -> list[tuple[Any, Any]]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1 and all(
                same(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)):
            continue
        found.append((" ".join(map(str, a[i1:i2])), " ".join(map(str, b[j1:j2]))))
    return found


# Rows a request may create about a twin. Their ids are fresh for each request (PostgreSQL does
# not give back an id a rolled-back request took, SQLite does), so the ids one request created
# are paired with those the same request about the other twin created.
_CREATED = ("FormRecord", "FormVersion", "Query", "QueryMessage", "Signature", "Administration",
            "Deviation", "Unblinding", "KitPreparation", "SeriousEventClock", "Notification",
            "AuditEvent")


@contextmanager
def created_rows() -> Iterator[dict[str, list[int]]]:
    """Inside a request's transaction: model name → the ids it created (filled on exit)."""
    from trialkit.web.trial import models

    tables = [getattr(models, name) for name in _CREATED if hasattr(models, name)]
    before = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
              for m in tables}
    found: dict[str, list[int]] = {}
    yield found
    for model, top in before.items():
        found[model.__name__] = list(model.objects.filter(pk__gt=top).order_by("pk")
                                     .values_list("pk", flat=True))
    if "AuditEvent" in found:
        found["AuditEvent.sequence"] = list(models.AuditEvent.objects.filter(
            pk__in=found["AuditEvent"]).order_by("pk").values_list("sequence", flat=True))


def with_created(twins: Counterparts, a: dict[str, list[int]],
                 b: dict[str, list[int]]) -> Counterparts:
    """``twins`` with the ids two requests created paired, in the order they were made."""
    extra = {(str(x), str(y)) for name in a for x, y in zip(a[name], b.get(name, []),
                                                           strict=False)}
    return Counterparts(twins.pairs | extra, twins.words)
