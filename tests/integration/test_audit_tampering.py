"""The attack of issue 11, exactly: someone with write access to the database downgrades an
adverse event's grade, rewrites its audit event to match and re-hashes the chain. With the
unkeyed SHA-256 chain anyone could recompute it and `audit verify` said "intact"; with the
keyed chain the rewrite is reported, whether the chain was recomputed with the old unkeyed
algorithm or under a guessed key."""

from __future__ import annotations

import secrets

import pytest

from tests.integration.audit_support import downgrade, rehash_unkeyed, rehash_with_key
from tests.integration.capture_support import adverse_event
from trialkit.cli.main import main
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.audit_keys import DEVELOPMENT_SECRET, AuditKey
from trialkit.web.trial.models import FormVersion

pytestmark = pytest.mark.protocols()
GUESS = b"trialkit" * 5


@pytest.fixture(autouse=True)
def deployment_key(settings):
    """A deployment's own secret key, as production must have (the public development key
    would be the attacker's first guess, and a right one)."""
    settings.TRIALKIT_AUDIT_KEYS = (AuditKey(secrets.token_hex(32).encode()),)
    return settings.TRIALKIT_AUDIT_KEYS[0]


@pytest.fixture
def reporter(trial, make_actor):
    return make_actor(trial.entry_role(trial.adverse_event_form), username="ae-reporter")


def _severity(trial):
    """The adverse-event form's grade (AETOXGR) or severity (AESEV) item, its worst and its
    mildest code, typed as the form stores them."""
    form = trial.adverse_event_form
    item = form.item_with("AE", "AETOXGR") or form.item_with("AE", "AESEV")
    assert item is not None, f"{trial.stem}: the adverse-event form has no grade or severity"
    codelist = trial.protocol.codelist(item.codelist)
    typed = int if codelist.data_type == "integer" else str
    return item.id, typed(codelist.items[-1].code), typed(codelist.items[0].code)


def _save_worst(trial, participant, reporter):
    item, worst, mildest = _severity(trial)
    values = adverse_event(trial, **{item: worst})
    version = do_save_form(participant, trial.adverse_event_form.id, "", values, actor=reporter)
    return version, item, mildest


REHASHES = {
    "unkeyed algorithm": lambda: rehash_unkeyed(unlabel=False),
    "unkeyed algorithm, key ids blanked": lambda: rehash_unkeyed(unlabel=True),
    "the public development key": lambda: rehash_with_key(DEVELOPMENT_SECRET),
    "a guessed key under its own id": lambda: rehash_with_key(GUESS, AuditKey(GUESS).key_id),
}


@pytest.mark.parametrize("rehash", REHASHES, ids=list(REHASHES))
def test_a_downgraded_adverse_event_rehashed_without_the_key_is_reported(
        trial, participant, reporter, capsys, rehash):
    version, item, mildest = _save_worst(trial, participant, reporter)
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()

    downgrade(version, item, mildest)
    REHASHES[rehash]()

    assert FormVersion.objects.get(pk=version.pk).data[item] == mildest  # the attack took
    assert main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_a_chain_recomputed_without_the_key_is_called_that_not_a_list_of_edits(
        trial, participant, reporter, capsys):
    version, item, mildest = _save_worst(trial, participant, reporter)
    downgrade(version, item, mildest)
    rehash_unkeyed(unlabel=False)
    assert main(["audit", "verify"]) == 1
    assert "every keyed link fails under the configured key" in capsys.readouterr().out


def test_a_rewrite_under_the_real_key_still_verifies_so_the_key_must_stay_out_of_the_database(
        trial, participant, reporter, deployment_key):
    """What the key buys, and what it does not: whoever holds it can rewrite the chain; only a
    checkpoint kept elsewhere shows that (test_audit_checkpoints.py)."""
    version, item, mildest = _save_worst(trial, participant, reporter)
    downgrade(version, item, mildest)
    rehash_with_key(deployment_key.secret)
    assert main(["audit", "verify"]) == 0
