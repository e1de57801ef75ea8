"""What every SDTM domain shares: the domain table, subject ids, ISO 8601 dates, study days,
visit numbers and sequence numbers.

A domain is derived from the protocol and the neutral rows (``trialkit.core.exchange``) only, so
its derivation is pure and testable without a database. Each module of ``trialkit.core.sdtm``
declares ``BUILDERS``: functions of a :class:`Context` returning domains; ``derive_domains``
(``__init__``) runs them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol

Kind = Literal["text", "integer", "float", "date", "datetime"]
DomainClass = Literal["Special-Purpose", "Trial Design", "Interventions", "Events",
                      "Findings", "Findings About", "Relationship"]


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: Kind = "text"
    role: str = ""
    """Identifier, Topic, Timing, Grouping Qualifier, Result Qualifier, … (SDTMIG)."""
    codelist: str = ""
    """NCI code of the CDISC codelist the values are drawn from (C66731 for SEX), if any."""
    origin: str = "Derived"
    """Define-XML origin: Collected, Derived, Assigned, Protocol, Predecessor."""


@dataclass(frozen=True)
class Domain:
    name: str
    """DM, SUPPDM, AE, … (SUPP-- and RELREC included)."""
    label: str
    domain_class: DomainClass
    variables: tuple[Variable, ...]
    rows: tuple[Mapping[str, Any], ...]
    """Values by variable name; a missing key or None is a null; dates are ISO 8601 text."""
    keys: tuple[str, ...] = ("STUDYID", "USUBJID")
    """The dataset's natural key (Define-XML KeySequence), in order."""

    def column(self, name: str) -> list[Any]:
        return [row.get(name) for row in self.rows]


@dataclass(frozen=True)
class Context:
    protocol: Protocol
    rows: ExchangeRows
    study_id: str = field(default="")

    @property
    def studyid(self) -> str:
        return self.study_id or self.protocol.identity.id

    @cached_property
    def screening_numbers(self) -> dict[int, str]:
        return {p.key: p.screening_number for p in self.rows.trial.participants}

    @cached_property
    def sites(self) -> dict[int, str]:
        return {p.key: p.site for p in self.rows.trial.participants}

    def usubjid(self, participant: int) -> str:
        """STUDYID-SUBJID, exactly as ADaM's USUBJID (one subject, one id in every dataset). A
        screening number is unique within the study and already names its site."""
        return f"{self.studyid}-{self.screening_numbers[participant]}"

    @cached_property
    def reference_starts(self) -> dict[int, dt.date]:
        """RFSTDTC per participant: the date of the first protocol administration."""
        first: dict[int, dt.date] = {}
        given = [(d.participant, d.given_at.astimezone(dt.UTC).date()) for d in self.rows.doses]
        # The analysis rows carry the same administrations by day; a reader (or a test) may
        # fill only one of the two, and DM's RFSTDTC must be the day --DY counts from.
        given += [(a.participant, a.given_on) for a in self.rows.trial.administrations]
        for participant, day in given:
            if participant not in first or day < first[participant]:
                first[participant] = day
        return first

    def study_day(self, participant: int, day: dt.date | None) -> int | None:
        """--DY: day 1 is RFSTDTC, the day before it is -1 (there is no day 0)."""
        start = self.reference_starts.get(participant)
        if day is None or start is None:
            return None
        delta = (day - start).days
        return delta + 1 if delta >= 0 else delta

    def visit_number(self, visit: str) -> float | None:
        """VISITNUM: the visit's position in the protocol's schedule (1, 2, …); None if unknown."""
        for number, planned in enumerate(self.protocol.schedule.visits, start=1):
            if planned.id == visit:
                return float(number)
        return None

    def visit_name(self, visit: str) -> str:
        for planned in self.protocol.schedule.visits:
            if planned.id == visit:
                return planned.name.upper()
        return visit.upper()


def iso_date(value: dt.date | dt.datetime | None) -> str:
    """ISO 8601 text for --DTC; a datetime in UTC to the minute, a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def with_sequence(rows: Sequence[dict[str, Any]], prefix: str,
                  order: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """The rows sorted by USUBJID then ``order``, each given ``<prefix>SEQ`` 1, 2, … per subject."""
    ordered = sorted(rows, key=lambda r: (r["USUBJID"], *(_sortable(r.get(k)) for k in order)))
    counts: dict[str, int] = {}
    for row in ordered:
        counts[row["USUBJID"]] = counts.get(row["USUBJID"], 0) + 1
        row[f"{prefix}SEQ"] = counts[row["USUBJID"]]
    return tuple(ordered)


def _sortable(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (1, "")
    return (0, value if isinstance(value, int | float) else str(value))
