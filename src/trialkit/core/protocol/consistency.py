"""Cross-references a single field cannot check: every id used must exist, totals must add up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from trialkit.core.protocol._base import duplicates
from trialkit.core.protocol.problems import Loc, Problem

if TYPE_CHECKING:
    from trialkit.core.protocol.model import Protocol

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<key>[^\]]+)\])?$")


def check(p: Protocol) -> list[Problem]:
    problems: list[Problem] = []
    for check_part in (_unique_ids, _design, _gates, _randomization, _schedule, _forms,
                       _interpretations, _criteria):
        problems.extend(check_part(p))
    return problems


def _ids(items: Iterable[Any]) -> set[str]:
    return {item.id for item in items}


def _missing(value: str, known: set[str], path: Loc, what: str) -> Iterator[Problem]:
    if value not in known:
        choices = ", ".join(sorted(known)) or "none defined"
        yield Problem(path, f"unknown {what} '{value}' (expected one of: {choices})")


def _unique_ids(p: Protocol) -> Iterator[Problem]:
    collections: dict[Loc, Iterable[Any]] = {
        ("identity", "sites"): p.identity.sites,
        ("design", "parts"): p.design.parts,
        ("design", "arms"): p.design.arms,
        ("design", "interventions"): p.design.interventions,
        ("design", "administrations"): p.design.administrations,
        ("schedule", "visits"): p.schedule.visits,
        ("forms",): p.forms,
        ("codelists",): p.codelists,
        ("eligibility", "criteria"): p.eligibility.criteria,
        ("value_sets",): p.value_sets,
        ("endpoints",): p.endpoints,
        ("roles",): p.roles,
        ("interpretations",): p.interpretations,
    }
    for path, items in collections.items():
        for dup in duplicates([item.id for item in items]):
            yield Problem(path, f"id '{dup}' is used more than once")


def _design(p: Protocol) -> Iterator[Problem]:
    d = p.design
    arms, interventions = _ids(d.arms), _ids(d.interventions)
    roles, visits = _ids(p.roles), _ids(p.schedule.visits)
    administrations = _ids(d.administrations)
    for i, part in enumerate(d.parts):
        for j, arm_id in enumerate(part.arms):
            yield from _missing(arm_id, arms, ("design", "parts", i, "arms", j), "arm")
    total = sum(part.enrolment_target for part in d.parts)
    if d.parts and total != d.enrolment.count:
        yield Problem(("design", "enrolment", "count"),
                      f"is {d.enrolment.count} but the parts' enrolment targets add up to {total}")
    used_arms = {arm_id for part in d.parts for arm_id in part.arms}
    for i, arm in enumerate(d.arms):
        if arm.id not in used_arms:
            yield Problem(("design", "arms", i, "id"), f"arm '{arm.id}' belongs to no part")
        for j, ref in enumerate(arm.interventions):
            yield from _missing(ref, interventions, ("design", "arms", i, "interventions", j),
                                "intervention")
    for i, adm in enumerate(d.administrations):
        here: Loc = ("design", "administrations", i)
        yield from _missing(adm.visit, visits, (*here, "visit"), "visit")
        yield from _missing(adm.performed_by, roles, (*here, "performed_by"), "role")
        yield from _missing(adm.prepared_by, roles, (*here, "prepared_by"), "role")
        for arm_id in adm.by_arm:
            yield from _missing(arm_id, arms, (*here, "by_arm", arm_id), "arm")
        for arm_id in sorted(arms - set(adm.by_arm)):
            yield Problem((*here, "by_arm"), f"says nothing about arm '{arm_id}'")
    if d.follow_up is not None:
        yield from _missing(d.follow_up.after_administration, administrations,
                            ("design", "follow_up", "after_administration"), "administration")
    if d.day_zero is not None:
        yield from _missing(d.day_zero, administrations, ("design", "day_zero"), "administration")


def _gates(p: Protocol) -> Iterator[Problem]:
    parts, adms, roles = _ids(p.design.parts), _ids(p.design.administrations), _ids(p.roles)
    for i, seq in enumerate(p.gates.sequential_enrolment):
        here: Loc = ("gates", "sequential_enrolment", i)
        yield from _missing(seq.part, parts, (*here, "part"), "part")
        yield from _missing(seq.gated_administration, adms, (*here, "gated_administration"),
                            "administration")
        for j, adm in enumerate(seq.previous_must_have_received):
            yield from _missing(adm, adms, (*here, "previous_must_have_received", j),
                                "administration")
    for i, gate in enumerate(p.gates.committee):
        here = ("gates", "committee", i)
        yield from _missing(gate.reviews_part, parts, (*here, "reviews_part"), "part")
        yield from _missing(gate.opens_part, parts, (*here, "opens_part"), "part")
        yield from _missing(gate.after_administration, adms, (*here, "after_administration"),
                            "administration")
        yield from _missing(gate.signer_role, roles, (*here, "signer_role"), "role")


def _randomization(p: Protocol) -> Iterator[Problem]:
    randomized = [part for part in p.design.parts if part.allocation == "RANDOMIZED"]
    r = p.randomization
    if r is None:
        if randomized:
            yield Problem(("randomization",), f"part '{randomized[0].id}' is RANDOMIZED but the "
                                              "protocol has no randomization section")
        return
    part = next((pt for pt in p.design.parts if pt.id == r.part), None)
    if part is None:
        yield from _missing(r.part, _ids(p.design.parts), ("randomization", "part"), "part")
        return
    if part.allocation != "RANDOMIZED":
        yield Problem(("randomization", "part"), f"part '{part.id}' is not RANDOMIZED")
    if set(r.ratio) != set(part.arms):
        yield Problem(("randomization", "ratio"),
                      f"names arms {sorted(r.ratio)} but part '{part.id}' has arms "
                      f"{sorted(part.arms)}")
    forms = {f.id: f for f in p.forms}
    codelists = {c.id: c for c in p.codelists}
    for i, stratum in enumerate(r.strata):
        here: Loc = ("randomization", "strata", i)
        form = forms.get(stratum.form)
        if form is None:
            yield from _missing(stratum.form, set(forms), (*here, "form"), "form")
            continue
        item = next((it for it in form.items if it.id == stratum.item), None)
        if item is None:
            yield from _missing(stratum.item, {it.id for it in form.items}, (*here, "item"),
                                f"item of form '{form.id}'")
            continue
        if item.codelist in codelists:
            codes = {c.code for c in codelists[item.codelist].items}
            for j, level in enumerate(stratum.levels):
                yield from _missing(level, codes, (*here, "levels", j),
                                    f"code of codelist '{item.codelist}'")


def _schedule(p: Protocol) -> Iterator[Problem]:
    forms = _ids(p.forms)
    for i, visit in enumerate(p.schedule.visits):
        for j, form in enumerate(visit.forms):
            yield from _missing(form, forms, ("schedule", "visits", i, "forms", j), "form")
    if p.schedule.safety_timepoint is not None:
        yield from _missing(p.schedule.safety_timepoint, _ids(p.schedule.visits),
                            ("schedule", "safety_timepoint"), "visit")


def _forms(p: Protocol) -> Iterator[Problem]:
    # Imported here: the scoring package must stay importable without the protocol model.
    from trialkit.core.scoring.derivations import known_derivations

    codelists, functions = _ids(p.codelists), set(known_derivations())
    for i, form in enumerate(p.forms):
        items = {item.id for item in form.items}
        for j, item in enumerate(form.items):
            here: Loc = ("forms", i, "items", j)
            if item.codelist is not None:
                yield from _missing(item.codelist, codelists, (*here, "codelist"), "codelist")
            if item.derived is not None:
                yield from _missing(item.derived.function, functions,
                                    (*here, "derived", "function"), "derivation function")
                for k, ref in enumerate(item.derived.inputs):
                    yield from _missing(ref, items, (*here, "derived", "inputs", k),
                                        f"item of form '{form.id}'")
                if item.derived.check_against is not None:
                    yield from _missing(item.derived.check_against, items,
                                        (*here, "derived", "check_against"),
                                        f"item of form '{form.id}'")


def _interpretations(p: Protocol) -> Iterator[Problem]:
    for i, interp in enumerate(p.interpretations):
        for j, path in enumerate(interp.governs):
            try:
                resolve(p, path)
            except LookupError as exc:
                yield Problem(("interpretations", i, "governs", j), str(exc))


def _criteria(p: Protocol) -> Iterator[Problem]:
    """Every rule must parse and type-check against the protocol's value sets."""
    # Imported here: the eligibility package imports the protocol package.
    from trialkit.core.eligibility.language import RuleError, parse_rule

    value_sets = {vs.id: vs for vs in p.value_sets}
    elig = p.eligibility
    for i, criterion in enumerate(elig.criteria):
        if criterion.rule is None or not criterion.rule.strip():
            continue
        try:
            parse_rule(criterion.rule, value_sets=value_sets, fallback_uln=elig.fallback_uln,
                       screening_days=elig.screening_window_days)
        except RuleError as exc:
            yield Problem(("eligibility", "criteria", i, "rule"),
                          f"criterion {criterion.id}: {exc.message}",
                          offset=(exc.line, exc.column))


def resolve(model: BaseModel, path: str) -> Any:
    """The value at a dotted path such as ``design.parts[phase2a].enrolment_target``."""
    node: Any = model
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            raise LookupError(f"'{path}': '{segment}' is not a field name or name[id]")
        name, key = match["name"], match["key"]
        if isinstance(node, BaseModel) and name in type(node).model_fields:
            node = getattr(node, name)
        elif isinstance(node, dict) and name in node:
            node = node[name]
        else:
            raise LookupError(f"'{path}': no field '{name}'")
        if key is not None:
            node = _element(node, key, path, name)
    return node


def _element(node: Any, key: str, path: str, name: str) -> Any:
    """``name[key]``: the element whose id is key, else (for a list) the element at index key."""
    if isinstance(node, dict) and key in node:
        return node[key]
    if isinstance(node, tuple):
        for element in node:
            if getattr(element, "id", None) == key:
                return element
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
    raise LookupError(f"'{path}': no element with id or index '{key}' in '{name}'")
