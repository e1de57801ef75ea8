"""Criteria that exercise every node type the batch engine compiles, on realistic value sets.

Shared by the engine-agreement tests; independent of any protocol file so that a protocol
edit cannot silently shrink what the agreement tests cover.
"""

from __future__ import annotations

from trialkit.core.eligibility import nodes as n
from trialkit.prescreen.criteria import Criterion

MS = n.CodeSet("ms", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002", "SNOMED:428700003",
                                   "SNOMED:24700007", "ICD10:G35"))
RRMS = n.CodeSet("rrms", "diagnosis", ("SNOMED:426373005",))
COURSE = n.CodeSet("course", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002",
                                           "SNOMED:428700003"))
CANCER = n.CodeSet("cancer", "diagnosis", ("ICD10:C", "SNOMED:254837009"))
AUTOIMMUNE = n.CodeSet("autoimmune", "diagnosis", ("ICD10:M32", "ICD10:M06", "SNOMED:86406008"))
DMT = n.CodeSet("dmt", "ingredient", ("interferon beta-1a", "fingolimod", "natalizumab",
                                      "dimethyl fumarate", "teriflunomide", "ofatumumab",
                                      "glatiramer acetate", "cladribine", "siponimod"))
ANTI_CD20 = n.CodeSet("cd20", "ingredient", ("rituximab", "ocrelizumab", "ofatumumab",
                                             "ublituximab"))
CYTOTOXIC = n.CodeSet("cytotoxic", "ingredient", ("mitoxantrone", "cyclophosphamide"))
PT = n.CodeSet("pt", "lab", ("LOINC:5902-2",))
APTT = n.CodeSet("aptt", "lab", ("LOINC:14979-9", "LOINC:3173-2"))
GLUCOSE = n.CodeSet("glucose", "lab", ("LOINC:1558-6",))
EGFR = n.CodeSet("egfr", "lab", ("LOINC:98979-8", "LOINC:62238-1"))
HCG = n.CodeSet("hcg", "lab", ("LOINC:2118-8", "LOINC:2106-3"))
SCREENING = n.Window(days=28)
FALLBACKS = (n.UlnFallback("LOINC:5902-2", 13.5, "s"), n.UlnFallback("LOINC:14979-9", 35.0, "s"))


def _latest(table: str, codes: n.CodeSet | None, field: str,
            window: n.Window | None = SCREENING) -> n.Latest:
    where = n.InCodes(codes) if codes is not None else None
    return n.Latest(n.Events(table, window, where), field)  # type: ignore[arg-type]


def _count(table: str, months: int) -> n.Count:
    return n.Count(n.Events(table, n.Window(months=months)))  # type: ignore[arg-type]


ZOO: tuple[Criterion, ...] = (
    Criterion("attested", "inclusion", n.Attested("willing_to_consent")),
    Criterion("age", "inclusion", n.And((n.Compare(n.Age(), ">=", n.Number(20)),
                                         n.Compare(n.Age(), "<=", n.Number(65))))),
    Criterion("sex", "inclusion", n.Or((n.Compare(n.Sex(), "==", n.Text("male")),
                                        n.Not(n.Attested("childbearing_potential"))))),
    Criterion("relapses", "inclusion", n.Or((
        n.Compare(_count("relapses", 12), ">=", n.Number(1)),
        n.Compare(_count("relapses", 24), ">=", n.Number(2))))),
    Criterion("few_relapses", "exclusion", n.Compare(_count("relapses", 36), "<", n.Number(2))),
    Criterion("two_relapses", "exclusion", n.Compare(_count("relapses", 24), "==", n.Number(2))),
    Criterion("lesions", "inclusion", n.Exists(n.Events("mri_scans", n.Window(months=12), n.RowOr((
        n.FieldCompare("gd_enhancing_lesions", ">=", 1),
        n.FieldCompare("new_t2_lesions", ">=", 1)))))),
    Criterion("lesion_count", "inclusion", n.Compare(n.Count(n.Events(
        "mri_scans", n.Window(months=24), n.FieldCompare("gd_enhancing_lesions", ">", 0))),
        "!=", n.Number(1))),
    Criterion("course", "inclusion", n.InSet(_latest("diagnoses", COURSE, "code", None), RRMS)),
    Criterion("duration", "inclusion", n.And((
        n.Compare(n.Earliest(n.Events("diagnoses", None, n.InCodes(MS)), "date"), "<=",
                  n.AnchorDate(months=-24)),
        n.Compare(n.Earliest(n.Events("diagnoses", None, n.InCodes(MS)), "date"), ">=",
                  n.AnchorDate(months=-180))))),
    Criterion("edss", "inclusion", n.And((
        n.Compare(_latest("edss", None, "score"), ">=", n.Number(2.0)),
        n.Compare(_latest("edss", None, "score"), "<=", n.Number(6.5))))),
    Criterion("worsening", "inclusion", n.EdssWorsening(n.Window(months=24))),
    Criterion("coagulation", "inclusion", n.And((
        n.UlnCompare(_latest("labs", PT, "value"), "<=", 1.5, FALLBACKS),
        n.UlnCompare(_latest("labs", APTT, "value"), "<=", 1.5, FALLBACKS)))),
    Criterion("failure", "inclusion", n.ExposureEvent(
        n.Events("medications", None, n.InCodes(DMT)),
        (n.Events("relapses"), n.Events("mri_scans", None, n.RowOr((
            n.FieldCompare("gd_enhancing_lesions", ">=", 1),
            n.FieldCompare("new_t2_lesions", ">=", 1)))), n.EdssWorseningEvent()))),
    Criterion("pregnant", "exclusion", n.Or((
        n.Attested("pregnant"),
        n.Compare(_latest("labs", HCG, "value_text"), "==", n.Text("positive"))))),
    Criterion("glucose", "exclusion",
              n.Compare(_latest("labs", GLUCOSE, "value"), ">", n.Quantity(250, "mg/dL"))),
    Criterion("glucose_mmol", "exclusion",
              n.Compare(_latest("labs", GLUCOSE, "value"), "<=", n.Quantity(3.9, "mmol/L"))),
    Criterion("renal", "exclusion",
              n.Compare(_latest("labs", EGFR, "value"), "<", n.Quantity(30, "mL/min/1.73m2"))),
    Criterion("cancer", "exclusion", n.Exists(n.Events("diagnoses", None, n.InCodes(CANCER)))),
    Criterion("autoimmune", "exclusion", n.Or((
        n.Attested("immunocompromised"),
        n.Exists(n.Events("diagnoses", n.Window(months=6), n.InCodes(AUTOIMMUNE)))))),
    Criterion("cytotoxic", "exclusion",
              n.Exists(n.Events("medications", n.Window(months=1), n.InCodes(CYTOTOXIC)))),
    Criterion("anti_cd20", "exclusion",
              n.Exists(n.Events("medications", n.Window(months=12), n.InCodes(ANTI_CD20)))),
    Criterion("recent_relapse", "exclusion",
              n.Exists(n.Events("relapses", n.Window(months=1, anchor="consent")))),
)
