"""A database written before the chain was keyed: migration 0006 appends one keyed event, the
seal, whose link covers the last unkeyed one. The unkeyed events keep verifying under their
own scheme, and from the seal on nobody without the key can rewrite them either."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests.integration.audit_support import as_owner, rehash_unkeyed
from trialkit.cli.main import main
from trialkit.web.trial.audit import chain_summary, current_key, verify_chain
from trialkit.web.trial.audit_chain import SEAL_ACTION
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()
MIGRATION = importlib.import_module("trialkit.web.trial.migrations.0006_keyed_audit_chain")


def _seal() -> None:
    MIGRATION.seal_unkeyed_chain(apps, None)


@pytest.fixture
def unkeyed_chain(trial, make_actor):
    """Five events as trialkit wrote them before keying: unkeyed links, no key ids."""
    make_actor(trial.screener)
    rehash_unkeyed(unlabel=True)
    assert [p.kind for p in verify_chain()] == ["unkeyed"]  # not acceptable unsealed
    return AuditEvent.objects.count()


def test_the_migration_seals_an_unkeyed_chain_with_one_keyed_event(unkeyed_chain, capsys):
    _seal()
    seal = AuditEvent.objects.order_by("sequence").last()
    assert (seal.sequence, seal.action, seal.key_id) == (unkeyed_chain + 1, SEAL_ACTION,
                                                         current_key().key_id)
    assert seal.old["last_sequence"] == unkeyed_chain and seal.old["events"] == unkeyed_chain
    assert verify_chain() == []
    assert chain_summary().keyed_from == unkeyed_chain + 1
    assert main(["audit", "verify"]) == 0
    assert f"events 1–{unkeyed_chain} have unkeyed links, vouched for by event " \
           f"{unkeyed_chain + 1}" in capsys.readouterr().out


def test_the_migration_leaves_an_empty_chain_alone(db):
    _seal()
    assert not AuditEvent.objects.exists()


def test_the_migration_leaves_a_keyed_chain_alone(trial, make_actor):
    make_actor(trial.screener)
    _seal()
    assert not AuditEvent.objects.filter(action=SEAL_ACTION).exists()


def test_an_edited_unkeyed_event_is_still_reported_after_the_seal(unkeyed_chain):
    _seal()
    as_owner(("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = 2", ()))
    assert [(p.sequence, p.kind) for p in verify_chain()] == [(2, "altered")]


def test_unkeyed_events_recomputed_consistently_break_at_the_seal(unkeyed_chain):
    _seal()
    as_owner(("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = 2", ()))
    rehash_unkeyed(unlabel=False, up_to=unkeyed_chain)
    assert [(p.sequence, p.kind) for p in verify_chain()] == [(unkeyed_chain + 1, "relinked")]


def test_a_seal_stripped_of_its_key_and_recomputed_unkeyed_is_reported(unkeyed_chain):
    _seal()
    rehash_unkeyed(unlabel=True)
    [problem] = verify_chain()
    assert problem.kind == "unkeyed" and "no keyed event vouches" in problem.problem


def test_events_after_the_seal_are_keyed_and_an_unkeyed_one_among_them_is_reported(
        unkeyed_chain, trial, make_actor):
    _seal()
    make_actor(trial.investigator)
    assert verify_chain() == []
    last = AuditEvent.objects.order_by("sequence").last()
    as_owner(("UPDATE trial_auditevent SET key_id = '' WHERE sequence = %s", (last.sequence,)))
    rehash_unkeyed(unlabel=False)  # an attacker's best: unkeyed links throughout
    assert any(p.kind == "unkeyed" and p.sequence == last.sequence for p in verify_chain())


def test_the_migration_cannot_be_reversed(db):
    """Going back would un-key the chain: the downgrade the key exists to prevent."""
    operation = MIGRATION.Migration.operations[-1]
    assert not operation.reversible
