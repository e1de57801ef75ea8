"""The audit trail on every protocol: every action appends; any edit, insertion or deletion is
detected; links are keyed (the key named in each event, rotatable); the append-only triggers
are reported as the database's catalogue shows them."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection, transaction

from trialkit.cli.main import main
from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.audit_keys import AuditKey
from trialkit.web.trial.audit_triggers import append_only_triggers, is_append_only_enforced
from trialkit.web.trial.models import AuditEvent, AuditHead

pytestmark = pytest.mark.protocols()


def _events():
    return list(AuditEvent.objects.order_by("sequence"))


def test_setting_up_a_study_leaves_an_intact_chain_of_who_did_what(trial, make_actor):
    coordinator = make_actor(trial.screener)
    events = _events()
    assert [e.action for e in events[:3]] == ["load_protocol", "create_user", "grant_role"]
    # The coordinator's grant may need a second administrator's approval (an unblinded role):
    # either way the admin creates the user, and a grant_role event gives the role.
    created = next(e for e in events if e.action == "create_user"
                   and e.new["username"] == coordinator.name)
    assert created.actor == "admin" and created.actor_role == trial.administrator
    assert any(e.action == "grant_role" and e.new == {"user": coordinator.name,
               "role": trial.screener, "site": trial.site} for e in events)
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
    _tamper("DELETE FROM trial_auditevent WHERE sequence = %s", _events()[-1].sequence)
    [problem] = verify_chain()
    assert "ends before its recorded head" in problem.problem


def test_an_inserted_forged_event_is_reported(trial, make_actor):
    make_actor(trial.screener)
    forged = _events()[2]
    _tamper("UPDATE trial_auditevent SET sequence = sequence + 1000 WHERE sequence >= 3")
    _tamper("UPDATE trial_auditevent SET sequence = sequence - 999 WHERE sequence >= 1000")
    _tamper("INSERT INTO trial_auditevent (sequence, occurred_at, actor, actor_role, action, "
            "object_type, object_id, old, new, reason, protocol_version, code_version, "
            "previous_hash, hash, key_id) VALUES (3, %s, 'mallory', 'administrator', "
            "'grant_role', 'Membership', '99', 'null', 'null', '', '', '0.1.0', %s, %s, %s)",
            forged.occurred_at, forged.previous_hash, "f" * 64, forged.key_id)
    assert verify_chain() != []


def test_audit_verify_exits_1_and_names_the_broken_event(trial, make_actor, capsys):
    make_actor(trial.screener)
    assert main(["audit", "verify"]) == 0
    assert f"audit trail intact: {len(_events())} events" in capsys.readouterr().out
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


# --- the keyed chain -----------------------------------------------------------------------


def _key(text: str) -> AuditKey:
    return AuditKey(text.encode("utf-8"))


KEY_A = _key("a" * 24 + secrets.token_hex(16))
KEY_B = _key("b" * 24 + secrets.token_hex(16))


@pytest.fixture
def keyed_with_a(settings):
    """Key A from the first event on (listed before the fixtures that write events)."""
    settings.TRIALKIT_AUDIT_KEYS = (KEY_A,)
    return settings


def test_every_event_is_linked_with_the_current_key_and_names_it(keyed_with_a, trial,
                                                                  make_actor):
    make_actor(trial.screener)
    assert {e.key_id for e in _events()} == {KEY_A.key_id}
    assert KEY_A.key_id.startswith("k-") and "a" * 24 not in KEY_A.key_id
    assert verify_chain() == []


def test_verifying_with_the_wrong_key_says_so_and_names_both_keys(keyed_with_a, trial,
                                                                   make_actor, capsys):
    settings = keyed_with_a
    make_actor(trial.screener)
    settings.TRIALKIT_AUDIT_KEYS = (KEY_B,)
    [problem] = verify_chain()
    n = len(_events())
    assert problem.kind == "unknown_key" and problem.sequence == 1
    assert f"{n} events from 1 to {n} linked with key {KEY_A.key_id}" in problem.problem
    assert f"configured: {KEY_B.key_id}" in problem.problem and "wrong key?" in problem.problem
    assert main(["audit", "verify"]) == 1
    assert "wrong key?" in capsys.readouterr().out


def test_after_a_rotation_old_events_verify_with_the_retired_key(keyed_with_a, trial,
                                                                  make_actor):
    settings = keyed_with_a
    make_actor(trial.screener)
    before = len(_events())
    settings.TRIALKIT_AUDIT_KEYS = (KEY_B, KEY_A)  # B current, A retired
    make_actor(trial.investigator)
    keys = [e.key_id for e in _events()]
    assert keys[:before] == [KEY_A.key_id] * before
    assert len(keys) > before and set(keys[before:]) == {KEY_B.key_id}
    assert verify_chain() == []
    settings.TRIALKIT_AUDIT_KEYS = (KEY_B,)  # the retired key forgotten
    assert [p.kind for p in verify_chain()] == ["unknown_key"]


def test_an_event_relabelled_with_another_keys_id_is_altered(keyed_with_a, trial, make_actor):
    keyed_with_a.TRIALKIT_AUDIT_KEYS = (KEY_A, KEY_B)
    make_actor(trial.screener)
    _tamper("UPDATE trial_auditevent SET key_id = %s WHERE sequence = 3", KEY_B.key_id)
    assert [(p.sequence, p.kind) for p in verify_chain()] == [(3, "altered")]


def test_the_development_key_is_named_as_such_and_verify_warns_about_it(trial, make_actor,
                                                                         capsys):
    make_actor(trial.screener)
    assert all(e.key_id.startswith("dev-") for e in _events())
    assert main(["audit", "verify"]) == 0
    assert "WARNING" in capsys.readouterr().out


# --- the append-only triggers, as the catalogue shows them ---------------------------------


def test_verify_reports_the_triggers_the_catalogue_shows_not_the_vendor(trial, make_actor,
                                                                        capsys):
    make_actor(trial.screener)
    assert main(["audit", "verify"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "append-only trigger" in x)
    if connection.vendor == "postgresql":
        assert "installed and enabled" in line and is_append_only_enforced()
    else:
        assert "does not refuse changes" in line and not is_append_only_enforced()


@pytest.mark.sqlite
def test_a_trigger_added_by_hand_on_sqlite_is_reported_as_such(trial, make_actor):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TRIGGER by_hand BEFORE DELETE ON trial_auditevent "
                       "BEGIN SELECT RAISE(ABORT, 'no'); END")
    state = append_only_triggers()
    assert state.enabled == ("by_hand",) and "added by hand" in state.describe()
    assert not state.tampered


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "reported"), [
    ("DROP TRIGGER trial_auditevent_no_update_delete ON trial_auditevent",
     "MISSING trial_auditevent_no_update_delete"),
    ("ALTER TABLE trial_auditevent DISABLE TRIGGER trial_auditevent_no_truncate",
     "DISABLED trial_auditevent_no_truncate"),
    ("CREATE OR REPLACE FUNCTION trialkit_audit_is_append_only() RETURNS trigger AS "
     "$$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql",
     "no longer refuses changes"),
])
def test_a_dropped_disabled_or_defused_trigger_is_reported(trial, make_actor, capsys, change,
                                                           reported):
    make_actor(trial.screener)
    with connection.cursor() as cursor:
        cursor.execute(change)
    assert not is_append_only_enforced()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "audit trail intact" in out  # the chain itself is untouched
    assert "NOT enforced" in out and reported in out
