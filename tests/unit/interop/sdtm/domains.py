"""A small hand-built SDTM study (DM, AE, EX, VS, TS) to test the writers and the checker
without the derivations of ``trialkit.core.sdtm``."""

from __future__ import annotations

from typing import Any

from trialkit.core.sdtm import Domain, Variable

STUDY = "STUDY1"
SUBJECTS = ("STUDY1-S01-001", "STUDY1-S01-002")
V = Variable


def _common(domain: str) -> tuple[Variable, ...]:
    return (V("STUDYID", "Study Identifier", role="Identifier", origin="Assigned"),
            V("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734",
              origin="Assigned"),
            V("USUBJID", "Unique Subject Identifier", role="Identifier"),
            V(f"{domain}SEQ", "Sequence Number", kind="integer", role="Identifier"))


def dm(**changes: Any) -> Domain:
    rows = [{"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": s, "SUBJID": s[-3:], "SITEID": "S01",
             "RFSTDTC": start, "SEX": sex, "AGE": age, "AGEU": "YEARS", "COUNTRY": "FRA"}
            for s, start, sex, age in zip(SUBJECTS, ("2025-03-03", "2025-03-10"), ("F", "M"),
                                          (34, 41), strict=True)]
    for row in rows:
        row.update(changes)
    variables = (
        V("STUDYID", "Study Identifier", role="Identifier", origin="Assigned"),
        V("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734",
          origin="Assigned"),
        V("USUBJID", "Unique Subject Identifier", role="Identifier"),
        V("SUBJID", "Subject Identifier for the Study", role="Topic", origin="Collected"),
        V("SITEID", "Study Site Identifier", role="Record Qualifier", origin="Assigned"),
        V("RFSTDTC", "Subject Reference Start Date/Time", kind="date",
          role="Record Qualifier"),
        V("SEX", "Sex", role="Record Qualifier", codelist="C66731", origin="Collected"),
        V("AGE", "Age", kind="integer", role="Record Qualifier"),
        V("AGEU", "Age Units", role="Variable Qualifier", codelist="C66781", origin="Assigned"),
        V("COUNTRY", "Country", role="Record Qualifier", origin="Assigned"))
    return Domain("DM", "Demographics", "Special-Purpose", variables, tuple(rows))


def ae() -> Domain:
    rows = ({"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": SUBJECTS[0], "AESEQ": 1,
             "AETERM": "HEADACHE", "AEDECOD": "Headache", "AESEV": "MILD", "AESER": "N",
             "AESTDTC": "2025-03-04T10:30", "AESTDY": 2},
            {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": SUBJECTS[1], "AESEQ": 1,
             "AETERM": "NAUSEA", "AEDECOD": "Nausea", "AESEV": "MODERATE", "AESER": "N",
             "AESTDTC": "2025-03-09", "AESTDY": -1})
    variables = (*_common("AE"),
                 V("AETERM", "Reported Term for the Adverse Event", role="Topic",
                   origin="Collected"),
                 V("AEDECOD", "Dictionary-Derived Term", role="Synonym Qualifier"),
                 V("AESEV", "Severity/Intensity", role="Record Qualifier", codelist="C66769",
                   origin="Collected"),
                 V("AESER", "Serious Event", role="Record Qualifier", codelist="C66742",
                   origin="Collected"),
                 V("AESTDTC", "Start Date/Time of Adverse Event", kind="datetime",
                   role="Timing", origin="Collected"),
                 V("AESTDY", "Study Day of Start of Adverse Event", kind="integer",
                   role="Timing"))
    return Domain("AE", "Adverse Events", "Events", variables, rows,
                  keys=("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"))


def ex() -> Domain:
    rows = tuple({"STUDYID": STUDY, "DOMAIN": "EX", "USUBJID": s, "EXSEQ": 1,
                  "EXTRT": "STUDY DRUG", "EXDOSE": 1.5, "EXDOSU": "mg",
                  "EXROUTE": "INTRAVENOUS", "EXSTDTC": start}
                 for s, start in zip(SUBJECTS, ("2025-03-03T09:00", "2025-03-10T09:00"),
                                     strict=True))
    variables = (*_common("EX"),
                 V("EXTRT", "Name of Treatment", role="Topic", origin="Protocol"),
                 V("EXDOSE", "Dose", kind="float", role="Record Qualifier", origin="Protocol"),
                 V("EXDOSU", "Dose Units", role="Variable Qualifier", codelist="C71620",
                   origin="Protocol"),
                 V("EXROUTE", "Route of Administration", role="Variable Qualifier",
                   codelist="C66729", origin="Protocol"),
                 V("EXSTDTC", "Start Date/Time of Treatment", kind="datetime", role="Timing",
                   origin="Collected"))
    return Domain("EX", "Exposure", "Interventions", variables, rows,
                  keys=("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"))


def ts() -> Domain:
    rows = ({"STUDYID": STUDY, "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": "TBLIND",
             "TSPARM": "Trial Blinding Schema", "TSVAL": "DOUBLE BLIND"},
            {"STUDYID": STUDY, "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": "RANDOM",
             "TSPARM": "Trial is Randomized", "TSVAL": "Y"})
    variables = (
        V("STUDYID", "Study Identifier", role="Identifier", origin="Assigned"),
        V("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734",
          origin="Assigned"),
        V("TSSEQ", "Sequence Number", kind="integer", role="Identifier", origin="Assigned"),
        V("TSPARMCD", "Trial Summary Parameter Short Name", role="Topic", codelist="C66738",
          origin="Assigned"),
        V("TSPARM", "Trial Summary Parameter", role="Synonym Qualifier", codelist="C67152",
          origin="Assigned"),
        V("TSVAL", "Parameter Value", role="Result Qualifier", origin="Protocol"))
    return Domain("TS", "Trial Summary", "Trial Design", variables, rows,
                  keys=("STUDYID", "TSPARMCD", "TSSEQ"))


def study() -> list[Domain]:
    return [ae(), dm(), ex(), ts(), vs()]


def ec() -> Domain:
    """EX as a blinded export writes it: exposure as collected (EC), no treatment name."""
    source = ex()

    def renamed(name: str) -> str:
        return "EC" + name[2:] if name.startswith("EX") else name

    variables = tuple(V(renamed(v.name), v.label, v.kind, v.role, v.codelist, v.origin)
                      for v in source.variables)
    rows = tuple({renamed(k): ("EC" if k == "DOMAIN" else v) for k, v in row.items()}
                 for row in source.rows)
    return Domain("EC", "Exposure as Collected", "Interventions", variables, rows,
                  keys=tuple(renamed(k) for k in source.keys))


def vs() -> Domain:
    results = (("SYSBP", "Systolic Blood Pressure", "120", "mmHg"),
               ("TEMP", "Temperature", "36.6", "C"))
    rows = tuple({"STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": SUBJECTS[0], "VSSEQ": seq,
                  "VSTESTCD": code, "VSTEST": name, "VSORRES": value, "VSORRESU": unit,
                  "VSDTC": "2025-03-03"}
                 for seq, (code, name, value, unit) in enumerate(results, start=1))
    variables = (*_common("VS"),
                 V("VSTESTCD", "Vital Signs Test Short Name", role="Topic", codelist="C66741",
                   origin="Assigned"),
                 V("VSTEST", "Vital Signs Test Name", role="Synonym Qualifier",
                   codelist="C67153", origin="Assigned"),
                 V("VSORRES", "Result or Finding in Original Units", role="Result Qualifier",
                   origin="Collected"),
                 V("VSORRESU", "Original Units", role="Variable Qualifier", codelist="C66770",
                   origin="Collected"),
                 V("VSDTC", "Date/Time of Measurements", kind="date", role="Timing",
                   origin="Collected"))
    return Domain("VS", "Vital Signs", "Findings", variables, rows,
                  keys=("STUDYID", "USUBJID", "VSTESTCD", "VSDTC"))
