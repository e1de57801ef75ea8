"""Which roles need what, derived from the protocol (never from role ids).

- A role is **unblinded** when it sees any unblinded fact (``sees`` non-empty).
- Two roles **conflict** when one is unblinded and the other is not: a person holding both
  could sign in as the blinded one with what the unblinded one saw (segregation of duties).
- A role's grant **needs a second administrator** when it is unblinded or manages users (a
  sole administrator could otherwise make a second, obliging administrator account).
- A role **needs a second factor** at sign-in when it can unblind, sign, decide, manage users
  or the randomization list, or sees an unblinded fact (now, or once the study is locked).
"""

from __future__ import annotations

from collections.abc import Iterable

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import Permission, Role

SECOND_FACTOR_PERMISSIONS: frozenset[Permission] = frozenset({
    "emergency_unblind", "sign", "decide_safety", "manage_users", "manage_randomization"})


def is_unblinded(role: Role) -> bool:
    return bool(role.sees)


def in_conflict(a: Role, b: Role) -> bool:
    return is_unblinded(a) != is_unblinded(b)


def needs_approval(role: Role) -> bool:
    return is_unblinded(role) or "manage_users" in role.can


def needs_second_factor(role: Role) -> bool:
    return (is_unblinded(role) or role.blinded_until_lock
            or bool(SECOND_FACTOR_PERMISSIONS & set(role.can)))


def roles_of(protocol: Protocol, ids: Iterable[str]) -> list[Role]:
    """The protocol's roles among ``ids`` (an id the protocol no longer has is skipped)."""
    known = {r.id: r for r in protocol.roles}
    return [known[i] for i in ids if i in known]


def conflicting(protocol: Protocol, held: Iterable[str], role: Role) -> Role | None:
    """A held role that ``role`` conflicts with, if any."""
    return next((r for r in roles_of(protocol, held) if in_conflict(r, role)), None)
