"""CE, FA and RELREC: clinical events (relapses) with the findings about them, linked.

CE: one record per record of a form with CE-annotated items. A form that only asks whether
the event happened (an item annotated CEOCCUR, "any relapse since the last visit?") is a
pre-specified event (CEPRESP = Y); its CETERM is the name of the protocol's event log that
records such events in full (the one event-log form with a CETERM item), else its own name.

FA: an item annotated ``{domain: FA, testcd, test}`` on such a form is a finding about that
event (FAOBJ = the event's CETERM), one row per item per record, dated as the event's record.
RELREC relates each event to its findings: one relationship (RELID) per event, the CE record
by CESEQ and each FA record by FASEQ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trialkit.core.adam.rows import FormRow
from trialkit.core.adam.values import as_date
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.sdtm._collected import (
    RELATED,
    Row,
    annotated,
    annotated_names,
    annotated_values,
    build,
    collected,
    forms_naming,
    identifiers,
    place,
    present,
    records,
    var,
)
from trialkit.core.sdtm.common import Context, Domain, with_sequence

CE_VARIABLES = (
    *identifiers("CE"),
    var("CETERM", "Reported Term for the Clinical Event", role="Topic", origin="Collected"),
    var("CEDECOD", "Dictionary-Derived Term", role="Synonym Qualifier"),
    var("CECAT", "Category for Clinical Event", role="Grouping Qualifier", origin="Assigned"),
    var("CEPRESP", "Clinical Event Pre-specified", role="Variable Qualifier",
        codelist="C66742"),
    var("CEOCCUR", "Clinical Event Occurrence", role="Record Qualifier", codelist="C66742",
        origin="Collected"),
    var("VISITNUM", "Visit Number", "float", "Timing"),
    var("VISIT", "Visit Name", role="Timing"),
    var("EPOCH", "Epoch", role="Timing", codelist="C99079"),
    var("CEDTC", "Date/Time of Event Collection", "date", "Timing"),
    var("CESTDTC", "Start Date/Time of Clinical Event", "date", "Timing", origin="Collected"),
    var("CEENDTC", "End Date/Time of Clinical Event", "date", "Timing", origin="Collected"),
    var("CESTDY", "Study Day of Start of Event", "integer", "Timing"))
FA_VARIABLES = (
    *identifiers("FA"),
    var("FATESTCD", "Findings About Test Short Name", role="Topic", origin="Assigned"),
    var("FATEST", "Findings About Test Name", role="Synonym Qualifier", origin="Assigned"),
    var("FAOBJ", "Object of the Observation", role="Synonym Qualifier"),
    var("FACAT", "Category for Findings About", role="Grouping Qualifier", origin="Assigned"),
    var("FAORRES", "Result or Finding in Original Units", role="Result Qualifier",
        origin="Collected"),
    var("FASTRESC", "Character Result/Finding in Std Format", role="Result Qualifier"),
    var("VISITNUM", "Visit Number", "float", "Timing"),
    var("VISIT", "Visit Name", role="Timing"),
    var("EPOCH", "Epoch", role="Timing", codelist="C99079"),
    var("FADTC", "Date/Time of Collection", "date", "Timing"),
    var("FADY", "Study Day of Collection", "integer", "Timing"))
RELREC_VARIABLES = (
    *RELATED,
    var("RELTYPE", "Relationship Type", role="Record Qualifier", codelist="C78737"),
    var("RELID", "Relationship Identifier", role="Record Qualifier"))


def clinical_events(context: Context) -> Sequence[Domain]:
    forms = forms_naming(context, "CE")
    if not forms:
        return []
    events: list[Row] = []
    findings: list[Row] = []
    for form, record in records(context, forms):
        event = _event(context, form, record, _log_name(forms.values(), form))
        if event is None:
            continue
        event["_link"] = len(events)
        events.append(event)
        findings += [{**f, "_link": event["_link"]} for f in _findings(context, form, record,
                                                                      event)]
    ce = with_sequence(events, "CE", ("CESTDTC", "CETERM", "_link"))
    keep = set(_ce_always()) | annotated_names(context, "CE")
    if _asks(forms):
        keep.add("CEPRESP")
    domains = [build("CE", "Clinical Events", "Events", present(CE_VARIABLES, keep), ce,
                      ("STUDYID", "USUBJID", "CETERM", "VISITNUM", "CESTDTC"))]
    fa: tuple[Row, ...] = ()
    if any(_tests(f) for f in forms.values()):
        fa = with_sequence(findings, "FA", ("FADTC", "FATESTCD", "_link"))
        domains += [build("FA", "Findings About Events or Interventions", "Findings About",
                           FA_VARIABLES, fa,
                           ("STUDYID", "USUBJID", "FATESTCD", "FAOBJ", "FADTC")),
                    _relrec(ce, fa)]
    return domains


def _ce_always() -> tuple[str, ...]:
    return ("STUDYID", "DOMAIN", "USUBJID", "CESEQ", "CETERM", "CEDECOD", "VISITNUM", "VISIT",
            "EPOCH", "CESTDTC", "CESTDY")


def _asks(forms: dict[str, Form]) -> bool:
    return any(i.cdisc is not None and i.cdisc.variable == "CEOCCUR"
               for f in forms.values() for i in annotated(f, "CE"))


def _log_name(forms: Iterable[Form], form: Form) -> str:
    """The term of a pre-specified event: the name of the one event log with a CETERM item."""
    logs = [f for f in forms if f.kind == "event_log"
            and f.item_with("CE", "CETERM") is not None]
    return (logs[0] if len(logs) == 1 else form).name.upper()


def _event(context: Context, form: Form, record: FormRow, term: str) -> Row | None:
    values = annotated_values(context, form, record, "CE")
    if "CEOCCUR" in values:
        values.setdefault("CEPRESP", "Y")
        values["CETERM"] = values.get("CETERM") or term
    if not values.get("CETERM"):
        return None
    row = place(context, "CE", record.participant, record.visit, values.get("CESTDTC", ""))
    row.update(values)
    row.setdefault("CEDECOD", values["CETERM"])
    return row


def _tests(form: Form) -> list[Item]:
    return [i for i in annotated(form, "FA") if i.cdisc is not None and i.cdisc.testcd]


def _findings(context: Context, form: Form, record: FormRow, event: Row) -> list[Row]:
    when = event.get("CESTDTC", "")
    rows = []
    for item in annotated(form, "FA"):
        if item.cdisc is None or not item.cdisc.testcd or not item.cdisc.test:
            continue
        result = collected(context, item, record.data.get(item.id))
        if not result:
            continue
        row = place(context, "FA", record.participant, record.visit, when, start="")
        row.update({"FATESTCD": item.cdisc.testcd, "FATEST": item.cdisc.test,
                    "FAOBJ": event["CETERM"], "FACAT": item.cdisc.category or "",
                    "FAORRES": result, "FASTRESC": result, "FADTC": when,
                    "FADY": context.study_day(record.participant, as_date(when))})
        rows.append(row)
    return rows


def _relrec(events: Sequence[Row], findings: Sequence[Row]) -> Domain:
    """One RELID per event with findings: the CE record and each of its FA records."""
    rows: list[Row] = []
    for event in events:
        linked = [f for f in findings if f["_link"] == event["_link"]]
        if not linked:
            continue
        relid = f"CE{event['CESEQ']}"
        for domain, row in (("CE", event), *(("FA", f) for f in linked)):
            rows.append({"STUDYID": row["STUDYID"], "RDOMAIN": domain,
                         "USUBJID": row["USUBJID"], "IDVAR": f"{domain}SEQ",
                         "IDVARVAL": str(row[f"{domain}SEQ"]), "RELTYPE": "", "RELID": relid})
    return build("RELREC", "Related Records", "Relationship", RELREC_VARIABLES, tuple(rows),
                  ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"))


BUILDERS = (clinical_events,)
