"""The vendored CDISC controlled terminology (``ct/sdtm-ct.json``, see ``ct/README.md``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

CT_FILE = Path(__file__).parent / "ct" / "sdtm-ct.json"


@dataclass(frozen=True)
class Codelist:
    code: str
    """The codelist's NCI code (C66731)."""
    short: str
    """Its CDISC submission short name (SEX), empty when not recorded."""
    name: str
    extensible: bool | None
    """None: not recorded in the sources; treated as extensible."""
    terms: MappingProxyType[str, str | None]
    """Submission value → the term's NCI C-code (None: not found with a code)."""

    def __contains__(self, value: object) -> bool:
        return value in self.terms


@dataclass(frozen=True)
class Terminology:
    package: str
    """"SDTM CT 2020-12-18"."""
    version: str
    codelists: MappingProxyType[str, Codelist]

    def get(self, code: str) -> Codelist | None:
        return self.codelists.get(code)


def _codelist(code: str, data: dict[str, Any]) -> Codelist:
    return Codelist(code, data.get("short", ""), data["name"], data.get("extensible"),
                    MappingProxyType(dict(data["terms"])))


@cache
def terminology(path: Path = CT_FILE) -> Terminology:
    data = json.loads(path.read_text(encoding="utf-8"))
    codelists = {code: _codelist(code, entry) for code, entry in data["codelists"].items()}
    return Terminology(data["package"], data["version"], MappingProxyType(codelists))
