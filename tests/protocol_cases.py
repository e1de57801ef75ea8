"""The trials the suites run on: every protocol file in protocols/, what each has, who does what.

A test whose behaviour depends on the protocol takes the ``trial`` fixture (tests/conftest.py).
The ``protocols`` marker parametrises it over every file of protocols/ (not the library
folder), or over the files whose protocol has all the named capabilities
(``@pytest.mark.protocols("committee_gate")``), so a new trial's file is run by every suite
the moment it is added. What a test needs to know about a trial is derived here from its
protocol: which role screens and which signs, which part is gated, which form an item of a
given type lives in. The few facts a protocol cannot tell (screening values that meet its
criteria) live in tests/fixtures/trials/<stem>.yaml.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from trialkit.core.forms.consent_record import ConsentFacts, consent_values
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.protocol.design import Administration, Part
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.gates import CommitteeGate, SequentialEnrolment
from trialkit.core.protocol.roles import Role
from trialkit.core.protocol.schedule import Visit
from trialkit.web.demo_values import form_values

ROOT = Path(__file__).resolve().parents[1]
TRIAL_DATA = ROOT / "tests" / "fixtures" / "trials"
PROTOCOLS_ENV = "TRIALKIT_TEST_PROTOCOLS"
"""A folder to take the protocol files from instead of protocols/ (the test that a dropped-in
file is picked up sets it for a collection run of its own)."""


def protocols_folder() -> Path:
    return Path(os.environ.get(PROTOCOLS_ENV) or ROOT / "protocols")


def protocol_files() -> list[Path]:
    """Every trial's file: protocols/*.yaml, not the library folder below it."""
    return sorted(protocols_folder().glob("*.yaml"))


def _randomized_part(p: Protocol) -> Part | None:
    return p.part(p.randomization.part) if p.randomization is not None else None


def _blinded(p: Protocol) -> bool:
    part = _randomized_part(p)
    return part is not None and part.masking.level != "NONE"


CAPABILITIES: dict[str, Callable[[Protocol], bool]] = {
    "randomized": lambda p: p.randomization is not None,
    "blinded": _blinded,
    "open_label": lambda p: p.randomization is not None and not _blinded(p),
    "crossover": lambda p: any(part.is_crossover for part in p.design.parts),
    "parallel_part": lambda p: any(not part.is_crossover for part in p.design.parts),
    "parallel_randomization": lambda p: (part := _randomized_part(p)) is not None
    and not part.is_crossover,
    "sequential": lambda p: bool(p.gates.sequential_enrolment),
    "committee_gate": lambda p: bool(p.gates.committee),
    "non_randomized_part": lambda p: any(part.allocation != "RANDOMIZED"
                                         for part in p.design.parts),
    "strata": lambda p: p.randomization is not None and bool(p.randomization.strata),
    "differs_by_arm": lambda p: any(a.differs_by_arm for a in p.design.administrations),
    "sham": lambda p: any(c.procedure == "sham" for a in p.design.administrations
                          for c in a.by_arm.values()),
    "derived_check": lambda p: any(i.derived is not None and i.derived.check_against
                                   for f in p.forms for i in f.items),
    "judgement_band": lambda p: any(i.derived is not None and i.derived.check_against
                                    and i.derived.function == "neurostatus_edss"
                                    for f in p.forms for i in f.items),
    "conditional_item": lambda p: any(i.asked_when for f in p.forms for i in f.items),
    "stepped_item": lambda p: any(i.range is not None and i.range.step
                                  for f in p.forms for i in f.items),
    "emergency_unblinding": lambda p: _blinded(p) and any("emergency_unblind" in r.can
                                                          for r in p.roles),
    "several_administrations": lambda p: len(p.design.administrations) > 1,
    "blinded_until_lock": lambda p: any(r.blinded_until_lock for r in p.roles),
}
"""What a test may need a protocol to have; ``with_capabilities`` picks the protocols."""


@cache
def _load(path: Path) -> Protocol:
    return load_protocol(path)


def capabilities_of(path: Path) -> frozenset[str]:
    protocol = _load(path)
    return frozenset(name for name, has in CAPABILITIES.items() if has(protocol))


def with_capabilities(*names: str) -> list[Path]:
    unknown = set(names) - set(CAPABILITIES)
    if unknown:
        raise KeyError(f"unknown capability: {', '.join(sorted(unknown))} "
                       f"(known: {', '.join(sorted(CAPABILITIES))})")
    return [path for path in protocol_files() if set(names) <= capabilities_of(path)]


@cache
def case_for(path: Path) -> TrialCase:
    data_file = TRIAL_DATA / f"{path.stem}.yaml"
    data = yaml.safe_load(data_file.read_text("utf-8")) if data_file.exists() else {}
    return TrialCase(path, _load(path), data or {})


@dataclass(frozen=True)
class TrialCase:
    """One protocol as the tests see it: its facts, its roles by what they do, its data."""

    path: Path
    protocol: Protocol
    data: Mapping[str, Any]
    """tests/fixtures/trials/<stem>.yaml: the facts the protocol cannot tell."""

    def __repr__(self) -> str:
        return f"TrialCase({self.stem})"

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def site(self) -> str:
        return self.protocol.identity.sites[0].id

    def has(self, capability: str) -> bool:
        return CAPABILITIES[capability](self.protocol)

    # -- roles by what they do -----------------------------------------------------------
    def roles(self, *can: str, sees: tuple[str, ...] = (), blinded: bool | None = None
              ) -> list[Role]:
        return [r for r in self.protocol.roles if set(can) <= set(r.can)
                and set(sees) <= set(r.sees) and (blinded is None or r.blinded == blinded)]

    def role(self, *can: str, **kwargs: Any) -> str:
        found = self.roles(*can, **kwargs)
        assert found, f"{self.stem}: no role can {', '.join(can)} {kwargs or ''}"
        return found[0].id

    @cached_property
    def screener(self) -> str:
        """The site's screening, consenting and enrolling role (not the signing one)."""
        doers = self.roles("screen", "consent", "enter_data")
        joining = [r for r in doers if {"enrol", "randomize"} & set(r.can)]
        return next((r.id for r in joining if "sign" not in r.can), joining[0].id)

    @cached_property
    def investigator(self) -> str:
        """The role that judges criteria and signs forms (an investigator)."""
        return self.role("sign", "screen")

    @cached_property
    def list_manager(self) -> str:
        return self.role("manage_randomization")

    @cached_property
    def data_manager(self) -> str:
        return self.role("raise_query", "close_query", "lock_data")

    @cached_property
    def monitor(self) -> str:
        """A site-scoped role that raises and closes queries (source verification)."""
        return next(r.id for r in self.roles("raise_query", "close_query") if r.site_scoped)

    @cached_property
    def administrator(self) -> str:
        return self.role("manage_users")

    def entry_role(self, form: Form | str) -> str:
        """The first role the protocol lets enter ``form`` (with the permission its kind
        needs)."""
        form = self.form(form)
        needed = "report_adverse_event" if form.kind == "adverse_event" else "enter_data"
        return next(r for r in form.entered_by if needed in self.protocol.role(r).can)

    def entry_roles(self, form: Form | str) -> list[str]:
        form = self.form(form)
        needed = "report_adverse_event" if form.kind == "adverse_event" else "enter_data"
        return [r for r in form.entered_by if needed in self.protocol.role(r).can]

    def performer(self, administration: Administration | str) -> str:
        return self._administration(administration).performed_by

    def preparer(self, administration: Administration | str) -> str:
        return self._administration(administration).prepared_by

    # -- design ---------------------------------------------------------------------------
    @property
    def randomized_part(self) -> Part | None:
        return _randomized_part(self.protocol)

    @property
    def entry_part(self) -> Part:
        """The part the first participants join: the first part no gate opens later."""
        opened = {g.opens_part for g in self.protocol.gates.committee}
        return next(p for p in self.protocol.design.parts if p.id not in opened)

    def committee_gate_opening(self, part_id: str) -> CommitteeGate | None:
        return next((g for g in self.protocol.gates.committee if g.opens_part == part_id), None)

    def sequential_gate(self, part_id: str) -> SequentialEnrolment | None:
        return next((g for g in self.protocol.gates.sequential_enrolment
                     if g.part == part_id), None)

    def administrations(self) -> list[Administration]:
        """In the order they are given (by the day of their visit)."""
        return sorted(self.protocol.design.administrations,
                      key=lambda a: self.visit(a.visit).day or 0)

    def day_of(self, administration: Administration | str) -> int:
        return self.visit(self._administration(administration).visit).day or 0

    # -- schedule and forms ---------------------------------------------------------------
    def visit(self, visit_id: str) -> Visit:
        return self.protocol.visit(visit_id)

    @property
    def screening_visit(self) -> Visit:
        """The first visit of the schedule: where a candidate's screening forms are entered."""
        return min((v for v in self.protocol.schedule.visits if v.day is not None),
                   key=lambda v: v.day or 0)

    @property
    def day_zero_visit(self) -> Visit:
        day_zero = self.protocol.design.day_zero
        if day_zero:
            return self.visit(self.protocol.administration(day_zero).visit)
        return next(v for v in self.protocol.schedule.visits if v.day == 0)

    def scheduled_after_day_zero(self) -> list[Visit]:
        return sorted((v for v in self.protocol.schedule.visits
                       if v.day is not None and v.day > 0), key=lambda v: v.day or 0)

    def form(self, form: Form | str) -> Form:
        return form if isinstance(form, Form) else self.protocol.form(form)

    def forms_of_kind(self, kind: str) -> list[Form]:
        return [f for f in self.protocol.forms if f.kind == kind]

    @property
    def adverse_event_form(self) -> Form:
        return self.forms_of_kind("adverse_event")[0]

    def visits_collecting(self, form: Form | str) -> list[str]:
        form_id = self.form(form).id
        return [v.id for v in self.protocol.schedule.visits if form_id in v.forms]

    def items(self, predicate: Callable[[Form, Item], bool]) -> Iterator[tuple[Form, Item]]:
        for form in self.protocol.forms:
            for item in form.items:
                if item.derived is None and predicate(form, item):
                    yield form, item

    # -- values ---------------------------------------------------------------------------
    def values(self, form: Form | str, on: dt.date, **changes: object) -> dict[str, object]:
        """Valid values of ``form`` entered on ``on`` (generated from its items), then
        ``changes``."""
        return form_values(self.protocol, self.form(form), on, changes)

    def screening_forms(self, on: dt.date, changes: Mapping[str, Any] | None = None,
                        consent: ConsentFacts | None = None
                        ) -> dict[str, list[dict[str, object]]]:
        """The screening visit's forms of a candidate who meets every criterion the forms
        decide: generated values, the trial's ``eligible`` data, then ``changes`` (form id →
        item values). A repeating form is entered only as often as the data lists it.

        With the ``consent`` on file: a consent form the consent has entered is left out, and
        another says what the consent says (``actions.consent_forms``)."""
        eligible: Mapping[str, Any] = self.data.get("eligible", {})
        changes = dict(changes or {})
        for form in self.protocol.forms if consent is not None else ():
            if form.kind == "consent" and not _entered_by_consent(form):
                changes[form.id] = {**changes.get(form.id, {}), **consent_values(form, consent)}
        forms: dict[str, list[dict[str, object]]] = {}
        for form_id in self.screening_visit.forms:
            form = self.form(form_id)
            if consent is not None and form.kind == "consent" and _entered_by_consent(form):
                continue
            given = eligible.get(form_id)
            instances = (given if isinstance(given, list) else [given or {}]) if (
                given is not None or not form.repeating) else []
            if form_id in changes and not instances:
                instances = [{}]
            forms[form_id] = [form_values(self.protocol, form, on,
                                          {**instance, **changes.get(form_id, {})})
                              for instance in instances]
        return {form_id: values for form_id, values in forms.items() if values}

    def _administration(self, administration: Administration | str) -> Administration:
        return (administration if isinstance(administration, Administration)
                else self.protocol.administration(administration))


def _entered_by_consent(form: Form) -> bool:
    """Whether recording consent enters this consent form: it requires only what the consent
    gives."""
    return all(item.holds is not None for item in form.items if item.required)


def allocation_secrets(protocol: Protocol) -> set[str]:
    """Every string that would reveal an allocation: arm and sequence ids and labels, and what
    is prepared for each arm."""
    found = {v for arm in protocol.design.arms for v in (arm.id, arm.label)}
    found |= {v for part in protocol.design.parts for s in part.sequences
              for v in (s.id, s.label)}
    return found | {p.preparation for a in protocol.design.administrations
                    for p in a.by_arm.values()}


def named_in(text: str, terms: set[str]) -> set[str]:
    """The terms ``text`` names as whole words (``msc`` is not named by ``msc_infusion``)."""
    return {t for t in terms if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", text)}


def public_texts(protocol: Protocol) -> list[str]:
    """What every role reads about the design, lower case, longest first: the protocol's
    names, labels and texts (they name the design, not anybody's allocation)."""
    texts = [protocol.identity.brief_title, *(c.text for c in protocol.eligibility.criteria)]
    for part in protocol.design.parts:
        texts += [part.name, part.description or "", *(p.name for p in part.periods)]
    texts += [v for visit in protocol.schedule.visits for v in (visit.name, visit.purpose or "")]
    texts += [a.name for a in protocol.design.administrations]
    for form in protocol.forms:
        texts += [form.name, *(i.label for i in form.items), *(i.help or "" for i in form.items)]
    texts += [c.decode for codelist in protocol.codelists for c in codelist.items]
    texts += [v for role in protocol.roles for v in (role.name, role.description)]
    return sorted({re.sub(r"\s+", " ", t).lower() for t in texts if t}, key=len, reverse=True)


def analysis_texts(protocol: Protocol) -> list[str]:
    """What the analysis outputs repeat of the protocol's endpoints, lower case, longest first:
    the endpoints' and analyses' prose (names, descriptions, time frames, labels in the
    analyses' options). It names the design ("compared with placebo"), not anybody's
    allocation; a single word or an arm's own label is never taken as prose."""
    secrets = {s.lower() for s in allocation_secrets(protocol)}
    texts = [s for e in protocol.endpoints for s in _strings_of(e.model_dump())]
    return sorted({t for t in (re.sub(r"\s+", " ", s).lower() for s in texts)
                   if " " in t and t not in secrets}, key=len, reverse=True)


def _strings_of(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():  # a category's label may be its key
            yield str(key)
            yield from _strings_of(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings_of(item)
