"""AE (+ SUPPAE) and MH: the events the investigator records, one row per form record.

Every value comes from an item annotated with the domain's variable, on whatever form carries
it. An event whose term is coded to the sponsor's dictionary (``TrialRows.codings``) gets
the dictionary variables: AEDECOD the preferred term, AEBODSYS the PT's primary system organ
class, and the codes and names of every level (AELLT/AELLTCD, AEPTCD, AEHLT/AEHLTCD,
AEHLGT/AEHLGTCD, AEBDSYCD, AESOC/AESOCCD); AETERM stays as collected. An event not (or no
longer) coded keeps AEDECOD as the term collected and AEBODSYS empty. An annotated AE
variable that the SDTMIG does not define (the relation to each administration or procedure,
``AERELIV``-style names the protocol gives its items) is a supplemental qualifier in SUPPAE
under that name, keyed to the event by AESEQ.
"""

from __future__ import annotations

from collections.abc import Sequence

from trialkit.core.adam.rows import CodedTermRow
from trialkit.core.adam.values import as_date
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
    records,
    supplemental,
    var,
)
from trialkit.core.sdtm.common import Context, Domain, with_sequence

_NY = "C66742"
AE_VARIABLES = (
    *identifiers("AE"),
    var("AESPID", "Sponsor-Defined Identifier", role="Identifier"),
    var("AETERM", "Reported Term for the Adverse Event", role="Topic", origin="Collected"),
    var("AELLT", "Lowest Level Term", role="Variable Qualifier", origin="Assigned"),
    var("AELLTCD", "Lowest Level Term Code", "integer", "Variable Qualifier",
        origin="Assigned"),
    var("AEDECOD", "Dictionary-Derived Term", role="Synonym Qualifier"),
    var("AEPTCD", "Preferred Term Code", "integer", "Variable Qualifier", origin="Assigned"),
    var("AEHLT", "High Level Term", role="Variable Qualifier", origin="Assigned"),
    var("AEHLTCD", "High Level Term Code", "integer", "Variable Qualifier",
        origin="Assigned"),
    var("AEHLGT", "High Level Group Term", role="Variable Qualifier", origin="Assigned"),
    var("AEHLGTCD", "High Level Group Term Code", "integer", "Variable Qualifier",
        origin="Assigned"),
    var("AECAT", "Category for Adverse Event", role="Grouping Qualifier", origin="Collected"),
    var("AEBODSYS", "Body System or Organ Class", role="Record Qualifier"),
    var("AEBDSYCD", "Body System or Organ Class Code", "integer", "Record Qualifier",
        origin="Assigned"),
    var("AESOC", "Primary System Organ Class", role="Variable Qualifier", origin="Assigned"),
    var("AESOCCD", "Primary System Organ Class Code", "integer", "Variable Qualifier",
        origin="Assigned"),
    var("AESEV", "Severity/Intensity", role="Record Qualifier", codelist="C66769",
        origin="Collected"),
    var("AESER", "Serious Event", role="Record Qualifier", codelist=_NY, origin="Collected"),
    var("AEACN", "Action Taken with Study Treatment", role="Record Qualifier",
        codelist="C66767", origin="Collected"),
    var("AEREL", "Causality", role="Record Qualifier", origin="Collected"),
    var("AEOUT", "Outcome of Adverse Event", role="Record Qualifier", codelist="C66768",
        origin="Collected"),
    var("AESCONG", "Congenital Anomaly or Birth Defect", role="Record Qualifier",
        codelist=_NY, origin="Collected"),
    var("AESDISAB", "Persist or Signif Disability/Incapacity", role="Record Qualifier",
        codelist=_NY, origin="Collected"),
    var("AESDTH", "Results in Death", role="Record Qualifier", codelist=_NY,
        origin="Collected"),
    var("AESHOSP", "Requires or Prolongs Hospitalization", role="Record Qualifier",
        codelist=_NY, origin="Collected"),
    var("AESLIFE", "Is Life Threatening", role="Record Qualifier", codelist=_NY,
        origin="Collected"),
    var("AESMIE", "Other Medically Important Serious Event", role="Record Qualifier",
        codelist=_NY, origin="Collected"),
    var("AETOXGR", "Standard Toxicity Grade", role="Record Qualifier", origin="Collected"),
    var("EPOCH", "Epoch", role="Timing", codelist="C99079"),
    var("AESTDTC", "Start Date/Time of Adverse Event", "date", "Timing", origin="Collected"),
    var("AEENDTC", "End Date/Time of Adverse Event", "date", "Timing", origin="Collected"),
    var("AESTDY", "Study Day of Start of Adverse Event", "integer", "Timing"),
    var("AEENDY", "Study Day of End of Adverse Event", "integer", "Timing"))
AE_ALWAYS = ("STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS",
             "AESER", "AEACN", "AEREL", "EPOCH", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY")
"""Required and expected AE variables (SDTMIG 3.3), present even when empty."""

CODED = ("AELLT", "AELLTCD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBDSYCD",
         "AESOC", "AESOCCD")
"""The dictionary variables an AE dataset carries once any of its events is coded."""

MH_VARIABLES = (
    *identifiers("MH"),
    var("MHTERM", "Reported Term for the Medical History", role="Topic", origin="Collected"),
    var("MHDECOD", "Dictionary-Derived Term", role="Synonym Qualifier", origin="Collected"),
    var("MHCAT", "Category for Medical History", role="Grouping Qualifier",
        origin="Assigned"),
    var("MHSTDTC", "Start Date/Time of Medical History Event", "date", "Timing",
        origin="Collected"),
    var("MHENDTC", "End Date/Time of Medical History Event", "date", "Timing",
        origin="Collected"),
    var("MHENRTPT", "End Relative to Reference Time Point", role="Timing", codelist="C66728",
        origin="Collected"),
    var("MHENTPT", "End Reference Time Point", role="Timing"))
MH_ALWAYS = ("STUDYID", "DOMAIN", "USUBJID", "MHSEQ", "MHTERM")


def adverse_events(context: Context) -> Sequence[Domain]:
    forms = forms_naming(context, "AE")
    if not forms:
        return []
    standard = [v.name for v in AE_VARIABLES]
    qualifiers = extra_variables(context, "AE", standard)
    rows: list[Row] = []
    for form, record in records(context, forms):
        values = annotated_values(context, form, record, "AE")
        if not values.get("AETERM"):
            continue
        row = place(context, "AE", record.participant, "", values.get("AESTDTC", ""))
        row.update(values)
        coding = context.rows.trial.coding_of(record)
        if coding is not None:
            row.update(dictionary_values(coding))
        row.setdefault("AEDECOD", values["AETERM"])
        row["AEENDY"] = context.study_day(record.participant,
                                          as_date(values.get("AEENDTC", "")))
        row["_repeat"] = record.repeat
        rows.append(row)
    ordered = with_sequence(rows, "AE", ("AESTDTC", "AETERM", "_repeat"))
    for row in ordered:
        del row["_repeat"]
    supp = supplemental(context, "AE", ordered, qualifiers)
    keep = set(AE_ALWAYS) | annotated_names(context, "AE")
    if any("AEPTCD" in row for row in ordered):
        keep |= set(CODED)
    ae = build("AE", "Adverse Events", "Events", present(AE_VARIABLES, keep), ordered,
                ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"))
    return [ae, *supp]


def dictionary_values(coding: CodedTermRow) -> Row:
    """The AE dictionary variables of a coded event (MedDRA's codes are numbers)."""
    return {"AELLT": coding.llt_name, "AELLTCD": int(coding.llt_code),
            "AEDECOD": coding.pt_name, "AEPTCD": int(coding.pt_code),
            "AEHLT": coding.hlt_name, "AEHLTCD": int(coding.hlt_code),
            "AEHLGT": coding.hlgt_name, "AEHLGTCD": int(coding.hlgt_code),
            "AEBODSYS": coding.soc_name, "AEBDSYCD": int(coding.soc_code),
            "AESOC": coding.soc_name, "AESOCCD": int(coding.soc_code)}


def medical_history(context: Context) -> Sequence[Domain]:
    forms = forms_naming(context, "MH")
    if not forms:
        return []
    rows: list[Row] = []
    for form, record in records(context, forms):
        values = annotated_values(context, form, record, "MH")
        if not values.get("MHTERM"):
            continue
        rows.append({"STUDYID": context.studyid, "DOMAIN": "MH",
                     "USUBJID": context.usubjid(record.participant), **values})
    keep = set(MH_ALWAYS) | annotated_names(context, "MH")
    extra = extra_variables(context, "MH", [v.name for v in MH_VARIABLES])
    ordered = with_sequence(rows, "MH", ("MHCAT", "MHSTDTC", "MHTERM"))
    supp = supplemental(context, "MH", ordered, extra)
    return [build("MH", "Medical History", "Events", present(MH_VARIABLES, keep), ordered,
                   ("STUDYID", "USUBJID", "MHCAT", "MHTERM", "MHSTDTC")), *supp]


BUILDERS = (adverse_events, medical_history)
