"""Cross-references of the analyses: every analysis runs a method of the registry on a dataset,
parameter, variables and analysis set that will exist; every derived parameter reads forms and
parameters that exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from trialkit.core.protocol._base import duplicates
from trialkit.core.protocol.analysis_datasets import DatasetSpec, dataset_specs, variables_of
from trialkit.core.protocol.problems import Loc, Problem

if TYPE_CHECKING:
    from trialkit.core.protocol.analyses import Analysis, ParameterRef
    from trialkit.core.protocol.model import Protocol

FIXED = ("ADSL", "ADAE", "ADEX", "ADTTE", "ADCNT", "ADRSP")


def check(p: Protocol) -> Iterator[Problem]:
    specs = dataset_specs(p)
    yield from _datasets(p)
    yield from _sets(p)
    yield from _derived(p, specs)
    ids = [a.id for e in p.endpoints for a in e.analyses]
    for dup in duplicates(ids):
        yield Problem(("endpoints",), f"analysis id '{dup}' is used more than once")
    for i, endpoint in enumerate(p.endpoints):
        for j, analysis in enumerate(endpoint.analyses):
            yield from _analysis(p, specs, analysis, ("endpoints", i, "analyses", j))


def _datasets(p: Protocol) -> Iterator[Problem]:
    from trialkit.core.protocol.analysis_datasets import BDS_KINDS, bds_name

    names = [bds_name(f) for f in p.forms if f.kind in BDS_KINDS]
    for i, form in enumerate(p.forms):
        if form.kind in BDS_KINDS and (bds_name(form) in FIXED or names.count(bds_name(form)) > 1):
            yield Problem(("forms", i, "id"), f"the analysis dataset of this form would be "
                          f"named {bds_name(form)}, as another dataset is")


def _sets(p: Protocol) -> Iterator[Problem]:
    sets = p.analysis_data.sets
    reserved = {"ENRLFL", "RANDFL", *(v.name for v in _adsl_fixed(p))}
    parts = {part.id for part in p.design.parts}
    for what, values in (("id", [s.id for s in sets]), ("flag", [s.flag for s in sets])):
        for dup in duplicates(values):
            yield Problem(("analysis_data", "sets"), f"analysis set {what} '{dup}' is used "
                          "more than once")
    for i, aset in enumerate(sets):
        if aset.flag in reserved:
            yield Problem(("analysis_data", "sets", i, "flag"), f"'{aset.flag}' is an ADSL "
                          "variable trialkit derives itself; name the flag otherwise")
        for j, part in enumerate(aset.parts):
            if part not in parts:
                yield Problem(("analysis_data", "sets", i, "parts", j),
                              f"unknown part '{part}' (expected one of: "
                              f"{', '.join(sorted(parts))})")


def _adsl_fixed(p: Protocol) -> tuple[Any, ...]:
    from trialkit.core.protocol.analysis_datasets import adsl_spec

    flags = {s.flag for s in p.analysis_data.sets}
    return tuple(v for v in adsl_spec(p).variables if v.name not in flags)


def _ref(specs: dict[str, DatasetSpec], ref: ParameterRef, path: Loc,
         allowed: tuple[str, ...] | None = None) -> Iterator[Problem]:
    spec = specs.get(ref.dataset)
    if spec is None or (allowed is not None and ref.dataset not in allowed):
        known = sorted(allowed if allowed is not None else specs)
        yield Problem((*path, "dataset"), f"unknown analysis dataset '{ref.dataset}' (expected "
                      f"one of: {', '.join(known) or 'none defined'})")
    elif spec.parameter(ref.parameter) is None:
        yield Problem((*path, "parameter"), f"dataset {ref.dataset} has no parameter "
                      f"'{ref.parameter}' (it has: {', '.join(q.code for q in spec.parameters)})")


def _event_form(p: Protocol, form_id: str, path: Loc) -> Iterator[Problem]:
    logs = sorted(f.id for f in p.forms if f.kind == "event_log")
    if form_id not in logs:
        yield Problem(path, f"'{form_id}' is not an event-log form (expected one of: "
                      f"{', '.join(logs) or 'none defined'})")


def _derived(p: Protocol, specs: dict[str, DatasetSpec]) -> Iterator[Problem]:
    data = p.analysis_data
    here: Loc = ("analysis_data",)
    bds = tuple(n for n, s in specs.items() if s.structure == "BDS" and s.form)
    for section, params in (("time_to_event", data.time_to_event), ("counts", data.counts),
                            ("responders", data.responders)):
        for dup in duplicates([q.parameter for q in params]):
            yield Problem((*here, section), f"parameter '{dup}' is defined more than once")
    for i, tte in enumerate(data.time_to_event):
        yield from _ref(specs, tte.source, (*here, "time_to_event", i, "source"), bds)
        if tte.excluding is not None:
            yield from _event_form(p, tte.excluding.events,
                                   (*here, "time_to_event", i, "excluding", "events"))
    visits = {v.id for v in p.schedule.visits}
    for i, count in enumerate(data.counts):
        if count.events is not None:
            yield from _event_form(p, count.events, (*here, "counts", i, "events"))
        if count.sum_of is not None:
            yield from _ref(specs, count.sum_of, (*here, "counts", i, "sum_of"), bds)
        for j, visit in enumerate(count.visits):
            if visit not in visits:
                yield Problem((*here, "counts", i, "visits", j), f"unknown visit '{visit}'")
    for i, responder in enumerate(data.responders):
        for j, ref in enumerate(responder.none_of):
            yield from _ref(specs, ref, (*here, "responders", i, "none_of", j),
                            ("ADTTE", "ADCNT"))


def _analysis(p: Protocol, specs: dict[str, DatasetSpec], a: Analysis,
              path: Loc) -> Iterator[Problem]:
    from trialkit.core.analysis.binding import option_names
    from trialkit.core.analysis.catalogue import METHODS

    method = METHODS.get(a.method)
    if method is None:
        yield Problem((*path, "method"), f"unknown analysis method '{a.method}' (expected one "
                      f"of: {', '.join(sorted(METHODS))})")
    sets = {s.id for s in p.analysis_data.sets}
    if a.analysis_set not in sets:
        yield Problem((*path, "analysis_set"), f"unknown analysis set '{a.analysis_set}' "
                      f"(expected one of: {', '.join(sorted(sets)) or 'none defined'})")
    spec = specs.get(a.dataset)
    if spec is None:
        yield Problem((*path, "dataset"), f"unknown analysis dataset '{a.dataset}' (expected "
                      f"one of: {', '.join(specs)})")
        return
    if spec.parameters and a.parameter is None:
        yield Problem((*path, "parameter"), f"{a.dataset} holds several parameters: name one")
    elif a.parameter is not None and spec.parameter(a.parameter) is None:
        yield Problem((*path, "parameter"), f"dataset {a.dataset} has no parameter "
                      f"'{a.parameter}' (it has: {', '.join(q.code for q in spec.parameters)})")
    known = variables_of(p, a.dataset)
    named: list[tuple[Loc, str | None]] = [
        (("variable",), a.variable), (("grouping",), a.grouping),
        *((("covariates", i), c) for i, c in enumerate(a.covariates)),
        *((("factors", i), f) for i, f in enumerate(a.factors)),
        *((("data_subset",), v) for v in (a.data_subset.variables() if a.data_subset else ()))]
    for where, name in named:
        if name is not None and name not in known:
            yield Problem((*path, *where), f"'{name}' is not a variable of "
                          f"{a.dataset} (it has: {', '.join(sorted(known))})")
    groups = {arm.id for arm in p.design.arms} | {
        s.id for part in p.design.parts for s in part.sequences}
    if a.reference is not None and a.reference not in groups:
        yield Problem((*path, "reference"), f"unknown arm or sequence '{a.reference}' "
                      f"(expected one of: {', '.join(sorted(groups))})")
    if method is not None:
        yield from _options(method, option_names(method), a.options, path)


def _options(method: Any, allowed: tuple[str, ...], options: dict[str, Any],
             path: Loc) -> Iterator[Problem]:
    from trialkit.core.analysis.registry_kinds import COERCERS
    from trialkit.core.analysis.table import AnalysisInputError

    specs = {p.name: p for p in method.parameters}
    for name, value in options.items():
        if name not in allowed:
            yield Problem((*path, "options", name), f"'{name}' is not an option of "
                          f"{method.name} (its options: {', '.join(allowed) or 'none'})")
            continue
        try:
            COERCERS[specs[name].kind](f"{method.name}.{name}", specs[name], value, None)
        except AnalysisInputError as exc:
            yield Problem((*path, "options", name), str(exc))
