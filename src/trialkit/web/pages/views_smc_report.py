"""The committee's safety reports: produce one for a gate (open or closed session), download
the PDF or HTML as produced, and e-sign a decision on a report, which records its SHA-256.

Open-session reports are pooled and readable by every study-wide role that reviews safety;
closed-session reports (a data cut's tables by arm) only by those that see tables by arm: a
closed report is neither listed nor served to anyone else (it answers as absent).
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import done, page, refused, render_page
from trialkit.web.pages.vocabulary import committee_name, holders, the_committee
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.smc_reports import do_produce_smc_report, may_produce_smc_report
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.smc_reports import readable_report, readable_reports, report_bytes

KINDS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def _may_open(actor: Actor) -> bool:
    return may_produce_smc_report(actor, "open")


def _why(actor: Actor) -> str:
    protocol = actor.protocol()
    return _("The safety reports are for %(committee)s: the study-wide roles that review "
             "safety (%(roles)s).") % {"committee": the_committee(protocol),
                                       "roles": holders(protocol, "review_safety")}


@page(_may_open, why=_why)
def smc_reports(request: HttpRequest, actor: Actor) -> HttpResponse:
    protocol = actor.protocol()
    closed = access.may_read_data_cuts(actor)
    return render_page(request, actor, "pages/smc_reports.html", {
        "title": _("%(committee)s: safety reports") % {"committee": committee_name(protocol)},
        "gates": list(enumerate(protocol.gates.committee)), "reports": readable_reports(actor),
        "closed": closed, "cuts": access.access_data_cuts(actor) if closed else [],
        "today": today(), "may_decide": actor.can("decide_safety")})


@require_POST
@page(_may_open, why=_why)
def produce_smc_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    back = reverse("pages:smc_reports")
    posted = Posted(request.POST)
    try:
        session = posted.raw("session")  # the action accepts only the known sessions
        gate_index = posted.integer("gate_index", maximum=999) if posted.raw("gate_index") \
            else 0
        as_of = posted.date("as_of") if posted.raw("as_of") else None
        cut = posted.integer("data_cut", maximum=10**9) if posted.raw("data_cut") else None
        report = do_produce_smc_report(gate_index, session, as_of, actor=actor, data_cut=cut)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Report produced: SHA-256 of the PDF %(sha)s.")
                % {"sha": report.pdf_sha256}, back)


@page(_may_open, why=_why)
def smc_report_pdf(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    return _file(actor, report_id, "pdf")


@page(_may_open, why=_why)
def smc_report_html(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    return _file(actor, report_id, "html")


def _file(actor: Actor, report_id: int, kind: Literal["pdf", "html"]) -> HttpResponse:
    """The report's bytes as produced (those its SHA-256 identifies), as a download."""
    report = readable_report(actor, report_id)
    if report is None:  # a closed report answers as absent to those who may not read it
        raise Http404("no such report")
    response = HttpResponse(report_bytes(report, kind), content_type=KINDS[kind])
    name = f"smc-report-gate{report.gate_index}-{report.session}-{report.as_of}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@page(_may_open, why=_why)
def sign_on_smc_report(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    back = reverse("pages:smc_reports")
    posted = Posted(request.POST)
    report = readable_report(actor, report_id)
    try:
        if report is None:
            raise InvalidInputError(_("no report %(number)s") % {"number": report_id},
                                    field="report")
        do_sign_safety_decision(posted.text("decision"), posted.text("rationale"),
                                posted.text("password"), actor=actor,
                                gate_index=report.gate_index, report_sha256=report.pdf_sha256)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Decision e-signed on the report with SHA-256 %(sha)s.")
                % {"sha": report.pdf_sha256}, back)
