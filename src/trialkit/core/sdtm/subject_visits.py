"""SV, the subject visits, as SDTMIG 3.4 has them: one record per visit that took place, and one
per planned visit that did not (SVPRESP = Y, SVOCCUR = N, with the reason it was missed), so a
reviewer sees the missed visits without comparing SV against TV.

A visit's number and name are the schedule's (``Context.visit_number``/``visit_name``), the
same every findings and events domain writes, so each record's VISITNUM is found in SV.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialkit.core.exchange import VisitRow
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable, iso_date
from trialkit.core.sdtm.epochs import EPOCH_CODELIST, epoch
from trialkit.core.sdtm.trial_design import planned_study_day

NY = "C66742"


def _v(name: str, label: str, kind: Kind = "text", role: str = "", codelist: str = "") -> Variable:
    return Variable(name, label, kind, role, codelist)


VARIABLES = (
    _v("STUDYID", "Study Identifier", role="Identifier"),
    _v("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734"),
    _v("USUBJID", "Unique Subject Identifier", role="Identifier"),
    _v("VISITNUM", "Visit Number", "float", "Topic"),
    _v("VISIT", "Visit Name", role="Synonym Qualifier"),
    _v("SVPRESP", "Pre-specified", role="Variable Qualifier", codelist=NY),
    _v("SVOCCUR", "Occurrence", role="Record Qualifier", codelist=NY),
    _v("SVREASOC", "Reason for Occur Value", role="Record Qualifier"),
    _v("VISITDY", "Planned Study Day of Visit", "integer", "Timing"),
    _v("EPOCH", "Epoch", role="Timing", codelist=EPOCH_CODELIST),
    _v("SVSTDTC", "Start Date/Time of Observation", role="Timing"),
    _v("SVENDTC", "End Date/Time of Observation", role="Timing"),
    _v("SVSTDY", "Study Day of Start of Observation", "integer", "Timing"),
    _v("SVENDY", "Study Day of End of Observation", "integer", "Timing"),
    _v("SVUPDES", "Description of Unplanned Visit", role="Record Qualifier"))


def sv_row(context: Context, visit: VisitRow) -> dict[str, Any] | None:
    """The visit's record, or None for a visit still to come."""
    if visit.done_on is None and not visit.missed:
        return None
    planned = next((v for v in context.protocol.schedule.visits if v.id == visit.visit), None)
    unscheduled = planned is not None and planned.unscheduled
    day = visit.done_on
    return {"STUDYID": context.studyid, "DOMAIN": "SV",
            "USUBJID": context.usubjid(visit.participant),
            "VISITNUM": context.visit_number(visit.visit),
            "VISIT": context.visit_name(visit.visit),
            "SVPRESP": "" if unscheduled else "Y",
            "SVOCCUR": "" if unscheduled else ("Y" if day is not None else "N"),
            "SVREASOC": visit.missed_reason if day is None else "",
            "VISITDY": (planned_study_day(planned.day)
                        if planned is not None and planned.day is not None else None),
            "EPOCH": epoch(context, visit.participant, day),
            "SVSTDTC": iso_date(day), "SVENDTC": iso_date(day),
            "SVSTDY": context.study_day(visit.participant, day),
            "SVENDY": context.study_day(visit.participant, day),
            "SVUPDES": planned.name if unscheduled and planned is not None else ""}


def build_sv(context: Context) -> Sequence[Domain]:
    known = {p.key for p in context.rows.trial.participants}
    rows = [row for v in context.rows.visits if v.participant in known
            if (row := sv_row(context, v)) is not None]
    rows.sort(key=lambda r: (r["USUBJID"], r["VISITNUM"] or 0.0, r["SVSTDTC"]))
    return [Domain("SV", "Subject Visits", "Special-Purpose", VARIABLES, tuple(rows),
                   ("STUDYID", "USUBJID", "VISITNUM"))]


BUILDERS = (build_sv,)
