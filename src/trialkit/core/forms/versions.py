"""Comparing two saved versions of a form."""

from __future__ import annotations

from collections.abc import Mapping


def item_changes(before: Mapping[str, object],
                 after: Mapping[str, object]) -> dict[str, tuple[object, object]]:
    """Item id → (old, new) for every item whose value differs between two versions."""
    return {key: (before.get(key), after.get(key))
            for key in sorted({*before, *after}) if before.get(key) != after.get(key)}
