"""Reads of blinded facts, and data leaving the system, written to the audit trail.

A read changes nothing, so it is not an action (actions/kernel.py); but who saw an allocation, a
kit's preparation, a procedure type, the randomization list or tables by arm — and who tried
to and was refused — is what an inspector asks after an unblinding is suspected. The
``access_*`` functions (access.py, the only way to read those facts) call ``audited_read`` or
``refused_read``; exports call ``audited_export``.

Cost is bounded by requests, not rows: inside a request (``AuditedReadsMiddleware``) reads are
gathered and written when the view has answered, one event per kind of read (with every
subject read) per request, in a transaction of their own, before the answer leaves the server:
if the events cannot be written the answer is an error, not unaudited data. A preparation queue
that reads forty kits writes one event. Outside a request (the command line, the demo, tests)
each read is written at once, in a transaction of its own (a savepoint when the caller already
holds one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.audit import append_event
from trialkit.web.trial.study import NoStudyError, current_study

MAX_SUBJECTS = 200
"""Subjects named in one event; a longer list is cut and its full length given."""


@dataclass
class _Pending:
    actor: str
    role: str
    action: AuditAction
    object_type: str
    subjects: dict[str, None] = field(default_factory=dict)
    """In first-read order, each once (a dict keeps order and drops repeats)."""
    detail: dict[str, Any] = field(default_factory=dict)
    refused: str = ""

    def new(self, where: str) -> dict[str, Any]:
        subjects = list(self.subjects)
        out: dict[str, Any] = {"subjects": subjects[:MAX_SUBJECTS], "count": len(subjects)}
        if self.refused:
            out = {"read": self.action.value, "message": self.refused, **out}
        if where:
            out["where"] = where
        return {**out, **self.detail}


class ReadScope:
    """The reads of one request, written together when it ends."""

    def __init__(self, where: str = "") -> None:
        self.where = where
        self.pending: dict[tuple[str, str, AuditAction, bool], _Pending] = {}

    def add(self, read: _Pending) -> None:
        key = (read.actor, read.role, read.action, bool(read.refused))
        found = self.pending.setdefault(key, read)
        if found is not read:
            found.subjects.update(read.subjects)
            found.detail.update(read.detail)

    def flush(self) -> None:
        if not self.pending:
            return
        with transaction.atomic():
            for read in self.pending.values():
                _write(read, self.where)
        self.pending.clear()


_scope: ContextVar[ReadScope | None] = ContextVar("trialkit_read_scope", default=None)


@contextmanager
def one_event_per_kind(where: str = "") -> Iterator[ReadScope]:
    """Gather the reads made in the block; write them (one event per kind) when it ends,
    whether it ends normally or with a refusal."""
    scope = ReadScope(where)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        scope.flush()


class AuditedReadsMiddleware:
    """Each request is one read scope; its events are written before the response leaves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with one_event_per_kind(f"{request.method} {request.path}"):
            return self.get_response(request)


def audited_read(actor: Actor, action: AuditAction, *, object_type: str,
                 subjects: Iterable[str] = (), **detail: Any) -> None:
    """Record that ``actor`` read blinded facts of ``subjects`` (screening numbers, kit codes,
    ids); ``detail`` adds counts or scope, never the facts themselves."""
    _add(_Pending(actor.name, actor.role, action, object_type,
                  dict.fromkeys(str(s) for s in subjects), dict(detail)))


def refused_read(actor: Actor, action: AuditAction, message: str, *, object_type: str,
                 subjects: Iterable[str] = ()) -> None:
    """Record a refused read (written as ``read_refused``, naming the read asked for)."""
    _add(_Pending(actor.name, actor.role, action, object_type,
                  dict.fromkeys(str(s) for s in subjects), refused=message))


def audited_export(actor: Actor | None, what: str, *, rows: int, file_format: str,
                   who: str = "system", **detail: Any) -> None:
    """Record data leaving the system: which export, how many rows, in which format."""
    _add(_Pending(actor.name if actor else who, actor.role if actor else "none",
                  AuditAction.EXPORT_DATA, "Export", {what: None},
                  {"export": what, "rows": rows, "format": file_format, **detail}))


def _add(read: _Pending) -> None:
    scope = _scope.get()
    if scope is not None:
        scope.add(read)
        return
    with transaction.atomic():
        _write(read, "")


def _write(read: _Pending, where: str) -> None:
    try:
        version = current_study().protocol_version
    except NoStudyError:
        version = ""
    subjects = list(read.subjects)
    append_event(actor=read.actor, actor_role=read.role,
                 action=(AuditAction.READ_REFUSED if read.refused else read.action).value,
                 object_type=read.object_type,
                 object_id=subjects[0] if len(subjects) == 1 else "",
                 new=read.new(where), protocol_version=version)
