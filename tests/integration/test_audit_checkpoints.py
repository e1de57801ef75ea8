"""Signed checkpoints kept outside the database catch what the chain alone cannot: events
deleted from its end with the head wound back, and a rewrite by someone holding the key.
Each runs on every protocol, SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.integration.audit_support import as_owner, rehash_unkeyed, rehash_with_key
from trialkit.cli.main import main
from trialkit.web.trial.audit_keys import AuditKey
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()


@pytest.fixture(autouse=True)
def deployment_key(settings, tmp_path):
    settings.TRIALKIT_AUDIT_KEYS = (AuditKey(secrets.token_hex(32).encode()),)
    settings.TRIALKIT_AUDIT_CHECKPOINTS = tmp_path / "checkpoints.jsonl"
    return settings.TRIALKIT_AUDIT_KEYS[0]


@pytest.fixture
def checkpointed(trial, make_actor, settings, capsys):
    """A checkpoint of the chain's head after setting up a user, then more events."""
    make_actor(trial.screener)
    assert main(["audit", "checkpoint"]) == 0
    assert f"checkpoint: event {AuditEvent.objects.count()}" in capsys.readouterr().out
    make_actor(trial.investigator)
    return settings.TRIALKIT_AUDIT_CHECKPOINTS


def _vouched(path) -> int:
    """The event the fixture's checkpoint vouches for (at least 5: three rewritten below)."""
    return json.loads(path.read_text().splitlines()[0])["sequence"]


def _verify(capsys, *args: str) -> tuple[int, str]:
    code = main(["audit", "verify", *args])
    return code, capsys.readouterr().out


def _truncate_to(sequence: int) -> None:
    """Delete the events after ``sequence`` and wind the head back: a consistent chain."""
    link = AuditEvent.objects.get(sequence=sequence).hash
    as_owner(("DELETE FROM trial_auditevent WHERE sequence > %s", (sequence,)),
             ("UPDATE trial_audithead SET sequence = %s, hash = %s WHERE id = 1",
              (sequence, link)))


def test_a_checkpoint_is_a_signed_line_and_verify_checks_it(checkpointed, capsys,
                                                            deployment_key):
    [line] = checkpointed.read_text().splitlines()
    record = json.loads(line)
    vouched = record["sequence"]
    assert vouched >= 5 and record["key_id"] == deployment_key.key_id
    assert record["hash"] == AuditEvent.objects.get(sequence=vouched).hash
    assert AuditEvent.objects.count() > vouched
    assert len(record["signature"]) == 64
    code, out = _verify(capsys)
    assert code == 0 and f"checkpoints: 1 signed in {checkpointed}: all on the chain" in out


def test_checkpoints_are_appended(checkpointed, capsys):
    assert main(["audit", "checkpoint", "-o", str(checkpointed)]) == 0
    assert [json.loads(x)["sequence"] for x in checkpointed.read_text().splitlines()] == [
        _vouched(checkpointed), AuditEvent.objects.count()]


def test_a_truncation_after_a_checkpoint_is_detected(checkpointed, capsys):
    vouched = _vouched(checkpointed)
    _truncate_to(vouched - 1)
    code, out = _verify(capsys, "--checkpoints", str(checkpointed))
    assert code == 1
    assert f"the chain ends at event {vouched - 1}" in out
    assert f"vouches for event {vouched}" in out


def test_a_truncation_the_chain_alone_cannot_see_is_seen_by_a_checkpoint(checkpointed, capsys,
                                                                         tmp_path, settings):
    _truncate_to(_vouched(checkpointed) - 1)
    settings.TRIALKIT_AUDIT_CHECKPOINTS = tmp_path / "elsewhere.jsonl"  # none there
    assert _verify(capsys)[0] == 0
    assert _verify(capsys, "--checkpoints", str(checkpointed))[0] == 1


def test_deleting_the_whole_chain_is_detected_by_a_checkpoint(checkpointed, capsys):
    as_owner(("DELETE FROM trial_auditevent", ()),
             ("UPDATE trial_audithead SET sequence = 0, hash = %s WHERE id = 1", ("0" * 64,)))
    code, out = _verify(capsys)
    assert code == 1 and "the chain ends at event 0" in out


def test_a_rewrite_by_someone_holding_the_key_is_caught_by_an_earlier_checkpoint(
        checkpointed, capsys, deployment_key):
    as_owner(("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = 3", ()))
    rehash_with_key(deployment_key.secret)
    code, out = _verify(capsys)
    assert code == 1 and "rewritten" in out
    assert f"event {_vouched(checkpointed)} is not the event" in out
    assert "content altered" not in out  # the chain itself verifies: only the checkpoint knows


def test_a_rewrite_without_the_key_before_a_checkpoint_is_caught_twice(checkpointed, capsys):
    as_owner(("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = 3", ()))
    rehash_unkeyed(unlabel=True)
    code, out = _verify(capsys)
    assert code == 1 and "no keyed event vouches" in out
    assert f"event {_vouched(checkpointed)} is not the event" in out


def test_an_edited_checkpoint_does_not_verify(checkpointed, capsys):
    record = json.loads(checkpointed.read_text())
    checkpointed.write_text(json.dumps({**record, "sequence": 3,
                                        "hash": AuditEvent.objects.get(sequence=3).hash}) + "\n")
    code, out = _verify(capsys)
    assert code == 1 and "line 1: its signature does not verify" in out


def test_a_checkpoint_signed_with_another_key_says_so(checkpointed, capsys, settings):
    other = AuditKey(secrets.token_hex(32).encode())
    settings.TRIALKIT_AUDIT_KEYS = (*settings.TRIALKIT_AUDIT_KEYS, other)
    record = json.loads(checkpointed.read_text())
    settings.TRIALKIT_AUDIT_KEYS = (settings.TRIALKIT_AUDIT_KEYS[0],)
    checkpointed.write_text(json.dumps({**record, "key_id": other.key_id}) + "\n")
    code, out = _verify(capsys)
    assert code == 1 and f"signed with key {other.key_id}, which is not configured" in out


def test_a_line_that_is_no_checkpoint_is_reported(checkpointed, capsys):
    with checkpointed.open("a") as handle:
        handle.write('{"sequence": 6}\n')
    code, out = _verify(capsys)
    assert code == 1 and "line 2: not a checkpoint" in out


def test_no_checkpoint_is_written_for_a_broken_chain(checkpointed, capsys):
    before = checkpointed.read_text()
    as_owner(("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = %s",
              (_vouched(checkpointed) + 1,)))
    assert main(["audit", "checkpoint"]) == 1
    assert "no checkpoint written" in capsys.readouterr().out
    assert checkpointed.read_text() == before


def test_a_checkpoint_file_that_does_not_exist_is_a_usage_error(db, capsys, tmp_path):
    assert main(["audit", "verify", "--checkpoints", str(tmp_path / "nowhere.jsonl")]) == 2
    assert "nowhere.jsonl: no such file" in capsys.readouterr().err
