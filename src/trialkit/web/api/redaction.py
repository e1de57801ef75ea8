"""Masking blinded facts inside free-form JSON (audit old/new) for roles that may not see them.

Audit events are stored whole (the hash chain covers them); what a blinded reader receives is a
copy with every value under a blinded key replaced. Keys are matched by name at any depth.
"""

from __future__ import annotations

from typing import Any

from trialkit.web.trial.actions.base import Actor

MASK = "(blinded)"

# Key names that carry each kind of blinded information in audit payloads.
BLINDED_KEYS: dict[str, frozenset[str]] = {
    "allocation": frozenset({"arm", "arm_id", "arm_label", "allocation", "allocated_arm",
                             "treatment_sequence", "sequence_label", "arms_by_period"}),
    "preparation": frozenset({"preparation", "kit_content", "contents"}),
    "procedure_type": frozenset({"procedure", "procedure_type", "real_or_sham"}),
    # The seed and unkeyed digests of the list (events written before digests were keyed):
    # each confirms a guessed seed or a guessed list offline. Keyed digests are not masked.
    "randomization_list": frozenset({"sequence_of_arms", "seed", "seed_digest", "sha256",
                                     "list_sha256"}),
}


def hidden_keys(actor: Actor) -> frozenset[str]:
    """The keys whose values this actor may not read."""
    keys: set[str] = set()
    for information, names in BLINDED_KEYS.items():
        if not actor.sees(information):
            keys |= names
    return frozenset(keys)


def redact(value: Any, hidden: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if k in hidden and v is not None else redact(v, hidden))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, hidden) for v in value]
    return value


def redact_event(actor: Actor, payload: Any) -> Any:
    return redact(payload, hidden_keys(actor))
