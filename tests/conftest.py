"""Shared fixtures: the reference protocol and paths to the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

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
