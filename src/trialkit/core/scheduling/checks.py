"""Explainable decisions: every gate is a list of checks, each met or not, with a sentence.

A user interface shows every check before the button; a refusal lists the unmet ones.

Sentences are kept as a template and its values (``trialkit.core.wording``) beside the English
text, so a reader's layer can show them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trialkit.core.wording import Wording, gettext_noop, worded


@dataclass(frozen=True)
class Check:
    """One condition of a decision."""

    id: str
    """Stable identifier, e.g. ``sequential.wait_days`` (for UIs and tests)."""
    met: bool
    sentence: str
    """Plain-language explanation, true whatever ``met`` is."""
    wording: Wording | None = None
    """The sentence as template and values, for a reader in another language."""


def check_that(check_id: str, met: bool, template: str, **values: object) -> Check:
    """A check whose sentence is ``template`` filled with ``values`` (see ``Wording``)."""
    wording = worded(template, **values)
    return Check(check_id, met, wording.text, wording)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a gate: allowed exactly when every check is met."""

    name: str
    checks: tuple[Check, ...]
    wording: Wording | None = None
    """The name as template and values, for a reader in another language."""

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


def named(wording: Wording, checks: Iterable[Check]) -> Verdict:
    """A verdict whose name is worded (see ``Wording``)."""
    return Verdict(wording.text, tuple(checks), wording)


def combine(name: str | Wording, verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict holding every check of several (e.g. sequential rule + pause + cap)."""
    checks = tuple(check for verdict in verdicts for check in verdict.checks)
    if isinstance(name, Wording):
        return named(name, checks)
    return Verdict(name, checks)


__all__ = ["Check", "Verdict", "Wording", "check_that", "combine", "gettext_noop", "named",
           "worded"]
