"""What the SMC safety report is built from, read from the database as of a date.

The rows are always pooled (``trial_rows`` without an actor: no allocation is read), so the
report itself cannot carry an arm; the closed session's figures by arm come only from a frozen
data cut, read through ``access.access_data_cuts`` (which refuses roles that may not see tables
by arm, and audits the read). Committee decisions count when signed by the end of the data
date, so a report for a past date does not change when a later decision is signed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import CommitteeDecision
from trialkit.reports.smc import Session, SmcReport, smc_report
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor, InvalidInputError
from trialkit.web.trial.analysis_source import trial_rows
from trialkit.web.trial.gate_facts import committee_decisions
from trialkit.web.trial.models import DataCut, Study


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
        raise InvalidInputError("no data cut has been prepared: the closed-session report "
                                "shows a frozen data cut's tables by arm", field="data_cut")
    if cut_id is None:
        return cuts[0]
    found = next((c for c in cuts if c.pk == cut_id), None)
    if found is None:
        raise InvalidInputError(f"no data cut {cut_id}", field="data_cut")
    return found


def build(study: Study, protocol: Protocol, gate_index: int, session: Session,
          as_of: dt.date, cut: DataCut | None) -> SmcReport:
    """The report for the gate and session; a closed session's date is its cut's."""
    day = cut.as_of if cut is not None else as_of
    return smc_report(protocol, trial_rows(day), gate_index,
                      decisions=decisions_by(study, protocol, day), session=session,
                      cut=cut_data(cut) if cut is not None else None)
