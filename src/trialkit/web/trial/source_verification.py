"""Reading source data verification: each item's standing, a form's and a visit's, the
monitor's worklist and who verified what when.

Reads only, in a fixed number of queries whatever the number of forms: the records, their
latest versions and their verification rows. Every function reads through the actor's site
scope and the forms the role reads (``actions.forms.readable``), so a form kept from a blinded
role (a real-or-sham procedure's) is neither listed nor counted. Standings are computed by
``trialkit.core.forms.verification`` from the values verified and the values now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, QuerySet

from trialkit.core.forms.verification import (
    AWAITING,
    LABELS,
    combined,
    item_standing,
    verifiable_items,
)
from trialkit.core.protocol import Protocol
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable, require_read
from trialkit.web.trial.models import FormRecord, FormVersion, Participant, SourceVerification
from trialkit.web.trial.scope import in_scope


@dataclass(frozen=True)
class ItemVerificationView:
    """Where one item of a form stands, and its latest verification (if any)."""

    item_id: str
    label: str
    status: str
    """``not_verified``, ``verified``, ``discrepancy`` or ``changed`` (since verified)."""
    status_label: str
    verified_version: int | None
    """The version the latest verification compared (None: never verified)."""
    verified_by: str
    verified_role: str
    verified_at: dt.datetime | None
    note: str
    """A discrepancy's note."""
    query_id: int | None
    """The query a discrepancy raised."""

    @property
    def awaiting(self) -> bool:
        return self.status in AWAITING


@dataclass(frozen=True)
class FormVerificationView:
    """One saved form instance and where its source data verification stands."""

    record_id: int
    participant_id: int
    screening_number: str
    site: str
    visit_id: str
    """Blank for a log form entered outside a visit."""
    form_id: str
    form_name: str
    repeat_index: int
    latest_version: int
    status: str
    """The items' standings combined: ``verified`` only when every item is; a change or a
    discrepancy anywhere shows first; ``partly_verified``; ``not_verified``."""
    status_label: str
    verified: int
    """Items verified as they stand."""
    awaiting: int
    """Items not yet verified, or changed since."""
    discrepancies: int
    total: int
    items: list[ItemVerificationView]


@dataclass(frozen=True)
class VerificationEntry:
    """One act of verification on a form as it was recorded (the history: who verified which
    items, of which version, when)."""

    item_ids: list[str]
    labels: list[str]
    version: int
    status: str
    verified_by: str
    verified_role: str
    verified_at: dt.datetime
    note: str
    query_id: int | None


@dataclass(frozen=True)
class VisitVerification:
    """A visit's forms, combined."""

    visit_id: str
    status: str
    status_label: str
    forms: int
    """Saved forms the role reads at the visit."""
    verified: int
    """Of those, forms verified as they stand."""


def form_verification(form_record: FormRecord, *, actor: Actor) -> FormVerificationView:
    """One form's standing, item by item (``form_record`` found through ``lookups``)."""
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    return _views(actor.protocol(), FormRecord.objects.filter(pk=form_record.pk))[0]


def verification_history(form_record: FormRecord, *, actor: Actor) -> list[VerificationEntry]:
    """Every verification of the form's items, newest first."""
    actor.require_site(form_record.participant)
    require_read(actor, form_record)
    labels = {i.id: i.label for i in actor.protocol().form(form_record.form_id).items}
    rows = SourceVerification.objects.filter(record=form_record).select_related(
        "version").order_by("-verified_at", "-pk")
    acts: dict[tuple[object, ...], list[SourceVerification]] = {}
    for row in rows:  # the rows one act wrote share its moment, person, version and outcome
        acts.setdefault((row.verified_at, row.verified_by, row.version.number, row.status,
                         row.note, row.query_id), []).append(row)
    return [_entry(act[::-1], labels) for act in acts.values()]


def _entry(act: list[SourceVerification], labels: dict[str, str]) -> VerificationEntry:
    first = act[0]
    return VerificationEntry([r.item_id for r in act], [labels.get(r.item_id, r.item_id)
                                                        for r in act],
                             first.version.number, first.status, first.verified_by,
                             first.verified_role, first.verified_at, first.note,
                             first.query_id)


def saved_forms(actor: Actor, participant: Participant | None = None) -> QuerySet[FormRecord]:
    """Saved forms at the actor's sites that their role reads (one participant's, if given),
    by participant, visit and form."""
    records = readable(actor, in_scope(actor, FormRecord.objects.filter(
        latest_version__gt=0), "participant"))
    if participant is not None:
        records = records.filter(participant=participant)
    return records.order_by("participant__screening_number", "participant_id", "visit_id",
                            "form_id", "repeat_index")


def verification_worklist(actor: Actor) -> list[FormVerificationView]:
    """The saved forms at the actor's sites that await verification: not (fully) verified, or
    changed since, or with a discrepancy still standing."""
    return [v for v in _views(actor.protocol(), saved_forms(actor)) if v.status != "verified"]


def visit_verification(actor: Actor, participant: Participant) -> dict[str, VisitVerification]:
    """Visit id (``""``: forms outside visits) → the standing of its saved forms."""
    by_visit: dict[str, list[FormVerificationView]] = defaultdict(list)
    for view in _views(actor.protocol(), saved_forms(actor, participant)):
        by_visit[view.visit_id].append(view)
    return {visit: _visit(visit, forms) for visit, forms in by_visit.items()}


def visit_verification_forms(actor: Actor, participant: Participant,
                             visit_id: str) -> list[FormVerificationView]:
    """The saved forms of one visit (``""``: outside visits) the actor reads, as they stand."""
    return _views(actor.protocol(), saved_forms(actor, participant).filter(visit_id=visit_id))


def awaiting_items(form: FormVerificationView) -> list[str]:
    """The items a verification of the whole form covers: not verified, or changed since."""
    return [i.item_id for i in form.items if i.awaiting]


def _visit(visit_id: str, forms: list[FormVerificationView]) -> VisitVerification:
    status = combined(f.status for f in forms)
    return VisitVerification(visit_id, status, LABELS[status], len(forms),
                             sum(f.status == "verified" for f in forms))


def _views(protocol: Protocol, records: QuerySet[FormRecord]) -> list[FormVerificationView]:
    rows = list(records.select_related("participant", "participant__site"))
    latest = {v.record_id: v.data for v in FormVersion.objects.filter(
        record__in=records, number=F("record__latest_version"))}
    standing: dict[tuple[int, str], SourceVerification] = {}
    for verification in SourceVerification.objects.filter(record__in=records).select_related(
            "version").order_by("verified_at", "pk"):
        standing[(verification.record_id, verification.item_id)] = verification
    return [_view(protocol, r, latest.get(r.pk, {}), standing) for r in rows]


def _view(protocol: Protocol, form_record: FormRecord, data: dict[str, object],
          standing: dict[tuple[int, str], SourceVerification]) -> FormVerificationView:
    form = protocol.form(form_record.form_id)
    items = [_item(item.id, item.label, data, standing.get((form_record.pk, item.id)))
             for item in verifiable_items(form)]
    status = combined(i.status for i in items)
    participant = form_record.participant
    return FormVerificationView(
        form_record.pk, participant.pk, participant.screening_number, participant.site.code,
        form_record.visit_id, form.id, form.name, form_record.repeat_index,
        form_record.latest_version, status, LABELS[status],
        sum(i.status == "verified" for i in items), sum(i.awaiting for i in items),
        sum(i.status == "discrepancy" for i in items), len(items), items)


def _item(item_id: str, label: str, data: dict[str, object],
          latest: SourceVerification | None) -> ItemVerificationView:
    if latest is None:
        return ItemVerificationView(item_id, label, "not_verified", LABELS["not_verified"],
                                    None, "", "", None, "", None)
    status = item_standing(latest.status, latest.version.data.get(item_id), data.get(item_id))
    return ItemVerificationView(item_id, label, status, LABELS[status], latest.version.number,
                                latest.verified_by, latest.verified_role, latest.verified_at,
                                latest.note, latest.query_id)


