"""Coding adverse events to the medical dictionary the sponsor loads.

- ``do_load_dictionary``: a release folder in MedDRA's layout, read and checked by
  ``trialkit.core.coding``, stored as one row per lowest level term and made current. Loading
  a version already loaded changes nothing.
- ``do_code_adverse_event``: a coder chooses the lowest level term for one event's verbatim
  term as the form's latest version holds it. Choosing again (a stale coding, or a better
  term) adds a row; the audit event names the old and the new term.
- ``do_autocode_adverse_events``: every event awaiting coding at the coder's sites whose
  verbatim term is exactly one current term (once normalised) is coded to it, in one audited
  act naming each; the rest wait for a person.

Coders are blinded: nothing here reads allocation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from trialkit.core.coding import Dictionary, DictionaryError, normalise, read_dictionary
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, InvalidInputError, StateConflictError
from trialkit.web.trial.actions.forms import require_read
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    Guard,
    action,
    nothing_changed,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.coding import (
    EventCoding,
    awaiting,
    current_dictionary,
    event_coding,
    exact_term,
)
from trialkit.web.trial.models import (
    AdverseEventCoding,
    DictionaryTerm,
    DictionaryVersion,
    FormRecord,
    Participant,
)

BATCH = 2000
"""Terms written per INSERT (a real release has some 80,000 lowest level terms)."""


@action(AuditAction.LOAD_DICTIONARY, permission="manage_users")
def do_load_dictionary(folder: str | Path, version: str | None = None, *, actor: Actor,
                       progress: Callable[[int, int], None] | None = None) -> DictionaryVersion:
    """Load a release folder and make it the current dictionary; ``version`` is needed when
    the folder has no ``meddra_release.asc``. ``progress(done, total)`` follows the writing."""
    try:
        dictionary = read_dictionary(Path(str(folder)), version or None)
    except (DictionaryError, OSError) as exc:
        raise InvalidInputError(str(exc), field="folder") from None
    loaded = DictionaryVersion.objects.filter(version=dictionary.version).first()
    if loaded is not None and loaded.is_current:
        nothing_changed()
        return loaded
    old = current_dictionary()
    DictionaryVersion.objects.filter(is_current=True).update(is_current=False)
    if loaded is None:
        loaded = DictionaryVersion.objects.create(version=dictionary.version,
                                                  loaded_at=clock.now(), loaded_by=actor.name,
                                                  is_current=True)
        _store_terms(loaded, dictionary, progress)
    else:
        DictionaryVersion.objects.filter(pk=loaded.pk).update(is_current=True)
        loaded.is_current = True
    record(actor, AuditAction.LOAD_DICTIONARY, loaded,
           old={"version": old.version} if old else None,
           new={"dictionary": loaded.name, "version": loaded.version,
                "terms": loaded.terms.count()})
    return loaded


def _store_terms(loaded: DictionaryVersion, dictionary: Dictionary,
                 progress: Callable[[int, int], None] | None) -> None:
    codes = sorted(dictionary.llts)
    for start in range(0, len(codes), BATCH):
        rows = []
        for code in codes[start:start + BATCH]:
            c = dictionary.coding(code)
            rows.append(DictionaryTerm(
                dictionary=loaded, llt_code=c.llt.code, llt_name=c.llt.name,
                normalised=normalise(c.llt.name), current=c.llt.current, pt_code=c.pt.code,
                pt_name=c.pt.name, hlt_code=c.hlt.code, hlt_name=c.hlt.name,
                hlgt_code=c.hlgt.code, hlgt_name=c.hlgt.name, soc_code=c.soc.code,
                soc_name=c.soc.name))
        DictionaryTerm.objects.bulk_create(rows)
        if progress is not None:
            progress(min(start + BATCH, len(codes)), len(codes))


@action(AuditAction.CODE_ADVERSE_EVENT, permission="code_terms",
        guards=WRITES_PARTICIPANT_DATA, subject="form_record")
def do_code_adverse_event(form_record: FormRecord, llt_code: str, *,
                          actor: Actor) -> AdverseEventCoding:
    """Code the event's verbatim term (as its latest version holds it) to a current LLT of the
    current dictionary."""
    require_read(actor, form_record)
    locked = FormRecord.objects.select_for_update().get(pk=form_record.pk)
    where = event_coding(locked, actor.protocol())
    if where is None:
        raise StateConflictError(_("this form has no saved term to code"), field="record")
    dictionary = current_dictionary()
    if dictionary is None:
        raise StateConflictError(_("no dictionary is loaded; load one first"),
                                 field="llt_code")
    term = dictionary.terms.filter(llt_code=str(llt_code), current=True).first()
    if term is None:
        raise InvalidInputError(_("'%(llt_code)s' is not a current term of dictionary "
                                  "%(version)s"), field="llt_code", llt_code=llt_code,
                                version=dictionary.version)
    if where.status == "coded" and where.coding is not None and where.coding.term_id == term.pk:
        raise StateConflictError(_("the event is already coded to this term"),
                                 field="llt_code")
    return _code(where, term, actor, automatic=False)


def _code(where: EventCoding, term: DictionaryTerm, actor: Actor, *,
          automatic: bool) -> AdverseEventCoding:
    coding = AdverseEventCoding.objects.create(
        record=where.record, version=where.version, verbatim=where.verbatim, term=term,
        automatic=automatic, coded_by=actor.name, coded_role=actor.role, coded_at=clock.now())
    if not automatic:
        record(actor, AuditAction.CODE_ADVERSE_EVENT, coding,
               old=_described(where.coding), new={**_where(where), **_described(coding)})
    return coding


def _where(where: EventCoding) -> dict[str, object]:
    return {"participant": where.record.participant.screening_number,
            "form": where.record.form_id, "repeat": where.record.repeat_index,
            "version": where.version.number, "verbatim": where.verbatim}


def _described(coding: AdverseEventCoding | None) -> dict[str, object]:
    if coding is None:
        return {}
    term = coding.term
    return {"dictionary": term.dictionary.version, "llt": f"{term.llt_code} {term.llt_name}",
            "pt": f"{term.pt_code} {term.pt_name}", "soc": f"{term.soc_code} {term.soc_name}"}


@action(AuditAction.AUTOCODE_ADVERSE_EVENTS, permission="code_terms",
        guards=frozenset({Guard.STUDY_UNLOCKED}))
def do_autocode_adverse_events(*, actor: Actor) -> list[AdverseEventCoding]:
    """Code each event awaiting coding whose verbatim is exactly one current term; a locked
    participant's events are left alone."""
    dictionary = current_dictionary()
    if dictionary is None:
        raise StateConflictError(_("no dictionary is loaded; load one first"),
                                 field="dictionary")
    done: list[AdverseEventCoding] = []
    for where in awaiting(actor):
        term = exact_term(dictionary, where.verbatim)
        if term is None or _locked(where.record.participant):
            continue
        done.append(_code(where, term, actor, automatic=True))
    if not done:
        raise StateConflictError(_("no event awaiting coding matches a current term exactly"),
                                 field="dictionary")
    record(actor, AuditAction.AUTOCODE_ADVERSE_EVENTS, dictionary, new={
        "dictionary": dictionary.version, "coded": [
            {**_where(EventCoding(c.record, c.version, c.verbatim, c, "coded")),
             **_described(c)} for c in done]})
    return done


def _locked(participant: Participant) -> bool:
    return Participant.objects.filter(pk=participant.pk, locked_at__isnull=False).exists()
