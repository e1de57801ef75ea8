"""The protocol: one immutable value holding everything trialkit needs to run a trial."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import model_validator

from trialkit.core.protocol import consistency
from trialkit.core.protocol._base import Frozen, Ident
from trialkit.core.protocol.analyses import AnalysisData
from trialkit.core.protocol.criteria import Eligibility, Endpoint, ValueSet
from trialkit.core.protocol.design import Administration, Arm, Design, Part
from trialkit.core.protocol.forms import CodeList, Form
from trialkit.core.protocol.gates import Gates, Randomization
from trialkit.core.protocol.identity import Identity, Status
from trialkit.core.protocol.interpretations import Interpretation
from trialkit.core.protocol.labs import LabCatalogue, LabTest, packaged_catalogue
from trialkit.core.protocol.problems import InconsistentProtocolError
from trialkit.core.protocol.record import RecordSchema, RecordSection, base_schema
from trialkit.core.protocol.roles import Role
from trialkit.core.protocol.schedule import Schedule, Visit
from trialkit.core.protocol.translations import Translation, in_language

FORMAT = "trialkit-protocol/2"
_T = TypeVar("_T")


class Protocol(Frozen):
    """A whole trial protocol, validated and cross-checked at construction."""

    format: Literal["trialkit-protocol/2"]
    """Version of the protocol file format (not of the protocol); docs/adr/0007."""
    identity: Identity
    status: Status
    design: Design
    gates: Gates = Gates()
    randomization: Randomization | None = None
    schedule: Schedule
    forms: tuple[Form, ...] = ()
    codelists: tuple[CodeList, ...] = ()
    eligibility: Eligibility
    value_sets: tuple[ValueSet, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    analysis_data: AnalysisData = AnalysisData()
    """Analysis sets and derived parameters the endpoints' analyses use (docs/analysis.md)."""
    roles: tuple[Role, ...] = ()
    interpretations: tuple[Interpretation, ...] = ()
    record: RecordSection = RecordSection()
    """Tables of the patient record this trial's disease needs, and library functions of the
    criteria language, beyond the base record (docs/reference/patient-record.md)."""
    lab_tests: tuple[LabTest, ...] = ()
    """Laboratory tests this protocol adds to the packaged lab catalogue."""
    translations: tuple[Translation, ...] = ()
    """The words people read (forms, items, decodes, visits, criteria, roles, parts, arms) in
    other languages (docs/how-to/translate.md)."""

    @model_validator(mode="after")
    def _cross_references_hold(self) -> Protocol:
        problems = consistency.check(self)
        if problems:
            raise InconsistentProtocolError(problems)
        return self

    def record_schema(self) -> RecordSchema:
        """The patient record this protocol reads: the base tables and its own."""
        return base_schema().extended(self.record)

    def in_language(self, language: str) -> Protocol:
        """This protocol with its words in ``language`` where it carries them (translations.py)."""
        return in_language(self, language)

    def lab_catalogue(self) -> LabCatalogue:
        return packaged_catalogue().extended(self.lab_tests)

    # Lookups by id: small helpers so callers never scan tuples by hand.
    def part(self, part_id: Ident) -> Part:
        return _by_id(self.design.parts, part_id, "part")

    def arm(self, arm_id: Ident) -> Arm:
        return _by_id(self.design.arms, arm_id, "arm")

    def administration(self, adm_id: Ident) -> Administration:
        return _by_id(self.design.administrations, adm_id, "administration")

    def visit(self, visit_id: Ident) -> Visit:
        return _by_id(self.schedule.visits, visit_id, "visit")

    def form(self, form_id: Ident) -> Form:
        return _by_id(self.forms, form_id, "form")

    def codelist(self, codelist_id: Ident) -> CodeList:
        return _by_id(self.codelists, codelist_id, "codelist")

    def role(self, role_id: Ident) -> Role:
        return _by_id(self.roles, role_id, "role")

    def value_set(self, value_set_id: Ident) -> ValueSet:
        return _by_id(self.value_sets, value_set_id, "value set")


def _by_id(items: tuple[_T, ...], wanted: str, what: str) -> _T:
    for item in items:
        if getattr(item, "id", None) == wanted:
            return item
    raise KeyError(f"no {what} with id '{wanted}'")
