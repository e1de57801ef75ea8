"""Reading an API v2 record safely, and noting every choice the importer makes for it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trialkit.interop.ctgov.errors import RecordError

REVIEW = "Defaulted on import because the registry record does not give it; review before use."


class Record:
    """The ``protocolSection`` of one study, read by dotted path."""

    def __init__(self, study: Mapping[str, Any]) -> None:
        section = study.get("protocolSection")
        if not isinstance(section, Mapping):
            raise RecordError("not a study record: there is no 'protocolSection' object")
        self.study = study
        self.section = section

    def get(self, path: str) -> Any:
        node: Any = self.section
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    def text(self, path: str) -> str | None:
        value = self.get(path)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def items(self, path: str) -> list[Any]:
        value = self.get(path)
        return list(value) if isinstance(value, list) else []

    def missing(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` that are absent or empty, spelled from the record's root."""
        return [f"protocolSection.{p}" for p in paths if self.get(p) in (None, "", [], {})]


@dataclass
class Notes:
    """The interpretations the importer adds: one per default or reading it had to make."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def assume(self, ident: str, statement: str, governs: list[str],
               rationale: str = REVIEW) -> None:
        self._add(ident, "assumption", statement, rationale, governs)

    def read(self, ident: str, statement: str, rationale: str, governs: list[str]) -> None:
        self._add(ident, "reading", statement, rationale, governs)

    def _add(self, ident: str, kind: str, statement: str, rationale: str,
             governs: list[str]) -> None:
        entry: dict[str, Any] = {"id": ident, "kind": kind, "statement": statement,
                                 "rationale": rationale}
        if governs:
            entry["governs"] = governs
        self.items.append(entry)


def slug(text: str, *, prefix: str, taken: set[str], limit: int = 40) -> str:
    """A readable, unique identifier for the protocol file: "Group A" -> ``group-a``."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(base) > limit:
        base = base[:limit].rsplit("-", 1)[0] or base[:limit]
    if not base or not base[0].isalpha():
        base = f"{prefix}-{base}".rstrip("-")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def partial_date(value: str, where: str) -> tuple[dt.date, bool]:
    """An API v2 partial date (``2029``, ``2029-10``, ``2029-10-31``) and whether it was full."""
    match = _PARTIAL.match(value.strip())
    if match is None:
        raise RecordError(f"{where}: '{value}' is not a date (yyyy, yyyy-MM or yyyy-MM-dd)")
    year, month, day = match.groups()
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise RecordError(f"{where}: '{value}' is not a calendar date") from None
    return date, day is not None
