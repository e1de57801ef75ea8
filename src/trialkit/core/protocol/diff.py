"""Semantic differences between two protocol versions, for reviewing an amendment.

Lists whose elements carry an ``id`` are matched by id, so reordering visits or inserting a
criterion shows as what it is rather than as a cascade of positional changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trialkit.core.protocol.canonical import canonical_data
from trialkit.core.protocol.model import Protocol

ChangeKind = Literal["added", "removed", "changed", "moved"]

# How a reviewer groups an amendment: top-level protocol keys → heading.
SECTIONS: dict[str, str] = {
    "identity": "identity", "status": "status", "design": "design", "gates": "design",
    "randomization": "design", "schedule": "schedule", "forms": "forms", "codelists": "forms",
    "eligibility": "criteria", "value_sets": "criteria", "endpoints": "endpoints",
    "roles": "roles", "interpretations": "interpretations", "format": "format",
}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    path: str
    old: Any = None
    new: Any = None

    @property
    def section(self) -> str:
        head = self.path.split(".", 1)[0].split("[", 1)[0]
        return SECTIONS.get(head, head)

    def describe(self) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {_brief(self.new)}"
        if self.kind == "removed":
            return f"- {self.path}: {_brief(self.old)}"
        if self.kind == "moved":
            return f"~ {self.path}: moved from position {self.old} to {self.new}"
        return f"~ {self.path}: {_brief(self.old)} → {_brief(self.new)}"


def diff_protocols(old: Protocol, new: Protocol) -> list[Change]:
    changes: list[Change] = []
    _diff(canonical_data(old), canonical_data(new), "", changes)
    return changes


def _diff(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            child = f"{path}.{key}" if path else key
            if key not in new:
                out.append(Change("removed", child, old=old[key]))
            elif key not in old:
                out.append(Change("added", child, new=new[key]))
            else:
                _diff(old[key], new[key], child, out)
    elif isinstance(old, list) and isinstance(new, list) and _keyed(old) and _keyed(new):
        _diff_keyed(old, new, path, out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and any(
            isinstance(item, dict) for item in old):
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            _diff(old_item, new_item, f"{path}[{index}]", out)
    elif old != new:
        out.append(Change("changed", path, old=old, new=new))


def _keyed(items: list[Any]) -> bool:
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    return len(ids) == len(items) and None not in ids and len(set(ids)) == len(ids)


def _diff_keyed(old: list[dict[str, Any]], new: list[dict[str, Any]], path: str,
                out: list[Change]) -> None:
    old_by_id = {item["id"]: (i, item) for i, item in enumerate(old)}
    new_by_id = {item["id"]: (i, item) for i, item in enumerate(new)}
    for key, (_index, item) in old_by_id.items():
        if key not in new_by_id:
            out.append(Change("removed", f"{path}[{key}]", old=item))
    for key, (index, item) in new_by_id.items():
        child = f"{path}[{key}]"
        if key not in old_by_id:
            out.append(Change("added", child, new=item))
            continue
        old_index, old_item = old_by_id[key]
        _diff(old_item, item, child, out)
        # Order carries meaning for criteria and visits; report it, relative to common elements.
        if _rank(old, key, new_by_id) != _rank(new, key, old_by_id):
            out.append(Change("moved", child, old=old_index + 1, new=index + 1))


def _rank(items: list[dict[str, Any]], key: str, other: dict[str, Any]) -> int:
    common = [item["id"] for item in items if item["id"] in other]
    return common.index(key)


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        label = value.get("id") or value.get("name")
        return f"{{{label}}}" if label else "{…}"
    text = repr(value) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "…"
