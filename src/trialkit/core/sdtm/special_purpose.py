"""The special-purpose domain DM (+ SUPPDM); SE and SV are in their own modules.

DM takes its collected values from the items annotated ``cdisc: {domain: DM, …}`` on any form
(birth date, sex, race…), whatever the form's id; the reference dates come from what happened
(consent, doses given, end of participation). An annotated DM variable the SDTMIG does not
define goes to SUPPDM under its own name.

Blinding: the arm variables (ARMCD, ARM, ACTARMCD, ACTARM) are filled only when the rows carry
allocations. For a blinded reader they are empty for everyone, and ARMNRS says only what the
participant's status says without an arm (SCREEN FAILURE, NOT ASSIGNED). SE likewise leaves out
the treatment elements of a blinded reader's participants, since an element is an arm's
treatment; screening, washout and follow-up stay, as they are the same in every arm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from trialkit.core.adam.rows import ParticipantRow
from trialkit.core.adam.values import as_date, as_text
from trialkit.core.protocol.forms import Item
from trialkit.core.sdtm._collected import SUPP_VARIABLES
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable, iso_date
from trialkit.core.sdtm.epochs import doses_given
from trialkit.core.sdtm.trial_design import PlannedArm, planned_arm
from trialkit.core.sdtm.trial_summary import country_code

Row = dict[str, Any]
DM_STANDARD = frozenset({
    "STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC",
    "RFICDTC", "RFPENDTC", "DTHDTC", "DTHFL", "SITEID", "INVID", "INVNAM", "BRTHDTC", "AGE",
    "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS",
    "ACTARMUD", "COUNTRY", "DMDTC", "DMDY"})


def _v(name: str, label: str, kind: Kind = "text", role: str = "", codelist: str = "",
       origin: str = "Derived") -> Variable:
    return Variable(name, label, kind, role, codelist, origin)


def subjects(context: Context) -> list[ParticipantRow]:
    """Every participant the rows hold, consented or not: another domain may hold a
    pre-screening record of one who has not consented yet, and every USUBJID is in DM."""
    return list(context.rows.trial.participants)


def dm_items(context: Context) -> list[Item]:
    """The items annotated with a DM variable, on any form."""
    return [i for f in context.protocol.forms for i in f.items
            if i.cdisc is not None and i.cdisc.domain == "DM" and i.cdisc.variable]


def collected(context: Context, participant: int) -> dict[str, str]:
    """DM variable → the participant's value, from the latest record of each annotated form."""
    forms = {f.id: [i for i in f.items if i.cdisc is not None and i.cdisc.domain == "DM"
                    and i.cdisc.variable] for f in context.protocol.forms}
    values: dict[str, str] = {}
    for row in sorted(context.rows.trial.forms, key=lambda r: (r.form, r.visit, r.repeat)):
        if row.participant != participant:
            continue
        for item in forms.get(row.form, []):
            if item.cdisc is not None and item.cdisc.variable:
                text = as_text(item, row.data.get(item.id), context.protocol)
                if text:
                    values.setdefault(item.cdisc.variable, text)
    return values


def _exposures(context: Context, person: ParticipantRow) -> list[str]:
    """ISO 8601 of each dose that exposed the participant to a study treatment, to the minute
    where the dose time is known. With the arm known, an administration at which the arm
    receives nothing (a matched day with ``procedure: none``) is no exposure; blinded, every
    recorded administration counts, as the reader cannot tell them apart."""
    empty = _nothing_given(context, person)
    times = sorted(d.given_at for d in context.rows.doses
                   if d.participant == person.key and d.administration not in empty)
    if times:
        return [iso_date(t) for t in times]
    return [iso_date(day) for adm, day in sorted(doses_given(context, person.key).items(),
                                                 key=lambda item: item[1]) if adm not in empty]


def _nothing_given(context: Context, person: ParticipantRow) -> set[str]:
    allocations = context.rows.trial.allocations
    if allocations is None or person.key not in allocations or not person.part:
        return set()
    allocation, part = allocations[person.key], context.protocol.part(person.part)
    empty = set()
    for administration in context.protocol.design.administrations:
        arm = allocation.arm
        if part.is_crossover and administration.period is not None:
            arm = part.arm_in_period(allocation.sequence, administration.period)
        content = administration.by_arm.get(arm)
        if content is not None and content.procedure == "none":
            empty.add(administration.id)
    return empty


def _age(birth: str, on: dt.date | None) -> int | None:
    born = as_date(birth)
    if born is None or on is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _last_contact(context: Context, person: ParticipantRow) -> dt.date | None:
    if person.ended_on is not None:
        return person.ended_on
    days = [v.done_on for v in context.rows.visits
            if v.participant == person.key and v.done_on is not None]
    days += list(doses_given(context, person.key).values())
    days += [person.consent_date] if person.consent_date is not None else []
    return max(days, default=None)


def _arm(context: Context, person: ParticipantRow) -> PlannedArm | None:
    allocations = context.rows.trial.allocations
    if allocations is None or person.key not in allocations or not person.part:
        return None
    allocation = allocations[person.key]
    return planned_arm(context.protocol, person.part, allocation.sequence or allocation.arm)


def _arm_values(context: Context, person: ParticipantRow) -> Row:
    arm = _arm(context, person)
    treated = bool(doses_given(context, person.key))
    reason = ("SCREEN FAILURE" if person.status == "screen_failed"
              else "NOT ASSIGNED" if person.enrolled_on is None or not person.part else "")
    if arm is None:
        return {"ARMCD": "", "ARM": "", "ACTARMCD": "", "ACTARM": "", "ARMNRS": reason,
                "ACTARMUD": ""}
    return {"ARMCD": arm.code, "ARM": arm.name, "ACTARMCD": arm.code if treated else "",
            "ACTARM": arm.name if treated else "",
            "ARMNRS": "" if treated else "ASSIGNED, NOT TREATED", "ACTARMUD": ""}


def _collected_on(context: Context, participant: int) -> dt.date | None:
    """DMDTC: when the demographics were first saved."""
    wanted = {i.id for i in dm_items(context)}
    forms = {f.id for f in context.protocol.forms if any(i.id in wanted for i in f.items)}
    saved = [v.saved_at for v in context.rows.versions
             if v.participant == participant and v.form in forms]
    return min(saved).astimezone(dt.UTC).date() if saved else None


def dm_row(context: Context, person: ParticipantRow, countries: dict[str, str]) -> Row:
    values = collected(context, person.key)
    doses = _exposures(context, person)
    start = context.reference_starts.get(person.key)
    collected_on = _collected_on(context, person.key)
    age = _age(values.get("BRTHDTC", ""), person.consent_date)
    return {
        "STUDYID": context.studyid, "DOMAIN": "DM", "USUBJID": context.usubjid(person.key),
        "SUBJID": person.screening_number, "RFSTDTC": iso_date(start),
        "RFENDTC": iso_date(person.ended_on), "RFXSTDTC": doses[0] if doses else "",
        "RFXENDTC": doses[-1] if doses else "", "RFICDTC": iso_date(person.consent_date),
        "RFPENDTC": iso_date(_last_contact(context, person)),
        "DTHDTC": iso_date(person.ended_on) if person.status == "died" else "",
        "DTHFL": "Y" if person.status == "died" else "", "SITEID": person.site,
        "BRTHDTC": values.get("BRTHDTC", ""), "AGE": age,
        "AGEU": "YEARS" if age is not None else "",
        "SEX": values.get("SEX", "U"), "RACE": values.get("RACE", ""),
        "ETHNIC": values.get("ETHNIC", ""), **_arm_values(context, person),
        "COUNTRY": countries.get(person.site, ""), "DMDTC": iso_date(collected_on),
        "DMDY": context.study_day(person.key, collected_on),
        **{k: v for k, v in values.items() if k not in DM_STANDARD}}


DM_VARIABLES = (
    _v("STUDYID", "Study Identifier", role="Identifier"),
    _v("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734"),
    _v("USUBJID", "Unique Subject Identifier", role="Identifier"),
    _v("SUBJID", "Subject Identifier for the Study", role="Topic", origin="Assigned"),
    _v("RFSTDTC", "Subject Reference Start Date/Time", role="Record Qualifier"),
    _v("RFENDTC", "Subject Reference End Date/Time", role="Record Qualifier"),
    _v("RFXSTDTC", "Date/Time of First Study Treatment", role="Record Qualifier"),
    _v("RFXENDTC", "Date/Time of Last Study Treatment", role="Record Qualifier"),
    _v("RFICDTC", "Date/Time of Informed Consent", role="Record Qualifier"),
    _v("RFPENDTC", "Date/Time of End of Participation", role="Record Qualifier"),
    _v("DTHDTC", "Date/Time of Death", role="Record Qualifier"),
    _v("DTHFL", "Subject Death Flag", role="Record Qualifier", codelist="C66742"),
    _v("SITEID", "Study Site Identifier", role="Record Qualifier", origin="Assigned"),
    _v("BRTHDTC", "Date/Time of Birth", role="Record Qualifier", origin="Collected"),
    _v("AGE", "Age", "integer", "Record Qualifier"),
    _v("AGEU", "Age Units", role="Variable Qualifier", codelist="C66781"),
    _v("SEX", "Sex", role="Record Qualifier", codelist="C66731", origin="Collected"),
    _v("RACE", "Race", role="Record Qualifier", codelist="C74457", origin="Collected"),
    _v("ETHNIC", "Ethnicity", role="Record Qualifier", codelist="C66790", origin="Collected"),
    _v("ARMCD", "Planned Arm Code", role="Record Qualifier", origin="Assigned"),
    _v("ARM", "Description of Planned Arm", role="Synonym Qualifier", origin="Assigned"),
    _v("ACTARMCD", "Actual Arm Code", role="Record Qualifier"),
    _v("ACTARM", "Description of Actual Arm", role="Synonym Qualifier"),
    _v("ARMNRS", "Reason Arm and/or Actual Arm is Null", role="Record Qualifier",
       codelist="C142179"),
    _v("ACTARMUD", "Description of Unplanned Actual Arm", role="Record Qualifier"),
    _v("COUNTRY", "Country", role="Record Qualifier"),
    _v("DMDTC", "Date/Time of Collection", role="Timing"),
    _v("DMDY", "Study Day of Collection", "integer", "Timing"))


def build_dm(context: Context) -> Sequence[Domain]:
    countries = {s.code: country_code(s.country) for s in context.rows.sites}
    rows = [dm_row(context, p, countries) for p in subjects(context)]
    extra = sorted({i.cdisc.variable for i in dm_items(context) if i.cdisc is not None
                    and i.cdisc.variable and i.cdisc.variable not in DM_STANDARD})
    collects = {i.cdisc.variable for i in dm_items(context) if i.cdisc is not None}
    variables = tuple(v for v in DM_VARIABLES
                      if v.name != "ETHNIC" or "ETHNIC" in collects)
    dm = Domain("DM", "Demographics", "Special-Purpose", variables,
                tuple(sorted(({k: v for k, v in r.items() if k not in extra} for r in rows),
                             key=lambda r: r["USUBJID"])))
    if not extra:
        return [dm]
    return [dm, _suppdm(context, rows, extra)]


def _suppdm(context: Context, rows: list[Row], extra: list[str]) -> Domain:
    labels = {i.cdisc.variable: i.label[:40] for i in dm_items(context) if i.cdisc is not None}
    records = [{"STUDYID": r["STUDYID"], "RDOMAIN": "DM", "USUBJID": r["USUBJID"],
                "IDVAR": "", "IDVARVAL": "", "QNAM": name, "QLABEL": labels[name],
                "QVAL": r[name], "QORIG": "CRF", "QEVAL": ""}
               for r in rows for name in extra if r.get(name)]
    return Domain("SUPPDM", "Supplemental Qualifiers for DM", "Relationship", SUPP_VARIABLES,
                  tuple(sorted(records, key=lambda r: (r["USUBJID"], r["QNAM"]))),
                  ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"))


BUILDERS = (build_dm,)
