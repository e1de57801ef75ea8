"""The trial database as neutral rows: what the ADaM derivation reads, without Django.

``trialkit.web.analysis_source`` fills these from the database as of a date; tests build them
by hand. Allocation is a blinded fact: ``allocations`` is ``None`` unless the rows were read
for an actor who may see arms (or after the study lock), and the derivation then pools every
participant into one group. ``digest`` is the SHA-256 of the rows' canonical JSON: the
"hash of the input data" every output carries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class ParticipantRow:
    key: int
    screening_number: str
    site: str
    status: str
    """screening, screen_failed, consented, enrolled, completed, withdrawn, lost_to_follow_up,
    died (as of the rows' date)."""
    part: str = ""
    consent_date: dt.date | None = None
    enrolled_on: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""


@dataclass(frozen=True)
class AdministrationRow:
    participant: int
    administration: str
    given_on: dt.date
    against_gate: bool = False


@dataclass(frozen=True)
class FormRow:
    participant: int
    form: str
    visit: str
    repeat: int
    data: Mapping[str, Any]
    """The latest version saved by the rows' date."""


@dataclass(frozen=True)
class CodedTermRow:
    """How one form record's verbatim term stands coded to the medical dictionary: the
    lowest level term chosen and the PT's primary path. Only a coding of the term the record
    holds is a row (a coding made stale by a changed term is left out: the event is uncoded)."""

    participant: int
    form: str
    visit: str
    repeat: int
    dictionary: str
    """The dictionary version, e.g. ``MedDRA 27.0``."""
    llt_code: str
    llt_name: str
    pt_code: str
    pt_name: str
    hlt_code: str
    hlt_name: str
    hlgt_code: str
    hlgt_name: str
    soc_code: str
    soc_name: str


@dataclass(frozen=True)
class Allocation:
    arm: str = ""
    """A parallel participant's arm."""
    sequence: str = ""
    """A crossover participant's sequence (their arm follows the period)."""


@dataclass(frozen=True)
class TrialRows:
    study_id: str
    as_of: dt.date
    participants: tuple[ParticipantRow, ...]
    administrations: tuple[AdministrationRow, ...] = ()
    forms: tuple[FormRow, ...] = ()
    period_starts: Mapping[int, Mapping[str, dt.date]] = field(default_factory=dict)
    """Participant → period → the day they entered it (not blinded)."""
    allocations: Mapping[int, Allocation] | None = None
    """Participant → allocation; None when the reader may not see arms (a pooled view)."""
    codings: tuple[CodedTermRow, ...] = ()
    """The dictionary coding of the records whose term is coded (adverse events)."""

    def coding_of(self, row: FormRow) -> CodedTermRow | None:
        """The coding standing for a form record, if its term is coded."""
        return self._codings.get((row.participant, row.form, row.visit, row.repeat))

    @cached_property
    def _codings(self) -> dict[tuple[int, str, str, int], CodedTermRow]:
        return {(c.participant, c.form, c.visit, c.repeat): c for c in self.codings}

    @property
    def blinded(self) -> bool:
        return self.allocations is None

    def digest(self) -> str:
        """SHA-256 of the rows as canonical JSON (sorted keys, ISO dates)."""
        data = {"study_id": self.study_id, "as_of": self.as_of,
                "participants": [list(vars(p).values()) for p in self.participants],
                "administrations": [list(vars(a).values()) for a in self.administrations],
                "forms": [list(vars(f).values()) for f in self.forms],
                "period_starts": {str(k): v for k, v in self.period_starts.items()},
                "allocations": None if self.allocations is None else {
                    str(k): list(vars(a).values()) for k, a in self.allocations.items()}}
        if self.codings:  # absent when nothing is coded: earlier digests stay as they were
            data["codings"] = [list(vars(c).values()) for c in self.codings]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_plain,
                          ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON data: {value!r}")
