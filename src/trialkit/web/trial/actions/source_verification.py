"""Source data verification (SDV): a monitor compares saved form data with the source
documents at the site, item by item.

Three acts, each one audit event naming everything it covered:

- ``do_verify_source``: one item of a form, or the whole form (its items not yet verified or
  changed since), against the form's latest version;
- ``do_verify_source_visit``: every saved form of a participant's visit the monitor reads;
- ``do_record_source_discrepancy``: an item differs from the source; the note is kept with the
  verification and, where the role may raise queries, raised as a query on the item.

Verifying the whole form or visit leaves out an item whose discrepancy still stands: its
query is answered first and the item verified again on its own. A later version that changes
an item makes its verification lapse ("changed since verified", computed when read:
``trialkit.core.forms.verification``); verification rows are only added, never changed.
Who may verify is the protocol's ``verify_source``; the form must be one the role reads.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, InvalidInputError, StateConflictError
from trialkit.web.trial.actions.forms import readable, require_read
from trialkit.web.trial.actions.kernel import WRITES_PARTICIPANT_DATA, action, record
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Query,
    SourceVerification,
)
from trialkit.web.trial.source_verification import (
    FormVerificationView,
    ItemVerificationView,
    awaiting_items,
    form_verification,
)

DISCREPANCY_QUERY = "Source data verification found a discrepancy: {note}"


@action(AuditAction.VERIFY_SOURCE, permission="verify_source",
        guards=WRITES_PARTICIPANT_DATA, subject="form_record")
def do_verify_source(form_record: FormRecord, item_id: str = "", *,
                     actor: Actor) -> list[SourceVerification]:
    """Verify one item (``item_id``) of the form as its latest version holds it, or, with no
    item, every item of the form not yet verified or changed since."""
    form_record, version, view = _latest(form_record, actor)
    if item_id:
        item = _item(view, item_id)
        if item.status == "verified":
            raise StateConflictError(_("item %(item)s is already verified as it stands"),
                                     field="item_id", item=item_id)
        items = [item_id]
    else:
        items = awaiting_items(view)
        if not items:
            raise _nothing_awaits(view)
    rows = _verify(form_record, version, items, actor)
    record(actor, AuditAction.VERIFY_SOURCE, form_record, new={
        **_where(form_record), "covered": "item" if item_id else "form",
        "version": version.number, "items": items})
    return rows


@action(AuditAction.VERIFY_SOURCE_VISIT, permission="verify_source",
        guards=WRITES_PARTICIPANT_DATA, subject="participant")
def do_verify_source_visit(participant: Participant, visit_id: str, *,
                           actor: Actor) -> list[SourceVerification]:
    """Verify every saved form of a visit (``""``: the log forms kept outside visits) that
    the role reads: each form's items not yet verified or changed since, in one act."""
    if not isinstance(visit_id, str) or (visit_id and visit_id not in {
            v.id for v in actor.protocol().schedule.visits}):
        raise InvalidInputError(_("unknown visit '%(visit)s'"), field="visit_id",
                                visit=visit_id)
    records = readable(actor, FormRecord.objects.filter(
        participant=participant, visit_id=visit_id, latest_version__gt=0)).order_by(
        "form_id", "repeat_index")
    rows: list[SourceVerification] = []
    covered: dict[str, dict[str, object]] = {}
    for each in records:
        form_record, version, view = _latest(each, actor)
        items = awaiting_items(view)
        if items:
            rows += _verify(form_record, version, items, actor)
            covered[f"{form_record.form_id}#{form_record.repeat_index}"] = {
                "version": version.number, "items": items}
    if not covered:
        raise StateConflictError(_("no form of this visit awaits verification"),
                                 field="visit_id")
    record(actor, AuditAction.VERIFY_SOURCE_VISIT, participant, new={
        "participant": participant.screening_number, "visit": visit_id or "-",
        "covered": "visit", "forms": covered})
    return rows


@action(AuditAction.RECORD_SOURCE_DISCREPANCY, permission="verify_source",
        guards=WRITES_PARTICIPANT_DATA, subject="form_record")
def do_record_source_discrepancy(form_record: FormRecord, item_id: str, note: str, *,
                                 actor: Actor) -> SourceVerification:
    """Record that an item differs from the source, with a note saying how; a role that may
    raise queries raises one on the item with the note, and the verification links it."""
    if not isinstance(note, str) or not note.strip():
        raise InvalidInputError(_("say what differs from the source"), field="note")
    form_record, version, view = _latest(form_record, actor)
    if _item(view, item_id).status == "discrepancy":
        raise StateConflictError(_("a discrepancy is already recorded on item %(item)s as "
                                   "it stands"), field="item_id", item=item_id)
    query: Query | None = None
    if actor.can("raise_query"):
        query = do_raise_query(form_record, item_id, DISCREPANCY_QUERY.format(
            note=note.strip()), actor=actor)
    row = SourceVerification.objects.create(
        record=form_record, version=version, item_id=item_id,
        status=SourceVerification.Status.DISCREPANCY, note=note.strip(), query=query,
        verified_by=actor.name, verified_role=actor.role, verified_at=clock.now())
    record(actor, AuditAction.RECORD_SOURCE_DISCREPANCY, row, new={
        **_where(form_record), "covered": "item", "version": version.number,
        "items": [item_id], "note": row.note, "query": query.pk if query else None})
    return row


def _latest(form_record: FormRecord,
            actor: Actor) -> tuple[FormRecord, FormVersion, FormVerificationView]:
    """The record locked against a save meanwhile, its latest version and where it stands."""
    require_read(actor, form_record)
    locked = FormRecord.objects.select_for_update().select_related("participant").get(
        pk=form_record.pk)
    version = locked.versions.filter(number=locked.latest_version).first()
    if version is None:
        raise StateConflictError(_("the form has no saved data to verify"), field="record")
    return locked, version, form_verification(locked, actor=actor)


def _item(view: FormVerificationView, item_id: str) -> ItemVerificationView:
    found = next((i for i in view.items if i.item_id == item_id), None)
    if found is None:
        raise InvalidInputError(_("form %(form)s has no item '%(item)s' to verify"),
                                field="item_id", form=view.form_id, item=item_id)
    return found


def _verify(form_record: FormRecord, version: FormVersion, items: list[str],
            actor: Actor) -> list[SourceVerification]:
    now = clock.now()
    return SourceVerification.objects.bulk_create([SourceVerification(
        record=form_record, version=version, item_id=item,
        status=SourceVerification.Status.VERIFIED, verified_by=actor.name,
        verified_role=actor.role, verified_at=now) for item in items])


def _where(form_record: FormRecord) -> dict[str, object]:
    return {"participant": form_record.participant.screening_number,
            "form": form_record.form_id, "visit": form_record.visit_id,
            "repeat_index": form_record.repeat_index}


def _nothing_awaits(view: FormVerificationView) -> StateConflictError:
    """The refusal when no item of the form awaits verification."""
    if view.discrepancies:
        return StateConflictError(
            _("every item of form %(form)s is verified as it stands, but for "
              "%(discrepancies)s with a discrepancy: verify those one by one"),
            field="record", form=view.form_id, discrepancies=view.discrepancies)
    return StateConflictError(_("every item of form %(form)s is verified as it stands"),
                              field="record", form=view.form_id)
