"""The logical patient record as data: tables, their columns, and how sources fill them.

Eligibility rules read a patient's record: a few patient-level fields, attestations, and rows
of named tables. Which tables exist, what their columns are, which column dates a row, whether
a row spans an interval, which column carries a code of which kind — all of that is declared
here, once, and every reader derives from it: the criteria language's table names and field
checks, the record parser, both engines' window logic, the explanations, the OMOP and FHIR
mappings, and the screening forms (items name the ``table.column`` they feed).

The tables every trial shares (diagnoses, medications, laboratory results) are declared in the
packaged base schema ``patient_record.yaml``; a protocol declares the tables of its own disease
(``record.tables``: relapses and an EDSS scale for multiple sclerosis, NIHSS for stroke) and
library functions of the criteria language (``record.functions``) that expand to generic nodes.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import Field, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    Number,
    OptionalText,
    Text,
    duplicates,
)
from trialkit.core.wording import gettext_noop

ColumnType = Literal["date", "number", "count", "text", "code", "quantity"]
"""``number``: any real; ``count``: 0, 1, 2, …; ``code``: a coded value matched against value
sets of the table's code kind; ``quantity``: a number whose unit and test sit in the row
(laboratory results), compared after unit conversion."""
ParameterType = Literal["window", "selection", "number"]
OmopTable = Literal["observation", "measurement", "procedure_occurrence", "condition_occurrence"]
FhirResource = Literal["Observation", "Condition", "Procedure"]


class ColumnDef(Frozen):
    id: Ident
    type: ColumnType
    description: Text
    required: Flag = False
    """A row without this column is malformed (the record parser refuses it)."""
    minimum: Number | None = None
    maximum: Number | None = None
    allowed: tuple[Number, ...] = ()
    """The only values a number may take (e.g. the EDSS steps 0, 1.0, 1.5, … 10.0)."""
    values: tuple[Text, ...] = ()
    """The only values a text column may take (e.g. ``left``, ``right``); compared exactly."""
    pattern: OptionalText | None = None
    """A regular expression every value of a text column must match (an RxNorm id: digits)."""


class AlternateCode(Frozen):
    """Value-set codes with this prefix match another column (``RXNORM:`` → ``rxnorm``)."""

    prefix: Text
    column: Ident
    match: Literal["exact", "prefix"] = "exact"


class CodeColumn(Frozen):
    """The column a value set is matched against, and how."""

    column: Ident
    kind: Ident
    """Value sets of this kind select rows of this table (``diagnosis``, ``ingredient``, …)."""
    prefix_match: tuple[Text, ...] = ()
    """Code systems whose value-set codes match by prefix (``ICD10:`` matches ``ICD10:C50.9``
    from ``ICD10:C``); every other code matches exactly."""
    lower_case: Flag = False
    """Codes are compared in lower case (ingredient names)."""
    alternates: tuple[AlternateCode, ...] = ()
    pattern: OptionalText | None = None
    """A regular expression every code of this kind must match, in records and value sets."""


class OmopSource(Frozen):
    """OMOP CDM rows carrying one concept, identified by vocabulary and code (never by id)."""

    table: OmopTable
    vocabulary: Text
    code: Text


class OmopMapping(Frozen):
    """How an OMOP extract fills a protocol table. Each row is a person and a date; a column
    takes ``value_as_number`` of its source on that date. With one source the rows are that
    source's rows; with several, rows are merged per person and date (the maximum value)."""

    rows_from: tuple[OmopSource, ...] = ()
    """Sources whose rows exist even without any column value (a scan with no counts read)."""
    columns: dict[Ident, OmopSource] = Field(default_factory=dict)


class FhirCode(Frozen):
    system: Text
    code: Text


class FhirSource(Frozen):
    resource: FhirResource
    codes: tuple[FhirCode, ...] = Field(min_length=1)


class FhirMapping(Frozen):
    """How a FHIR Bundle fills a protocol table: resources carrying one of the codes become
    rows dated by their effective or onset date; a column takes ``valueQuantity.value``,
    ``valueInteger`` or ``valueDecimal`` of its resource. Rows of several sources are merged
    per date, like the OMOP mapping."""

    rows_from: tuple[FhirSource, ...] = ()
    columns: dict[Ident, FhirSource] = Field(default_factory=dict)


class TableDef(Frozen):
    """One logical table of the patient record."""

    id: Ident
    description: Text
    noun: Text
    """One row in words, for explanations: "relapse", "EDSS score", "lab result"."""
    columns: tuple[ColumnDef, ...] = Field(min_length=1)
    date: Ident
    """The column that dates a row: windows, latest and earliest read it."""
    end: Ident | None = None
    """A row spans ``[date, end]`` (null end = still ongoing) and counts in a window it
    overlaps (diagnoses, medications); without ``end`` a row counts on its date."""
    default: Ident
    """The column ``latest(table)`` and ``earliest(table)`` read when none is named."""
    code: CodeColumn | None = None
    omop: OmopMapping | None = None
    fhir: FhirMapping | None = None

    @model_validator(mode="after")
    def _columns_hold(self) -> TableDef:
        ids = [c.id for c in self.columns]
        if duplicates(ids):
            raise ValueError(f"column listed twice: {', '.join(duplicates(ids))}")
        types = {c.id: c.type for c in self.columns}
        for name, wanted in (("date", ("date",)), ("end", ("date",)),
                             ("default", tuple(types.values()))):
            value = getattr(self, name)
            if value is not None and types.get(value) not in wanted:
                raise ValueError(f"{name} '{value}' is not a {'/'.join(set(wanted))} column")
        if self.code is not None and types.get(self.code.column) != "code":
            raise ValueError(f"code column '{self.code.column}' is not a code column")
        if "quantity" in types.values():
            # A quantity's unit and its qualitative alternative sit in companion columns the
            # readers share (trialkit.core.eligibility.units.UNIT_COLUMN / TEXT_COLUMN).
            for companion in QUANTITY_COMPANIONS:
                if types.get(companion) != "text":
                    raise ValueError(f"a table with a quantity column needs a text column "
                                     f"'{companion}'")
            if self.code is None:
                raise ValueError("a table with a quantity column needs a code column (its "
                                 "test), which the unit conversions read")
        for declared in self.columns:
            if (declared.values or declared.pattern) and declared.type not in ("text", "code"):
                raise ValueError(f"column '{declared.id}': values and pattern apply to text")
        for source in (self.omop, self.fhir):
            for name in (source.columns if source is not None else {}):
                if name not in types:
                    raise ValueError(f"mapping names no column of this table: '{name}'")
        return self

    def column(self, column_id: str) -> ColumnDef:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(f"{self.id} has no column '{column_id}'")

    @property
    def column_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.columns)


class Parameter(Frozen):
    name: Ident
    type: ParameterType


class FunctionDef(Frozen):
    """A library function of the criteria language: a rule body with typed parameters.

    A call ``edss_worsened(within last 24 months)`` is the body with ``$window`` bound to the
    argument; the engines only ever see the generic nodes the body builds.
    """

    name: Ident
    description: Text
    parameters: tuple[Parameter, ...] = ()
    returns: Literal["condition", "event"]
    """A condition (used like ``exists(...)``) or an event source (inside
    ``events_during(...)``)."""
    body: Text

    @model_validator(mode="after")
    def _unique_parameters(self) -> FunctionDef:
        if duplicates([p.name for p in self.parameters]):
            raise ValueError("each parameter is named once")
        return self


class RecordSection(Frozen):
    """What a protocol adds to the base patient record."""

    tables: tuple[TableDef, ...] = ()
    functions: tuple[FunctionDef, ...] = ()


class PatientField(Frozen):
    id: Ident
    type: Literal["text", "date", "code"]
    description: Text
    values: tuple[Text, ...] = ()


class RecordSchema(Frozen):
    """The effective schema: the base tables and those a protocol declares."""

    version: Text
    patient: tuple[PatientField, ...]
    tables: tuple[TableDef, ...]
    functions: tuple[FunctionDef, ...] = ()

    def table(self, table_id: str) -> TableDef:
        for table in self.tables:
            if table.id == table_id:
                return table
        known = ", ".join(t.id for t in self.tables)
        raise KeyError(f"no table '{table_id}' (tables: {known})")

    def has_table(self, table_id: str) -> bool:
        return any(t.id == table_id for t in self.tables)

    @property
    def table_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tables)

    def code_kinds(self) -> dict[str, CodeColumn]:
        """Code kind → its code column definition (the first table that declares it)."""
        kinds: dict[str, CodeColumn] = {}
        for table in self.tables:
            if table.code is not None:
                kinds.setdefault(table.code.kind, table.code)
        return kinds

    def function(self, name: str) -> FunctionDef | None:
        return next((f for f in self.functions if f.name == name), None)

    def extended(self, section: RecordSection) -> RecordSchema:
        """This schema with a protocol's tables and functions; a table that would shadow one
        of these is left out (the protocol's consistency check reports it)."""
        own = tuple(t for t in section.tables if not self.has_table(t.id))
        return RecordSchema(version=self.version, patient=self.patient,
                            tables=(*self.tables, *own),
                            functions=(*self.functions, *section.functions))


@lru_cache(maxsize=1)
def base_schema() -> RecordSchema:
    """The packaged base schema: patient fields and the tables every trial shares."""
    text = resources.files("trialkit.core.protocol").joinpath("patient_record.yaml").read_text(
        encoding="utf-8")
    return RecordSchema.model_validate(yaml.safe_load(text))


BASE_NOUNS = (gettext_noop("diagnosis"), gettext_noop("medication"), gettext_noop("lab result"))
"""The base tables' nouns, marked for the catalogue so that explanations read them in the
reader's language (a protocol's own tables have its ``translations``). A test keeps them equal
to the nouns of ``patient_record.yaml``."""

PATIENT_TABLE = "patient"
ATTESTATIONS = "attestations"
QUANTITY_COMPANIONS = ("unit", "value_text")
"""The text columns beside a quantity: its unit, and the qualitative result (positive or
negative) a test may report instead of a number."""
