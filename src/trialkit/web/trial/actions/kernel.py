"""The action kernel: the one way anything is written to the trial database.

Every write is a function decorated with ``@action(...)``. The decorator, not the function,
owns what must never be forgotten (docs/adr/0009-action-kernel.md):

- **one transaction** around the whole action;
- **the permission** it declares, checked before the function runs;
- **declared guards** on its subject (the participant it writes about): the actor's site scope,
  the participant lock, the study lock, and informed consent on file before any study data
  about the person are recorded (ICH E6 4.8.8);
- **the audit event**: ``record`` takes an ``AuditAction``, never a string, and at commit time the
  kernel asserts that the action (or an action it called) wrote at least one event, or said
  explicitly that nothing changed (``nothing_changed``); otherwise it rolls back. Events are
  held until the outermost action's function has returned and then appended in one go, in
  the same transaction just before it commits: the chain's head row lock, which serialises
  every writer, is held only for the append and the commit (an action that fails, or a
  nested action whose failure its caller catches, leaves no held event behind);
- **refusals audited**: a refusal for permission or state (403/409) is rolled back and then
  written as ``action_refused`` in a transaction of its own, so attempts never vanish;
- **password re-entry** (``reenter_password``): a wrong password is written as
  ``password_refused`` after the rollback and counts toward the account's lockout; a locked
  account cannot re-enter a password at all;
- **idempotency keys** for actions that create: the same key from the same person for the same
  action returns the first result instead of creating again, even when the requests race;
- **time** from the injected clock (``trialkit.web.trial.clock``), never a patched global.

``ACTIONS`` lists every decorated action with its declaration; tests walk it to prove each
refuses roles without its permission, refuses a locked subject where declared, and audits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from functools import wraps
from typing import Any, ParamSpec, TypeAlias, TypeVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol.roles import Permission
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    ActionError,
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
    in_words,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.audit import PendingEvent, append_events, jsonable
from trialkit.web.trial.models import IdempotencyKey, Participant, Profile, Study
from trialkit.web.trial.study import NoStudyError, in_protocol_language

P = ParamSpec("P")
R = TypeVar("R")


class Guard(Enum):
    """A state invariant an action declares about its subject."""

    SITE = "site"
    """The subject participant is at one of the actor's sites (else: 404, as if absent)."""
    PARTICIPANT_UNLOCKED = "participant_unlocked"
    """The subject participant's data are not locked."""
    STUDY_UNLOCKED = "study_unlocked"
    """The study database is not locked."""
    CONSENTED = "consented"
    """The subject participant has informed consent on file (ICH E6 GCP 4.8.8: no
    trial-specific data about a person before their written informed consent). The action
    says in words what it would record (``doing``); it may exempt a call that records the
    consent itself (the consent form), by ``doing`` answering None."""


WRITES_PARTICIPANT_DATA = frozenset({Guard.SITE, Guard.PARTICIPANT_UNLOCKED,
                                     Guard.STUDY_UNLOCKED})
"""The guards of any action that changes a participant's data."""

RECORDS_STUDY_DATA = WRITES_PARTICIPANT_DATA | {Guard.CONSENTED}
"""The guards of any action that records study data about a participant (a form, a dose, a
visit, an adverse event, an eligibility screening, enrolment): also informed consent on file.
The actions that write about a participant without it (registration, consent itself, a screen
failure, a withdrawal, and what only reviews data already on file) are listed with their
reasons in tests/integration/test_action_kernel.py."""

Words: TypeAlias = "str | Promise"
"""Text a person reads: a string, or one marked for translation (``gettext_lazy``) that is
worded in the language active where it is read."""

Doing: TypeAlias = "Words | Callable[[Mapping[str, Any]], Words | None]"
"""What an action guarded by ``Guard.CONSENTED`` records, in words ("entering Demographics"):
words, or a function of the call's arguments (None: this call is exempt)."""


class UnauditedActionError(RuntimeError):
    """An action tried to commit without writing an audit event: a bug, so it rolls back."""


class PasswordRefusedError(NotPermittedError):
    def __init__(self, purpose: str) -> None:
        super().__init__(_("the password is not correct"), field="password")
        self.purpose = purpose


@dataclass(frozen=True)
class ActionSpec:
    """What an action declares (see ``action``)."""

    name: AuditAction
    function: str
    permission: Permission | None
    guards: frozenset[Guard]
    subject: str | None
    idempotent: bool
    anonymous: bool
    doing: Doing = ""
    """For ``Guard.CONSENTED``: what the action records, in words (see ``Doing``)."""


ACTIONS: dict[str, ActionSpec] = {}
"""Every action, by ``module.function``."""


@dataclass
class _Frame:
    spec: ActionSpec
    events: int = 0
    unchanged: bool = False
    children: list[_Frame] = field(default_factory=list)
    pending: list[PendingEvent] = field(default_factory=list)
    """The outermost frame's events, recorded and not yet appended to the chain."""
    subject_row: Participant | None = None
    """The subject's row as the participant-lock guard read and locked it, until the action
    takes it (``locked_participant``)."""


_frames: ContextVar[tuple[_Frame, ...]] = ContextVar("trialkit_action_frames", default=())


def action(name: AuditAction, *, permission: Permission | None = None,
           guards: frozenset[Guard] | tuple[Guard, ...] = (), subject: str | None = None,
           idempotent: bool = False, anonymous: bool = False,
           doing: Doing = "") -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a function as an action.

    ``permission``: the role permission it needs (None: the function authorises a finer rule
    itself, e.g. a procedure only an unblinded role performs, and says so in its docstring).
    ``subject``: the parameter naming the participant written about (a ``Participant`` or an
    object with a ``participant``); ``guards`` apply to it (``STUDY_UNLOCKED`` also without one).
    ``idempotent``: the action declares an ``idempotency_key: str | None = None`` parameter,
    which the kernel handles (creates only; returns a model row); the action ignores it.
    ``anonymous``: the action runs without an actor (signing in, the first protocol load).
    ``doing``: with ``Guard.CONSENTED``, what the action records in words, for its refusal
    ("Record the participant's informed consent before <doing>"); see ``Doing``.
    """
    declared = frozenset(guards)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)
        if not anonymous and "actor" not in signature.parameters:
            raise TypeError(f"{fn.__qualname__}: an action takes the acting ``actor``")
        if idempotent and "idempotency_key" not in signature.parameters:
            raise TypeError(f"{fn.__qualname__}: an idempotent action declares idempotency_key")
        if (declared - {Guard.STUDY_UNLOCKED}) and subject not in signature.parameters:
            raise TypeError(f"{fn.__qualname__}: guards {sorted(g.value for g in declared)} "
                            f"need a subject parameter (got {subject!r})")
        if (Guard.CONSENTED in declared) != bool(doing):
            raise TypeError(f"{fn.__qualname__}: Guard.CONSENTED and ``doing`` go together")
        spec = ActionSpec(name=name, function=f"{fn.__module__}.{fn.__qualname__}",
                          permission=permission, guards=declared, subject=subject,
                          idempotent=idempotent, anonymous=anonymous, doing=doing)
        ACTIONS[spec.function] = spec

        @wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            key = bound.arguments.get("idempotency_key") if idempotent else None
            actor = bound.arguments.get("actor")
            outermost = not _frames.get()
            try:
                # In the protocol's own words whatever the reader's language: what an action
                # stores (audit reasons, notifications, reports) never depends on who acted.
                with in_protocol_language(), transaction.atomic(), \
                        _frame(spec) as frame:
                    _authorise(spec, actor, bound)
                    if key:
                        replayed = _claim(spec, actor, str(key), bound)
                        if replayed is not None:
                            frame.unchanged = True
                            return replayed  # type: ignore[no-any-return]
                    result = fn(*bound.args, **bound.kwargs)
                    if not _audited(frame):
                        raise UnauditedActionError(
                            f"{spec.function} wrote no audit event")
                    if key:
                        _remember(spec, actor, str(key), result)
                    if outermost:
                        append_events(frame.pending)
                    return result
            except PasswordRefusedError as refused:
                if outermost and isinstance(actor, Actor):
                    with in_protocol_language():
                        _password_refused(spec, actor, refused)
                raise
            except (NotPermittedError, StateConflictError) as refused:
                if outermost and isinstance(actor, Actor):
                    # The refusal is worded when read: audited in the protocol's words too.
                    with in_protocol_language():
                        _refused(spec, actor, refused, bound)
                raise

        run.action_spec = spec  # type: ignore[attr-defined]
        return run

    return decorate


@contextmanager
def _frame(spec: ActionSpec) -> Iterator[_Frame]:
    frame = _Frame(spec)
    stack = _frames.get()
    if stack:
        stack[-1].children.append(frame)
    pending = (stack[0] if stack else frame).pending
    held = len(pending)
    token = _frames.set((*stack, frame))
    try:
        yield frame
    except BaseException:
        # This action's savepoint is rolled back: so are the events it recorded, even when
        # the action that called it catches the error and goes on.
        del pending[held:]
        raise
    finally:
        _frames.reset(token)


def _audited(frame: _Frame) -> bool:
    return frame.events > 0 or frame.unchanged or any(_audited(c) for c in frame.children)


def _authorise(spec: ActionSpec, actor: Any, bound: inspect.BoundArguments) -> None:
    if actor is None:
        if not spec.anonymous:
            raise NotPermittedError(_("sign in first"), field="actor")
        return
    if spec.permission is not None:
        actor.require(spec.permission)
    participant = _subject(spec, bound)
    if participant is not None:
        if Guard.SITE in spec.guards:
            actor.require_site(participant)
        if Guard.PARTICIPANT_UNLOCKED in spec.guards:
            _frames.get()[-1].subject_row = ensure_participant_unlocked(participant)
    if Guard.STUDY_UNLOCKED in spec.guards:
        ensure_study_unlocked()
    if participant is not None and Guard.CONSENTED in spec.guards:
        doing = (spec.doing if isinstance(spec.doing, str | Promise)
                 else spec.doing(bound.arguments))
        if doing is not None:
            ensure_consented(participant, doing)


def _subject(spec: ActionSpec, bound: inspect.BoundArguments) -> Participant | None:
    if spec.subject is None:
        return None
    value = bound.arguments.get(spec.subject)
    if value is None or isinstance(value, Participant):
        return value
    participant = getattr(value, "participant", None)
    if not isinstance(participant, Participant):
        raise TypeError(f"{spec.function}: subject {spec.subject!r} is not about a participant")
    return participant


def ensure_study_unlocked() -> None:
    if Study.objects.filter(is_current=True, locked_at__isnull=False).exists():
        raise StateConflictError(_("the study database is locked"), field="participant")


def ensure_participant_unlocked(participant: Participant) -> Participant | None:
    """Refuse a change to a locked participant's data (read under a row lock, so a lock
    committed by someone else meanwhile is seen); returns the row read (None: no such row)."""
    row = Participant.objects.select_for_update().filter(pk=participant.pk).first()
    if row is not None and row.locked_at is not None:
        raise StateConflictError(_("the data of participant %(number)s are locked"),
                                 field="participant", number=participant.screening_number)
    return row


def consent_on_file(participant: Participant) -> bool:
    """Whether the participant (as this row was read) has informed consent on file: the one
    rule, which the enrolment checks shown on pages ask too."""
    return participant.consent_date is not None


def ensure_consented(participant: Participant, doing: Words) -> None:
    """Refuse study data about a participant whose informed consent is not on file (ICH E6
    GCP 4.8.8), read as the participant-lock guard just read it (else read now)."""
    stack = _frames.get()
    row = stack[-1].subject_row if stack else None
    if row is None or row.pk != participant.pk:
        row = Participant.objects.filter(pk=participant.pk).first()
    if row is not None and not consent_on_file(row):
        raise StateConflictError(CONSENT_FIRST, field="consent_date", doing=doing,
                                 number=row.screening_number)


CONSENT_FIRST = _("Record the participant's informed consent before %(doing)s (participant "
                  "%(number)s has none on file)")


def why_not_before_consent(participant: Participant, doing: Words) -> str:
    """The consent guard's refusal of ``doing`` in words (empty: consent is on file); pages
    ask it to leave out what the action would refuse."""
    if consent_on_file(participant):
        return ""
    return in_words(CONSENT_FIRST, {"doing": doing, "number": participant.screening_number})


def locked_participant(participant: Participant) -> Participant:
    """The participant's current row, locked for this transaction: the row the action's
    participant-lock guard has just read under that lock (one query fewer), else read now."""
    stack = _frames.get()
    row = stack[-1].subject_row if stack else None
    if row is not None and row.pk == participant.pk:
        stack[-1].subject_row = None  # handed out once: the action owns it from here
        return row
    return Participant.objects.select_for_update().get(pk=participant.pk)


def ensure_on_timeline(participant: Participant, on: dt.date, *, field: str,
                       what: Words) -> None:
    """A date of something that happened to the participant is plausible on their timeline:
    not in the future, and not before their informed consent (nothing of the trial happens to
    a person before they consent)."""
    if on > clock.today():
        raise InvalidInputError(_("%(what)s is dated %(on)s, in the future"), field=field,
                                what=what, on=on)
    consented = Participant.objects.filter(pk=participant.pk).values_list(
        "consent_date", flat=True).first()
    if consented is not None and on < consented:
        raise InvalidInputError(_("%(what)s is dated %(on)s, before the participant's consent "
                                  "(%(consented)s)"), field=field, what=what, on=on,
                                consented=consented)


# -- the audit event ---------------------------------------------------------------------------

def record(actor: Actor | None, event: AuditAction, obj: Any, *, old: Any = None,
           new: Any = None, reason: str = "", study: Study | None = None,
           who: str | None = None) -> None:
    """Append an action's audit event (inside the action's transaction).

    ``who`` names the person when there is no actor yet (signing in, the first set-up).
    """
    if not isinstance(event, AuditAction):
        raise TypeError(f"audit events are AuditAction members, not {event!r}")
    stack = _frames.get()
    if not stack:
        raise RuntimeError("audit events are recorded by actions (see actions/kernel.py)")
    stack[-1].events += 1
    stack[0].pending.append(_pending(actor, event, obj, old=old, new=new, reason=reason,
                                     study=study, who=who))


def nothing_changed() -> None:
    """Say that this call of the action wrote nothing (e.g. reloading the current protocol),
    so no audit event is due."""
    stack = _frames.get()
    if not stack:
        raise RuntimeError("nothing_changed() is called inside an action")
    stack[-1].unchanged = True


def _pending(actor: Actor | None, event: AuditAction, obj: Any, *, old: Any = None,
             new: Any = None, reason: str = "", study: Study | None = None,
             who: str | None = None) -> PendingEvent:
    # The object is described now: a row deleted later in the action keeps its id here.
    return PendingEvent(
        actor=actor.name if actor else (who or "system"),
        actor_role=actor.role if actor else "none",
        action=event.value, object_type=type(obj).__name__ if not isinstance(obj, str) else obj,
        object_id=str(getattr(obj, "pk", "")) if not isinstance(obj, str) else "",
        # A deep copy of what the action passed, as JSON: it may change the objects later.
        old=jsonable(old), new=jsonable(new), reason=reason,
        protocol_version=_version(actor, study),
        via_token=actor.via_token.as_event() if actor and actor.via_token else None)


def _version(actor: Actor | None, study: Study | None) -> str | None:
    """The protocol version an event is recorded under: the study named, else the actor's
    (the version whose protocol the action's checks used, read once per request), else,
    with nobody acting, the version current when the events are appended (None; read under
    the head lock; "" before the first protocol is loaded, which is itself audited)."""
    if study is not None:
        return study.protocol_version
    if actor is not None:
        with suppress(NoStudyError):
            return actor.study.protocol_version
    return None


def _append(actor: Actor | None, event: AuditAction, obj: Any, *, old: Any = None,
            new: Any = None, reason: str = "", study: Study | None = None,
            who: str | None = None) -> None:
    """Append one event at once (a refusal, after the action's rollback)."""
    append_events([_pending(actor, event, obj, old=old, new=new, reason=reason, study=study,
                            who=who)])


def _refused(spec: ActionSpec, actor: Actor, refused: ActionError,
             bound: inspect.BoundArguments) -> None:
    """Write the refusal after the action's rollback, in a transaction of its own."""
    participant = None
    with suppress(TypeError):
        participant = _subject(spec, bound)
    with transaction.atomic():
        _append(actor, AuditAction.ACTION_REFUSED, spec.name.value, new={
            "action": spec.name.value, "status": refused.status, "field": refused.field,
            "message": refused.message,
            "participant": participant.screening_number if participant else None})


# -- password re-entry ----------------------------------------------------------------------

def reenter_password(actor: Actor, password: str, purpose: str) -> None:
    """Check a password re-entered to sign, unblind, decide or approve: the one way any action
    asks for it again.

    A locked account is refused before the password is looked at. A wrong password raises
    ``PasswordRefusedError``; the kernel then audits it and counts it toward the lockout, after
    the action's rollback.
    """
    if is_locked(actor.user):
        raise NotPermittedError(_("this account is locked after repeated failures; try later"),
                                field="password")
    if not isinstance(password, str) or not actor.user.check_password(password):
        raise PasswordRefusedError(purpose)
    # The count is of consecutive failures: a right password starts it again.
    Profile.objects.filter(user=actor.user, failed_reentries__gt=0).update(failed_reentries=0)


def is_locked(user: Any) -> bool:
    """Locked after wrong passwords re-entered (or second factors) by someone signed in as the
    user; refuses sign-in, re-entry and API tokens until it ends or an administrator lifts it."""
    return locked_now(Profile.objects.filter(user=user).values_list(
        "locked_until", flat=True).first())


def locked_now(locked_until: dt.datetime | None) -> bool:
    """Whether an account locked until ``locked_until`` (a profile's) is locked now."""
    return locked_until is not None and locked_until > clock.now()


def count_reentry_failure(user: Any) -> bool:
    """Count a wrong re-entered password or second factor; True when it locks the account.
    Strangers cannot reach this count: only someone past the password (or signed in) can."""
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return False
    profile.failed_reentries += 1
    locked = profile.failed_reentries >= settings.TRIALKIT_LOCKOUT_FAILURES
    if locked:
        profile.locked_until = clock.now() + dt.timedelta(
            minutes=settings.TRIALKIT_LOCKOUT_MINUTES)
        profile.failed_reentries = 0
    profile.save(update_fields=["failed_reentries", "locked_until"])
    return locked


def _password_refused(spec: ActionSpec, actor: Actor, refused: PasswordRefusedError) -> None:
    with transaction.atomic():
        locked = count_reentry_failure(actor.user)
        _append(actor, AuditAction.PASSWORD_REFUSED, actor.user,
                new={"action": spec.name.value, "purpose": refused.purpose, "locked": locked})


# -- idempotency keys --------------------------------------------------------------------------

MAX_KEY_LENGTH = 128


def _fingerprint(bound: inspect.BoundArguments) -> str:
    """A digest of the request (every argument but the actor and the key; rows by primary key)."""
    def plain(value: Any) -> Any:
        if isinstance(value, models.Model):
            return f"{type(value).__name__}:{value.pk}"
        return value

    arguments = {k: plain(v) for k, v in bound.arguments.items()
                 if k not in ("actor", "idempotency_key")}
    text = json.dumps(jsonable(arguments), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _claim(spec: ActionSpec, actor: Any, key: str,
           bound: inspect.BoundArguments) -> models.Model | None:
    """Claim the key for this request, or return the row the first request with it made.

    The claim is an insert under a unique constraint, so of two racing requests the second
    waits for the first to commit and then finds its result.
    """
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInputError(_("an idempotency key is at most %(most)s printable "
                                  "characters"), field="idempotency_key", most=MAX_KEY_LENGTH)
    who = actor.name if isinstance(actor, Actor) else ""
    fingerprint = _fingerprint(bound)
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(key=key, actor=who, action=spec.name.value,
                                          fingerprint=fingerprint, created_at=clock.now())
        return None
    except IntegrityError:
        pass
    earlier = IdempotencyKey.objects.get(key=key, actor=who, action=spec.name.value)
    if earlier.fingerprint != fingerprint:
        raise StateConflictError(_("this idempotency key was used for a different request"),
                                 field="idempotency_key")
    model = _model(earlier.result_type)
    return model.objects.get(pk=earlier.result_id)


def _remember(spec: ActionSpec, actor: Any, key: str, result: Any) -> None:
    if not isinstance(result, models.Model):
        raise TypeError(f"{spec.function}: an idempotent action returns a model row")
    who = actor.name if isinstance(actor, Actor) else ""
    IdempotencyKey.objects.filter(key=key, actor=who, action=spec.name.value).update(
        result_type=result._meta.label, result_id=str(result.pk))


def _model(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)
