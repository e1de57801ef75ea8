"""Masking blinded facts inside audit events for roles that may not see them.

Audit events are stored whole (the hash chain covers them); what a blinded reader receives is a
copy with every value under a blinded key of ``old``/``new`` replaced (keys matched by name at
any depth), and the free-text reason of the events whose reason may hint at an arm replaced
too. ``redactor_for(actor).event(e)`` is the one function the API and the audit page use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import may_read
from trialkit.web.trial.models import Query

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


# Free text an event carries as its ``reason`` that may hint at an arm, by the event's action,
# and who may read it: the reason for an emergency unblinding (kept out of the notifications for
# that reason) and the rationale of a committee decision taken after reading tables by arm.
HINTING_REASONS: dict[str, tuple[str, ...]] = {
    "unblind_participant": ("allocation",),
    "sign_safety_decision": ("allocation", "arm_summaries"),
}


@dataclass(frozen=True)
class RedactedEvent:
    old: Any
    new: Any
    reason: str


@dataclass(frozen=True)
class AuditRedactor:
    """What one reader may not read in audit events, worked out once per request (``sees``
    may query the database) and applied to every event shown: the API's
    ``/api/audit/events`` and the ``/audit/`` page both go through ``event``."""

    hidden: frozenset[str]
    sealed: frozenset[str]
    """Actions whose ``reason`` this reader may not read."""
    unread_forms: frozenset[str] = frozenset()
    """Forms this reader may not read (``actions.forms.may_read``): the content of an event
    about one (saved items, findings, query texts and messages, the reason) is masked."""
    unread_queries: frozenset[str] = frozenset()
    """Ids of the queries on those forms (their events name the query, not the form)."""

    def event(self, event: Any) -> RedactedEvent:
        reason = event.reason
        if reason and event.action in self.sealed:
            reason = MASK
        if self._about_unread_form(event):
            return RedactedEvent(_content_masked(event.old), _content_masked(event.new),
                                 MASK if reason else reason)
        return RedactedEvent(redact(event.old, self.hidden), redact(event.new, self.hidden),
                             reason)

    def _about_unread_form(self, event: Any) -> bool:
        if not self.unread_forms:
            return False
        if event.object_type == "Query" and event.object_id in self.unread_queries:
            return True
        return any(isinstance(side, dict) and side.get("form") in self.unread_forms
                   for side in (event.old, event.new))

    def text(self, action: str, text: str) -> str:
        """Free text of ``action`` (a decision's rationale shown elsewhere) for this reader."""
        return MASK if text and action in self.sealed else text


# What still shows of an event about a form the reader does not read: where and which version,
# never what was entered, found, asked or answered.
_FORM_EVENT_PLACES = frozenset({"participant", "form", "visit", "repeat_index", "version",
                                "status", "item"})


def _content_masked(value: Any) -> Any:
    if not isinstance(value, dict):
        return value if value is None else MASK
    return {k: v if k in _FORM_EVENT_PLACES or v is None else MASK for k, v in value.items()}


def redactor_for(actor: Actor) -> AuditRedactor:
    seen = {information for information in {*BLINDED_KEYS, "arm_summaries"}
            if actor.sees(information)}
    hidden = frozenset(k for information, keys in BLINDED_KEYS.items()
                       if information not in seen for k in keys)
    sealed = frozenset(action for action, readers in HINTING_REASONS.items()
                       if not seen & set(readers))
    unread = frozenset(f.id for f in actor.protocol().forms if not may_read(actor, f))
    queries = frozenset(str(pk) for pk in Query.objects.filter(
        record__form_id__in=unread).values_list("pk", flat=True)) if unread else frozenset()
    return AuditRedactor(hidden, sealed, unread, queries)
