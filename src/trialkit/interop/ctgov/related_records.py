"""What a registry record says about its conditions and interventions, for ``related``.

Each condition or intervention is a concept with one or more names (an intervention's other
names: a code and a generic name are the same treatment) and, where the registry indexed the
record, MeSH terms for the whole list. A classic XML record keeps its MeSH terms in
``condition_browse`` / ``intervention_browse``, which the XML importer does not carry into
the API v2 shape; ``xml_mesh`` reads them into a ``derivedSection`` of the same shape.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.interop.ctgov._record import Record
from trialkit.interop.ctgov.related_text import name_words

COMPARATOR_ARM_TYPES = frozenset({"PLACEBO_COMPARATOR", "SHAM_COMPARATOR"})
_BROWSE = (("conditionBrowseModule", "condition_browse"),
           ("interventionBrowseModule", "intervention_browse"))

Names = tuple[tuple[str, ...], ...]
"""A concept's names, each as its normalised words."""


@dataclass(frozen=True)
class Concepts:
    labels: tuple[str, ...]
    """The conditions or interventions as the record writes them."""
    names: tuple[Names, ...]
    """Per concept, its names' words (``related_text.name_words``)."""
    mesh: tuple[str, ...] = ()
    """MeSH terms, then their ancestors, each once; empty when the record is not indexed."""


def study_concepts(record: Record) -> tuple[Concepts, Concepts]:
    """The record's conditions and its (non-comparator) interventions."""
    derived = record.study.get("derivedSection")
    derived = derived if isinstance(derived, Mapping) else {}
    conditions = [c for c in record.items("conditionsModule.conditions")
                  if isinstance(c, str) and c.strip()]
    condition_names = tuple((name_words(c),) for c in conditions)
    interventions = _treatments(record)
    return (
        _concepts(conditions, condition_names, derived.get("conditionBrowseModule")),
        _concepts([i["name"] for i in interventions],
                  tuple(tuple(name_words(n) for n in _names(i)) for i in interventions),
                  derived.get("interventionBrowseModule")))


def _concepts(labels: list[str], names: tuple[Names, ...], browse: Any) -> Concepts:
    keep = [(label, n) for label, n in zip(labels, names, strict=True) if any(n)]
    return Concepts(tuple(label for label, _ in keep), tuple(n for _, n in keep), _mesh(browse))


def _mesh(browse: Any) -> tuple[str, ...]:
    if not isinstance(browse, Mapping):
        return ()
    terms = [entry.get("term") for key in ("meshes", "ancestors")
             for entry in browse.get(key) or () if isinstance(entry, Mapping)]
    return tuple(dict.fromkeys(t.strip() for t in terms if isinstance(t, str) and t.strip()))


def _treatments(record: Record) -> list[Mapping[str, Any]]:
    """Interventions with a name, less those given only in placebo or sham comparator arms."""
    comparators = {arm.get("label") for arm in record.items("armsInterventionsModule.armGroups")
                   if isinstance(arm, Mapping) and arm.get("type") in COMPARATOR_ARM_TYPES}
    found = []
    for item in record.items("armsInterventionsModule.interventions"):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        arms = set(item.get("armGroupLabels") or ())
        if arms and arms <= comparators:
            continue
        found.append(item)
    return found


def _names(item: Mapping[str, Any]) -> list[str]:
    others = [n for n in item.get("otherNames") or () if isinstance(n, str)]
    return [item["name"], *others]


def xml_mesh(text: str) -> dict[str, Any]:
    """A classic XML record's MeSH terms as an API v2 ``derivedSection`` (no ancestors: the
    classic format does not list them). ``text`` has already been read as a record."""
    root = ET.fromstring(text)
    derived: dict[str, Any] = {}
    for module, element in _BROWSE:
        terms = [t.text.strip() for t in root.findall(f"{element}/mesh_term")
                 if t.text and t.text.strip()]
        if terms:
            derived[module] = {"meshes": [{"term": t} for t in terms]}
    return derived
