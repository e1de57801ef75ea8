"""CM (prior and concomitant medications) and PR (procedures).

CM: one record per form record with a CMTRT-annotated value, whatever kind of form carries it
(a medication log, or a history form's "prior therapies" item).

PR comes from three places, all read from the protocol's meaning, not its ids:

- administrations given by a puncture (route intrathecal): a LUMBAR PUNCTURE, or for a reader
  who may see arms and an arm given a sham, a SHAM LUMBAR PUNCTURE. An administration whose
  procedure differs by arm (real in one, sham in another) has **no PR record for a blinded
  reader**: a record saying only "a procedure" would add nothing EC does not already say, and
  any wording could differ from the unblinded one. An arm given nothing (``none``) has none.
- forms whose items are annotated PR (a bone-marrow harvest): PRTRT from the PRTRT item, else
  the form's name; PRSTDTC, PRLOC, PROCCUR (then PRPRESP = Y) … from the annotated items.
- imaging forms: the scan itself, MAGNETIC RESONANCE IMAGING (or COMPUTED TOMOGRAPHY) when the
  form's name says which, else the form's name; dated by the form's date item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trialkit.core.protocol.forms import Form
from trialkit.core.sdtm._collected import (
    Row,
    annotated_names,
    annotated_values,
    build,
    extra_variables,
    forms_naming,
    identifiers,
    place,
    present,
    record_date,
    records,
    supplemental,
    timing,
    var,
)
from trialkit.core.sdtm.common import Context, Domain, iso_date, with_sequence
from trialkit.core.sdtm.exposure import arm_content, doses

PUNCTURES = {"intrathecal": "LUMBAR PUNCTURE"}
"""The procedure by which a route's administration is given, where it is one of its own."""
MODALITIES = ((re.compile(r"\bMRI\b|magnetic resonance", re.I), "MAGNETIC RESONANCE IMAGING"),
              (re.compile(r"\bCT\b|computed tomography", re.I), "COMPUTED TOMOGRAPHY"))

CM_VARIABLES = (
    *identifiers("CM"),
    var("CMTRT", "Reported Name of Drug, Med, or Therapy", role="Topic", origin="Collected"),
    var("CMDECOD", "Standardized Medication Name", role="Synonym Qualifier",
        origin="Collected"),
    var("CMCAT", "Category for Medication", role="Grouping Qualifier", origin="Assigned"),
    var("CMINDC", "Indication", role="Record Qualifier", origin="Collected"),
    var("CMSTDTC", "Start Date/Time of Medication", "date", "Timing", origin="Collected"),
    var("CMENDTC", "End Date/Time of Medication", "date", "Timing", origin="Collected"),
    var("CMENRTPT", "End Relative to Reference Time Point", role="Timing", codelist="C66728",
        origin="Collected"),
    var("CMENTPT", "End Reference Time Point", role="Timing"))
PR_VARIABLES = (
    *identifiers("PR"),
    var("PRTRT", "Reported Name of Procedure", role="Topic", origin="Assigned"),
    var("PRCAT", "Category", role="Grouping Qualifier", origin="Assigned"),
    var("PRPRESP", "Pre-specified", role="Variable Qualifier", codelist="C66742"),
    var("PROCCUR", "Occurrence", role="Record Qualifier", codelist="C66742",
        origin="Collected"),
    var("PRREASOC", "Reason for Occur Value", role="Record Qualifier", origin="Collected"),
    var("PRLOC", "Location of Procedure", role="Record Qualifier", codelist="C74456",
        origin="Collected"),
    var("PRSTDTC", "Start Date/Time of Procedure", "datetime", "Timing", origin="Collected"),
    *timing("PR", "Study Day of Start of Procedure"))


def medications(context: Context) -> Sequence[Domain]:
    forms = forms_naming(context, "CM")
    if not forms:
        return []
    rows: list[Row] = []
    for form, record in records(context, forms):
        values = annotated_values(context, form, record, "CM")
        if values.get("CMTRT"):
            rows.append({"STUDYID": context.studyid, "DOMAIN": "CM",
                         "USUBJID": context.usubjid(record.participant), **values})
    ordered = with_sequence(rows, "CM", ("CMSTDTC", "CMTRT"))
    supp = supplemental(context, "CM", ordered,
                        extra_variables(context, "CM", [v.name for v in CM_VARIABLES]))
    keep = {"STUDYID", "DOMAIN", "USUBJID", "CMSEQ", "CMTRT"} | annotated_names(context, "CM")
    return [build("CM", "Concomitant/Prior Medications", "Interventions",
                   present(CM_VARIABLES, keep), ordered,
                   ("STUDYID", "USUBJID", "CMTRT", "CMSTDTC")), *supp]


def procedures(context: Context) -> Sequence[Domain]:
    rows = [*_punctures(context), *_recorded(context)]
    if not rows and not _sources(context):
        return []
    ordered = with_sequence(rows, "PR", ("PRSTDTC", "PRTRT"))
    supp = supplemental(context, "PR", ordered,
                        extra_variables(context, "PR", [v.name for v in PR_VARIABLES]))
    keep = {"STUDYID", "DOMAIN", "USUBJID", "PRSEQ", "PRTRT", "PRSTDTC", "VISITNUM", "VISIT",
            "EPOCH", "PRSTDY"} | annotated_names(context, "PR")
    if "PROCCUR" in keep:
        keep.add("PRPRESP")
    return [build("PR", "Procedures", "Interventions", present(PR_VARIABLES, keep), ordered,
                   ("STUDYID", "USUBJID", "PRTRT", "PRSTDTC")), *supp]


def _sources(context: Context) -> bool:
    """Whether the protocol can give PR records at all (so PR exists even while empty)."""
    return bool(_procedure_forms(context)) or any(
        a.route in PUNCTURES for a in context.protocol.design.administrations)


def _punctures(context: Context) -> list[Row]:
    rows = []
    for dose, administration in doses(context):
        name = PUNCTURES.get(administration.route)
        if name is None:
            continue
        if context.rows.blinded:
            if administration.differs_by_arm:
                continue
            procedure = next(iter(administration.by_arm.values())).procedure
        else:
            content = arm_content(context, dose.participant, administration)
            procedure = content.procedure if content is not None else "none"
        if procedure == "none":
            continue
        when = iso_date(dose.given_at)
        row = place(context, "PR", dose.participant, administration.visit, when)
        row.update({"PRTRT": name if procedure == "real" else f"SHAM {name}",
                    "PRSTDTC": when})
        rows.append(row)
    return rows


def _procedure_forms(context: Context) -> dict[str, Form]:
    """Forms annotated PR, and imaging forms (each record is a scan)."""
    return {**forms_naming(context, "PR"),
            **{f.id: f for f in context.protocol.forms if f.kind == "imaging"}}


def _recorded(context: Context) -> list[Row]:
    rows = []
    for form, record in records(context, _procedure_forms(context)):
        values = annotated_values(context, form, record, "PR")
        when = values.get("PRSTDTC") or record_date(form, record)
        if not when and not values.get("PROCCUR"):
            continue
        name = values.get("PRTRT") or next(
            (m for pattern, m in MODALITIES if form.kind == "imaging"
             and pattern.search(form.name)), form.name.upper())
        row = place(context, "PR", record.participant, record.visit, when)
        row.update({**values, "PRTRT": name, "PRSTDTC": when})
        if "PROCCUR" in values:
            row["PRPRESP"] = "Y"
        rows.append(row)
    return rows


BUILDERS = (medications, procedures)
