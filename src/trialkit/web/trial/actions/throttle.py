"""Backing off a client address after repeated sign-in failures (password or second factor).

Called inside the sign-in actions, which audit the outcome; this module only keeps the count.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from trialkit.web.trial.models import SignInSource

SOURCE_WINDOW = dt.timedelta(hours=1)
"""An address's failures are forgotten after this long without one."""


def blocked(source: str, now: dt.datetime) -> bool:
    if not source:
        return False
    until = SignInSource.objects.filter(address=source).values_list(
        "blocked_until", flat=True).first()
    return until is not None and until > now


def count_source_failure(source: str, now: dt.datetime) -> None:
    """One more failure from ``source``; past the limit each one doubles the wait (one minute,
    two, four ... up to ``TRIALKIT_SOURCE_MAX_BACKOFF_MINUTES``). No address, no count (calls
    from the server itself)."""
    if not source:
        return
    row, _ = SignInSource.objects.select_for_update().get_or_create(
        address=source, defaults={"last_failure_at": now})
    if now - row.last_failure_at > SOURCE_WINDOW:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - settings.TRIALKIT_SOURCE_FAILURES
    if over >= 0:
        minutes = min(2 ** min(over, 16), settings.TRIALKIT_SOURCE_MAX_BACKOFF_MINUTES)
        row.blocked_until = now + dt.timedelta(minutes=minutes)
    row.save()
