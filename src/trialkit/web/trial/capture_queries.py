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

from django.db.models import QuerySet

from trialkit.core.forms import adverse_event_items, is_serious, item_changes
from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable, require_read
from trialkit.web.trial.models import FormRecord, FormVersion, Query, SeriousEventClock, Signature
from trialkit.web.trial.scope import in_scope
from trialkit.web.trial.study import protocol_of


@dataclass(frozen=True)
class SignatureView:
    printed_name: str
    signer_role: str
    meaning: str
    signed_at: dt.datetime
    version: int
    valid: bool
    """Only a signature of the latest version stands; a later save voids it."""


@dataclass(frozen=True)
class VersionView:
    number: int
    data: dict[str, object]
    saved_by: str
    saved_role: str
    saved_at: dt.datetime
    reason: str
    findings: list[dict[str, object]]
    signatures: list[SignatureView]


@dataclass(frozen=True)
class ItemChange:
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
class QueryView:
    id: int
    participant: str
    form: str
    visit: str
    item: str
    text: str
    status: str
    automatic: bool
    raised_by: str
    raised_at: dt.datetime
    messages: list[tuple[str, str, str, dt.datetime]]
    """(author, role, text, written at), oldest first."""
    form_name: str = ""
    visit_name: str = ""
    item_label: str = ""
    """The protocol's names for ``form``, ``visit`` and ``item`` (the ids where the protocol
    has none), for people; the ids stay for links and the API."""


@dataclass(frozen=True)
class ClockView:
    record_id: int
    participant: str
    site: str
    term: str
    aware_at: dt.datetime
    deadline: dt.datetime
    time_left: dt.timedelta
    """Negative once the deadline has passed."""
    overdue: bool
    still_serious: bool


def form_versions(form_record: FormRecord, *, actor: Actor) -> list[VersionView]:
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    return [VersionView(v.number, v.data, v.saved_by, v.saved_role, v.saved_at, v.reason,
                        v.findings, [_signature(s, form_record) for s in v.signatures.all()])
            for v in _versions(form_record)]


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
    views = [_signature(s, form_record) for s in Signature.objects.filter(
        version__record=form_record).select_related("version").order_by("signed_at")]
    return SignatureState(form.signature_required, form_record.latest_version,
                          [v for v in views if v.valid], [v for v in views if not v.valid])


def unresolved_queries_by_site(*, actor: Actor) -> dict[str, list[QueryView]]:
    """Site code → queries still open or answered, oldest first, at the sites the actor sees."""
    queries = Query.objects.exclude(status=Query.Status.CLOSED)
    queries = readable(actor, in_scope(actor, queries, "record__participant"), "record")
    by_site: dict[str, list[QueryView]] = defaultdict(list)
    for query in _with_context(queries).order_by("raised_at", "pk"):
        by_site[query.record.participant.site.code].append(_query_view(query))
    return dict(by_site)


def running_sae_clocks(*, actor: Actor, now: dt.datetime | None = None) -> list[ClockView]:
    """Serious events whose initial report is not yet marked sent, most urgent first."""
    now = now or clock.now()
    clocks = SeriousEventClock.objects.filter(reported_at__isnull=True).select_related(
        "record__participant__site", "record__participant__study").order_by("deadline")
    clocks = readable(actor, in_scope(actor, clocks, "record__participant"), "record")
    views = []
    for sae_clock in clocks:
        latest = _versions(sae_clock.record).last()
        data = latest.data if latest else {}
        form = protocol_of(sae_clock.record.participant.study).form(sae_clock.record.form_id)
        items = adverse_event_items(form)
        views.append(ClockView(
            sae_clock.record_id, sae_clock.record.participant.screening_number,
            sae_clock.record.participant.site.code,
            items.term_of(data, form.name) if items else form.name, sae_clock.aware_at,
            sae_clock.deadline, sae_clock.deadline - now, now > sae_clock.deadline,
            is_serious(form, data)))
    return views


def _versions(form_record: FormRecord) -> QuerySet[FormVersion]:
    return FormVersion.objects.filter(record=form_record).order_by("number")


def _signature(signature: Signature, form_record: FormRecord) -> SignatureView:
    number = signature.version.number
    return SignatureView(signature.printed_name, signature.signer_role, signature.meaning,
                         signature.signed_at, number, number == form_record.latest_version)


def _with_context(queries: QuerySet[Query]) -> QuerySet[Query]:
    return queries.select_related("record__participant__site", "record__participant__study"
                                  ).prefetch_related("messages")


def _query_view(query: Query) -> QueryView:
    form_record = query.record
    messages = [(m.author, m.author_role, m.text, m.written_at)
                for m in sorted(query.messages.all(), key=lambda m: m.pk)]
    names = _names(protocol_of(form_record.participant.study), form_record.form_id,
                   form_record.visit_id, query.item_id)
    return QueryView(query.pk, form_record.participant.screening_number, form_record.form_id,
                     form_record.visit_id, query.item_id, query.text, query.status,
                     query.automatic, query.raised_by, query.raised_at, messages, *names)


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
