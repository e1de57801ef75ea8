"""Second-factor seeds are stored sealed with a key outside the database (sealed.py): the
stored value holds no seed, opens only for its owner and under a configured key (the current
one or a fallback kept after a rotation), and seeds stored in clear before are sealed by the
migration. Also: every model change has its migration."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from tests.integration.conftest import PASSWORD
from trialkit.web.trial import totp
from trialkit.web.trial.actions.accounts import do_create_user
from trialkit.web.trial.actions.two_factor import do_start_two_factor, stored_totp_secret
from trialkit.web.trial.models import Profile
from trialkit.web.trial.sealed import UnsealError, is_sealed, seal, unseal

OLD_KEY = "an-old-secret-key-of-the-server-" * 2
NEW_KEY = "the-new-secret-key-of-the-server" * 2


@pytest.fixture
def person(study):
    return do_create_user("lin", PASSWORD, "Lin Mei", actor=None)


def test_a_seed_is_stored_sealed_and_read_back_in_clear(person):
    seed = do_start_two_factor(person)
    stored = Profile.objects.get(user=person).totp_secret
    assert is_sealed(stored) and seed not in stored
    assert stored_totp_secret(Profile.objects.get(user=person)) == seed
    assert totp.secret_bytes(seed)  # still a seed an authenticator app takes


def test_a_sealed_value_opens_only_for_its_owner_and_purpose():
    sealed = seal("JBSWY3DPEHPK3PXP", purpose="totp-secret", owner="user:1")
    assert unseal(sealed, purpose="totp-secret", owner="user:1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(UnsealError):  # copied onto another account's row
        unseal(sealed, purpose="totp-secret", owner="user:2")
    with pytest.raises(UnsealError):
        unseal(sealed, purpose="api-token", owner="user:1")
    with pytest.raises(UnsealError):
        unseal("JBSWY3DPEHPK3PXP", purpose="totp-secret", owner="user:1")


def test_a_rotated_key_still_opens_what_it_sealed_only_while_kept_as_a_fallback():
    with override_settings(SECRET_KEY=OLD_KEY):
        sealed = seal("JBSWY3DPEHPK3PXP", purpose="totp-secret", owner="user:1")
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert unseal(sealed, purpose="totp-secret", owner="user:1") == "JBSWY3DPEHPK3PXP"
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]), \
            pytest.raises(UnsealError, match="SECRET_KEY_FALLBACKS"):
        unseal(sealed, purpose="totp-secret", owner="user:1")


def test_the_migration_seals_a_seed_stored_in_clear(person):
    Profile.objects.filter(user=person).update(totp_secret="JBSWY3DPEHPK3PXP")
    migration = importlib.import_module("trialkit.web.trial.migrations.0016_sealed_totp_secret")
    migration.seal_clear_secrets(apps, None)
    migration.seal_clear_secrets(apps, None)  # twice: a sealed seed is left as it is
    profile = Profile.objects.get(user=person)
    assert is_sealed(profile.totp_secret)
    assert stored_totp_secret(profile) == "JBSWY3DPEHPK3PXP"


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


def test_a_seed_no_configured_key_opens_is_refused_in_words_not_with_a_crash(person):
    from trialkit.web.trial.actions.base import StateConflictError
    from trialkit.web.trial.actions.two_factor import do_verify_second_factor

    with override_settings(SECRET_KEY=OLD_KEY):
        do_start_two_factor(person)
    with override_settings(SECRET_KEY=NEW_KEY), \
            pytest.raises(StateConflictError, match="another server key") as refused:
        do_verify_second_factor(person, "123456")
    assert refused.value.field == "code"
