"""What the committee safety report is built from, read from the database as of a date; and the
reports produced, as their readers may see them.

The rows are always pooled (``trial_rows`` without an actor: no allocation is read), so the
report itself cannot carry an arm; the closed session's figures by arm come only from a frozen
data cut, read through ``access.access_data_cuts`` (which refuses roles that may not see tables
by arm, and audits the read). Committee decisions count when signed by the end of the data
date, so a report for a past date does not change when a later decision is signed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import CommitteeDecision
from trialkit.reports.smc import Session, SmcReport, smc_report
from trialkit.web.trial import access, models
from trialkit.web.trial.actions.base import Actor, InvalidInputError
from trialkit.web.trial.analysis_source import trial_rows
from trialkit.web.trial.gate_facts import committee_decisions
from trialkit.web.trial.models import DataCut, Study
from trialkit.web.trial.study import current_study


def decisions_by(study: Study, protocol: Protocol, as_of: dt.date) -> list[CommitteeDecision]:
    return [d for d in committee_decisions(study, protocol) if d.signed_on <= as_of]


def cut_data(cut: DataCut) -> dict[str, Any]:
    """A data cut as the report reads it (and as its digest covers it)."""
    return {"id": cut.pk, "as_of": cut.as_of.isoformat(), "threshold": cut.threshold,
            "arms": list(cut.arms), "rows": cut.tables["rows"],
            "undated_events": cut.tables.get("undated_events", 0),
            "prepared_by": cut.prepared_by,
            "prepared_at": cut.prepared_at.isoformat(timespec="minutes")}


def readable_cut(actor: Actor, cut_id: int | None) -> DataCut:
    """The data cut the closed session reads: the one named, else the latest."""
    cuts = access.access_data_cuts(actor)
    if not cuts:
        raise InvalidInputError(_("no data cut has been prepared: the closed-session report "
                                  "shows a frozen data cut's tables by arm"), field="data_cut")
    if cut_id is None:
        return cuts[0]
    found = next((c for c in cuts if c.pk == cut_id), None)
    if found is None:
        raise InvalidInputError(_("no data cut %(cut)s"), field="data_cut", cut=cut_id)
    return found


def build(study: Study, protocol: Protocol, gate_index: int, session: Session,
          as_of: dt.date, cut: DataCut | None) -> SmcReport:
    """The report for the gate and session; a closed session's date is its cut's."""
    day = cut.as_of if cut is not None else as_of
    return smc_report(protocol, trial_rows(day), gate_index,
                      decisions=decisions_by(study, protocol, day), session=session,
                      cut=cut_data(cut) if cut is not None else None)


def readable_reports(actor: Actor, gate_index: int | None = None) -> list[models.SmcReport]:
    """The reports produced for this trial (of one gate, if given), newest first, without
    their bytes. A closed-session report is left out for a role that may not read data cuts:
    to it such a report is absent, not forbidden."""
    reports = models.SmcReport.objects.filter(
        study__protocol_id=current_study().protocol_id).defer("pdf", "html").order_by("-pk")
    if gate_index is not None:
        reports = reports.filter(gate_index=gate_index)
    if not access.may_read_data_cuts(actor):
        reports = reports.filter(session="open")
    return list(reports)


def readable_report(actor: Actor, report_id: int) -> models.SmcReport | None:
    """One report the actor may read, else None (whether it exists or not)."""
    return next((r for r in readable_reports(actor) if r.pk == report_id), None)


def report_bytes(report: models.SmcReport, kind: Literal["pdf", "html"]) -> bytes:
    """The report's PDF or HTML as produced: the bytes its SHA-256 identifies."""
    return bytes(models.SmcReport.objects.values_list(kind, flat=True).get(pk=report.pk))
