"""The OMOP concepts trialkit reads and the synthetic extract writes.

The OMOP mapping never trusts a concept id by itself: it always joins the extract's own
``concept`` table and reads ``vocabulary_id`` + ``concept_code``. So the synthetic extract may
number its concepts itself. It uses OMOP's range for site-local concepts (ids above
2,000,000,000) except for the two gender concepts, whose ids are fixed across every OMOP
vocabulary release. Facts OMOP has no standard concept for (a protocol's own tables, the
attestations) use the local vocabulary ``TRIALKIT``: a protocol declares them (its tables'
``omop`` sources) and the synthetic extract adds them to its concept table
(``Concepts.with_local``); see docs/omop-mapping.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LOCAL_VOCABULARY = "TRIALKIT"
YES = ("SNOMED", "373066001")
NO = ("SNOMED", "373067005")
POSITIVE = ("SNOMED", "10828004")
NEGATIVE = ("SNOMED", "260385009")


@dataclass(frozen=True, slots=True)
class Concept:
    concept_id: int
    concept_name: str
    domain_id: str
    vocabulary_id: str
    concept_class_id: str
    concept_code: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.vocabulary_id, self.concept_code)


_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # name, domain, vocabulary, class, code
    ("Relapsing remitting multiple sclerosis", "Condition", "SNOMED", "Clinical Finding",
     "426373005"),
    ("Secondary progressive multiple sclerosis", "Condition", "SNOMED", "Clinical Finding",
     "425500002"),
    ("Primary progressive multiple sclerosis", "Condition", "SNOMED", "Clinical Finding",
     "428700003"),
    ("Multiple sclerosis", "Condition", "SNOMED", "Clinical Finding", "24700007"),
    ("Multiple sclerosis", "Condition", "ICD10", "4-char nonbill code", "G35"),
    ("Malignant neoplasm of breast", "Condition", "SNOMED", "Clinical Finding", "254837009"),
    ("Malignant neoplasm of breast, unspecified", "Condition", "ICD10", "4-char billing code",
     "C50.9"),
    ("Human immunodeficiency virus infection", "Condition", "SNOMED", "Clinical Finding",
     "86406008"),
    ("HIV disease", "Condition", "ICD10", "3-char billing code", "B20"),
    ("Peripheral nerve disease", "Condition", "SNOMED", "Clinical Finding", "302226006"),
    ("Polyneuropathy, unspecified", "Condition", "ICD10", "4-char billing code", "G62.9"),
    ("Myopathy, unspecified", "Condition", "ICD10", "4-char billing code", "G72.9"),
    ("Systemic lupus erythematosus", "Condition", "SNOMED", "Clinical Finding", "55464009"),
    ("Systemic lupus erythematosus, unspecified", "Condition", "ICD10", "4-char billing code",
     "M32.9"),
    ("Rheumatoid arthritis", "Condition", "SNOMED", "Clinical Finding", "69896004"),
    ("Rheumatoid arthritis, unspecified", "Condition", "ICD10", "4-char billing code", "M06.9"),
    ("Type 2 diabetes mellitus", "Condition", "SNOMED", "Clinical Finding", "44054006"),
    ("Type 2 diabetes mellitus without complications", "Condition", "ICD10",
     "4-char billing code", "E11.9"),
    ("Prothrombin time (PT)", "Measurement", "LOINC", "Lab Test", "5902-2"),
    ("aPTT in Platelet poor plasma by Coagulation assay", "Measurement", "LOINC", "Lab Test",
     "14979-9"),
    ("aPTT in Blood by Coagulation assay", "Measurement", "LOINC", "Lab Test", "3173-2"),
    ("Aspartate aminotransferase", "Measurement", "LOINC", "Lab Test", "1920-8"),
    ("Alanine aminotransferase", "Measurement", "LOINC", "Lab Test", "1742-6"),
    ("Glomerular filtration rate/1.73 sq M.predicted (CKD-EPI 2021)", "Measurement", "LOINC",
     "Lab Test", "98979-8"),
    ("Fasting glucose", "Measurement", "LOINC", "Lab Test", "1558-6"),
    ("Choriogonadotropin in Serum", "Measurement", "LOINC", "Lab Test", "2118-8"),
    ("second", "Unit", "UCUM", "Unit", "s"),
    ("unit per liter", "Unit", "UCUM", "Unit", "U/L"),
    ("milligram per deciliter", "Unit", "UCUM", "Unit", "mg/dL"),
    ("millimole per liter", "Unit", "UCUM", "Unit", "mmol/L"),
    ("milliliter per minute per 1.73 square meter", "Unit", "UCUM", "Unit",
     "mL/min/{1.73_m2}"),
    ("Positive", "Meas Value", "SNOMED", "Qualifier Value", "10828004"),
    ("Negative", "Meas Value", "SNOMED", "Qualifier Value", "260385009"),
    ("Yes", "Meas Value", "SNOMED", "Qualifier Value", "373066001"),
    ("No", "Meas Value", "SNOMED", "Qualifier Value", "373067005"),
    ("Intravenous", "Route", "SNOMED", "Qualifier Value", "47625008"),
    ("Oral", "Route", "SNOMED", "Qualifier Value", "26643006"),
    ("Subcutaneous", "Route", "SNOMED", "Qualifier Value", "34206005"),
    ("investigational product", "Drug", LOCAL_VOCABULARY, "Ingredient",
     "investigational product"),
)

INGREDIENTS: tuple[str, ...] = (
    "interferon beta-1a", "interferon beta-1b", "peginterferon beta-1a", "glatiramer acetate",
    "dimethyl fumarate", "teriflunomide", "fingolimod", "ozanimod", "cladribine", "siponimod",
    "ofatumumab", "natalizumab", "rituximab", "ocrelizumab", "ublituximab", "mitoxantrone",
    "cyclophosphamide", "azathioprine", "methotrexate", "mycophenolate mofetil",
)


Row = tuple[str, str, str, str, str]
"""name, domain, vocabulary, class, code."""


class Concepts:
    """The concept table of one synthetic extract: the standard rows above and the local
    concepts a protocol declares, numbered in that order."""

    def __init__(self, local: Iterable[Row] = ()) -> None:
        gender = (Concept(8507, "MALE", "Gender", "Gender", "Gender", "M"),
                  Concept(8532, "FEMALE", "Gender", "Gender", "Gender", "F"))
        known = {(row[2], row[4]) for row in _ROWS}
        extra = [row for row in dict.fromkeys(local) if (row[2], row[4]) not in known]
        rows = [*_ROWS, *extra]
        numbered = [Concept(2_000_000_001 + i, *row) for i, row in enumerate(rows)]
        # Ingredients are named, not coded: the mapping reads the ingredient's name (the INN).
        first = 2_000_000_001 + len(numbered)
        drugs = [Concept(first + i, name, "Drug", LOCAL_VOCABULARY, "Ingredient", name)
                 for i, name in enumerate(INGREDIENTS)]
        self.all: tuple[Concept, ...] = (*gender, *numbered, *drugs)
        self.by_key: dict[tuple[str, str], Concept] = {c.key: c for c in self.all}

    def id(self, key: tuple[str, str]) -> int:
        return self.by_key[key].concept_id


CONCEPTS: tuple[Concept, ...] = Concepts().all
"""The standard concepts alone (no protocol's local ones)."""


def concept_id(vocabulary: str, code: str) -> int:
    return Concepts().id((vocabulary, code))
