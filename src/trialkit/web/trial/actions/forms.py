"""Case report forms: each save is a new version; e-signatures bind to a version.

Who may enter a form is written in the protocol: the roles of ``form.entered_by``, holding
the permission the kind of form needs (``report_adverse_event`` for an adverse-event form,
``enter_data`` for any other). Both must hold: a protocol that lists a role without granting
it the permission has contradicted itself, and the refusal says which half is missing.

Who may read a form is written in the protocol too (``read_by`` on the form, ``reads`` on the
role: core/protocol/reading.py), and ``may_read`` is the one check every read path asks:
pages, API, exports, the participant overview, form history, item audit trail, queries and
signatures on the form. A form that records a procedure differing by arm (real or sham) reveals
the arm: only a role that sees the procedure type enters it, and only one that sees the
procedure type or the allocation reads it (checked here at each request as well as at load,
so a role blinded until lock reads it only once the database is locked). A record the actor
may not read answers like one that does not exist.

A form that is not repeating is entered at a visit that lists it; a repeating form (adverse
events, relapses) is entered at a visit that lists it or, as a log, without a visit.
The first save needs no reason; every later save needs one and must change something.
Hard validation errors refuse the save; soft findings are stored with the version and open
automatic queries, and an automatic query whose finding is gone is closed by the save that
fixed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypeVar

from django.db import IntegrityError
from django.db.models import Max, Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trialkit.core.forms import Finding, is_serious, item_changes, validate_form
from trialkit.core.forms.values import JsonScalar
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.core.protocol.reading import SIGHTED, reads, revealing_administrations
from trialkit.web.trial import clock
from trialkit.web.trial.actions.adverse_events import start_serious_event_clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
    worded,
)
from trialkit.web.trial.actions.consent_forms import refuse_other_consent_facts
from trialkit.web.trial.actions.dose_forms import refuse_other_dose_facts
from trialkit.web.trial.actions.kernel import (
    RECORDS_STUDY_DATA,
    WRITES_PARTICIPANT_DATA,
    action,
    record,
    reenter_password,
    why_not_before_consent,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Profile,
    Query,
    QueryMessage,
    Signature,
)
from trialkit.web.trial.wording import resolved_by

EDIT_CHECK = "edit check"
_Row = TypeVar("_Row", bound=Model)
# Date items are compared with the calendar day in the zone furthest ahead (UTC+14): the server
# does not know each site's zone, and a date that is already "today" somewhere is not flagged.
_EARLIEST_DAY_ZONE = dt.timezone(dt.timedelta(hours=14))


def why_not_enter(actor: Actor, form: Form) -> str | Promise:
    """Why this actor may not enter ``form``, worded when read (empty: it may)."""
    if actor.role not in form.entered_by:
        return worded(_("form %(form)s is entered by %(roles)s, not by '%(role)s'"),
                      form=form.id, roles=", ".join(form.entered_by), role=actor.role)
    if form.kind == "adverse_event" and not actor.can("report_adverse_event"):
        return worded(_("role '%(role)s' may not report adverse events"), role=actor.role)
    if form.kind != "adverse_event" and not actor.can("enter_data"):
        return worded(_("role '%(role)s' may not enter data"), role=actor.role)
    if revealing_administrations(actor.protocol(), form) and not actor.sees("procedure_type"):
        # The same answer for every participant: it names the form, never an arm.
        return worded(_("form %(form)s records a procedure that differs by arm; only a role "
                        "that sees the procedure type enters it"), form=form.id)
    return why_not_read(actor, form)


def may_enter(actor: Actor, form: Form) -> bool:
    return not why_not_enter(actor, form)


def why_not_read(actor: Actor, form: Form) -> str | Promise:
    """Why this actor may not read ``form``'s data, worded when read (empty: it may). Depends
    on the role and the form only, never on a participant, so a refusal tells nothing about
    anyone's arm."""
    protocol = actor.protocol()
    try:
        role = protocol.role(actor.role)
    except KeyError:
        return worded(_("role '%(role)s' is not a role of this protocol"), role=actor.role)
    if not reads(role, form):
        return worded(_("role '%(role)s' does not read form %(form)s"), role=actor.role,
                      form=form.id)
    if revealing_administrations(protocol, form) and not any(actor.sees(s) for s in SIGHTED):
        return worded(_("form %(form)s records a procedure that differs by arm"), form=form.id)
    return ""


def may_read(actor: Actor, form: Form) -> bool:
    return not why_not_read(actor, form)


def readable_form_ids(actor: Actor) -> frozenset[str]:
    """The ids of every form this actor may read."""
    return frozenset(f.id for f in actor.protocol().forms if may_read(actor, f))


def readable(actor: Actor, rows: QuerySet[_Row], record: str = "") -> QuerySet[_Row]:
    """``rows`` narrowed to the forms the actor reads; ``record`` is the lookup path from a
    row to its form record (``""`` for form records, ``"record"`` for a version or query)."""
    lookup = f"{record}__form_id__in" if record else "form_id__in"
    return rows.filter(**{lookup: readable_form_ids(actor)})


def require_read(actor: Actor, form_record: FormRecord) -> None:
    """Refuse a record of a form the actor may not read as if it did not exist."""
    try:
        form = actor.protocol().form(form_record.form_id)
    except KeyError:
        raise NotFoundError(_("no such form record"), field="record_id") from None
    if not may_read(actor, form):
        raise NotFoundError(_("no such form record"), field="record_id")


def entering(form: Form) -> Promise | None:
    """What saving ``form`` enters, in words, for the consent guard; None for the consent form
    itself, which is entered as consent is taken (every other form waits for consent)."""
    return None if form.kind == "consent" else worded(_("entering %(form)s"), form=form.name)


def awaiting_consent(participant: Participant, form: Form) -> str:
    """Why ``form`` cannot be entered for the participant yet (empty: it can, as far as
    consent goes): the consent guard's own answer, for pages to leave out the entry."""
    doing = entering(form)
    return "" if doing is None else why_not_before_consent(participant, doing)


def _entering(arguments: Mapping[str, object]) -> Promise | None:
    actor, form_id = arguments.get("actor"), arguments.get("form_id")
    form = None
    if isinstance(actor, Actor) and isinstance(form_id, str):
        form = next((f for f in actor.protocol().forms if f.id == form_id), None)
    return worded(_("entering form %(form)s"), form=form_id) if form is None else entering(form)


@action(AuditAction.SAVE_FORM, guards=RECORDS_STUDY_DATA, subject="participant",
        idempotent=True, doing=_entering)
def do_save_form(participant: Participant, form_id: str, visit_id: str,
                 data: Mapping[str, object], *, actor: Actor, reason: str = "",
                 repeat_index: int | None = None,
                 idempotency_key: str | None = None) -> FormVersion:
    protocol = actor.protocol()
    form = _form(protocol, form_id)
    refusal = why_not_enter(actor, form)
    if refusal:
        raise NotPermittedError(refusal, field="form_id")
    _check_instance(protocol, form, visit_id, repeat_index)
    if not isinstance(data, Mapping):
        raise InvalidInputError(_("form data must map item ids to values"), field="data")
    return save_version(participant, form, visit_id, data, actor=actor, reason=reason,
                        repeat_index=repeat_index)


def fill_with_facts(participant: Participant, form: Form, visit_id: str,
                    filled: Mapping[str, JsonScalar], *, actor: Actor, reason: str) -> None:
    """An action enters the facts it has just recorded (a dose, a consent) into their form: a
    first version, or a correction giving ``reason`` where the latest version says otherwise;
    nothing when it already agrees. A form that asks more than the facts give (a required lot)
    is left for the site to enter."""
    entered = FormRecord.objects.filter(participant=participant, visit_id=visit_id,
                                        form_id=form.id, repeat_index=1).first()
    latest = entered.versions.filter(number=entered.latest_version).first() \
        if entered is not None else None
    previous = dict(latest.data) if latest is not None else {}
    if latest is not None and all(previous.get(k) == v for k, v in filled.items()):
        return
    try:
        save_version(participant, form, visit_id, {**previous, **filled}, actor=actor,
                     reason="" if latest is None else reason)
    except InvalidInputError:
        return  # it needs more than the facts give: the site enters the rest


def save_version(participant: Participant, form: Form, visit_id: str,
                 data: Mapping[str, object], *, actor: Actor, reason: str = "",
                 repeat_index: int | None = None) -> FormVersion:
    """Validate and store a version of the form, with its audit event, its automatic queries
    and the serious-event clock. For an action: who may enter the form, and at which visit, is
    the caller's to have checked (``do_save_form``; the dose action fills its form itself)."""
    protocol = actor.protocol()
    now = clock.now()
    result = validate_form(form, {c.id: c for c in protocol.codelists}, data,
                           as_of=now.astimezone(_EARLIEST_DAY_ZONE))
    if result.errors:
        raise InvalidInputError("; ".join(str(e) for e in result.errors),
                                field=result.errors[0].item)
    # What the dose or the consent recorded, the form cannot contradict (checked on clean
    # values, after the form's own validation has named what is malformed).
    refuse_other_dose_facts(participant, form, visit_id, result.values, actor=actor)
    refuse_other_consent_facts(participant, form, result.values)
    form_record = _record_for(participant, form, visit_id, repeat_index, now)
    form_record.participant = participant  # the same row: the audit event names it unread
    previous = form_record.versions.filter(number=form_record.latest_version).first()
    values = dict(result.values)
    _check_change(previous, values, reason)
    version = FormVersion.objects.create(
        record=form_record, number=form_record.latest_version + 1, data=values,
        saved_by=actor.name, saved_role=actor.role, saved_at=now, reason=reason.strip(),
        # The version the data were just validated under (the actor's protocol).
        protocol_version=actor.study.protocol_version,
        findings=[f.to_json() for f in result.findings])
    form_record.latest_version = version.number
    form_record.save(update_fields=["latest_version"])
    _audit_save(actor, form_record, previous, version)
    _void_signatures(actor, previous, version)
    _sync_automatic_queries(actor, form_record, version, result.queries, now)
    if is_serious(form, values):
        start_serious_event_clock(version, actor=actor, now=now)
    return version


def _form(protocol: Protocol, form_id: str) -> Form:
    try:
        return protocol.form(form_id)
    except KeyError:
        raise InvalidInputError(_("unknown form '%(form)s'"), field="form_id",
                                form=form_id) from None


def _check_instance(protocol: Protocol, form: Form, visit_id: str,
                    repeat_index: int | None) -> None:
    if visit_id:
        try:
            visit = protocol.visit(visit_id)
        except KeyError:
            raise InvalidInputError(_("unknown visit '%(visit)s'"), field="visit_id",
                                    visit=visit_id) from None
        if form.id not in visit.forms:
            raise InvalidInputError(_("form %(form)s is not collected at visit %(visit)s"),
                                    field="visit_id", form=form.id, visit=visit_id)
    elif not form.repeating:
        raise InvalidInputError(_("form %(form)s is entered at a visit; name it"),
                                field="visit_id", form=form.id)
    if repeat_index is not None and (repeat_index < 1 or
                                     (not form.repeating and repeat_index != 1)):
        raise InvalidInputError(_("form %(form)s has no instance %(repeat_index)s"),
                                field="repeat_index", form=form.id, repeat_index=repeat_index)


def _record_for(participant: Participant, form: Form, visit_id: str, repeat_index: int | None,
                now: dt.datetime) -> FormRecord:
    """The form instance, locked for this save; a repeating form without an index is new."""
    instances = FormRecord.objects.filter(participant=participant, visit_id=visit_id,
                                          form_id=form.id)
    if form.repeating and repeat_index is None:
        highest = instances.aggregate(top=Max("repeat_index"))["top"] or 0
        try:
            return FormRecord.objects.create(participant=participant, visit_id=visit_id,
                                             form_id=form.id, repeat_index=highest + 1,
                                             created_at=now)
        except IntegrityError:
            raise StateConflictError(_("another entry of this form was saved at the same "
                                       "moment; save again"), field="repeat_index") from None
    if form.repeating:
        found = instances.select_for_update().filter(repeat_index=repeat_index).first()
        if found is None:
            raise NotFoundError(_("no %(form)s entry %(repeat_index)s"), field="repeat_index",
                                form=form.id, repeat_index=repeat_index)
        return found
    # A correction (the common save) finds its record at once; a first save creates it, or
    # finds the one a racing first save created.
    found = instances.select_for_update().filter(repeat_index=1).first()
    if found is not None:
        return found
    FormRecord.objects.get_or_create(participant=participant, visit_id=visit_id,
                                     form_id=form.id, repeat_index=1,
                                     defaults={"created_at": now})
    return instances.select_for_update().get(repeat_index=1)


def _check_change(previous: FormVersion | None, values: Mapping[str, object],
                  reason: str) -> None:
    if previous is None:
        return
    if not reason.strip():
        raise InvalidInputError(_("a change to saved data needs a reason"), field="reason")
    if not item_changes(previous.data, values):
        raise InvalidInputError(_("nothing changed from the saved version"), field="data")


def _audit_save(actor: Actor, form_record: FormRecord, previous: FormVersion | None,
                version: FormVersion) -> None:
    changes = item_changes(previous.data if previous else {}, version.data)
    where = {"participant": form_record.participant.screening_number,
             "form": form_record.form_id, "visit": form_record.visit_id,
             "repeat_index": form_record.repeat_index}
    old = {"version": previous.number, "items": {k: o for k, (o, _) in changes.items()}} \
        if previous else None
    new = {**where, "version": version.number, "items": {k: n for k, (_, n) in changes.items()},
           "findings": version.findings}
    record(actor, AuditAction.SAVE_FORM, version, old=old, new=new, reason=version.reason)


def _void_signatures(actor: Actor, previous: FormVersion | None, version: FormVersion) -> None:
    """A signature vouches for one version; a new version leaves it standing but void."""
    if previous is None:
        return
    for signature in previous.signatures.all():
        record(actor, AuditAction.VOID_SIGNATURE, signature,
               old={"version": previous.number, "valid": True,
                    "printed_name": signature.printed_name},
               new={"version": previous.number, "valid": False,
                    "superseded_by_version": version.number},
               reason=version.reason)


def _sync_automatic_queries(actor: Actor, form_record: FormRecord, version: FormVersion,
                            findings: tuple[Finding, ...], now: dt.datetime) -> None:
    found = {(f.item, f.message): f for f in findings}
    wanted = set(found)  # what no live query asks yet: each opens one
    live = form_record.queries.filter(automatic=True).exclude(status=Query.Status.CLOSED)
    for query in live:
        if (query.item_id, query.text) in wanted:
            wanted.discard((query.item_id, query.text))
            continue
        query.status, query.closed_at = Query.Status.CLOSED, now
        query.save(update_fields=["status", "closed_at"])
        QueryMessage.objects.create(query=query, author=EDIT_CHECK, author_role="system",
                                    text=resolved_by(version.number),
                                    written_at=now)
        record(actor, AuditAction.CLOSE_AUTOMATIC_QUERY, query, old={"status": "open"},
               new={"status": "closed", "resolved_by_version": version.number})
    for item, text in sorted(wanted):
        finding = found[item, text]
        query = Query.objects.create(record=form_record, item_id=item, text=text,
                                     automatic=True, raised_by=EDIT_CHECK, raised_at=now,
                                     raised_on_version=version.number, check_id=finding.check,
                                     wording=finding.wording.to_json()
                                     if finding.wording is not None else None)
        QueryMessage.objects.create(query=query, author=EDIT_CHECK, author_role="system",
                                    text=text, written_at=now)
        record(actor, AuditAction.OPEN_AUTOMATIC_QUERY, query,
               new={"item": item, "text": text, "version": version.number})


@action(AuditAction.SIGN_FORM, permission="sign", guards=WRITES_PARTICIPANT_DATA,
        subject="form_record")
def do_sign_form(form_record: FormRecord, password: str, meaning: str, *,
                 actor: Actor) -> Signature:
    """E-sign the latest version: password re-entry, printed name, time and meaning (a wrong
    password is audited and counted toward the lockout by the kernel)."""
    require_read(actor, form_record)
    reenter_password(actor, password, "sign a form")
    return sign_latest_version(form_record, meaning, actor)


def sign_latest_version(form_record: FormRecord, meaning: str, actor: Actor) -> Signature:
    """The signature itself, once the signer has re-entered their password: 21 CFR 11.50's
    printed name, date and time, and meaning, bound to the record's latest version."""
    if not meaning.strip():
        raise InvalidInputError(_("say what the signature means"), field="meaning")
    form_record = FormRecord.objects.select_for_update().get(pk=form_record.pk)
    version = form_record.versions.filter(number=form_record.latest_version).first()
    if version is None:
        raise StateConflictError(_("the form has no saved data to sign"), field="record")
    if version.signatures.filter(signer=actor.user).exists():
        raise StateConflictError(_("you have already signed this version"), field="record")
    profile = Profile.objects.filter(user=actor.user).first()
    printed_name = profile.printed_name if profile else actor.name
    signature = Signature.objects.create(
        version=version, signer=actor.user, signer_role=actor.role, printed_name=printed_name,
        meaning=meaning.strip(), signed_at=clock.now())
    record(actor, AuditAction.SIGN_FORM, signature, new={
        "participant": form_record.participant.screening_number, "form": form_record.form_id,
        "version": version.number, "printed_name": printed_name, "meaning": signature.meaning,
        "signed_at": signature.signed_at})
    return signature
