"""The action kernel's promises, walked over every action of every protocol.

Each write is an ``@action``; the kernel checks its declared permission and guards before the
action's own code runs, so the walk calls each action with placeholder arguments and a real
subject: a refusal proves the check, and nothing else is needed from the arguments.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection

import trialkit.web.trial.actions as actions_package
from tests.integration.conftest import PASSWORD
from tests.integration.test_concurrent_randomization import (  # noqa: F401 - fixtures
    _audit_trigger_back_on,
    committed,
)
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    ACTIONS,
    ActionSpec,
    Guard,
    UnauditedActionError,
    action,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    AuditEvent,
    FormRecord,
    Participant,
    Profile,
    Query,
    Site,
    Study,
)

pytestmark = pytest.mark.protocols()

PLACEHOLDER = object()


def _action_functions():
    """Every public ``do_*`` function of the actions package, with its module."""
    for info in pkgutil.iter_modules(actions_package.__path__):
        module = importlib.import_module(f"{actions_package.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and fn.__module__ == module.__name__:
                yield fn


def test_every_public_action_is_declared_to_the_kernel():
    """A ``do_*`` function is an action, or only composes actions (and says which)."""
    def declared(fn) -> bool:
        if hasattr(fn, "action_spec"):
            return True
        parts = getattr(fn, "composes", ())
        return bool(parts) and all(hasattr(part, "action_spec") for part in parts)

    assert [f"{fn.__module__}.{fn.__name__}" for fn in _action_functions()
            if not declared(fn)] == []


def test_every_action_name_is_distinct_and_from_the_vocabulary():
    names = [spec.name for spec in ACTIONS.values()]
    assert all(isinstance(n, AuditAction) for n in names)
    assert len(names) == len(set(names)), "two actions share an audit name"


def _specs(*, guard: Guard | None = None,
           permission: bool = False) -> list[tuple[ActionSpec, object]]:
    """Declared actions with ``guard`` (or with a declared permission)."""
    found = []
    for fn in _action_functions():
        spec = getattr(fn, "action_spec", None)
        if spec is None or (guard is not None and guard not in spec.guards) or (
                permission and spec.permission is None):
            continue
        found.append((spec, fn))
    return sorted(found, key=lambda pair: pair[0].function)


@pytest.fixture
def subjects(study, participant):
    """A participant, one of its form records and a query on it: the kinds of subject."""
    form = next(f for f in study_protocol(study).forms)
    record_row = FormRecord.objects.create(participant=participant, form_id=form.id,
                                           visit_id="", created_at=clock.now())
    query = Query.objects.create(record=record_row, text="check", raised_by="someone",
                                 raised_at=clock.now())
    return {Participant: participant, FormRecord: record_row, Query: query}


def study_protocol(study: Study):
    from trialkit.web.trial.study import protocol_of

    return protocol_of(study)


def _call(fn, spec: ActionSpec, actor: Actor, subjects: dict) -> None:
    """Call an action with placeholders for every argument but its actor and subject."""
    signature = inspect.signature(inspect.unwrap(fn))
    arguments = {}
    for name, parameter in signature.parameters.items():
        if name == "actor":
            arguments[name] = actor
        elif name == spec.subject:
            annotation = str(parameter.annotation)
            arguments[name] = next(row for model, row in subjects.items()
                                   if model.__name__ in annotation)
        elif parameter.default is inspect.Parameter.empty:
            arguments[name] = PLACEHOLDER
    fn(**arguments)


def _user(name: str) -> User:
    user = User.objects.create_user(username=name, password=PASSWORD)
    Profile.objects.create(user=user, printed_name=name)
    return user


def test_each_action_refuses_every_role_without_its_permission(trial, study, subjects):
    walked = 0
    for spec, fn in _specs(permission=True):
        for role in trial.protocol.roles:
            if spec.permission in role.can:
                continue
            actor = Actor(user=_user(f"{role.id}-{spec.name}"), role=role.id, site_ids=None)
            before = AuditEvent.objects.count()
            with pytest.raises(NotPermittedError):
                _call(fn, spec, actor, subjects)
            refused = AuditEvent.objects.filter(sequence__gt=before)
            # The refusal is written; nothing else is.
            assert [e.action for e in refused] == [AuditAction.ACTION_REFUSED], spec.function
            assert refused[0].new["action"] == spec.name
            walked += 1
    assert walked > 0


def _permitted_actor(trial, spec: ActionSpec, name: str, site_ids=None) -> Actor | None:
    role = next((r for r in trial.protocol.roles
                 if spec.permission is None or spec.permission in r.can), None)
    if role is None:
        return None
    return Actor(user=_user(name), role=role.id, site_ids=site_ids)


def test_each_action_guarding_a_participant_refuses_a_locked_one(trial, study, subjects):
    participant = subjects[Participant]
    Participant.objects.filter(pk=participant.pk).update(locked_at=clock.now())
    walked = 0
    for spec, fn in _specs(guard=Guard.PARTICIPANT_UNLOCKED):
        actor = _permitted_actor(trial, spec, f"lock-{spec.name}")
        if actor is None:
            continue  # no role of this protocol may run it at all
        with pytest.raises(StateConflictError, match="locked"):
            _call(fn, spec, actor, subjects)
        walked += 1
    assert walked >= 10


def test_each_action_guarding_the_study_refuses_a_locked_study(trial, study, subjects):
    Study.objects.filter(pk=study.pk).update(locked_at=clock.now())
    walked = 0
    for spec, fn in _specs(guard=Guard.STUDY_UNLOCKED):
        actor = _permitted_actor(trial, spec, f"study-{spec.name}")
        if actor is None:
            continue
        with pytest.raises(StateConflictError, match="locked"):
            _call(fn, spec, actor, subjects)
        walked += 1
    assert walked >= 10


def test_each_action_guarding_a_site_answers_another_site_as_if_absent(trial, study, subjects):
    elsewhere = Site.objects.create(code="ELSEWHERE", name="Elsewhere", country="X",
                                    status="RECRUITING")
    walked = 0
    for spec, fn in _specs(guard=Guard.SITE):
        actor = _permitted_actor(trial, spec, f"site-{spec.name}",
                                 site_ids=frozenset({elsewhere.pk}))
        if actor is None:
            continue
        with pytest.raises(NotFoundError):
            _call(fn, spec, actor, subjects)
        walked += 1
    assert walked >= 10


# -- informed consent before study data (ICH E6 GCP 4.8.8) ---------------------------------------

NO_CONSENT_NEEDED = {
    "participants.do_register_candidate":
        "a candidate's identity and site, before they are asked to consent",
    "participants.do_record_consent": "records the consent itself",
    "participants.do_record_screen_failure":
        "a candidate who declines consent (or fails before it) stays in the screening log",
    "participants.do_end_participation": "a candidate may withdraw before consenting",
    "forms.do_sign_form": "vouches for a version already on file; adds no data",
    "signing.do_sign_casebook": "vouches for versions already on file; adds no data",
    "queries.do_raise_query": "questions data already on file",
    "queries.do_answer_query": "discusses data already on file",
    "queries.do_reopen_query": "discusses data already on file",
    "queries.do_close_query": "discusses data already on file",
    "queries.do_assign_query": "routes a question about data already on file",
    "source_verification.do_verify_source": "checks data already on file against the source",
    "source_verification.do_verify_source_visit":
        "checks data already on file against the source",
    "source_verification.do_record_source_discrepancy":
        "notes a difference in data already on file",
    "coding.do_code_adverse_event": "codes an adverse event term already on file",
    "locks.do_lock_participant": "freezes data already on file",
    "locks.do_unlock_participant": "reopens data already on file",
    "oversight.do_unblind_participant":
        "reveals an allocation made at randomization (which needed consent); adds no data",
}
"""Actions that write about a participant without declaring ``Guard.CONSENTED``, and why. Every
other action with a participant subject records study data and must declare it: a new action
chooses, here or in its declaration."""


def _short(spec: ActionSpec) -> str:
    return spec.function.removeprefix(f"{actions_package.__name__}.")


def test_every_participant_action_declares_consent_or_says_why_not():
    about_participants = {_short(spec): spec for spec in ACTIONS.values()
                          if spec.function.startswith(actions_package.__name__)
                          and (spec.subject is not None or _short(spec) in NO_CONSENT_NEEDED)}
    undecided = sorted(name for name, spec in about_participants.items()
                       if Guard.CONSENTED not in spec.guards and name not in NO_CONSENT_NEEDED)
    assert undecided == [], "declare Guard.CONSENTED, or list the action in NO_CONSENT_NEEDED"
    both = sorted(name for name in NO_CONSENT_NEEDED
                  if Guard.CONSENTED in about_participants[name].guards)
    assert both == []
    guarded = {name for name, spec in about_participants.items()
               if Guard.CONSENTED in spec.guards}
    assert {"forms.do_save_form", "dosing.do_record_administration", "dosing.do_record_visit",
            "participants.do_enrol_participant",
            "randomization.do_randomize_participant"} <= guarded


def test_each_action_guarding_consent_refuses_an_unconsented_participant(trial, study,
                                                                          subjects):
    participant = subjects[Participant]
    Participant.objects.filter(pk=participant.pk).update(
        consent_date=None, consent_form_version="", consent_taken_by="",
        status=Participant.Status.SCREENING)
    walked = 0
    for spec, fn in _specs(guard=Guard.CONSENTED):
        actor = _permitted_actor(trial, spec, f"consent-{spec.name}")
        if actor is None:
            continue
        before = AuditEvent.objects.count()
        with pytest.raises(StateConflictError, match="informed consent") as refused:
            _call(fn, spec, actor, subjects)
        assert refused.value.field == "consent_date"
        assert refused.value.message.startswith(
            "Record the participant's informed consent before ")
        events = AuditEvent.objects.filter(sequence__gt=before)
        # The refusal is written; nothing else is.
        assert [e.action for e in events] == [AuditAction.ACTION_REFUSED], spec.function
        assert events[0].new["participant"] == participant.screening_number
        walked += 1
    assert walked >= 8


def test_the_consent_guard_needs_words_for_its_refusal():
    with pytest.raises(TypeError, match="CONSENTED"):
        @action(AuditAction.SAVE_FORM, guards=(Guard.CONSENTED,), subject="participant")
        def wordless(participant: Participant, *, actor: Actor) -> None:
            pass


def test_an_action_that_writes_no_audit_event_is_rolled_back(trial, study, participant, admin):
    @action(AuditAction.END_PARTICIPATION, permission="manage_users")
    def forgetful(*, actor: Actor) -> None:
        Participant.objects.filter(pk=participant.pk).update(end_reason="changed silently")

    with pytest.raises(UnauditedActionError):
        forgetful(actor=admin)
    participant.refresh_from_db()
    assert participant.end_reason == ""
    del ACTIONS[forgetful.action_spec.function]


def test_an_audit_event_names_a_vocabulary_member_not_a_string(study, admin):
    @action(AuditAction.END_PARTICIPATION, permission="manage_users")
    def stringly(*, actor: Actor) -> None:
        record(actor, "end_participation", "Participant")

    with pytest.raises(TypeError, match="AuditAction"):
        stringly(actor=admin)
    del ACTIONS[stringly.action_spec.function]


def test_the_clock_is_injected_not_patched(study, participant, make_actor, trial):
    from trialkit.web.trial.actions.participants import do_record_consent

    moment = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
    with clock.using(clock.FixedClock(moment)):
        actor = make_actor(trial.screener)
        do_record_consent(participant, moment.date(), "v1", "Someone", actor=actor)
    event = AuditEvent.objects.filter(action=AuditAction.RECORD_CONSENT).get()
    assert event.occurred_at == moment
    # Outside the block the real clock is back.
    assert clock.now() > moment


# -- password re-entry ---------------------------------------------------------------------

def test_wrong_passwords_at_re_entry_are_audited_count_toward_lockout_and_stop(
        trial, study, subjects, make_actor, settings):
    from trialkit.web.trial.actions.forms import do_sign_form

    actor = make_actor(trial.investigator)
    form_record = subjects[FormRecord]
    limit = settings.TRIALKIT_LOCKOUT_FAILURES
    for _ in range(limit):
        with pytest.raises(NotPermittedError, match="password"):
            do_sign_form(form_record, "wrong", "I reviewed it", actor=actor)
    refused = AuditEvent.objects.filter(action=AuditAction.PASSWORD_REFUSED)
    assert refused.count() == limit
    assert refused.last().new == {"action": "sign_form", "purpose": "sign a form",
                                  "locked": True}
    # Locked: even the right password is not looked at now, and nothing more is counted.
    with pytest.raises(NotPermittedError, match="locked"):
        do_sign_form(form_record, PASSWORD, "I reviewed it", actor=actor)
    assert refused.count() == limit


# -- idempotency ---------------------------------------------------------------------------

def test_a_repeated_create_with_the_same_key_returns_the_first_result(study, make_actor, trial):
    from trialkit.web.trial.actions.participants import do_register_candidate

    actor = make_actor(trial.screener)
    first = do_register_candidate("K-001", trial.site, actor=actor, idempotency_key="abc")
    again = do_register_candidate("K-001", trial.site, actor=actor, idempotency_key="abc")
    assert first.pk == again.pk
    assert Participant.objects.filter(screening_number="K-001").count() == 1
    with pytest.raises(StateConflictError, match="different request"):
        do_register_candidate("K-002", trial.site, actor=actor, idempotency_key="abc")


def _at_once(call, times: int) -> tuple[list[int], list[Exception]]:
    """Run ``call`` in ``times`` threads released together (each on its own connection);
    the primary keys it returned and the exceptions it raised."""
    barrier = threading.Barrier(times)
    results: list[int] = []
    errors: list[Exception] = []

    def run():
        try:
            barrier.wait()
            results.append(call().pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.usefixtures("committed")
def test_racing_creates_with_one_key_make_one_row(trial, study, make_actor):
    from trialkit.web.trial.actions.participants import do_register_candidate

    actor = make_actor(trial.screener)
    results, errors = _at_once(lambda: do_register_candidate(
        "R-001", trial.site, actor=actor, idempotency_key="race"), 8)
    assert errors == []
    assert len(set(results)) == 1
    assert Participant.objects.filter(screening_number="R-001").count() == 1


@pytest.mark.postgres
@pytest.mark.usefixtures("committed")
def test_ten_racing_saves_of_one_adverse_event_make_one_event(trial, study, participant,
                                                             make_actor):
    """The tester's finding: ten parallel identical AE saves made ten AEs."""
    from tests.integration.capture_support import adverse_event
    from trialkit.web.trial.actions.forms import do_save_form

    reporter = make_actor(trial.entry_role(trial.adverse_event_form), username="racer")
    values = adverse_event(trial, term="Headache")
    saved, errors = _at_once(lambda: do_save_form(
        participant, trial.adverse_event_form.id, "", values, actor=reporter,
        idempotency_key="one-headache"), 10)
    assert errors == []
    assert len(set(saved)) == 1
    assert FormRecord.objects.filter(participant=participant,
                                     form_id=trial.adverse_event_form.id).count() == 1
