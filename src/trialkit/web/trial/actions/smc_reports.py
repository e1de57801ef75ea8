"""Producing the committee's safety report for a gate: built, kept as its bytes, audited.

Who may produce one follows from the protocol: a study-wide role that reviews safety (the
committee's members and chair, a statistician supporting them); the report covers every site.
The closed session's report needs a role that sees tables by arm (``arm_summaries``) and a
prepared data cut; it is dated on the cut. The audit event names the gate, the session, the
date and the report's SHA-256s, never a figure.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from trialkit.reports.smc import SESSIONS, Session, SmcReportError
from trialkit.web.trial import access, clock, smc_reports
from trialkit.web.trial.actions.base import Actor, InvalidInputError, NotPermittedError
from trialkit.web.trial.actions.kernel import action, record
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import SmcReport
from trialkit.web.trial.scope import is_study_wide
from trialkit.web.trial.study import current_study


def may_produce_smc_report(actor: Actor, session: str = "open") -> bool:
    return actor.can("review_safety") and is_study_wide(actor) and (
        session == "open" or access.may_read_data_cuts(actor))


@action(AuditAction.PRODUCE_SMC_REPORT, permission="review_safety")
def do_produce_smc_report(gate_index: int, session: str, as_of: dt.date | None = None, *,
                          actor: Actor, data_cut: int | None = None) -> SmcReport:
    """The open report as of ``as_of`` (default today), or the closed one at ``data_cut``
    (default the latest)."""
    if session not in SESSIONS:
        raise InvalidInputError(_("session is one of %(sessions)s"), field="session",
                                sessions=", ".join(SESSIONS))
    if not may_produce_smc_report(actor, session):
        # Whole sentences, one per session, so that each translates as a whole.
        if session == "closed":
            raise NotPermittedError(
                _("role '%(role)s' may not produce the closed-session report: that needs a "
                  "study-wide role that reviews safety and sees tables by arm"), role=actor.role)
        raise NotPermittedError(
            _("role '%(role)s' may not produce the open-session report: that needs a "
              "study-wide role that reviews safety"), role=actor.role)
    protocol = actor.protocol()
    if not 0 <= gate_index < len(protocol.gates.committee):
        raise InvalidInputError(_("the protocol has no such committee gate"),
                                field="gate_index")
    day = as_of or clock.today()
    if day > clock.today():
        raise InvalidInputError(_("the report's date %(day)s is in the future"),
                                field="as_of", day=day)
    study = current_study()
    cut = smc_reports.readable_cut(actor, data_cut) if session == "closed" else None
    chosen: Session = "closed" if session == "closed" else "open"
    try:
        built = smc_reports.build(study, protocol, gate_index, chosen, day, cut)
    except SmcReportError as exc:
        raise InvalidInputError(str(exc), field="session") from None
    report = SmcReport.objects.create(
        study=study, gate_index=gate_index, session=chosen, as_of=built.stamp.as_of,
        data_cut=cut, data_sha256=built.stamp.data_sha256, pdf_sha256=built.pdf_sha256,
        html_sha256=built.html_sha256, pdf=built.pdf, html=built.html,
        produced_by=actor.name, produced_role=actor.role, produced_at=clock.now())
    record(actor, AuditAction.PRODUCE_SMC_REPORT, report, new={
        "gate_index": gate_index, "session": chosen, "as_of": report.as_of,
        "data_cut": cut.pk if cut is not None else None, "pdf_sha256": report.pdf_sha256,
        "html_sha256": report.html_sha256, "data_sha256": report.data_sha256})
    return report
