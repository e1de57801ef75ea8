"""Explainable decisions: every gate is a list of checks, each met or not, with a sentence.

A user interface shows every check before the button; a refusal lists the unmet ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One condition of a decision."""

    id: str
    """Stable identifier, e.g. ``sequential.wait_days`` (for UIs and tests)."""
    met: bool
    sentence: str
    """Plain-language explanation, true whatever ``met`` is."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a gate: allowed exactly when every check is met."""

    name: str
    checks: tuple[Check, ...]

    @property
    def allowed(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def unmet(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.met)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Sentences of the unmet checks: why the action is refused."""
        return tuple(check.sentence for check in self.unmet)

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no check with id '{check_id}' in {self.name}")


def combine(name: str, verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict holding every check of several (e.g. sequential rule + pause + cap)."""
    return Verdict(name, tuple(check for verdict in verdicts for check in verdict.checks))
