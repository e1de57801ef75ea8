"""Reading captured data: versions, item audit trails, queries by site, signatures, SAE clocks.

Reads only; every function checks that the actor may see the participant's site and read the
form (``actions.forms.may_read``: the protocol's ``read_by`` and ``reads``, and the rule that a
form recording a real-or-sham procedure is kept from blinded roles). Otherwise form data carry
no blinded information (kit codes are blinded codes), so no ``access_*`` check applies.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.timesince import timeuntil

from trialkit.core.forms import adverse_event_items, is_serious, item_changes
from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable, require_read
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Query,
    SeriousEventClock,
    SeriousEventReport,
    Signature,
)
from trialkit.web.trial.scope import in_scope
from trialkit.web.trial.study import protocol_of


@dataclass(frozen=True)
class SignatureView:
    """An e-signature of one version of a form."""

    version: int
    signer: str
    """The signer's username."""
    printed_name: str
    signer_role: str
    meaning: str
    signed_at: dt.datetime
    valid: bool
    """Only a signature of the latest version stands; a later save voids it."""


@dataclass(frozen=True)
class VersionView:
    """One saved version of a form, with the edit checks' findings and its signatures."""

    number: int
    data: dict[str, object]
    saved_by: str
    saved_role: str
    saved_at: dt.datetime
    reason: str
    """Why a saved version was changed (blank for the first version)."""
    findings: list[dict[str, object]]
    """What the edit checks found in this version."""
    signatures: list[SignatureView]


@dataclass(frozen=True)
class ItemChange:
    """One change of an item's value, old → new, by whom, when and why."""

    version: int
    old: object
    new: object
    by: str
    role: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class SignatureState:
    required: bool
    latest_version: int
    valid: list[SignatureView]
    voided: list[SignatureView]

    @property
    def signed(self) -> bool:
        return bool(self.valid)


@dataclass(frozen=True)
class MessageView:
    author: str
    author_role: str
    text: str
    written_at: dt.datetime


@dataclass(frozen=True)
class QueryView:
    """A data query on a form item (or on the form as a whole), with its conversation."""

    id: int
    record_id: int
    participant_id: int
    screening_number: str
    form_id: str
    visit_id: str
    """Blank for a repeating log form entered outside a visit."""
    item_id: str
    """Blank for a query on the form as a whole."""
    text: str
    status: str
    automatic: bool
    """Raised by an edit check rather than by a person."""
    raised_by: str
    raised_at: dt.datetime
    closed_at: dt.datetime | None
    messages: list[MessageView]
    """Oldest first."""
    form_name: str
    visit_name: str
    item_label: str
    """The protocol's names for the form, the visit and the item (the ids where the protocol
    has none), for people."""
    site: str
    """The participant's site (its code)."""
    assigned_to: str
    """The username of the person the query is assigned to (blank: nobody in particular)."""
    assigned_at: dt.datetime | None
    check_id: str = ""
    """The protocol's edit check that opened it, by id ("" when opened otherwise)."""
    wording: dict[str, Any] | None = None
    """Trialkit's own edit-check sentence as a template and values (``core.wording``)."""


@dataclass(frozen=True)
class ClockView:
    """A serious adverse event's clock for its initial report to the sponsor."""

    record_id: int
    participant_id: int
    screening_number: str
    site: str
    term: str
    """The event's term as entered (the form's name until one is)."""
    aware_at: dt.datetime
    deadline: dt.datetime
    reported_at: dt.datetime | None
    reported_by: str
    overdue: bool
    """The deadline passed before the report was sent (or, unsent, before now)."""
    still_serious: bool
    """False when a later version of the form no longer records the event as serious."""
    time_left: dt.timedelta
    """Negative once the deadline has passed; relative to the moment of reading."""

    @property
    def time_left_text(self) -> str:
        """The time left in words, counted from the trial's clock at reading (Django's
        ``timeuntil`` filter would count from the wall clock, which a fixed or demo clock
        does not follow)."""
        return timeuntil(self.deadline, now=self.deadline - self.time_left)


def form_versions(form_record: FormRecord, *, actor: Actor) -> list[VersionView]:
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    return [version_view(v, form_record) for v in _versions(form_record)]


def version_view(version: FormVersion, form_record: FormRecord) -> VersionView:
    """One version as the history shows it (``form_record``: its record, as last saved)."""
    signatures = version.signatures.select_related("signer").order_by("signed_at", "pk")
    return VersionView(version.number, version.data, version.saved_by, version.saved_role,
                       version.saved_at, version.reason, list(version.findings or []),
                       [signature_view(s, form_record) for s in signatures])


def item_audit_trail(form_record: FormRecord, *, actor: Actor) -> dict[str, list[ItemChange]]:
    """Item id → every change of its value (old → new, who, when, why), oldest first."""
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    trail: dict[str, list[ItemChange]] = defaultdict(list)
    before: dict[str, object] = {}
    for version in _versions(form_record):
        for item, (old, new) in item_changes(before, version.data).items():
            trail[item].append(ItemChange(version.number, old, new, version.saved_by,
                                          version.saved_role, version.saved_at, version.reason))
        before = version.data
    return dict(trail)


def signature_state(form_record: FormRecord, *, actor: Actor) -> SignatureState:
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    form = protocol_of(form_record.participant.study).form(form_record.form_id)
    views = [signature_view(s, form_record) for s in Signature.objects.filter(
        version__record=form_record).select_related("version", "signer").order_by("signed_at")]
    return SignatureState(form.signature_required, form_record.latest_version,
                          [v for v in views if v.valid], [v for v in views if not v.valid])


def unresolved_queries_by_site(*, actor: Actor) -> dict[str, list[QueryView]]:
    """Site code → queries still open or answered, oldest first, at the sites the actor sees."""
    queries = Query.objects.exclude(status=Query.Status.CLOSED)
    by_site: dict[str, list[QueryView]] = defaultdict(list)
    for query in _with_context(_readable_queries(actor, queries)).order_by("raised_at", "pk"):
        by_site[query.record.participant.site.code].append(_query_view(query))
    return dict(by_site)


def queries_in_scope(*, actor: Actor, status: str | None = None,
                     participant_id: int | None = None,
                     assigned_to: str | None = None) -> list[QueryView]:
    """Queries at the actor's sites on forms they read, optionally by status, participant and
    assignee (a username; ``""``: assigned to nobody), in the order they were raised."""
    queries = Query.objects.all()
    if status is not None:
        queries = queries.filter(status=status)
    if participant_id is not None:
        queries = queries.filter(record__participant_id=participant_id)
    if assigned_to is not None:
        queries = queries.filter(assigned_to__username=assigned_to) if assigned_to else \
            queries.filter(assigned_to__isnull=True)
    return [_query_view(q) for q in _with_context(_readable_queries(actor, queries)
                                                  ).order_by("pk")]


def query_view(query: Query) -> QueryView:
    """One query (found through ``lookups.query_for``, which checks scope and reading)."""
    return _query_view(_with_context(Query.objects.filter(pk=query.pk)).get())


def _readable_queries(actor: Actor, queries: QuerySet[Query]) -> QuerySet[Query]:
    return readable(actor, in_scope(actor, queries, "record__participant"), "record")


def running_sae_clocks(*, actor: Actor, now: dt.datetime | None = None) -> list[ClockView]:
    """Serious events whose initial report is not yet marked sent, most urgent first."""
    return sae_clocks(actor=actor, now=now, unreported=True)


def sae_clocks(*, actor: Actor, now: dt.datetime | None = None,
               unreported: bool = False) -> list[ClockView]:
    """Serious events' reporting clocks at the actor's sites, on forms they read, most urgent
    first; ``unreported``: only those whose initial report is not yet marked sent."""
    clocks = SeriousEventClock.objects.select_related(
        "record__participant__site", "record__participant__study").order_by("deadline", "pk")
    if unreported:
        clocks = clocks.filter(reported_at__isnull=True)
    clocks = readable(actor, in_scope(actor, clocks, "record__participant"), "record")
    return [clock_view(c, now) for c in clocks]


def reported_sae_clocks(*, actor: Actor) -> list[ClockView]:
    """Serious events whose initial report was sent, most recently aware first."""
    return sorted((c for c in sae_clocks(actor=actor) if c.reported_at is not None),
                  key=lambda c: c.aware_at, reverse=True)


def sae_reports(record_ids: list[int]) -> dict[int, list[SeriousEventReport]]:
    """Form record id → the reports sent about its serious event, in the order sent (the
    records were read through ``sae_clocks``, which checks scope and reading)."""
    reports: dict[int, list[SeriousEventReport]] = defaultdict(list)
    for report in SeriousEventReport.objects.filter(clock__record_id__in=record_ids).order_by(
            "sent_at", "pk").select_related("clock"):
        reports[report.clock.record_id].append(report)
    return dict(reports)


def clock_view(sae_clock: SeriousEventClock, now: dt.datetime | None = None) -> ClockView:
    now = now or clock.now()
    record = sae_clock.record
    latest = _versions(record).last()
    data = latest.data if latest else {}
    form = protocol_of(record.participant.study).form(record.form_id)
    items = adverse_event_items(form)
    return ClockView(
        sae_clock.record_id, record.participant_id, record.participant.screening_number,
        record.participant.site.code, items.term_of(data, form.name) if items else form.name,
        sae_clock.aware_at, sae_clock.deadline, sae_clock.reported_at, sae_clock.reported_by,
        (sae_clock.reported_at or now) > sae_clock.deadline, is_serious(form, data),
        sae_clock.deadline - now)


def form_instance(participant: Participant, visit_id: str, form_id: str,
                  repeat_index: int | None = None) -> FormRecord | None:
    """The record of a form at a visit (``repeat_index``: which entry of a repeating form).
    The page checks the site and the reading before (``lookups``, ``why_not_read``)."""
    instances = FormRecord.objects.filter(participant=participant, visit_id=visit_id,
                                          form_id=form_id)
    if repeat_index is not None:
        instances = instances.filter(repeat_index=repeat_index)
    return instances.first()


def latest_version(form_record: FormRecord) -> FormVersion | None:
    return form_record.versions.filter(number=form_record.latest_version).first()


def _versions(form_record: FormRecord) -> QuerySet[FormVersion]:
    return FormVersion.objects.filter(record=form_record).order_by("number")


def signature_view(signature: Signature, form_record: FormRecord) -> SignatureView:
    """A signature; valid while it signs the record's latest version."""
    number = signature.version.number
    return SignatureView(number, signature.signer.get_username(), signature.printed_name,
                         signature.signer_role, signature.meaning, signature.signed_at,
                         number == form_record.latest_version)


def _with_context(queries: QuerySet[Query]) -> QuerySet[Query]:
    return queries.select_related("record__participant__site", "record__participant__study",
                                  "assigned_to").prefetch_related("messages")


def _query_view(query: Query) -> QueryView:
    form_record = query.record
    messages = [MessageView(m.author, m.author_role, m.text, m.written_at)
                for m in sorted(query.messages.all(), key=lambda m: (m.written_at, m.pk))]
    names = _names(protocol_of(form_record.participant.study), form_record.form_id,
                   form_record.visit_id, query.item_id)
    return QueryView(query.pk, form_record.pk, form_record.participant_id,
                     form_record.participant.screening_number, form_record.form_id,
                     form_record.visit_id, query.item_id, query.text, query.status,
                     query.automatic, query.raised_by, query.raised_at, query.closed_at,
                     messages, *names, form_record.participant.site.code,
                     query.assigned_to.get_username() if query.assigned_to else "",
                     query.assigned_at, query.check_id, query.wording)


def _names(protocol: Protocol, form_id: str, visit_id: str, item_id: str
           ) -> tuple[str, str, str]:
    """(form name, visit name, item label); an id the protocol does not know stays as is."""
    try:
        form = protocol.form(form_id)
    except KeyError:
        return form_id, visit_id, item_id
    labels = {item.id: item.label for item in form.items}
    try:
        visit = protocol.visit(visit_id).name if visit_id else ""
    except KeyError:
        visit = visit_id
    return form.name, visit, labels.get(item_id, item_id) if item_id else ""


def queries_of(form_record: FormRecord, *, actor: Actor) -> list[QueryView]:
    """Every query of one form instance, closed ones included, oldest first."""
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    return [_query_view(q) for q in _with_context(form_record.queries.all()).order_by("pk")]
