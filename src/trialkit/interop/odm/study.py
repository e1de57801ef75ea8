"""What an imported ODM study holds: protocol-shaped forms, codelists and visits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Study:
    forms: list[dict[str, Any]]
    """Protocol forms without ``kind`` and ``entered_by`` (ODM does not say them)."""
    codelists: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    """What was assumed or left out, for the reviewer of the skeleton."""
