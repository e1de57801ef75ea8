"""The audit trail on every protocol: every action appends; any edit, insertion or deletion is
detected."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from trialkit.cli.main import main
from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.models import AuditEvent, AuditHead

pytestmark = pytest.mark.protocols()


def _events():
    return list(AuditEvent.objects.order_by("sequence"))


def test_setting_up_a_study_leaves_an_intact_chain_of_who_did_what(trial, make_actor):
    coordinator = make_actor(trial.screener)
    events = _events()
    assert [e.action for e in events] == ["load_protocol", "create_user", "grant_role",
                                          "create_user", "grant_role"]
    assert events[3].actor == "admin" and events[3].actor_role == trial.administrator
    assert events[4].new == {"user": coordinator.name, "role": trial.screener,
                             "site": trial.site}
    assert all(e.protocol_version and e.code_version for e in events[1:])
    assert all(e.occurred_at.utcoffset().total_seconds() == 0 for e in events)
    assert verify_chain() == []


def _tamper(sql: str, *params) -> None:
    """Change the table by hand, as a database administrator could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE trial_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE trial_auditevent ENABLE TRIGGER USER")


def test_a_hand_edited_event_is_reported_by_sequence(trial, make_actor):
    make_actor(trial.screener)
    _tamper("UPDATE trial_auditevent SET reason = %s WHERE sequence = 4", "backdated")
    assert [(p.sequence, p.problem.split(" (")[0]) for p in verify_chain()] == [
        (4, "content altered")]


def test_a_deleted_event_in_the_middle_is_reported(trial, make_actor):
    make_actor(trial.screener)
    _tamper("DELETE FROM trial_auditevent WHERE sequence = 3")
    problems = verify_chain()
    assert problems[0].sequence == 3 and "missing" in problems[0].problem


def test_deleting_the_latest_events_is_reported_against_the_chain_head(trial, make_actor):
    make_actor(trial.screener)
    _tamper("DELETE FROM trial_auditevent WHERE sequence = 5")
    [problem] = verify_chain()
    assert "ends before its recorded head" in problem.problem


def test_an_inserted_forged_event_is_reported(trial, make_actor):
    make_actor(trial.screener)
    forged = _events()[2]
    _tamper("UPDATE trial_auditevent SET sequence = sequence + 1000 WHERE sequence >= 3")
    _tamper("UPDATE trial_auditevent SET sequence = sequence - 999 WHERE sequence >= 1000")
    _tamper("INSERT INTO trial_auditevent (sequence, occurred_at, actor, actor_role, action, "
            "object_type, object_id, old, new, reason, protocol_version, code_version, "
            "previous_hash, hash) VALUES (3, %s, 'mallory', 'administrator', 'grant_role', "
            "'Membership', '99', 'null', 'null', '', '', '0.1.0', %s, %s)",
            forged.occurred_at, forged.previous_hash, "f" * 64)
    assert verify_chain() != []


def test_audit_verify_exits_1_and_names_the_broken_event(trial, make_actor, capsys):
    make_actor(trial.screener)
    assert main(["audit", "verify"]) == 0
    assert "audit trail intact: 5 events" in capsys.readouterr().out
    _tamper("UPDATE trial_auditevent SET actor = 'someone-else' WHERE sequence = 2")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and "event 2: content altered" in out


def test_the_chain_head_tracks_the_last_event(trial, make_actor):
    make_actor(trial.screener)
    head = AuditHead.objects.get(id=1)
    last = _events()[-1]
    assert (head.sequence, head.hash) == (last.sequence, last.hash)


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_on_the_audit_table(trial, make_actor):
    from django.db.utils import DatabaseError

    for statement in ("UPDATE trial_auditevent SET reason = 'x'",
                      "DELETE FROM trial_auditevent", "TRUNCATE trial_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    assert verify_chain() == []
