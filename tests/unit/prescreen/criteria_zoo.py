"""Criteria that exercise every node type the batch engine compiles, on realistic value sets.

Shared by the engine-agreement tests; written in the criteria language against the base record
and the multiple-sclerosis library (not a protocol file), so that a protocol edit cannot
silently shrink what the agreement tests cover.
"""

from __future__ import annotations

import yaml

from tests.spec.support import LIBRARY, ValueSet
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.compile import CompiledCriteria, CompiledCriterion
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.protocol.labs import packaged_catalogue
from trialkit.core.protocol.record import RecordSection, base_schema

MS_LIBRARY = RecordSection.model_validate(
    yaml.safe_load((LIBRARY / "multiple-sclerosis.yaml").read_text(encoding="utf-8"))["record"])
VALUE_SETS = (
    ValueSet("ms", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002", "SNOMED:428700003",
                                 "SNOMED:24700007", "ICD10:G35")),
    ValueSet("rrms", "diagnosis", ("SNOMED:426373005",)),
    ValueSet("course", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002",
                                     "SNOMED:428700003")),
    ValueSet("cancer", "diagnosis", ("ICD10:C", "SNOMED:254837009")),
    ValueSet("autoimmune", "diagnosis", ("ICD10:M32", "ICD10:M06", "SNOMED:86406008")),
    ValueSet("dmt", "ingredient", ("interferon beta-1a", "fingolimod", "natalizumab",
                                   "dimethyl fumarate", "teriflunomide", "ofatumumab",
                                   "glatiramer acetate", "cladribine", "siponimod")),
    ValueSet("cd20", "ingredient", ("rituximab", "ocrelizumab", "ofatumumab", "ublituximab")),
    ValueSet("cytotoxic", "ingredient", ("mitoxantrone", "cyclophosphamide")),
    ValueSet("pt", "lab", ("LOINC:5902-2",)),
    ValueSet("aptt", "lab", ("LOINC:14979-9", "LOINC:3173-2")),
    ValueSet("glucose", "lab", ("LOINC:1558-6",)),
    ValueSet("egfr", "lab", ("LOINC:98979-8", "LOINC:62238-1")),
    ValueSet("hcg", "lab", ("LOINC:2118-8", "LOINC:2106-3")),
)
FALLBACKS = (n.UlnFallback("LOINC:5902-2", 13.5, "s"), n.UlnFallback("LOINC:14979-9", 35.0, "s"))
CONTEXT = RuleContext.build(base_schema().extended(MS_LIBRARY), VALUE_SETS, FALLBACKS, 28,
                            catalogue=packaged_catalogue())
RULES: tuple[tuple[str, str, str], ...] = (
    ("attested", "inclusion", "attested willing_to_consent"),
    ("age", "inclusion", "age >= 20 and age <= 65"),
    ("sex", "inclusion", 'sex == "male" or not attested childbearing_potential'),
    ("relapses", "inclusion", "count(relapses within last 12 months) >= 1 "
                              "or count(relapses within last 24 months) >= 2"),
    ("few_relapses", "exclusion", "count(relapses within last 36 months) < 2"),
    ("two_relapses", "exclusion", "count(relapses within last 24 months) == 2"),
    ("lesions", "inclusion", "exists(mri_scans within last 12 months "
                             "where gd_enhancing_lesions >= 1 or new_t2_lesions >= 1)"),
    ("lesion_count", "inclusion", "count(mri_scans within last 24 months "
                                  "where gd_enhancing_lesions > 0) != 1"),
    ("course", "inclusion", "latest(diagnoses in course) in rrms"),
    ("duration", "inclusion", "time_since(earliest(diagnoses in ms).date) in [2 years, 15 years]"),
    ("edss", "inclusion", "latest(edss within screening) in [2.0, 6.5]"),
    ("worsening", "inclusion", "edss_worsened(within last 24 months)"),
    ("coagulation", "inclusion", "latest(labs in pt within screening) <= 1.5 x uln "
                                 "and latest(labs in aptt within screening) <= 1.5 x uln"),
    ("failure", "inclusion", "treatment_failure(medications in dmt, over 6 months, until 3 "
                             "months after stopping, relapses, mri_scans where "
                             "gd_enhancing_lesions >= 1 or new_t2_lesions >= 1, edss_worsening)"),
    ("pregnant", "exclusion", 'attested pregnant or latest(labs in hcg within screening)'
                              '.value_text == "positive"'),
    ("glucose", "exclusion", "latest(labs in glucose within screening) > 250 mg/dL"),
    ("glucose_mmol", "exclusion", "latest(labs in glucose within screening) <= 3.9 mmol/L"),
    ("renal", "exclusion", "latest(labs in egfr within screening) < 30 mL/min/1.73m2"),
    ("cancer", "exclusion", "exists(diagnoses in cancer)"),
    ("autoimmune", "exclusion", "attested immunocompromised or exists(diagnoses in autoimmune "
                                "within last 6 months)"),
    ("cytotoxic", "exclusion", "exists(medications in cytotoxic within last 1 month)"),
    ("anti_cd20", "exclusion", "exists(medications in cd20 within last 12 months)"),
    ("recent_relapse", "exclusion", "exists(relapses within last 1 month before consent)"),
)
ZOO = CompiledCriteria("ZOO", "test", tuple(
    CompiledCriterion(cid, kind, CONTEXT.parse(rule))  # type: ignore[arg-type]
    for cid, kind, rule in RULES), 28, CONTEXT)
