"""A medical dictionary in MedDRA's ASCII distribution layout, read into immutable rows.

The sponsor licenses the dictionary and loads its release; trialkit ships none of it. A release
is a folder of ``$``-separated files, one record a line, each record ending in ``$``:

- ``soc.asc``, ``hlgt.asc``, ``hlt.asc``, ``pt.asc``, ``llt.asc``: the terms of each level;
- ``soc_hlgt.asc``, ``hlgt_hlt.asc``, ``hlt_pt.asc``: the links between levels;
- ``mdhier.asc``: every path from a preferred term up to a system organ class, with the flag
  marking the one path through the PT's primary SOC (a PT may sit under several SOCs; counting
  it once, under its primary SOC, is what the safety tables need);
- ``meddra_release.asc`` (optional): the release's version in its first field.

Only the columns trialkit uses are read; the rest (legacy WHO-ART, HARTS, COSTART, ICD codes)
are allowed but ignored. A malformed line is refused naming its file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

VERSION_FILE = "meddra_release.asc"


class DictionaryError(ValueError):
    """A dictionary folder that cannot be read: the message names the file and the line."""


@dataclass(frozen=True)
class Term:
    """A term of the SOC, HLGT or HLT level."""

    code: str
    name: str


@dataclass(frozen=True)
class Soc(Term):
    abbrev: str


@dataclass(frozen=True)
class PreferredTerm(Term):
    primary_soc: str
    """The code of the SOC the PT is counted under."""


@dataclass(frozen=True)
class LowestLevelTerm(Term):
    pt: str
    current: bool
    """A non-current LLT is kept for old codings but never offered for new ones."""


@dataclass(frozen=True)
class Coding:
    """Where one LLT sits: its PT and the PT's primary path up to its SOC."""

    llt: LowestLevelTerm
    pt: PreferredTerm
    hlt: Term
    hlgt: Term
    soc: Soc


@dataclass(frozen=True)
class _Path:
    hlt: str
    hlgt: str
    soc: str


@dataclass(frozen=True)
class Dictionary:
    version: str
    socs: Mapping[str, Soc]
    hlgts: Mapping[str, Term]
    hlts: Mapping[str, Term]
    pts: Mapping[str, PreferredTerm]
    llts: Mapping[str, LowestLevelTerm]
    primary_paths: Mapping[str, _Path]
    """PT code → its path through its primary SOC."""

    def coding(self, llt_code: str) -> Coding:
        """The full coding of an LLT; ``KeyError`` naming the code when it is not in here."""
        llt = self.llts.get(llt_code)
        if llt is None:
            raise KeyError(f"no lowest level term {llt_code} in dictionary {self.version}")
        path = self.primary_paths[llt.pt]
        return Coding(llt, self.pts[llt.pt], self.hlts[path.hlt], self.hlgts[path.hlgt],
                      self.socs[path.soc])


def _records(folder: Path, name: str, fields: int) -> list[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank record; at least ``fields`` fields each."""
    path = folder / name
    if not path.is_file():
        raise DictionaryError(f"{name}: missing from {folder}")
    rows = []
    text = path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not line.endswith("$"):
            raise DictionaryError(f"{name} line {number}: a record ends with '$'")
        values = [v.strip() for v in line[:-1].split("$")]
        if len(values) < fields:
            raise DictionaryError(f"{name} line {number}: {len(values)} fields, "
                                  f"expected at least {fields}")
        rows.append((number, values))
    return rows


def _code(name: str, number: int, value: str, what: str) -> str:
    if not value.isdigit():
        raise DictionaryError(f"{name} line {number}: {what} '{value}' is not a numeric code")
    return value


def _terms(folder: Path, name: str, fields: int) -> dict[str, tuple[int, list[str]]]:
    out: dict[str, tuple[int, list[str]]] = {}
    for number, values in _records(folder, name, fields):
        code = _code(name, number, values[0], "code")
        if code in out:
            raise DictionaryError(f"{name} line {number}: code {code} repeated "
                                  f"(first on line {out[code][0]})")
        if not values[1]:
            raise DictionaryError(f"{name} line {number}: the term {code} has no name")
        out[code] = (number, values)
    return out


def _known(name: str, number: int, code: str, within: Mapping[str, object], what: str) -> str:
    if code not in within:
        raise DictionaryError(f"{name} line {number}: {what} {code} is not defined")
    return code


def _links(folder: Path, name: str) -> set[tuple[str, str]]:
    return {(_code(name, n, v[0], "code"), _code(name, n, v[1], "code"))
            for n, v in _records(folder, name, 2)}


def _version(folder: Path, given: str | None) -> str:
    if given:
        return given
    if (folder / VERSION_FILE).is_file():
        records = _records(folder, VERSION_FILE, 1)
        if records and records[0][1][0]:
            return records[0][1][0]
    raise DictionaryError(f"{VERSION_FILE}: no version in {folder}; give the version")


def read_dictionary(folder: Path, version: str | None = None) -> Dictionary:
    """Read a release folder; ``version`` overrides the release file's (needed without one)."""
    socs = {c: Soc(c, v[1], v[2]) for c, (_, v) in _terms(folder, "soc.asc", 3).items()}
    hlgts = {c: Term(c, v[1]) for c, (_, v) in _terms(folder, "hlgt.asc", 2).items()}
    hlts = {c: Term(c, v[1]) for c, (_, v) in _terms(folder, "hlt.asc", 2).items()}
    pts = {c: PreferredTerm(c, v[1], _known("pt.asc", n, v[3], socs, "SOC"))
           for c, (n, v) in _terms(folder, "pt.asc", 4).items()}
    llts = {c: LowestLevelTerm(c, v[1], _known("llt.asc", n, v[2], pts, "PT"),
                               _currency(n, v[9]))
            for c, (n, v) in _terms(folder, "llt.asc", 10).items()}
    paths = _primary_paths(folder, pts, hlts, hlgts, socs)
    return Dictionary(_version(folder, version), MappingProxyType(socs),
                      MappingProxyType(hlgts), MappingProxyType(hlts), MappingProxyType(pts),
                      MappingProxyType(llts), MappingProxyType(paths))


def _currency(number: int, flag: str) -> bool:
    if flag not in ("Y", "N"):
        raise DictionaryError(f"llt.asc line {number}: llt_currency is '{flag}', not Y or N")
    return flag == "Y"


def _primary_paths(folder: Path, pts: Mapping[str, PreferredTerm], hlts: Mapping[str, Term],
                   hlgts: Mapping[str, Term], socs: Mapping[str, Soc]) -> dict[str, _Path]:
    links = (_links(folder, "hlt_pt.asc"), _links(folder, "hlgt_hlt.asc"),
             _links(folder, "soc_hlgt.asc"))
    paths: dict[str, _Path] = {}
    name = "mdhier.asc"
    for number, v in _records(folder, name, 12):
        pt, hlt, hlgt, soc = (_known(name, number, v[0], pts, "PT"),
                              _known(name, number, v[1], hlts, "HLT"),
                              _known(name, number, v[2], hlgts, "HLGT"),
                              _known(name, number, v[3], socs, "SOC"))
        if (hlt, pt) not in links[0] or (hlgt, hlt) not in links[1] or (
                soc, hlgt) not in links[2]:
            raise DictionaryError(f"{name} line {number}: the path {soc}/{hlgt}/{hlt}/{pt} "
                                  "is not in soc_hlgt.asc, hlgt_hlt.asc and hlt_pt.asc")
        if v[11] not in ("Y", "N"):
            raise DictionaryError(f"{name} line {number}: primary_soc_fg is '{v[11]}', "
                                  "not Y or N")
        if v[11] == "Y":
            if pt in paths:
                raise DictionaryError(f"{name} line {number}: PT {pt} has a second "
                                      "primary path")
            if soc != pts[pt].primary_soc:
                raise DictionaryError(f"{name} line {number}: the primary path of PT {pt} "
                                      f"ends in SOC {soc}, pt.asc says {pts[pt].primary_soc}")
            paths[pt] = _Path(hlt, hlgt, soc)
    missing = sorted(set(pts) - set(paths))
    if missing:
        raise DictionaryError(f"{name}: no primary path for PT {', '.join(missing[:5])}")
    return paths
