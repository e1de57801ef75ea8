"""Who is told of what: the protocol's roles say it (``notified_of``), the code never guesses.

Three kinds of event notify: a serious adverse event, an emergency unblinding and a signed
committee decision. A notification goes to a role, so everyone acting in that role reads it;
it never carries a blinded fact (an arm, a preparation, real or sham) nor a free-text reason
that might hint at one. Called inside the action that causes it, so it shares its transaction.
"""

from __future__ import annotations

import datetime as dt

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import NotificationKind
from trialkit.web.trial.models import Notification


def recipients(protocol: Protocol, kind: NotificationKind) -> list[str]:
    """Role ids the protocol says are told of this kind of event."""
    return [role.id for role in protocol.roles if kind in role.notified_of]


def notify(protocol: Protocol, kind: NotificationKind, subject: str, body: str,
           at: dt.datetime) -> list[str]:
    """One notification per role told of ``kind``; returns those roles (for the audit)."""
    roles = recipients(protocol, kind)
    Notification.objects.bulk_create([
        Notification(recipient_role=role, subject=subject, body=body, created_at=at)
        for role in roles])
    return roles
