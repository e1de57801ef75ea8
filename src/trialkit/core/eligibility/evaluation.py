"""A participant's stored eligibility evaluation, as a typed record.

The engine's result on the screening forms (``screen(...).to_json()``), for one protocol version
and planned Day 0, plus an investigator's judgements of the criteria the forms left
``unknown``. The verdict, the failing and the undecided criteria are computed here and nowhere
else: a judgement counts only for a criterion the engine still leaves unknown, and never
overrides a status the engine decided.

The JSON form (``to_json``) is what the database stores and the API returns; ``from_json``
reads it back. Its shape is stable: evaluations stored before this type existed read as they
were written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.compile import CriterionResult, verdict
from trialkit.core.eligibility.outcome import Outcome
from trialkit.core.wording import plain

JudgedStatus = Literal["met", "not_met"]


@dataclass(frozen=True)
class Judgement:
    """An investigator's reasoned decision on one criterion the forms could not decide."""

    status: JudgedStatus
    by: str
    on: dt.date
    rationale: str

    def to_json(self) -> dict[str, str]:
        return {"status": self.status, "by": self.by, "on": self.on.isoformat(),
                "rationale": self.rationale}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Judgement:
        status = data["status"]
        if status not in ("met", "not_met"):
            raise ValueError(f"a judgement is 'met' or 'not_met', not {status!r}")
        return cls(status=status, by=str(data.get("by", "")),
                   on=dt.date.fromisoformat(str(data["on"])),
                   rationale=str(data.get("rationale", "")))


@dataclass(frozen=True)
class Evaluation:
    protocol_version: str
    index_date: dt.date
    evaluated_on: dt.date
    evaluated_by: str
    result: Mapping[str, Any]
    """The engine's screening result (``ScreeningResult.to_json()``)."""
    judgements: Mapping[str, Judgement]
    """Only judgements of criteria the engine leaves unknown (see ``make``)."""
    verdict: str
    failing: tuple[str, ...]
    undecided: tuple[str, ...]

    @classmethod
    def make(cls, *, protocol_version: str, index_date: dt.date, evaluated_on: dt.date,
             evaluated_by: str, result: Mapping[str, Any],
             judgements: Mapping[str, Judgement]) -> Evaluation:
        kept = judgements_still_needed(judgements, result)
        final, failing, undecided = combine(result, kept)
        return cls(protocol_version=protocol_version, index_date=index_date,
                   evaluated_on=evaluated_on, evaluated_by=evaluated_by, result=result,
                   judgements=kept, verdict=final, failing=failing, undecided=undecided)

    def judged(self, more: Mapping[str, Judgement]) -> Evaluation:
        """The same evaluation with more judgements (a later one of a criterion replaces it)."""
        return Evaluation.make(protocol_version=self.protocol_version,
                               index_date=self.index_date, evaluated_on=self.evaluated_on,
                               evaluated_by=self.evaluated_by, result=self.result,
                               judgements={**self.judgements, **more})

    def engine_statuses(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.result["criteria"]}

    def summary(self) -> dict[str, Any]:
        """What the audit trail keeps of an evaluation."""
        return {"verdict": self.verdict, "failing": list(self.failing),
                "undecided": list(self.undecided), "index_date": self.index_date.isoformat()}

    def to_json(self) -> dict[str, Any]:
        return {"protocol_version": self.protocol_version,
                "index_date": self.index_date.isoformat(),
                "evaluated_on": self.evaluated_on.isoformat(),
                "evaluated_by": self.evaluated_by, "result": dict(self.result),
                "judgements": {cid: j.to_json() for cid, j in self.judgements.items()},
                "verdict": self.verdict, "failing": list(self.failing),
                "undecided": list(self.undecided)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        """Read a stored evaluation; the verdict is recomputed, not trusted from storage."""
        return cls.make(
            protocol_version=str(data.get("protocol_version", "")),
            index_date=dt.date.fromisoformat(str(data["index_date"])),
            evaluated_on=dt.date.fromisoformat(str(data["evaluated_on"])),
            evaluated_by=str(data.get("evaluated_by", "")), result=data["result"],
            judgements={cid: Judgement.from_json(j)
                        for cid, j in (data.get("judgements") or {}).items()})


def judgements_still_needed(judgements: Mapping[str, Judgement],
                            result: Mapping[str, Any]) -> dict[str, Judgement]:
    """The judgements of criteria this result leaves unknown (others no longer apply)."""
    unknown = {c["id"] for c in result["criteria"] if c["status"] == n.UNKNOWN}
    return {cid: j for cid, j in judgements.items() if cid in unknown}


def combine(result: Mapping[str, Any], judgements: Mapping[str, Judgement]
            ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(verdict, failing, undecided) of a result with judgements of its unknown criteria."""
    results = [CriterionResult(c["id"], c["kind"], Outcome(
        judgements[c["id"]].status if c["id"] in judgements else c["status"],
        plain(c["explanation"]))) for c in result["criteria"]]
    failing = tuple(r.id for r in results
                    if r.outcome.status == (n.NOT_MET if r.kind == "inclusion" else n.MET))
    undecided = tuple(r.id for r in results if r.outcome.status == n.UNKNOWN)
    return verdict(results), failing, undecided
