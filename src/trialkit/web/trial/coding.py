"""Reads of adverse-event coding: the current dictionary, where each event stands, suggestions.

An event's standing coding is its latest ``AdverseEventCoding``; it is *stale* when the form's
latest version holds another verbatim term than the one coded (a corrected term needs coding
again). Everything here is narrowed to the actor's sites (``scope.in_scope``) and to the forms
the actor reads. Nothing here reads or reveals allocation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from trialkit.core.coding import LowestLevelTerm, Suggestion, normalise, suggest
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.models import (
    AdverseEventCoding,
    DictionaryTerm,
    DictionaryVersion,
    FormRecord,
    FormVersion,
)
from trialkit.web.trial.scope import in_scope

Status = Literal["awaiting", "stale", "coded"]


def coded_item(form: Form) -> Item | None:
    """The item of the form whose verbatim answer is coded (the adverse event's term)."""
    return next((i for i in form.items if i.coded_with is not None), None)


def coded_forms(protocol: Protocol) -> dict[str, Item]:
    """Form id → its coded item, for every form that has one."""
    return {f.id: item for f in protocol.forms if (item := coded_item(f)) is not None}


def current_dictionary() -> DictionaryVersion | None:
    return DictionaryVersion.objects.filter(is_current=True).first()


def latest_coding(form_record: FormRecord) -> AdverseEventCoding | None:
    return form_record.codings.select_related("term", "version").order_by(
        "-coded_at", "-pk").first()


def verbatim_of(version: FormVersion, item: Item) -> str:
    value = version.data.get(item.id)
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class EventCoding:
    record: FormRecord
    version: FormVersion
    verbatim: str
    coding: AdverseEventCoding | None
    status: Status


def standing(form_record: FormRecord, version: FormVersion, item: Item,
             coding: AdverseEventCoding | None) -> EventCoding:
    verbatim = verbatim_of(version, item)
    status: Status = ("awaiting" if coding is None else
                      "stale" if coding.verbatim != verbatim else "coded")
    return EventCoding(form_record, version, verbatim, coding, status)


def event_coding(form_record: FormRecord, protocol: Protocol) -> EventCoding | None:
    """Where one form record's coding stands (None: not a coded form, or nothing saved)."""
    item = coded_forms(protocol).get(form_record.form_id)
    version = form_record.versions.filter(number=form_record.latest_version).first()
    if item is None or version is None:
        return None
    return standing(form_record, version, item, latest_coding(form_record))


def events(actor: Actor) -> list[EventCoding]:
    """Every saved event of a coded form the actor reads at its sites, with its standing."""
    forms = coded_forms(actor.protocol())
    records = readable(actor, in_scope(actor, FormRecord.objects.filter(
        form_id__in=list(forms), latest_version__gt=0), "participant")).select_related(
        "participant", "participant__site").order_by("participant__screening_number",
                                                     "repeat_index", "pk")
    versions = {(v.record_id, v.number): v for v in FormVersion.objects.filter(
        record__in=records)}
    codings: dict[int, AdverseEventCoding] = {}
    for coding in AdverseEventCoding.objects.filter(record__in=records).select_related(
            "term", "version").order_by("coded_at", "pk"):
        codings[coding.record_id] = coding  # the last one stands
    return [standing(r, versions[(r.pk, r.latest_version)], forms[r.form_id], codings.get(r.pk))
            for r in records]


def awaiting(actor: Actor) -> list[EventCoding]:
    """The events at the actor's sites not yet coded, or coded before the term changed."""
    return [e for e in events(actor) if e.status != "coded"]


def _as_llt(term: DictionaryTerm) -> LowestLevelTerm:
    return LowestLevelTerm(term.llt_code, term.llt_name, term.pt_code, term.current)


def suggestions(dictionary: DictionaryVersion, verbatim: str,
                limit: int = 10) -> list[tuple[Suggestion, DictionaryTerm]]:
    """The dictionary's suggestions for a verbatim term (core's rules), with their rows."""
    words = normalise(verbatim).split()
    if not words:
        return []
    candidates = dictionary.terms.filter(current=True, normalised__contains=words[0])
    rows = {t.llt_code: t for t in candidates}
    found = suggest(verbatim, (_as_llt(t) for t in rows.values()), limit=limit)
    return [(s, rows[s.llt.code]) for s in found]


def exact_term(dictionary: DictionaryVersion, verbatim: str) -> DictionaryTerm | None:
    """The one current term the verbatim is exactly (once normalised), else None."""
    found = list(dictionary.terms.filter(current=True, normalised=normalise(verbatim))[:2])
    return found[0] if len(found) == 1 else None


def terms_by_code(dictionary: DictionaryVersion,
                  codes: Iterable[str]) -> dict[str, DictionaryTerm]:
    return {t.llt_code: t for t in dictionary.terms.filter(llt_code__in=list(codes))}
