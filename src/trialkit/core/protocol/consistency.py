"""Cross-references a single field cannot check: every id used must exist, totals must add up,
items must feed record fields that exist, expressions must parse."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from trialkit.core.protocol import translations
from trialkit.core.protocol._base import duplicates
from trialkit.core.protocol.problems import Loc, Problem

if TYPE_CHECKING:
    from trialkit.core.protocol.forms import Form, Item, RecordMapping
    from trialkit.core.protocol.gates import CommitteeGate
    from trialkit.core.protocol.model import Protocol
    from trialkit.core.protocol.record import RecordSchema

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<key>[^\]]+)\])?$")
# An adverse-event form must say which items hold the term, onset and seriousness.
ADVERSE_EVENT_VARIABLES = ("AETERM", "AESTDTC", "AESER")


def check(p: Protocol) -> list[Problem]:
    problems: list[Problem] = []
    for check_part in (_unique_ids, _record, _design, _gates, _randomization, _schedule, _forms,
                       _assignments, _reading, _value_sets, _interpretations, _criteria):
        problems.extend(check_part(p))
    problems.extend(translations.check(p))
    if not problems:  # the analyses read forms and codelists the checks above vouch for
        from trialkit.core.protocol import analysis_checks

        problems.extend(analysis_checks.check(p))
    return problems


def _ids(items: Iterable[Any]) -> set[str]:
    return {item.id for item in items}


def _missing(value: str, known: set[str] | Iterable[str], path: Loc,
             what: str) -> Iterator[Problem]:
    known = set(known)
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
        ("record", "tables"): p.record.tables,
    }
    for path, items in collections.items():
        for dup in duplicates([item.id for item in items]):
            yield Problem(path, f"id '{dup}' is used more than once")
    periods = [period.id for part in p.design.parts for period in part.periods]
    for dup in duplicates(periods):
        yield Problem(("design", "parts"), f"period id '{dup}' is used by more than one part")


def _record(p: Protocol) -> Iterator[Problem]:
    from trialkit.core.protocol.labs import packaged_catalogue
    from trialkit.core.protocol.record import base_schema

    base = base_schema()
    for i, table in enumerate(p.record.tables):
        if base.has_table(table.id):
            yield Problem(("record", "tables", i, "id"), f"'{table.id}' is a table of the base "
                          "patient record; declare only tables of your own")
    functions = [f.name for f in (*base.functions, *p.record.functions)]
    for dup in duplicates(functions):
        yield Problem(("record", "functions"), f"function '{dup}' is defined more than once")
    catalogue = packaged_catalogue()
    for i, test in enumerate(p.lab_tests):
        if catalogue.test(test.code) is not None:
            yield Problem(("lab_tests", i, "code"), f"{test.code} is already in the lab "
                          f"catalogue {catalogue.version}; use it as it is")
        for j, unit in enumerate(test.units):
            if unit not in catalogue.units:
                yield from _missing(unit, catalogue.units, ("lab_tests", i, "units", j), "unit")


def _design(p: Protocol) -> Iterator[Problem]:
    d = p.design
    arms, interventions = _ids(d.arms), _ids(d.interventions)
    roles, visits = _ids(p.roles), _ids(p.schedule.visits)
    administrations = _ids(d.administrations)
    periods = {period.id for part in d.parts for period in part.periods}
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
        if adm.period is not None:
            yield from _missing(adm.period, periods, (*here, "period"), "period")
        for arm_id in adm.by_arm:
            yield from _missing(arm_id, arms, (*here, "by_arm", arm_id), "arm")
        for arm_id in sorted(arms - set(adm.by_arm)):
            yield Problem((*here, "by_arm"), f"says nothing about arm '{arm_id}'")
    if d.follow_up is not None:
        yield from _missing(d.follow_up.after_administration, administrations,
                            ("design", "follow_up", "after_administration"), "administration")
    if d.day_zero is not None:
        yield from _missing(d.day_zero, administrations, ("design", "day_zero"), "administration")
    if d.intervention_model == "CROSSOVER" and not any(part.is_crossover for part in d.parts):
        yield Problem(("design", "intervention_model"), "is CROSSOVER but no part has periods "
                      "and sequences")


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
        if gate.stopping_rule is not None:
            yield from _stopping_rule(p, gate, (*here, "stopping_rule"))


def _stopping_rule(p: Protocol, gate: CommitteeGate, here: Loc) -> Iterator[Problem]:
    """The rule counts no more participants than the reviewed part enrols, and reads the
    adverse-event form's relation and grade items only where they exist."""
    rule = gate.stopping_rule
    assert rule is not None
    reviewed = next((part for part in p.design.parts if part.id == gate.reviews_part), None)
    if reviewed is not None and rule.of_participants > reviewed.enrolment_target:
        yield Problem((*here, "of_participants"),
                      f"is {rule.of_participants} but part '{reviewed.id}' enrols "
                      f"{reviewed.enrolment_target}")
    ae_forms = [form for form in p.forms if form.kind == "adverse_event"]
    relation = [item for form in ae_forms if (item := form.item_with("AE", "AEREL"))]
    codes = {code.code for item in relation if item.codelist
             for codelist in p.codelists if codelist.id == item.codelist
             for code in codelist.items}
    if rule.event.related and not relation:
        yield Problem((*here, "event", "related"), "no adverse-event form has a relation item "
                      "(CDISC AEREL) to read these codes from")
    elif rule.event.related:
        for j, code in enumerate(rule.event.related):
            yield from _missing(code, codes, (*here, "event", "related", j), "relation code")
    grades = [item for form in ae_forms if (item := form.item_with("AE", "AETOXGR"))]
    if rule.event.minimum_grade is not None and not grades:
        yield Problem((*here, "event", "minimum_grade"), "no adverse-event form has a grade "
                      "item (CDISC AETOXGR) to read it from")


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
    units = [s.id for s in part.sequences] if part.is_crossover else list(part.arms)
    what = "sequences" if part.is_crossover else "arms"
    if set(r.ratio) != set(units):
        yield Problem(("randomization", "ratio"),
                      f"names {sorted(r.ratio)} but part '{part.id}' has {what} {sorted(units)}")
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
    periods = {period.id for part in p.design.parts for period in part.periods}
    for i, visit in enumerate(p.schedule.visits):
        for j, form in enumerate(visit.forms):
            yield from _missing(form, forms, ("schedule", "visits", i, "forms", j), "form")
        if visit.period is not None:
            yield from _missing(visit.period, periods, ("schedule", "visits", i, "period"),
                                "period")
    if p.schedule.safety_timepoint is not None:
        yield from _missing(p.schedule.safety_timepoint, _ids(p.schedule.visits),
                            ("schedule", "safety_timepoint"), "visit")
    for part in p.design.parts:
        for period in part.periods:
            if not any(v.period == period.id for v in p.schedule.visits):
                yield Problem(("design", "parts"), f"period '{period.id}' of part '{part.id}' "
                              "has no visit (a visit's `period` starts it)")


def _forms(p: Protocol) -> Iterator[Problem]:
    # Imported here: the scoring and forms packages import the protocol model.
    from trialkit.core.forms.expressions import ExpressionError, parse_check
    from trialkit.core.scoring.derivations import derivation, known_derivations

    codelists, functions, roles = _ids(p.codelists), set(known_derivations()), _ids(p.roles)
    codes_of = {c.id: tuple(entry.code for entry in c.items) for c in p.codelists}
    schema = p.record_schema()
    for i, form in enumerate(p.forms):
        items = {item.id for item in form.items}
        choices = {item.id: codes_of[item.codelist] for item in form.items
                   if item.codelist in codes_of}
        for j, role in enumerate(form.entered_by):
            yield from _missing(role, roles, ("forms", i, "entered_by", j), "role")
        if form.kind == "adverse_event":
            for variable in ADVERSE_EVENT_VARIABLES:
                if form.item_with("AE", variable) is None:
                    yield Problem(("forms", i, "kind"), f"an adverse_event form needs an item "
                                  f"annotated cdisc: {{domain: AE, variable: {variable}}}")
        for j, item in enumerate(form.items):
            here: Loc = ("forms", i, "items", j)
            if item.codelist is not None:
                yield from _missing(item.codelist, codelists, (*here, "codelist"), "codelist")
            if item.maps_to is not None:
                yield from _mapping(p, schema, form, item, (*here, "maps_to"))
            if item.derived is None:
                continue
            spec = item.derived
            yield from _missing(spec.function, functions, (*here, "derived", "function"),
                                "derivation function")
            if spec.function in functions:
                expected = derivation(spec.function).inputs
                if expected is not None and set(spec.inputs) != set(expected):
                    yield Problem((*here, "derived", "inputs"), f"{spec.function} takes "
                                  f"{', '.join(expected)}; got {', '.join(spec.inputs)}")
            for name, ref in spec.inputs.items():
                yield from _missing(ref, items, (*here, "derived", "inputs", name),
                                    f"item of form '{form.id}'")
            if spec.check_against is not None:
                yield from _missing(spec.check_against, items,
                                    (*here, "derived", "check_against"),
                                    f"item of form '{form.id}'")
        for j, edit in enumerate(form.checks):
            here = ("forms", i, "checks", j)
            yield from _missing(edit.item, items, (*here, "item"), f"item of form '{form.id}'")
            for key in ("expression", "when"):
                text = getattr(edit, key)
                if text is None:
                    continue
                try:
                    parse_check(text, form, choices)
                except ExpressionError as exc:
                    yield Problem((*here, key), f"check {edit.id}: {exc.message}",
                                  offset=(exc.line, exc.column))


def _assignments(p: Protocol) -> Iterator[Problem]:
    """A role the protocol assigns a task must hold the permission and sight the task needs,
    or the server would refuse the very role the protocol names."""
    roles = {role.id: role for role in p.roles}

    def lacks(role_id: str, permission: str, sees: str | None = None) -> str | None:
        role = roles.get(role_id)
        if role is None:
            return None  # reported as an unknown role where it is named
        missing = [f"`can: {permission}`"] if permission not in role.can else []
        if sees is not None and sees not in role.sees:
            missing.append(f"`sees: {sees}`")
        return f"role '{role_id}' needs {' and '.join(missing)}" if missing else None

    def report(path: Loc, problem: str | None, task: str) -> Iterator[Problem]:
        if problem is not None:
            yield Problem(path, f"{problem} to {task}")

    for i, form in enumerate(p.forms):
        needed = "report_adverse_event" if form.kind == "adverse_event" else "enter_data"
        for j, role in enumerate(form.entered_by):
            yield from report(("forms", i, "entered_by", j), lacks(role, needed),
                              f"enter form {form.id}")
    for i, adm in enumerate(p.design.administrations):
        here: Loc = ("design", "administrations", i)
        yield from report((*here, "prepared_by"), lacks(adm.prepared_by, "prepare_kit",
                                                        "preparation"), f"prepare {adm.id}")
        if adm.differs_by_arm:
            yield from report((*here, "performed_by"),
                              lacks(adm.performed_by, "perform_procedure", "procedure_type"),
                              f"perform {adm.id}, whose procedure differs by arm")
    for i, gate in enumerate(p.gates.committee):
        yield from report(("gates", "committee", i, "signer_role"),
                          lacks(gate.signer_role, "decide_safety"),
                          f"sign the {gate.committee}'s decisions")


def _reading(p: Protocol) -> Iterator[Problem]:
    """Who reads which form (core/protocol/reading.py)."""
    # Imported here: reading.py describes the model this module checks.
    from trialkit.core.protocol import reading

    yield from reading.check(p)


def _mapping(p: Protocol, schema: RecordSchema, form: Form, item: Item,
             here: Loc) -> Iterator[Problem]:
    """The record field an item feeds must exist and take the item's kind of value."""
    from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE

    mapping = item.maps_to
    assert mapping is not None
    if mapping.table == ATTESTATIONS:
        if item.type != "boolean":
            yield Problem(here, f"an attestation is true or false; {item.id} is {item.type}")
        return
    if mapping.table == PATIENT_TABLE:
        fields = {f.id: f.type for f in schema.patient if f.id != "observation_period"}
        if mapping.column not in fields:
            yield from _missing(mapping.column, fields, here, "patient field")
            return
        yield from _fits(item, fields[mapping.column], here)
        if fields[mapping.column] == "code":
            yield from _codes_cover(p, item, mapping, here)
        return
    if not schema.has_table(mapping.table):
        yield from _missing(mapping.table, {*schema.table_ids, PATIENT_TABLE, ATTESTATIONS},
                            here, "record table")
        return
    table = schema.table(mapping.table)
    columns = {c.id: c.type for c in table.columns}
    if mapping.column not in columns:
        yield from _missing(mapping.column, columns, here, f"column of {table.id}")
        return
    yield from _fits(item, columns[mapping.column], here)
    for column in mapping.set:
        yield from _missing(column, columns, (*here, "set", column), f"column of {table.id}")
    if columns[mapping.column] == "code" and mapping.column not in mapping.set:
        yield from _codes_cover(p, item, mapping, here)


_FITS: dict[str, tuple[str, ...]] = {
    "date": ("date", "datetime"), "number": ("integer", "decimal"), "count": ("integer",),
    "quantity": ("integer", "decimal"), "text": ("text", "choice"), "code": ("choice", "text"),
}


def _fits(item: Item, column_type: str, here: Loc) -> Iterator[Problem]:
    if item.type not in _FITS[column_type]:
        yield Problem(here, f"a {item.type} item cannot feed a {column_type} column")


def _codes_cover(p: Protocol, item: Item, mapping: RecordMapping, here: Loc) -> Iterator[Problem]:
    """A choice item feeding a code column needs a code for each of its choices (``codes``,
    else the code list's ``concept``); a choice without one feeds nothing, silently."""
    if item.type != "choice" or item.codelist is None:
        return
    try:
        codelist = p.codelist(item.codelist)
    except KeyError:
        return
    if mapping.table == "patient":
        return  # patient fields take the code list's codes as they are
    uncovered = [c.code for c in codelist.items
                 if c.code not in mapping.codes and c.concept is None]
    if uncovered:
        yield Problem(here, f"choices {', '.join(uncovered)} of {codelist.id} have no record "
                      "code: give `codes` or the code list's `concept`")


def _value_sets(p: Protocol) -> Iterator[Problem]:
    kinds = p.record_schema().code_kinds()
    for i, value_set in enumerate(p.value_sets):
        if value_set.kind not in kinds:
            yield from _missing(value_set.kind, kinds, ("value_sets", i, "kind"), "code kind")
            continue
        pattern = kinds[value_set.kind].pattern
        if pattern is None:
            continue
        for j, code in enumerate(value_set.codes):
            if re.match(pattern, code) is None:
                yield Problem(("value_sets", i, "codes", j), f"'{code}' is not a "
                              f"{value_set.kind} code")


def _interpretations(p: Protocol) -> Iterator[Problem]:
    for i, interp in enumerate(p.interpretations):
        for j, path in enumerate(interp.governs):
            try:
                resolve(p, path)
            except LookupError as exc:
                yield Problem(("interpretations", i, "governs", j), str(exc))


def _criteria(p: Protocol) -> Iterator[Problem]:
    """Every rule and library function must parse and type-check against the record."""
    # Imported here: the eligibility package imports the protocol package.
    from trialkit.core.eligibility.language import RuleContext, RuleError

    try:
        context = RuleContext.of(p)
    except RuleError as exc:
        yield Problem(("record", "functions"), exc.message)
        return
    for i, criterion in enumerate(p.eligibility.criteria):
        if criterion.rule is None or not criterion.rule.strip():
            continue
        try:
            context.parse(criterion.rule)
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
