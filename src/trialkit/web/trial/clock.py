"""The time actions see: injected, never patched.

Every action, audit event and gate reads the current moment from here, not from
``django.utils.timezone.now`` or ``date.today``. The real clock is the default; the demo builds
its past by running actions under a ``FixedClock`` it moves forward, and tests do the same.
``using`` sets the clock for the current context (thread or task) only, so a clock set while
one request runs never leaks into another; ``install`` sets the process's clock, for a test
server whose requests run in other threads. See docs/adr/0010-injected-clock.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return timezone.now()


class FixedClock:
    """A moment that stands still until moved (``moment = ...`` or ``advance``)."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment
        self._check()

    def now(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment
        self._check()

    def advance(self, by: dt.timedelta) -> None:
        self.set(self.moment + by)

    def _check(self) -> None:
        if self.moment.tzinfo is None:
            raise ValueError("a clock's moment is timezone-aware")


_process_clock: Clock = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("trialkit_clock", default=None)


def now() -> dt.datetime:
    return current().now()


def today() -> dt.date:
    """Today in the server's time zone (settings.TIME_ZONE)."""
    return timezone.localdate(now())


def current() -> Clock:
    """The context's clock if one is set, else the process's."""
    return _current.get() or _process_clock


def install(clock: Clock) -> Clock:
    """Make ``clock`` the process's clock (every thread without its own); returns the previous
    one, to be installed again when done."""
    global _process_clock
    previous, _process_clock = _process_clock, clock
    return previous


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Run the block with ``clock`` as the time every action sees."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
