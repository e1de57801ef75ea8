"""The trial database as neutral rows for standards exchange (ODM, SDTM, FHIR, REDCap).

``TrialRows`` (``trialkit.core.adam``) is what the analysis reads: the latest form data as of a
date. Exchange needs more: every saved version of every form with who saved it, when and why
(ODM's AuditRecords), the signatures on those versions, the visit calendar, the screening
evaluation, the times of doses and the randomization. ``ExchangeRows`` carries both, so a
writer in ``trialkit.interop`` never reads the database and a test can build its input by hand.

Blinding follows ``TrialRows``: ``trial.allocations`` is ``None`` for a reader who may not see
arms, and every writer must then write no arm, no treatment name that differs by arm and no
procedure that tells a sham from a real one. ``trialkit.web.trial.exchange_source`` fills these
rows for an actor; nothing else reads the database for an export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.core.adam.rows import TrialRows


@dataclass(frozen=True)
class SiteRow:
    code: str
    name: str
    country: str


@dataclass(frozen=True)
class VisitRow:
    """A participant's scheduled visit (the protocol's visit id) and what became of it."""

    participant: int
    visit: str
    target_date: dt.date | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None
    done_on: dt.date | None = None
    missed: bool = False
    missed_reason: str = ""


@dataclass(frozen=True)
class VersionRow:
    """One saved version of one form record: data, who, when, why (versions are append-only)."""

    participant: int
    form: str
    visit: str
    repeat: int
    number: int
    data: Mapping[str, Any]
    saved_by: str
    saved_role: str
    saved_at: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class SignatureRow:
    """An e-signature, bound to one version of one form record."""

    participant: int
    form: str
    visit: str
    repeat: int
    version: int
    signer: str
    printed_name: str
    signer_role: str
    meaning: str
    signed_at: dt.datetime


@dataclass(frozen=True)
class DoseRow:
    """A protocol administration given: when and by whom (never the kit, which is blinded)."""

    participant: int
    administration: str
    given_at: dt.datetime
    recorded_by: str = ""
    against_gate: bool = False


@dataclass(frozen=True)
class RandomizationRow:
    """That (and when) a participant was randomized; the arm is in ``trial.allocations``."""

    participant: int
    part: str
    randomized_at: dt.datetime
    number: str = ""
    """The randomization number (not the kit code): blinded-safe, it does not encode the arm."""


@dataclass(frozen=True)
class ScreeningRow:
    """The stored eligibility evaluation of one participant (PATIENT-RECORD.md's result)."""

    participant: int
    verdict: str
    criteria: Mapping[str, str]
    """Criterion id → status (met, not_met, unknown) after the investigator's judgements."""
    evaluated_on: dt.date | None = None


@dataclass(frozen=True)
class ExchangeRows:
    trial: TrialRows
    sites: tuple[SiteRow, ...] = ()
    visits: tuple[VisitRow, ...] = ()
    versions: tuple[VersionRow, ...] = ()
    signatures: tuple[SignatureRow, ...] = ()
    doses: tuple[DoseRow, ...] = ()
    randomizations: tuple[RandomizationRow, ...] = ()
    screenings: tuple[ScreeningRow, ...] = ()
    protocol_version: str = ""
    """The content hash of the protocol version the rows were read under."""

    @property
    def blinded(self) -> bool:
        return self.trial.blinded

    @property
    def as_of(self) -> dt.date:
        return self.trial.as_of

    def digest(self) -> str:
        """SHA-256 of the rows as canonical JSON: the hash of the input every export carries."""
        data = {"trial": self.trial.digest(), "protocol_version": self.protocol_version,
                **{name: [_values(row) for row in getattr(self, name)]
                   for name in ("sites", "visits", "versions", "signatures", "doses",
                                "randomizations", "screenings")}}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_plain,
                          ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _values(row: object) -> list[Any]:
    return [dict(v) if isinstance(v, Mapping) else v for v in vars(row).values()]


def _plain(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON data: {value!r}")
