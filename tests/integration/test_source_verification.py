"""Source data verification on every protocol: a monitor verifies an item, a whole form or a
whole visit in one audited act; a new version that changes an item makes its verification
lapse; a discrepancy is kept with its note and raised as a query; roles without
``verify_source``, locked participants and a locked study are refused with nothing written."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import DAY, measured
from trialkit.core.forms.verification import verifiable_items
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form, may_read
from trialkit.web.trial.actions.source_verification import (
    do_record_source_discrepancy,
    do_verify_source,
    do_verify_source_visit,
)
from trialkit.web.trial.models import (
    AuditEvent,
    FormRecord,
    Participant,
    Query,
    Site,
    SourceVerification,
    Study,
)
from trialkit.web.trial.source_verification import (
    form_verification,
    verification_history,
    verification_worklist,
    visit_verification,
)

pytestmark = pytest.mark.protocols()


@pytest.fixture
def monitor(make_actor, trial):
    return make_actor(trial.monitor)


@pytest.fixture
def saved(trial, participant, make_actor, monitor):
    """The measured form (vital signs where the protocol has them) saved once at its visit."""
    target = measured(trial)
    assert may_read(monitor, target.form), f"{trial.stem}: the monitor does not read it"
    enterer = make_actor(trial.entry_role(target.form))
    version = do_save_form(participant, target.form.id, target.visit, target.values(trial),
                           actor=enterer)
    return target, version.record, enterer


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_a_monitor_verifies_one_item_and_only_that_item_is_verified(trial, saved, monitor):
    target, record, _ = saved
    rows = do_verify_source(record, target.item.id, actor=monitor)
    assert [(r.item_id, r.version.number, r.verified_by) for r in rows] == [
        (target.item.id, 1, monitor.name)]
    view = form_verification(record, actor=monitor)
    standing = {i.item_id: i.status for i in view.items}
    assert standing[target.item.id] == "verified"
    assert view.status == ("verified" if view.total == 1 else "partly_verified")
    event, = _events("verify_source")
    assert event.actor == monitor.name and event.actor_role == trial.monitor
    assert event.new["covered"] == "item" and event.new["items"] == [target.item.id]
    assert event.new["version"] == 1


def test_verifying_the_whole_form_covers_every_item_in_one_event(trial, saved, monitor):
    target, record, _ = saved
    rows = do_verify_source(record, actor=monitor)
    expected = [i.id for i in verifiable_items(target.form)]
    assert sorted(r.item_id for r in rows) == sorted(expected)
    assert form_verification(record, actor=monitor).status == "verified"
    event, = _events("verify_source")
    assert event.new["covered"] == "form" and sorted(event.new["items"]) == sorted(expected)
    with pytest.raises(StateConflictError, match="verified as it stands"):
        do_verify_source(record, actor=monitor)
    assert record not in [FormRecord.objects.get(pk=v.record_id)
                          for v in verification_worklist(monitor)]


def test_a_new_version_makes_the_changed_item_changed_since_verified_and_only_that_one(
        trial, saved, monitor, participant):
    target, record, enterer = saved
    do_verify_source(record, actor=monitor)
    values = target.values(trial)
    values[target.item.id] = target.other(values[target.item.id])
    do_save_form(participant, target.form.id, target.visit, values, actor=enterer,
                 reason="Transcription error")
    view = form_verification(record, actor=monitor)
    standing = {i.item_id: i for i in view.items}
    assert standing[target.item.id].status == "changed"
    assert standing[target.item.id].verified_version == 1
    assert {i.status for k, i in standing.items() if k != target.item.id} <= {"verified"}
    assert view.status == "changed" and view.status_label == "changed since verified"
    assert record.pk in {v.record_id for v in verification_worklist(monitor)}
    # Verifying the form again covers only the changed item, against version 2.
    rows = do_verify_source(record, actor=monitor)
    assert [(r.item_id, r.version.number) for r in rows] == [(target.item.id, 2)]
    assert form_verification(record, actor=monitor).status == "verified"
    history = verification_history(record, actor=monitor)
    assert (history[0].version, history[0].item_ids) == (2, [target.item.id])
    assert len(history) == 2


def test_a_visit_is_verified_in_one_act_naming_each_form(trial, participant, make_actor,
                                                        monitor):
    target = measured(trial)
    forms = [f for f in trial.protocol.forms if not f.repeating and may_read(monitor, f)
             and target.visit in trial.visits_collecting(f)][:3]
    for form in forms:
        do_save_form(participant, form.id, target.visit, trial.values(form, DAY),
                     actor=make_actor(trial.entry_role(form), username=f"e-{form.id}".lower()))
    rows = do_verify_source_visit(participant, target.visit, actor=monitor)
    records = FormRecord.objects.filter(participant=participant, visit_id=target.visit)
    assert {r.record_id for r in rows} == {r.pk for r in records}
    event, = _events("verify_source_visit")
    assert event.new["covered"] == "visit" and event.new["visit"] == target.visit
    assert sorted(event.new["forms"]) == sorted(f"{f.id}#1" for f in forms)
    assert not _events("verify_source")  # one event for the act, not one per form
    assert visit_verification(monitor, participant)[target.visit].status == "verified"
    with pytest.raises(StateConflictError, match="no form of this visit"):
        do_verify_source_visit(participant, target.visit, actor=monitor)


def test_a_discrepancy_is_kept_with_its_note_and_raised_as_a_query(trial, saved, monitor):
    target, record, _ = saved
    row = do_record_source_discrepancy(record, target.item.id, "Source says 120", actor=monitor)
    assert row.status == "discrepancy" and row.note == "Source says 120"
    query = Query.objects.get(record=record, item_id=target.item.id)
    assert row.query == query and "Source says 120" in query.text
    assert [e.action for e in AuditEvent.objects.filter(actor=monitor.name).order_by(
        "sequence")][-2:] == ["raise_query", "record_source_discrepancy"]
    view = form_verification(record, actor=monitor)
    item = next(i for i in view.items if i.item_id == target.item.id)
    assert (item.status, item.note, item.query_id) == ("discrepancy", "Source says 120",
                                                        query.pk)
    assert view.status == "discrepancy"
    # Verifying the whole form leaves the discrepancy for the monitor to settle on its own.
    rows = do_verify_source(record, actor=monitor)
    assert target.item.id not in {r.item_id for r in rows}
    do_verify_source(record, target.item.id, actor=monitor)
    assert form_verification(record, actor=monitor).status == "verified"


@pytest.mark.parametrize(("item_id", "note", "field"), [
    ("no-such-item", "differs", "item_id"), (None, "", "note"), (None, "   ", "note")])
def test_a_bad_discrepancy_is_refused_naming_the_field_and_nothing_is_written(
        trial, saved, monitor, item_id, note, field):
    target, record, _ = saved
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInputError) as refused:
        do_record_source_discrepancy(record, item_id or target.item.id, note, actor=monitor)
    assert refused.value.field == field
    assert not SourceVerification.objects.exists() and not Query.objects.filter(
        automatic=False).exists()
    assert AuditEvent.objects.count() == before


def test_an_unknown_item_or_visit_is_refused_naming_it(trial, saved, monitor, participant):
    _, record, _ = saved
    with pytest.raises(InvalidInputError) as item:
        do_verify_source(record, "no-such-item", actor=monitor)
    assert item.value.field == "item_id"
    with pytest.raises(InvalidInputError) as visit:
        do_verify_source_visit(participant, "NO-SUCH-VISIT", actor=monitor)
    assert visit.value.field == "visit_id"
    assert not SourceVerification.objects.exists()


def test_a_role_without_verify_source_is_refused_and_nothing_is_written(trial, saved,
                                                                       make_actor):
    target, record, _ = saved
    for role in [r for r in trial.protocol.roles if "verify_source" not in r.can][:4]:
        actor = make_actor(role.id, username=f"no-sdv-{role.id}")
        with pytest.raises(NotPermittedError):
            do_verify_source(record, target.item.id, actor=actor)
        with pytest.raises(NotPermittedError):
            do_verify_source_visit(record.participant, target.visit, actor=actor)
    assert not SourceVerification.objects.exists()
    assert not _events("verify_source") and not _events("verify_source_visit")
    assert {e.new["action"] for e in _events("action_refused")} == {
        "verify_source", "verify_source_visit"}


def test_a_locked_participant_or_study_is_refused(trial, saved, monitor):
    target, record, _ = saved
    participant = record.participant
    Participant.objects.filter(pk=participant.pk).update(locked_at=clock.now())
    with pytest.raises(StateConflictError, match="locked"):
        do_verify_source(record, actor=monitor)
    Participant.objects.filter(pk=participant.pk).update(locked_at=None)
    Study.objects.filter(is_current=True).update(locked_at=clock.now())
    with pytest.raises(StateConflictError, match="locked"):
        do_verify_source_visit(participant, target.visit, actor=monitor)
    with pytest.raises(StateConflictError, match="locked"):
        do_record_source_discrepancy(record, target.item.id, "differs", actor=monitor)
    assert not SourceVerification.objects.exists()


def test_a_monitor_at_another_site_finds_nothing(trial, saved, make_actor):
    _, record, _ = saved
    Site.objects.create(code="ELSEWHERE", name="Elsewhere", country="X", status="RECRUITING")
    elsewhere = make_actor(trial.monitor, site="ELSEWHERE", username="monitor-elsewhere")
    with pytest.raises(NotFoundError):
        do_verify_source(record, actor=elsewhere)
    assert verification_worklist(elsewhere) == []


def test_a_form_the_monitor_does_not_read_is_neither_listed_nor_verified(
        trial, participant, make_actor, monitor):
    unread = [f for f in trial.protocol.forms if not may_read(monitor, f)
              and not f.repeating and trial.visits_collecting(f)]
    if not unread:
        pytest.skip(f"{trial.stem}: the monitor reads every form")
    form = unread[0]
    enterer = make_actor(trial.entry_role(form))
    version = do_save_form(participant, form.id, trial.visits_collecting(form)[0],
                           trial.values(form, DAY), actor=enterer)
    assert version.record_id not in {v.record_id for v in verification_worklist(monitor)}
    with pytest.raises(NotFoundError):
        do_verify_source(version.record, actor=monitor)


def test_the_kernel_declares_each_new_action_with_its_permission_and_guards():
    """The action-kernel walk (test_action_kernel.py) covers them from these declarations."""
    from trialkit.web.trial.actions.kernel import WRITES_PARTICIPANT_DATA
    from trialkit.web.trial.actions.queries import do_assign_query

    declared = {fn.action_spec.name: fn.action_spec for fn in (
        do_verify_source, do_verify_source_visit, do_record_source_discrepancy,
        do_assign_query)}
    assert set(declared) == {"verify_source", "verify_source_visit",
                             "record_source_discrepancy", "assign_query"}
    assert all(s.guards == WRITES_PARTICIPANT_DATA for s in declared.values())
    assert {s.permission for s in declared.values()} == {"verify_source", "raise_query"}
