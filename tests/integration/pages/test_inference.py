"""Nobody blinded to allocations learns one by comparing what they see, on every randomized
protocol.

A blinded role, and a committee role that sees tables by arm but not allocations, may watch
their whole view (every page and every GET endpoint of the API) change as a participant is
randomized and reports an adverse event. The test makes that happen twice, in two worlds that
differ only in the arm (or sequence) the list holds for the participant — the same
randomization number, kit code, dates and event — and requires each role's whole view to be
identical in both: then nothing that changed can say which arm it was. Live counts by arm beside
the randomization dates, or a by-arm adverse-event table beside the listing, would differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.integration.capture_support import adverse_event
from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import client_for, waiting_candidate
from trialkit.interop.exports import EXPORTS
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import FormRecord, Participant, RandomizationSlot

pytestmark = pytest.mark.protocols("randomized")

VARYING = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), "csrf"),
    (re.compile(r'"csrf_token":\s*"[^"]*"'), "csrf"),
    # Each entry page carries a fresh idempotency key for its submission.
    (re.compile(r'name="submission" value="[^"]*"'), "submission"),
    (re.compile(r'nonce(=|-)"?[A-Za-z0-9+/=_-]+"?'), "nonce"),
    # Audit events are timed by the wall clock and linked by hashes of that time.
    (re.compile(r"\b[0-9a-f]{64}\b"), "hash"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
     "moment"),
]


def _normalised(body: bytes) -> str:
    text = body.decode(errors="replace")
    for pattern, placeholder in VARYING:
        text = pattern.sub(placeholder, text)
    return text


def _watching_roles(protocol) -> list[str]:
    """Roles that must not learn an allocation: blinded ones, and those that see tables by arm
    only (a safety committee)."""
    return [r.id for r in protocol.roles if set(r.sees) <= {"arm_summaries"}]


def _api_paths(participant: Participant, protocol, usernames: list[str]) -> Iterator[str]:
    from trialkit.web.api import api

    slot = RandomizationSlot.objects.get(participant=participant)
    values = {
        "participant_id": [str(participant.pk)],
        "record_id": [str(r) for r in FormRecord.objects.filter(
            participant=participant).values_list("pk", flat=True)],
        "query_id": [],
        "kit_code": [slot.kit_code],
        "administration_id": [a.id for a in protocol.design.administrations],
        "form_id": [f.id for f in protocol.forms if f.kind == "adverse_event"],
        "visit_id": [v.id for v in protocol.schedule.visits][:3],
        "username": usernames,
        "format": list(EXPORTS),
    }
    document = api.get_openapi_schema(path_prefix="/api/")
    for template, operations in document["paths"].items():
        if "get" not in operations:
            continue
        paths = [template]
        for name in re.findall(r"\{(\w+)\}", template):
            assert name in values, f"fill {{{name}}} of {template}"
            paths = [p.replace(f"{{{name}}}", v) for p in paths for v in values[name]]
        yield from paths


def _view(module_demo, roles: list[str], urls: list[str]) -> dict[tuple[str, str], str]:
    seen = {}
    for role in roles:
        client = client_for(module_demo, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            seen[(role, url)] = f"{response.status_code} {_normalised(response.content)}"
    return seen


def _randomize_with_an_event(protocol, trial, module_demo, shift: int) -> Participant:
    """The waiting candidate randomized, the list's free slots holding each arm (or sequence)
    moved ``shift`` places along the part's own; then an adverse event reported today."""
    part = protocol.part(protocol.randomization.part)
    units = [s.id for s in part.sequences] if part.is_crossover else list(part.arms)
    column = "treatment_sequence" if part.is_crossover else "arm"
    for slot in RandomizationSlot.objects.filter(participant__isnull=True):
        moved = units[(units.index(getattr(slot, column)) + shift) % len(units)]
        RandomizationSlot.objects.filter(pk=slot.pk).update(**{column: moved})
    randomizer = next(r.id for r in protocol.roles if "randomize" in r.can)
    waiting = waiting_candidate()
    do_randomize_participant(waiting, actor=_actor(module_demo, randomizer))
    form = trial.adverse_event_form
    reporter = trial.entry_role(form)
    do_save_form(waiting, form.id, "", adverse_event(trial, clock.today(), serious=True),
                 actor=_actor(module_demo, reporter))
    return waiting


def _sequences() -> list[tuple[str, int | None, bool]]:
    """PostgreSQL's id sequences as they stand (a rollback does not turn them back)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname || '.' || sequencename, last_value, last_value "
                       "IS NOT NULL FROM pg_sequences")
        return list(cursor.fetchall())


def _restore(sequences: list[tuple[str, int | None, bool]]) -> None:
    with connection.cursor() as cursor:
        for name, value, called in sequences:
            cursor.execute("SELECT setval(%s, %s, %s)", [name, value or 1, called])


def _actor(module_demo, role: str):
    from django.contrib.auth.models import User

    sign_in = next(s for s in module_demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def test_a_randomization_and_an_event_change_no_watchers_view_by_the_arm(
        trial, module_demo, monkeypatch):
    protocol = trial.protocol
    monkeypatch.setattr(clock, "_process_clock", clock.FixedClock(timezone.now()))
    roles = _watching_roles(protocol)
    usernames = [s.username for s in module_demo.sign_ins if s.role in roles]
    assert any("arm_summaries" in protocol.role(r).sees for r in roles) or not trial.has(
        "blinded"), "a blinded protocol's committee is among the watchers"
    waiting = waiting_candidate()
    urls = sorted(set(urls_about([waiting])))
    before = _view(module_demo, roles, urls)
    worlds = []
    sequences = _sequences()
    for shift in (0, 1):
        _restore(sequences)  # the same ids in both worlds (SQLite reuses them by itself)
        with transaction.atomic():
            participant = _randomize_with_an_event(protocol, trial, module_demo, shift)
            arm = RandomizationSlot.objects.get(participant=participant)
            everything = sorted(set(urls_about([participant]))
                                | set(_api_paths(participant, protocol, usernames)))
            worlds.append((arm.arm or arm.treatment_sequence,
                           _view(module_demo, roles, everything)))
            transaction.set_rollback(True)
    (first_arm, first), (second_arm, second) = worlds
    assert first_arm != second_arm
    changed = [key for key, text in first.items() if before.get(key, text) != text]
    assert changed, "the randomization and the event changed nothing anybody sees"
    assert [key for key in first if first[key] != second[key]] == []
