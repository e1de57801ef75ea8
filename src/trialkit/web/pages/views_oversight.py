"""Queries inbox, adverse events with the serious-event clocks, and the safety committee's
pages: the open page (pooled tables, the gate checklist, decisions, the listing) and the
closed session (tables by arm frozen at data cuts, for roles that see ``arm_summaries``).

No live figure by arm is shown anywhere: beside the listing and the randomization dates, a
count that moves by one names the arm of the participant who moved it (docs/security.md,
"What the safety committee sees")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages import readers, safety_report, views_simulation
from trialkit.web.pages.local_time import entry_value, wall_clock
from trialkit.web.pages.query_ageing import (
    ASSIGNED_FILTERS,
    QUERY_FILTERS,
    assigned_as_chosen,
    query_ageing,
)
from trialkit.web.pages.sae_report import sae_report_pdf
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.vocabulary import (
    committee_name,
    holders,
    query_in_words_of,
    the_committee,
)
from trialkit.web.trial import access
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.adverse_events import (
    do_record_sae_awareness,
    do_report_serious_event,
)
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.data_cuts import do_prepare_data_cut, may_prepare_data_cut
from trialkit.web.trial.actions.forms import readable_form_ids
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.queries import (
    assignable,
    do_answer_query,
    do_assign_query,
    do_close_query,
    do_reopen_query,
)
from trialkit.web.trial.capture_queries import (
    ClockView,
    queries_in_scope,
    query_view,
    reported_sae_clocks,
    running_sae_clocks,
    sae_reports,
)
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.lookups import form_record_for, query_for
from trialkit.web.trial.models import Query, SeriousEventReport
from trialkit.web.trial.smc_reports import readable_reports
from trialkit.web.trial.study import current_study, protocol_of, protocol_to_read

QUERY_ROLES = ("raise_query", "answer_query", "close_query")


@page(has(*QUERY_ROLES),
      why=gettext_lazy("Only roles that raise, answer or close queries open the inbox."))
def queries(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The queries inbox: filtered by status, form and participant, each with its age and
    whose move it is, and the unresolved ones counted by age."""
    chosen = Posted(request.GET)
    status = chosen.get("status", "unresolved")
    form_id = chosen.text("form", required=False, as_field="form_id")
    number = chosen.text("participant", required=False, as_field="screening_number").strip()
    assigned = chosen.text("assigned", required=False, as_field="status")
    protocol = actor.protocol()
    rows = [query_in_words_of(protocol, q) for q in queries_in_scope(
        actor=actor, status=None if status in ("unresolved", "all") else status)]
    if status == "unresolved":
        rows = [q for q in rows if q.status != "closed"]
    now = trial_clock.now()
    ageing = query_ageing([q for q in rows if q.status != "closed"], now)
    rows = [q for q in rows if (not form_id or q.form_id == form_id)
            and (not number or number.lower() in q.screening_number.lower())]
    rows = assigned_as_chosen(rows, assigned, actor.name)
    return render_page(request, actor, "pages/queries.html", {
        "title": _("Queries"), "rows": [(q, (now - q.raised_at).days) for q in
                                     sorted(rows, key=lambda q: q.raised_at)],
        "ageing": ageing, "status": status, "form": form_id, "participant": number,
        "statuses": QUERY_FILTERS, "forms": [(f.id, f.name) for f in protocol.forms],
        "assigned": assigned, "assignments": ASSIGNED_FILTERS})


@page(has(*QUERY_ROLES))
def query(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    found = query_for(actor, pk)
    view = query_in_words_of(actor.protocol(), query_view(found))
    may_assign = actor.can("raise_query") and view.status != "closed"
    return render_page(request, actor, "pages/query.html", {
        "title": _("Query %(number)s") % {"number": pk}, "query": view, "record": found.record,
        "may_answer": actor.can("answer_query"), "may_raise": actor.can("raise_query"),
        "may_close": actor.can("close_query"), "may_assign": may_assign,
        "assignees": assignable(found.record) if may_assign else []})


@require_POST
@page(has(*QUERY_ROLES))
def query_action(request: HttpRequest, actor: Actor, pk: int, step: str) -> HttpResponse:
    found = query_for(actor, pk)
    back = reverse("pages:query", args=[pk])
    steps = {"answer": do_answer_query, "reopen": do_reopen_query, "close": do_close_query}
    try:
        if step == "assign":
            return _assign(request, actor, found, back)
        if step not in steps:
            raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step}, field="step")
        # Answering and reopening say something; closing may add a message.
        text = Posted(request.POST).text("text", required=step != "close")
        steps[step](found, text, actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    said = {"answer": _("Query answered."), "reopen": _("Query reopened."),
            "close": _("Query closed.")}
    return done(request, said[step], back)


def _assign(request: HttpRequest, actor: Actor, found: Query, back: str) -> HttpResponse:
    """Assign the query to the person chosen (blank: to nobody); refusals raise."""
    assignee = Posted(request.POST).text("assignee", required=False)
    do_assign_query(found, assignee, actor=actor)
    return done(request, _("Query assigned to %(person)s.") % {"person": assignee} if assignee
                else _("Query assigned to nobody."), back)


@page(has("report_adverse_event", "review_safety", "sign"),
      why=gettext_lazy("Only roles that report or review safety open this page."))
def safety(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    protocol = protocol_of(study)
    running, reported = running_sae_clocks(actor=actor), reported_sae_clocks(actor=actor)
    return render_page(request, actor, "pages/safety.html", {
        "title": _("Adverse events and SAE clocks"), "clocks": running, "reported": reported,
        "reports": _reports_of(running + reported),
        "now": entry_value(trial_clock.now()),
        "events": safety_report.adverse_events(study, protocol, actor,
                                               readable_form_ids(actor)),
        "may_report": actor.can("report_adverse_event"),
        **views_simulation.safety_context(actor, study)})


def _reports_of(clocks: list[ClockView]) -> dict[int, list[SeriousEventReport]]:
    sent = sae_reports([c.record_id for c in clocks])
    return {c.record_id: sent.get(c.record_id, []) for c in clocks}


@require_POST
@page(has("report_adverse_event"))
def report_serious(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    """The initial or a follow-up report of a serious event: when, to whom, their reference."""
    record = form_record_for(actor, record_id)  # times on the safety page's clock
    posted = Posted(request.POST)
    kind = posted.get("kind", "initial")
    try:
        do_report_serious_event(record, posted.text("recipient"), posted.get("reference"),
                                posted.moment("sent_at"), kind, actor=actor)
    except ActionError as exc:
        return refused(request, exc, reverse("pages:safety"))
    return done(request, _("Initial report recorded; the clock is stopped.") if kind == "initial"
                else _("Follow-up report recorded."), reverse("pages:safety"))


@require_POST
@page(has("report_adverse_event"))
def sae_awareness(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    """When the site became aware of a serious event: the deadline counts from then."""
    record = form_record_for(actor, record_id)  # times on the safety page's clock
    posted = Posted(request.POST)
    try:
        sae_clock = do_record_sae_awareness(record, posted.moment("aware_at"),
                                            posted.text("reason"), actor=actor)
    except ActionError as exc:
        return refused(request, exc, reverse("pages:safety"))
    return done(request, _("Awareness recorded; the report is due by %(deadline)s.")
                % {"deadline": wall_clock(sae_clock.deadline)}, reverse("pages:safety"))


@page(has("report_adverse_event", "review_safety"))
def sae_report(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    """A serious event's report as a PDF in the CIOMS I layout, to file or send."""
    record = form_record_for(actor, record_id)
    response = HttpResponse(sae_report_pdf(record, actor), content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="sae-report-'
                                       f'{record.participant.screening_number}-{record.pk}.pdf"')
    return response


def _for_the_committee(actor: Actor) -> str:
    protocol = actor.protocol()
    return _("This page is for %(committee)s: the roles that review safety (%(roles)s).") % {
        "committee": the_committee(protocol), "roles": holders(protocol, "review_safety")}


@page(has("review_safety"), why=_for_the_committee)
def committee(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    protocol = protocol_of(study)
    events = safety_report.adverse_events(study, protocol, actor,
                                          readable_form_ids(actor))
    may_decide = actor.can("decide_safety")
    return render_page(request, actor, "pages/committee.html", {
        "title": committee_name(protocol), "events": events,
        "by_part": safety_report.table_by_part(events, protocol),
        "closed_session": access.may_read_data_cuts(actor),
        "gates": readers.gate_status(study, protocol_to_read(study)),
        # Each gate with the reports produced for it: the chair picks the one decided on.
        "committee": [(index, gate, readable_reports(actor, index) if may_decide else [])
                      for index, gate in enumerate(protocol.gates.committee)],
        "decisions": safety_report.decisions_shown(actor, study),
        "may_decide": may_decide})


def _for_the_closed_session(actor: Actor) -> str:
    protocol = actor.protocol()
    return _("The closed session of %(committee)s is for the roles that review safety and "
             "see tables by arm (%(roles)s, where the protocol lets them see tables by arm).") % {
        "committee": the_committee(protocol), "roles": holders(protocol, "review_safety")}


def _in_closed_session(actor: Actor) -> bool:
    return actor.can("review_safety") and access.may_read_data_cuts(actor)


@page(_in_closed_session, why=_for_the_closed_session)
def closed_session(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Tables by arm frozen at data cuts, nothing live, no listing of participants."""
    protocol = actor.protocol()
    return render_page(request, actor, "pages/closed_session.html", {
        "title": _("%(committee)s: closed session") % {"committee": committee_name(protocol)},
        "cuts": access.access_data_cuts(actor), "may_prepare": may_prepare_data_cut(actor),
        "today": today()})


@require_POST
@page(_in_closed_session, why=_for_the_closed_session)
def prepare_data_cut(request: HttpRequest, actor: Actor) -> HttpResponse:
    back = reverse("pages:closed_session")
    try:
        as_of = Posted(request.POST).date("as_of")
        do_prepare_data_cut(as_of, actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Data cut as of %(date)s prepared.") % {"date": as_of}, back)


@require_POST
@page(has("decide_safety"))
def decide(request: HttpRequest, actor: Actor) -> HttpResponse:
    back = reverse("pages:committee")
    posted = Posted(request.POST)
    try:
        gate_index = posted.integer("gate_index", maximum=999) if posted.raw("gate_index") else 0
        # A decision is made on a report (the form lists the gate's reports); a form without
        # one is refused by the action, naming report_sha256.
        do_sign_safety_decision(posted.text("decision"), posted.text("rationale"),
                                posted.text("password"), actor=actor, gate_index=gate_index,
                                report_sha256=posted.get("report_sha256"))
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Decision e-signed."), back)
