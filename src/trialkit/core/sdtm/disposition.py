"""IE (the eligibility criteria a subject did not satisfy) and DS (protocol milestones and
disposition events).

IE follows SDTMIG: only the exceptions are recorded. From the stored screening evaluation, an
inclusion criterion the subject did not meet is IEORRES = N, an exclusion criterion that holds
for them is Y; a criterion satisfied, or left unknown by the evaluation, gives no record.

DS has, per subject: INFORMED CONSENT OBTAINED and RANDOMIZED (or, outside a randomized part,
the enrolment) as protocol milestones; a screen failure; and the end of participation
(completion, withdrawal, loss to follow-up, death) as a disposition event. DSDECOD comes from
the disposition form's choice when its code list gives a CDISC submission value, else from the
participant's status, which trialkit names in one fixed vocabulary; DSTERM is the reason
given, verbatim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from trialkit.core.adam.rows import ParticipantRow
from trialkit.core.protocol.forms import Item
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable, iso_date, with_sequence
from trialkit.core.sdtm.epochs import EPOCH_CODELIST, epoch
from trialkit.core.sdtm.special_purpose import subjects
from trialkit.core.sdtm.trial_design import ietest

Row = dict[str, Any]
MILESTONE = "PROTOCOL MILESTONE"
DISPOSITION = "DISPOSITION EVENT"
CONSENTED = "INFORMED CONSENT OBTAINED"
RANDOMIZED = "RANDOMIZED"
ENROLLED = "ENROLLED"
ENDINGS = {  # trialkit's participant status → NCOMPLT (C66727) submission value
    "completed": "COMPLETED", "withdrawn": "WITHDRAWAL BY SUBJECT",
    "lost_to_follow_up": "LOST TO FOLLOW-UP", "died": "DEATH",
    "screen_failed": "SCREEN FAILURE"}


def _v(name: str, label: str, kind: Kind = "text", role: str = "", codelist: str = "",
       origin: str = "Derived") -> Variable:
    return Variable(name, label, kind, role, codelist, origin)


_HEAD = (_v("STUDYID", "Study Identifier", role="Identifier"),
         _v("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734"),
         _v("USUBJID", "Unique Subject Identifier", role="Identifier"))


def ie_rows(context: Context) -> list[Row]:
    criteria = {c.id: c for c in context.protocol.eligibility.criteria}
    subject_keys = {p.key for p in subjects(context)}
    rows = []
    for screening in context.rows.screenings:
        if screening.participant not in subject_keys:
            continue
        for cid, status in screening.criteria.items():
            criterion = criteria.get(cid)
            if criterion is None:  # a criterion of another protocol version: not in TI
                continue
            exception = ((criterion.kind == "inclusion" and status == "not_met")
                         or (criterion.kind == "exclusion" and status == "met"))
            if not exception:
                continue
            result = "N" if criterion.kind == "inclusion" else "Y"
            day = screening.evaluated_on
            rows.append({"STUDYID": context.studyid, "DOMAIN": "IE",
                         "USUBJID": context.usubjid(screening.participant),
                         "IETESTCD": cid, "IETEST": ietest(criterion.text),
                         "IECAT": criterion.kind.upper(), "IEORRES": result,
                         "IESTRESC": result, "EPOCH": epoch(context, screening.participant, day),
                         "IEDTC": iso_date(day),
                         "IEDY": context.study_day(screening.participant, day)})
    return rows


def build_ie(context: Context) -> Sequence[Domain]:
    variables = (*_HEAD, _v("IESEQ", "Sequence Number", "integer", "Identifier"),
                 _v("IETESTCD", "Inclusion/Exclusion Criterion Short Name", role="Topic"),
                 _v("IETEST", "Inclusion/Exclusion Criterion", role="Synonym Qualifier"),
                 _v("IECAT", "Inclusion/Exclusion Category", role="Grouping Qualifier",
                    codelist="C66797"),
                 _v("IEORRES", "I/E Criterion Original Result", role="Result Qualifier",
                    codelist="C66742"),
                 _v("IESTRESC", "I/E Criterion Result in Std Format", role="Result Qualifier",
                    codelist="C66742"),
                 _v("EPOCH", "Epoch", role="Timing", codelist=EPOCH_CODELIST),
                 _v("IEDTC", "Date/Time of Collection", role="Timing"),
                 _v("IEDY", "Study Day of Collection", "integer", "Timing"))
    return [Domain("IE", "Inclusion/Exclusion Criteria Not Met", "Events", variables,
                   with_sequence(ie_rows(context), "IE", ("IEDTC", "IETESTCD")),
                   ("STUDYID", "USUBJID", "IETESTCD"))]


def _ds(context: Context, participant: int, term: str, decod: str, category: str,
        when: dt.date | dt.datetime | None, subcategory: str = "") -> Row:
    day = when.astimezone(dt.UTC).date() if isinstance(when, dt.datetime) else when
    return {"STUDYID": context.studyid, "DOMAIN": "DS", "USUBJID": context.usubjid(participant),
            "DSTERM": term, "DSDECOD": decod, "DSCAT": category, "DSSCAT": subcategory,
            "EPOCH": epoch(context, participant, day), "DSSTDTC": iso_date(when),
            "DSSTDY": context.study_day(participant, day)}


def _disposition_form(context: Context, participant: int) -> dict[str, tuple[Item, Any]]:
    """DS variable → (item, value) from the participant's disposition-kind form, if any."""
    found: dict[str, tuple[Item, Any]] = {}
    kinds = {f.id: f for f in context.protocol.forms if f.kind == "disposition"}
    for row in context.rows.trial.forms:
        form = kinds.get(row.form)
        if form is None or row.participant != participant:
            continue
        for item in form.items:
            if item.cdisc is not None and item.cdisc.domain == "DS" and item.cdisc.variable:
                found.setdefault(item.cdisc.variable, (item, row.data.get(item.id)))
    return found


def _ending(context: Context, person: ParticipantRow) -> Row | None:
    decod = ENDINGS.get(person.status)
    if decod is None:
        return None
    collected = _disposition_form(context, person.key) if person.status != "screen_failed" else {}
    choice = collected.get("DSDECOD")
    if choice is not None and choice[0].codelist is not None:
        chosen = next((c for c in context.protocol.codelist(choice[0].codelist).items
                       if c.code == str(choice[1])), None)
        if chosen is not None and chosen.submission_value:
            decod = chosen.submission_value
    reason = collected.get("DSTERM")
    term = (str(reason[1]) if reason is not None and reason[1] else person.end_reason) or decod
    return _ds(context, person.key, term, decod, DISPOSITION, person.ended_on,
               "STUDY PARTICIPATION")


def ds_rows(context: Context) -> list[Row]:
    randomized = {r.participant: r for r in context.rows.randomizations}
    rows = []
    for person in subjects(context):
        if person.consent_date is not None:
            rows.append(_ds(context, person.key, CONSENTED, CONSENTED, MILESTONE,
                            person.consent_date))
        if person.key in randomized:
            rows.append(_ds(context, person.key, RANDOMIZED, RANDOMIZED, MILESTONE,
                            randomized[person.key].randomized_at))
        elif person.enrolled_on is not None:
            rows.append(_ds(context, person.key, ENROLLED, ENROLLED, MILESTONE,
                            person.enrolled_on))
        ending = _ending(context, person)
        if ending is not None:
            rows.append(ending)
    return rows


def build_ds(context: Context) -> Sequence[Domain]:
    variables = (*_HEAD, _v("DSSEQ", "Sequence Number", "integer", "Identifier"),
                 _v("DSTERM", "Reported Term for the Disposition Event", role="Topic"),
                 _v("DSDECOD", "Standardized Disposition Term", role="Synonym Qualifier",
                    codelist="C66727"),
                 _v("DSCAT", "Category for Disposition Event", role="Grouping Qualifier",
                    codelist="C74558"),
                 _v("DSSCAT", "Subcategory for Disposition Event", role="Grouping Qualifier"),
                 _v("EPOCH", "Epoch", role="Timing", codelist=EPOCH_CODELIST),
                 _v("DSSTDTC", "Start Date/Time of Disposition Event", role="Timing"),
                 _v("DSSTDY", "Study Day of Start of Disposition Event", "integer", "Timing"))
    return [Domain("DS", "Disposition", "Events", variables,
                   with_sequence(ds_rows(context), "DS", ("DSSTDTC", "DSCAT")),
                   ("STUDYID", "USUBJID", "DSSTDTC", "DSCAT", "DSSCAT", "DSDECOD"))]


BUILDERS = (build_ie, build_ds)
