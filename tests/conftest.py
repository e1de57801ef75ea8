"""Shared fixtures: the reference protocol and paths to the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from trialkit.core.protocol import Protocol, load_protocol

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PROTOCOL = ROOT / "protocols" / "nct05532943.yaml"
REFERENCE_TEXT_PATH = REFERENCE_PROTOCOL
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def reference_protocol() -> Protocol:
    return load_protocol(REFERENCE_PROTOCOL)


@pytest.fixture(autouse=True)
def _quick_password_hashing(request):
    """Tests hash many passwords; a light Argon2 keeps the suite fast without changing behaviour."""
    if "settings" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: `make test` runs these with "
                    "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trialkit when a server "
                    "is reachable")


@pytest.fixture
def flushable_audit(transactional_db):
    """Let the flush after a transactional test empty the append-only audit table.

    The database refuses TRUNCATE of the audit table; the trigger is switched off just for
    that flush and back on by the post_migrate signal the flush emits when it is done.
    """
    from django.db import connection
    from django.db.models.signals import post_migrate

    trigger = "ALTER TABLE trial_auditevent {} TRIGGER trial_auditevent_no_truncate"

    def enable_again(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute(trigger.format("ENABLE"))
        post_migrate.disconnect(dispatch_uid="trialkit-audit-trigger")

    yield
    post_migrate.connect(enable_again, weak=False, dispatch_uid="trialkit-audit-trigger")
    with connection.cursor() as cursor:
        cursor.execute(trigger.format("DISABLE"))
