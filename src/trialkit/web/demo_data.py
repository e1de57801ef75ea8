"""What the demo's participants report: screening data, EDSS ratings, labs, vital signs, AEs.

Plain data in the shape of the reference protocol's forms. The demo (``trialkit.web.demo``)
saves these through the data-capture action like a site would; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialkit.core.scoring.derivations import derivation, derive

FS_ITEMS = ("fs_pyramidal", "fs_cerebellar", "fs_brainstem", "fs_sensory", "fs_bowel_bladder",
            "fs_visual", "fs_cerebral", "ambulation")
EDSS_FUNCTION = "neurostatus_edss"

Data = dict[str, Any]
PEOPLE = ("Mei-Ling Chen", "Wen-Hsiang Lin", "Yu-Ting Huang", "Chia-Hao Wu", "Shu-Fen Tsai",
          "Kuan-Yu Liu", "Hsin-Yi Yang", "Po-Wei Chang", "Ya-Chu Hsu", "Jun-Jie Lai",
          "I-Ching Kuo", "Tzu-Han Cheng", "Li-Wen Hsieh", "Ming-Che Lo")
"""Printed names of the demo's users (one per role), for signatures and the audit trail."""


def screening(on: dt.date, *, sex: str, birth_year: int, course: str,
              fs: tuple[int, ...], pregnant: bool = False) -> dict[str, Data]:
    """The screening forms of a candidate seen on ``on`` (every item the criteria read)."""
    day = on.isoformat()
    forms: dict[str, Data] = {
        "DM": {"birth_date": f"{birth_year}-{1 + birth_year % 9:02d}-{10 + birth_year % 17}",
               "sex": sex, "childbearing_potential": sex == "female"},
        "MSHIST": {"ms_course": course,
                   "diagnosis_date": on.replace(year=on.year - 4 - birth_year % 5).isoformat(),
                   "prior_dmt": "interferon beta-1a; fingolimod" if course == "SPMS"
                   else "dimethyl fumarate"},
        "ELIG": {"willing_to_consent": True, "agrees_to_contraception": True,
                 "pregnant": pregnant, "lactating": False, "mri_contraindicated": False,
                 "immunocompromised": False, "active_infection_systemic_treatment": False,
                 "investigator_deems_unsuitable": False},
        "EDSS": edss(on, fs),
        "MRI": {"scan_date": day, "gd_enhancing_lesions": 1 + birth_year % 3,
                "new_t2_lesions": 2 + birth_year % 4},
        "LAB": lab(on, seed=birth_year),
        "VS": vitals(on, seed=birth_year),
    }
    if sex == "female":
        forms["PREG"] = {"test_date": day, "specimen": "serum",
                         "result": "positive" if pregnant else "negative"}
    return forms


def edss(on: dt.date, fs: tuple[int, ...], *, rated: float | None = None) -> Data:
    """An EDSS form; the rater's score is the computed one unless ``rated`` says otherwise."""
    scores = dict(zip(FS_ITEMS, fs, strict=True))
    parameters = derivation(EDSS_FUNCTION).inputs or ()
    computed = derive(EDSS_FUNCTION, dict(zip(parameters, FS_ITEMS, strict=True)), scores).value
    return {"assessment_date": on.isoformat(), **scores,
            "edss": computed if rated is None else rated}


def lab(on: dt.date, *, seed: int, alt: float | None = None) -> Data:
    return {"sample_date": on.isoformat(), "pt": 11.5 + seed % 3 * 0.5, "pt_uln": 13.5,
            "aptt": 29.0 + seed % 5, "aptt_uln": 35.0, "ast": 18.0 + seed % 11,
            "ast_uln": 40.0, "alt": alt if alt is not None else 20.0 + seed % 13,
            "alt_uln": 40.0, "egfr": 88.0 + seed % 17, "fasting_glucose": 86.0 + seed % 9}


def vitals(on: dt.date, *, seed: int, hour: int = 9) -> Data:
    return {"measured_at": f"{on.isoformat()}T{hour:02d}:30:00+08:00",
            "systolic_bp": 112 + seed % 17, "diastolic_bp": 70 + seed % 11,
            "heart_rate": 64 + seed % 15, "temperature": 36.5 + seed % 4 / 10}


def dose(administration: str, given_at: dt.datetime, kit_code: str) -> Data:
    return {"administration": administration, "given_at": given_at.isoformat(),
            "kit_code": kit_code, "completed": True}


def adverse_event(term: str, onset: dt.date, *, grade: int, serious: bool = False,
                  end: dt.date | None = None, relation_procedure: str = "not_related",
                  outcome: str = "recovering", **criteria: bool) -> Data:
    data: Data = {
        "term": term, "onset_date": onset.isoformat(), "ctcae_grade": str(grade),
        "serious": serious, "relation_iv": "unlikely", "relation_it": "possible",
        "relation_procedure": relation_procedure, "relation_study": "possible",
        "action": "none", "outcome": "recovered" if end else outcome}
    if end is not None:
        data["end_date"] = end.isoformat()
    data.update({f"sae_{name}": value for name, value in criteria.items()})
    return data


def relapse(onset: dt.date, symptoms: str) -> Data:
    return {"onset_date": onset.isoformat(), "symptoms": symptoms, "confirmed": True,
            "steroids": True}


def visit_form(form_id: str, on: dt.date, *, fs: tuple[int, ...], seed: int,
               relapse: bool) -> Data:
    """A follow-up visit's form as the site fills it in on ``on``."""
    makers: dict[str, Data] = {
        "EDSS": edss(on, fs) if form_id == "EDSS" else {},
        "LAB": lab(on, seed=seed + on.toordinal()),
        "VS": vitals(on, seed=seed + on.toordinal()),
        "RELREV": {"relapse_since_last_visit": relapse},
        "MRI": {"scan_date": on.isoformat(), "gd_enhancing_lesions": 0,
                "new_t2_lesions": 1 if relapse else 0},
        "DISP": {"status": "completed", "status_date": on.isoformat()},
    }
    if form_id not in makers:
        raise KeyError(f"the demo has no data for form {form_id} at a follow-up visit")
    return makers[form_id]
