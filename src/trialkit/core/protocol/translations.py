"""The protocol's own words in other languages: names and labels people read on screen.

A protocol is written in one language (its text is the approved version). It may carry
translations of the words people read while running the trial: form names, item labels,
code-list decodes, visit names, criterion texts, role names, descriptions and workspaces, part,
period and administration
names, arm labels, edit-check messages, and the words the eligibility explanations name
(value-set descriptions and the nouns of the protocol's own record tables). The ids, rules
and everything a computation reads stay as they are, so a translated view of a protocol
behaves exactly like the protocol; only what it says differs. Analyses, exports and stored
records use the protocol itself.

Keys name what is translated by id: a form ``ae``, an item ``ae.AETERM`` (form id, item id), a
decode ``ny.Y`` (code-list id, code), a visit ``M3``, a criterion ``I1``, a role ``monitor``,
a part ``run_in``, a crossover period ``period_1``, an administration ``iv``, an arm
``placebo``, an edit check ``ae.ends_after_onset`` (form id, check id), a value set
``ms_rrms``, a record table ``relapses``.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints

from trialkit.core.protocol._base import Frozen, Text
from trialkit.core.protocol.problems import Loc, Problem

if TYPE_CHECKING:
    from trialkit.core.protocol.model import Protocol

# A BCP 47 language tag as Django names its languages: language, then script or region.
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
Words = dict[str, Text]


class Translation(Frozen):
    """The protocol's words in one language."""

    language: LanguageTag
    """The language, as a BCP 47 tag: ``zh-Hant`` (Traditional Chinese), ``ja``, ``de-CH``."""
    forms: Words = Field(default_factory=dict)
    items: Words = Field(default_factory=dict)
    """By ``form.item``."""
    codelists: Words = Field(default_factory=dict)
    """Decodes, by ``codelist.code``."""
    visits: Words = Field(default_factory=dict)
    criteria: Words = Field(default_factory=dict)
    roles: Words = Field(default_factory=dict)
    role_descriptions: Words = Field(default_factory=dict)
    """What a role does, by role id (the role picker shows it)."""
    workspaces: Words = Field(default_factory=dict)
    """The name of a role's own page in the navigation, by role id."""
    parts: Words = Field(default_factory=dict)
    """Part names (Phase I run-in, Phase IIa), by part id."""
    periods: Words = Field(default_factory=dict)
    """Crossover period names, by period id."""
    administrations: Words = Field(default_factory=dict)
    """Administration names (Intravenous infusion), by administration id: the gates' sentences
    name them."""
    arms: Words = Field(default_factory=dict)
    """Arm labels, by arm id (read only by roles the blinding lets see an arm)."""
    checks: Words = Field(default_factory=dict)
    """Edit-check messages, by ``form.check``: the query a failed check opens says it."""
    value_sets: Words = Field(default_factory=dict)
    """Value-set descriptions, by value-set id: explanations name a set by its description."""
    tables: Words = Field(default_factory=dict)
    """The noun of one row of the protocol's own record tables ("relapse"), by table id; the
    base tables' nouns are trialkit's words, in its catalogue."""


def same_language(tag: str, other: str) -> bool:
    """Whether two tags name the same language (tags are case-insensitive: zh-hant, zh-Hant)."""
    return tag.lower() == other.lower()


def in_language(protocol: Protocol, language: str) -> Protocol:
    """The protocol with its words in ``language`` where it carries them; itself otherwise.

    The copy is not validated again: only words change, and every key was checked against the
    protocol's ids when it was loaded (``check``)."""
    words = next((t for t in protocol.translations if same_language(t.language, language)), None)
    if words is None:
        return protocol
    forms = tuple(form.model_copy(update={
        "name": words.forms.get(form.id, form.name),
        "items": tuple(item.model_copy(update={
            "label": words.items.get(f"{form.id}.{item.id}", item.label)}) for item in form.items),
        "checks": tuple(check.model_copy(update={
            "message": words.checks.get(f"{form.id}.{check.id}", check.message)})
            for check in form.checks),
    }) for form in protocol.forms)
    codelists = tuple(codelist.model_copy(update={"items": tuple(
        entry.model_copy(update={"decode": words.codelists.get(f"{codelist.id}.{entry.code}",
                                                               entry.decode)})
        for entry in codelist.items)}) for codelist in protocol.codelists)
    visits = tuple(visit.model_copy(update={"name": words.visits.get(visit.id, visit.name)})
                   for visit in protocol.schedule.visits)
    criteria = tuple(criterion.model_copy(update={
        "text": words.criteria.get(criterion.id, criterion.text)})
        for criterion in protocol.eligibility.criteria)
    roles = tuple(role.model_copy(update={
        "name": words.roles.get(role.id, role.name),
        "description": words.role_descriptions.get(role.id, role.description),
        "workspace": words.workspaces.get(role.id, role.workspace)}) for role in protocol.roles)
    design = protocol.design.model_copy(update={
        "parts": tuple(part.model_copy(update={
            "name": words.parts.get(part.id, part.name),
            "periods": tuple(period.model_copy(update={
                "name": words.periods.get(period.id, period.name)}) for period in part.periods)})
            for part in protocol.design.parts),
        "administrations": tuple(adm.model_copy(update={
            "name": words.administrations.get(adm.id, adm.name)})
            for adm in protocol.design.administrations),
        "arms": tuple(arm.model_copy(update={"label": words.arms.get(arm.id, arm.label)})
                      for arm in protocol.design.arms)})
    value_sets = tuple(vs.model_copy(update={
        "description": words.value_sets.get(vs.id, vs.description)})
        for vs in protocol.value_sets)
    record = protocol.record.model_copy(update={"tables": tuple(
        table.model_copy(update={"noun": words.tables.get(table.id, table.noun)})
        for table in protocol.record.tables)})
    return protocol.model_copy(update={
        "value_sets": value_sets, "record": record,
        "design": design, "forms": forms, "codelists": codelists, "roles": roles,
        "schedule": protocol.schedule.model_copy(update={"visits": visits}),
        "eligibility": protocol.eligibility.model_copy(update={"criteria": criteria}),
    })


def check(protocol: Protocol) -> Iterator[Problem]:
    """Every translated word names something the protocol has, once per language."""
    known = _translatable(protocol)
    seen: set[str] = set()
    for index, translation in enumerate(protocol.translations):
        path: Loc = ("translations", index)
        if translation.language.lower() in seen:
            yield Problem((*path, "language"),
                          f"language '{translation.language}' is translated twice")
        seen.add(translation.language.lower())
        for kind, ids in known.items():
            for key in getattr(translation, kind):
                if key not in ids:
                    yield Problem((*path, kind, key),
                                  f"no {_WHAT[kind]} '{key}' in this protocol to translate")


_WHAT = MappingProxyType({"forms": "form", "items": "item (form.item)",
                          "codelists": "decode (codelist.code)", "visits": "visit",
                          "criteria": "criterion", "roles": "role",
                          "role_descriptions": "role", "workspaces": "role with a workspace",
                          "parts": "part",
                          "periods": "period", "administrations": "administration",
                          "arms": "arm", "checks": "edit check (form.check)",
                          "value_sets": "value set",
                          "tables": "table of the protocol's own record"})


def _translatable(protocol: Protocol) -> dict[str, set[str]]:
    return {
        "forms": {form.id for form in protocol.forms},
        "items": {f"{form.id}.{item.id}" for form in protocol.forms for item in form.items},
        "codelists": {f"{codelist.id}.{entry.code}" for codelist in protocol.codelists
                      for entry in codelist.items},
        "visits": {visit.id for visit in protocol.schedule.visits},
        "criteria": {criterion.id for criterion in protocol.eligibility.criteria},
        "roles": {role.id for role in protocol.roles},
        "role_descriptions": {role.id for role in protocol.roles},
        "workspaces": {role.id for role in protocol.roles if role.workspace},
        "parts": {part.id for part in protocol.design.parts},
        "periods": {period.id for part in protocol.design.parts for period in part.periods},
        "administrations": {adm.id for adm in protocol.design.administrations},
        "arms": {arm.id for arm in protocol.design.arms},
        "checks": {f"{form.id}.{check.id}" for form in protocol.forms for check in form.checks},
        "value_sets": {vs.id for vs in protocol.value_sets},
        "tables": {table.id for table in protocol.record.tables},
    }


def untranslated(protocol: Protocol, language: str) -> dict[str, list[str]]:
    """What the protocol does not yet say in ``language``, by kind (for a translator's list)."""
    words = next((t for t in protocol.translations if same_language(t.language, language)), None)
    known = _translatable(protocol)
    return {kind: sorted(ids - set(getattr(words, kind) if words else ()))
            for kind, ids in known.items() if ids - set(getattr(words, kind) if words else ())}


__all__ = ["Translation", "check", "in_language", "same_language", "untranslated"]
