"""Case report forms: items with what they mean, forms with what they are for.

Everything the software does with a form follows from what is written here, never from item
or form ids: an item says which record field it feeds (``maps_to``), its unit and its CDISC
annotation; a form says its kind (an adverse-event form starts the serious-event clock), who
enters it, and its edit checks as expressions over its items.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    Number,
    OptionalText,
    Text,
    duplicates,
)

ItemType = Literal["integer", "decimal", "text", "date", "datetime", "boolean", "choice"]
ConsentFact = Literal["consent.date", "consent.form_version", "consent.taken_by"]
"""A fact the consent action records, which an item of a consent form may hold."""
_FACT_TYPES: dict[str, ItemType] = {"consent.date": "date", "consent.form_version": "text",
                                    "consent.taken_by": "text"}
FormKind = Literal[
    "consent",         # informed consent (the one form entered before consent is on file)
    "demographics",
    "medical_history",
    "eligibility",     # attestations and facts for the criteria
    "assessment",      # a rated scale or clinical assessment (EDSS, NIHSS, ...)
    "laboratory",
    "vital_signs",
    "imaging",
    "administration",  # a dose or procedure given (filled by the dose action, by EX meaning)
    "adverse_event",   # starts the serious-event clock when serious; safety tables
    "event_log",       # a repeating log of clinical events (relapses, seizures, ...)
    "disposition",     # end of study
    "other",
]
_TABLE_COLUMN = re.compile(r"^(?P<table>[A-Za-z][A-Za-z0-9_]*)\.(?P<column>[A-Za-z][A-Za-z0-9_]*)$")
CdiscName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,7}$")]


class Range(Frozen):
    min: Number | None = None
    max: Number | None = None
    step: Number | None = None
    """Allowed granularity from ``min`` (e.g. EDSS in 0.5 steps)."""

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Derivation(Frozen):
    """An item computed from others by a named, tested function of the scoring package."""

    function: Ident
    inputs: dict[Ident, Ident]
    """The function's parameter → the item of this form that supplies it."""
    check_against: Ident | None = None
    """An entered item that must agree with the derived value, else a data query opens."""


def _mapping_from_text(value: object) -> object:
    """``maps_to: labs.date`` is short for ``maps_to: {to: labs.date}``."""
    return {"to": value} if isinstance(value, str) else value


class RecordMapping(Frozen):
    """The patient-record field an item feeds, when screening is evaluated from the forms.

    ``to`` is ``table.column``: ``patient.birth_date``, ``attestations.pregnant`` (a boolean
    item), or a column of a record table (``labs.value``). The items of one form instance that
    map to one table make one row; ``row`` splits them into several rows (one per lab analyte),
    and an item without ``row`` (the sample date) belongs to every row of that table. ``set``
    fills columns with constants (the analyte's LOINC code), ``codes`` translates a choice
    item's codes into the column's codes (else the code list's ``concept`` is used).
    """

    to: Text
    row: Ident | None = None
    set: dict[Ident, Text] = Field(default_factory=dict)
    codes: dict[Text, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _table_and_column(self) -> RecordMapping:
        if _TABLE_COLUMN.match(self.to) is None:
            raise ValueError(f"'{self.to}' is not table.column (e.g. labs.value)")
        return self

    @property
    def table(self) -> str:
        return self.to.split(".", 1)[0]

    @property
    def column(self) -> str:
        return self.to.split(".", 1)[1]


class Cdisc(Frozen):
    """Where the item goes in CDISC: CDASH/SDTM domain and variable, or for a findings
    domain (LB, VS, RS, NV, ...) the test code and name the item's result is reported under."""

    domain: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}([A-Z]{2})?$")]
    variable: CdiscName | None = None
    testcd: CdiscName | None = None
    test: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    category: OptionalText | None = None
    codelist: OptionalText | None = None
    """The CDISC controlled-terminology codelist the values follow (its C-code)."""

    @model_validator(mode="after")
    def _variable_or_test(self) -> Cdisc:
        if self.variable is None and self.testcd is None:
            raise ValueError("give the SDTM variable, or the test code of a findings domain")
        if self.testcd is not None and self.test is None:
            raise ValueError("a test code needs its test name (test)")
        return self


class Item(Frozen):
    id: Ident
    label: Text
    type: ItemType
    unit: OptionalText | None = None
    range: Range | None = None
    codelist: Ident | None = None
    required: Flag = False
    derived: Derivation | None = None
    help: OptionalText | None = None
    asked_when: OptionalText | None = None
    """Ask the item only when this holds, in the edit-check language over the form's other
    items (``sex == "F"``). Otherwise it is not shown, not required, and a value is refused:
    a question that does not apply (child-bearing potential, asked of a man) is never asked."""
    maps_to: Annotated[RecordMapping | None, BeforeValidator(_mapping_from_text)] = None
    """The patient-record field this item feeds (see RecordMapping)."""
    cdisc: Cdisc | None = None
    holds: ConsentFact | None = None
    """The fact of the participant's record this item holds, filled by the action that records
    it (``consent.date``, ``consent.form_version``, ``consent.taken_by``: the consent action
    fills the consent form). CDISC has no variable for a consent form's version or for who
    took consent, so these are named here rather than read from ``cdisc``."""
    coded_with: Literal["meddra"] | None = None
    """The medical dictionary this text item's verbatim answer is coded to (an adverse event's
    term to MedDRA); the coder's choice feeds the SDTM dictionary variables and the safety
    tables. The dictionary itself is the sponsor's licensed release, loaded into the trial."""

    @model_validator(mode="after")
    def _type_fits(self) -> Item:
        if self.type == "choice" and self.codelist is None:
            raise ValueError("a choice item needs a codelist")
        if self.type != "choice" and self.codelist is not None:
            raise ValueError("only choice items take a codelist")
        if self.range is not None and self.type not in ("integer", "decimal"):
            raise ValueError("only numeric items take a range")
        if self.derived is not None and self.required:
            raise ValueError("a derived item is computed, so it cannot be required")
        if self.coded_with is not None and self.type != "text":
            raise ValueError("only text items are coded to a dictionary (coded_with)")
        if self.derived is not None and self.asked_when is not None:
            raise ValueError("a derived item is computed, never asked: drop asked_when")
        if self.holds is not None and self.type != _FACT_TYPES[self.holds]:
            raise ValueError(f"an item holding {self.holds} is of type "
                             f"{_FACT_TYPES[self.holds]}")
        if self.holds is not None and (self.derived is not None or self.asked_when is not None):
            raise ValueError("an item holding a recorded fact is always asked, never derived")
        return self


class EditCheck(Frozen):
    """A rule over the items of one form that should hold; when it does not, the save goes
    through and a data query opens on ``item`` with ``message``.

    ``expression`` and ``when`` are written in the edit-check language (docs/reference/
    protocol-format.md): item ids, literals, comparisons, ``and``/``or``/``not``, date
    arithmetic and ``any(...)``. A missing item makes a comparison unknown, and an unknown
    check opens no query (the "required" rule catches missing data).
    """

    id: Ident
    expression: Text
    message: Text
    item: Ident
    when: OptionalText | None = None
    """Evaluate the check only when this holds."""


class Form(Frozen):
    id: Ident
    name: Text
    kind: FormKind
    entered_by: tuple[Ident, ...] = Field(min_length=1)
    """Roles that may enter and change this form."""
    read_by: tuple[Ident, ...] | None = None
    """Roles that may read this form's data (its versions, audit trail, queries, exports).
    Left out: every role whose own ``reads`` admits it. A role reads a form only when both
    the form (``read_by``) and the role (``Role.reads``) admit it; core/protocol/reading.py."""
    items: tuple[Item, ...] = Field(min_length=1)
    repeating: Flag = False
    """A repeating form (adverse events, relapses) may be saved many times per visit."""
    signature_required: Flag = False
    checks: tuple[EditCheck, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Form:
        for what, ids in (("item", [i.id for i in self.items]),
                          ("check", [c.id for c in self.checks]),
                          ("role", list(self.entered_by)),
                          ("reading role", list(self.read_by or ()))):
            if duplicates(ids):
                raise ValueError(f"{what} id repeated: {', '.join(duplicates(ids))}")
        facts: list[str] = [i.holds for i in self.items if i.holds is not None]
        if facts and self.kind != "consent":
            raise ValueError("only a consent form's items hold consent facts (holds)")
        if duplicates(facts):
            raise ValueError(f"two items hold {', '.join(duplicates(facts))}")
        if facts and self.repeating:
            raise ValueError("a consent form holding the consent's facts is not repeating")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"form {self.id} has no item '{item_id}'")

    def item_with(self, domain: str, variable: str) -> Item | None:
        """The item annotated with this CDISC domain and variable (e.g. AE, AESER)."""
        return next((i for i in self.items if i.cdisc is not None and i.cdisc.domain == domain
                     and i.cdisc.variable == variable), None)


class CodeListItem(Frozen):
    code: Text
    decode: Text
    concept: OptionalText | None = None
    """The standard concept the code stands for (``SNOMED:426373005``, ``LOINC:LA6576-8``),
    used when a choice item feeds a coded record column and by the standards exports."""
    submission_value: OptionalText | None = None
    """The CDISC controlled-terminology submission value (e.g. ``F`` for female)."""


class CodeList(Frozen):
    id: Ident
    name: Text
    data_type: Literal["text", "integer"] = "text"
    items: tuple[CodeListItem, ...] = Field(min_length=1)
    cdisc_codelist: OptionalText | None = None
    """The CDISC CT codelist (C-code) the submission values belong to."""

    @model_validator(mode="after")
    def _unique_codes(self) -> CodeList:
        repeated = duplicates([i.code for i in self.items])
        if repeated:
            raise ValueError(f"code repeated: {', '.join(repeated)}")
        return self

    def decode(self, code: object) -> str:
        """The decode of ``code`` (compared as text), or the code itself if unknown."""
        return next((i.decode for i in self.items if i.code == str(code)), str(code))
