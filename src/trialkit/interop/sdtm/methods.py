"""What a derived SDTM variable's MethodDef says: the derivation trialkit applies
(``trialkit.core.sdtm.common``), by the variable's SDTM suffix, else its label."""

from __future__ import annotations

_BY_NAME = {
    "USUBJID": "STUDYID, SITEID and SUBJID joined by hyphens.",
    "VISITNUM": "The visit's position in the protocol's schedule (1, 2, ...).",
    "EPOCH": "The protocol epoch that contains the date of the record.",
    "RFSTDTC": "Date/time of the subject's first study administration (first EXSTDTC).",
    "AGE": "Age in whole years at informed consent, from the date of birth.",
}
_BY_SUFFIX = {
    "SEQ": "Sequence number: 1, 2, ... for the subject's records of the dataset, in order of "
           "USUBJID and the record's date and topic.",
    "DY": "Study day relative to RFSTDTC: date - RFSTDTC + 1 on or after RFSTDTC, "
          "date - RFSTDTC before it (there is no day 0).",
    "STRESC": "The original result in the standard format and unit.",
    "STRESN": "The numeric value of --STRESC.",
}


def method_text(dataset: str, variable: str, label: str) -> str:
    if variable in _BY_NAME:
        return _BY_NAME[variable]
    for suffix, text in _BY_SUFFIX.items():
        if variable.endswith(suffix) and len(variable) - len(suffix) <= 4:
            return text
    return f"{label}: derived by trialkit from the protocol and the collected data."
