"""Form entry with the edit checks inline, reason for change, versions and the item audit
trail, signatures and raising queries."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.core.forms import validate_form
from trialkit.core.protocol.forms import Form
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.form_fields import fields, submitted
from trialkit.web.pages.form_live import live_checks
from trialkit.web.pages.item_values import value_in_words, values_in_words
from trialkit.web.pages.local_time import show_times_of
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.vocabulary import holders, query_in_words_of
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.base import (
    ActionError,
    Actor,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
)
from trialkit.web.trial.actions.forms import (
    awaiting_consent,
    do_save_form,
    do_sign_form,
    may_enter,
    why_not_read,
)
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.capture_queries import (
    form_instance,
    form_versions,
    item_audit_trail,
    latest_version,
    queries_of,
    signature_state,
)
from trialkit.web.trial.coding import event_coding
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.models import FormRecord, Participant
from trialkit.web.trial.source_verification import form_verification, verification_history
from trialkit.web.trial.wording import edit_check_read

NO_VISIT = "-"


@page()
def form_entry(request: HttpRequest, actor: Actor, pk: int, visit_id: str,
               form_id: str) -> HttpResponse:
    participant, form = entry_of(actor, pk, form_id)
    protocol = actor.protocol()
    refusal = why_not_read(actor, form)
    if refusal:
        raise NotPermittedError(refusal, field="form_id")
    visit = "" if visit_id == NO_VISIT else visit_id
    entry = Posted(request.GET).raw("entry") or None
    record = _record(participant, visit, form_id, entry, form.repeating)
    latest = latest_version(record) if record else None
    values: dict[str, object] = dict(latest.data) if latest else {}
    errors: dict[str, str] = {}
    waiting = awaiting_consent(participant, form)  # the entry opens once consent is on file
    editable = may_enter(actor, form) and not waiting
    posted = Posted(request.POST)
    if request.method == "POST" and editable:
        data, refused_items = submitted(form, request.POST)
        try:
            reason = posted.text("reason", required=False)
        except InvalidInputError as exc:
            reason, refused_items["reason"] = "", _("The reason %(problem)s.") % {
                "problem": exc.message}
        check = validate_form(form, {c.id: c for c in protocol.codelists}, data,
                              as_of=trial_clock.now())
        errors = {**{e.item: e.message for e in check.errors}, **refused_items}
        values = {**values, **data}
        if not errors:
            try:
                version = do_save_form(participant, form_id, visit, data, actor=actor,
                                       reason=reason,
                                       repeat_index=record.repeat_index if record else None,
                                       idempotency_key=posted.optional("submission"))
            except InvalidInputError as exc:
                errors[exc.field or "form"] = exc.message
            except ActionError as exc:
                return refused(request, exc, request.get_full_path())
            else:
                following = next_form(actor, visit, form_id)
                then = (reverse("pages:form_entry", args=[pk, visit_id, following.id])
                        if following and posted.raw("then") == "next"
                        else reverse("pages:form_history", args=[version.record_id]))
                return done(request, _("%(form)s saved as version %(version)s.") % {
                    "form": form.name, "version": version.number}, then)
    return render_page(request, actor, "pages/form_entry.html", {
        "title": f"{form.name} · {participant.screening_number}", "participant": participant,
        # One key per rendered form: a double-clicked or re-sent save is made once.
        "submission": _submission(posted) or uuid.uuid4().hex,
        "form": form, "visit": visit, "record": record, "editable": editable,
        "fields": fields(protocol, form, values, errors),
        "form_error": waiting or errors.get("form") or errors.get("reason")
        or errors.get("data", ""),
        "needs_reason": record is not None and record.latest_version > 0,
        "next_form": next_form(actor, visit, form_id),
        "live": live_checks(protocol, form, values, timezone.localtime(trial_clock.now())),
        "findings": labelled(form, latest.findings) if latest else []},
        status=422 if errors else 200)


def entry_of(actor: Actor, pk: int, form_id: str) -> tuple[Participant, Form]:
    """The participant (its site's clock made the page's) and the protocol form an entry page
    is about; 404 for a participant out of scope or a form the protocol has not."""
    participant = participant_for(actor, pk)
    show_times_of(participant)
    try:
        return participant, actor.protocol().form(form_id)
    except KeyError:
        raise NotFoundError(_("no form '%(form)s'") % {"form": form_id}) from None


def next_form(actor: Actor, visit_id: str, form_id: str) -> Form | None:
    """The form after ``form_id`` in the visit's list that the actor enters (save and next)."""
    if not visit_id:
        return None
    protocol = actor.protocol()
    forms = list(protocol.visit(visit_id).forms)
    later = forms[forms.index(form_id) + 1:] if form_id in forms else []
    return next((protocol.form(f) for f in later if may_enter(actor, protocol.form(f))), None)


def _submission(posted: Posted) -> str | None:
    try:
        return posted.optional("submission")
    except InvalidInputError:
        return None


def labelled(form: Form, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Edit-check findings with the item's label beside its id and the message in the
    reader's words (``form`` as the reader reads the protocol), for people to read."""
    labels = {i.id: i.label for i in form.items}
    return [{**f, "label": labels.get(str(f.get("item", "")), f.get("item", "")),
             "message": edit_check_read(str(f.get("message", "")), form,
                                        str(f.get("check", "")), f.get("wording"))}
            for f in findings]


def _record(participant: Participant, visit: str, form_id: str, entry: str | None,
            repeating: bool) -> FormRecord | None:
    if not repeating:
        return form_instance(participant, visit, form_id)
    if not entry:
        return None  # a new entry of a log form
    found = form_instance(participant, visit, form_id, int(entry)) if entry.isdigit() else None
    if found is None:
        raise NotFoundError(_("no such entry"))
    return found


@page()
def form_history(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    record = _visible_record(actor, record_id)
    form = actor.protocol().form(record.form_id)
    protocol = actor.protocol()
    labels = {i.id: i.label for i in form.items}
    items = {i.id: i for i in form.items}
    versions = [(replace(v, findings=labelled(form, v.findings)),
                 values_in_words(protocol, form, v.data))
                for v in form_versions(record, actor=actor)]
    return render_page(request, actor, "pages/form_history.html", {
        "title": _("%(form)s · history") % {"form": form.name}, "record": record, "form": form,
        "participant": record.participant, "versions": versions,
        "trail": [(labels.get(item, item),
                   [(change, value_in_words(protocol, items.get(item), change.old),
                     value_in_words(protocol, items.get(item), change.new))
                    for change in changes])
                  for item, changes in item_audit_trail(record, actor=actor).items()],
        "signatures": signature_state(record, actor=actor),
        "signers": holders(actor.protocol(), "sign"),
        "queries": [query_in_words_of(actor.protocol(), q)
                    for q in queries_of(record, actor=actor)], "labels": labels,
        "may_sign": actor.can("sign"), "may_query": actor.can("raise_query"),
        "editable": may_enter(actor, form),
        "visit_slug": record.visit_id or NO_VISIT,
        "verification": form_verification(record, actor=actor) if record.latest_version
        else None,
        "verification_history": verification_history(record, actor=actor),
        "may_verify": actor.can("verify_source"),
        "coding": event_coding(record, protocol), "may_code": actor.can("code_terms"),
        "may_open_queries": actor.can("raise_query") or actor.can("answer_query")
        or actor.can("close_query")})


@require_POST
@page(has("sign"))
def sign_form(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    record = _visible_record(actor, record_id)
    back = reverse("pages:form_history", args=[record_id])
    try:
        posted = Posted(request.POST)
        do_sign_form(record, posted.text("password"), posted.text("meaning"), actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Signed."), back)


@require_POST
@page(has("raise_query"))
def raise_query(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    record = _visible_record(actor, record_id)
    back = reverse("pages:form_history", args=[record_id])
    try:
        posted = Posted(request.POST)
        query = do_raise_query(record, posted.text("item_id"), posted.text("text"),
                               actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Query raised."), reverse("pages:query", args=[query.pk]))


def _visible_record(actor: Actor, record_id: int) -> FormRecord:
    record = form_record_for(actor, record_id)
    show_times_of(record.participant)
    return record


def form_url(record: FormRecord) -> str:
    entry = f"?entry={record.repeat_index}"
    return reverse("pages:form_entry", args=[record.participant_id, record.visit_id or NO_VISIT,
                                             record.form_id]) + entry

