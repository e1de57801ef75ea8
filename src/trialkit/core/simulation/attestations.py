"""How often a synthetic candidate answers an attestation "yes": from how the criteria use it.

An inclusion that needs "yes" is mostly yes, an exclusion on "yes" mostly no, a key read both
ways is in between. These are the cohort generator's assumptions, shared by the OMOP
synthesizer and the in-silico trial's candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trialkit.core.eligibility import nodes as n

if TYPE_CHECKING:
    from trialkit.core.eligibility.compile import CompiledCriteria

ANSWERS = {"yes_helps": (0.8, 0.9), "yes_hurts": (0.65, 0.03), "mixed": (0.75, 0.6)}
"""(probability answered, probability "yes" when answered) by how the criteria use a key."""


def attestation_uses(compiled: CompiledCriteria) -> dict[str, str]:
    """Attestation key → "yes_helps", "yes_hurts" or "mixed" for eligibility."""
    helps: dict[str, set[bool]] = {}
    for criterion in compiled.criteria:
        if criterion.node is not None:
            _polarity(criterion.node, criterion.kind == "inclusion", helps)
    return {key: ("mixed" if len(seen) > 1 else "yes_helps" if True in seen else "yes_hurts")
            for key, seen in helps.items()}


def attestation_answers(compiled: CompiledCriteria) -> tuple[tuple[str, float, float], ...]:
    """(key, probability answered, probability yes) for every key the criteria read."""
    return tuple((key, *ANSWERS[use]) for key, use in attestation_uses(compiled).items())


def _polarity(node: object, yes_helps: bool, found: dict[str, set[bool]]) -> None:
    if isinstance(node, n.Attested):
        found.setdefault(node.key, set()).add(yes_helps)
    elif isinstance(node, n.Not):
        _polarity(node.part, not yes_helps, found)
    elif isinstance(node, (n.And, n.Or)):
        for part in node.parts:
            _polarity(part, yes_helps, found)
