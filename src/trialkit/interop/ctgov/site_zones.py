"""A registry location's time zone, from its country where the country keeps one zone.

A registry record says where a site is (city, country), never its time zone. Most countries
that run trials keep a single zone (Taiwan, Korea, Italy), and IANA's ``zone1970.tab`` says
which; a country with several (the United States) is left for the protocol's authors.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# ClinicalTrials.gov spells some countries as ISO 3166 does, IANA's table more plainly.
_REGISTRY_SPELLINGS = {
    "korea, republic of": "korea (south)",
    "korea, democratic people's republic of": "korea (north)",
    "iran, islamic republic of": "iran",
    "russian federation": "russia",
    "taiwan, province of china": "taiwan",
    "viet nam": "vietnam",
    "czechia": "czech republic",
    "türkiye": "turkey",
}


def _table(name: str) -> list[list[str]]:
    text = (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    codes = {row[1].strip().lower(): row[0] for row in _table("iso3166.tab")}
    zones: dict[str, list[str]] = {}
    for row in _table("zone1970.tab"):
        for code in row[0].split(","):
            zones.setdefault(code, []).append(row[2])
    return {name: tuple(zones.get(code, ())) for name, code in codes.items()}


def zone_of_country(country: str) -> str | None:
    """The IANA zone of ``country`` (a registry's spelling) when it keeps exactly one."""
    name = country.strip().lower()
    zones = _zones_by_country().get(_REGISTRY_SPELLINGS.get(name, name), ())
    return zones[0] if len(zones) == 1 else None
