"""The key the audit chain is linked with, held outside the database.

Read once by the settings module (it imports no model): ``TRIALKIT_AUDIT_KEY`` holds the key
itself, or ``TRIALKIT_AUDIT_KEY_FILE`` names a file with one key a line — the first is the
current key, the lines after it are retired keys kept only so that events linked before a
rotation still verify. A deployment without either refuses to start; development (tests,
``make run``) falls back to a fixed key that is public and says so in its id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_VARIABLE = "TRIALKIT_AUDIT_KEY"
KEY_FILE_VARIABLE = "TRIALKIT_AUDIT_KEY_FILE"
MINIMUM_LENGTH = 32
DEVELOPMENT_SECRET = b"trialkit-development-audit-key--PUBLIC--not-a-secret--never-in-production"
"""In the source code, so anyone can recompute a chain linked with it: for tests and demos."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    development: bool = False

    @property
    def key_id(self) -> str:
        """Names the key in every event and checkpoint without revealing it (an HMAC of a
        fixed label), so a verifier can tell "wrong key" from "altered" and keys can rotate."""
        digest = hmac.new(self.secret, b"trialkit audit key id", hashlib.sha256).hexdigest()
        return ("dev-" if self.development else "k-") + digest[:16]


def audit_keys_from(environ: Mapping[str, str], *, development: bool) -> tuple[AuditKey, ...]:
    """The configured keys, current first; ``development`` allows the public fallback key."""
    text, file = environ.get(KEY_VARIABLE, ""), environ.get(KEY_FILE_VARIABLE, "")
    if text and file:
        raise ImproperlyConfigured(f"set {KEY_VARIABLE} or {KEY_FILE_VARIABLE}, not both")
    if text:
        secrets = [text.strip()]
    elif file:
        secrets = _keys_in_file(Path(file))
    elif development:
        return (AuditKey(DEVELOPMENT_SECRET, development=True),)
    else:
        raise ImproperlyConfigured(
            f"no audit key: set {KEY_VARIABLE} or {KEY_FILE_VARIABLE} (a random secret of at "
            f"least {MINIMUM_LENGTH} characters, e.g. from `python -c \"import secrets; "
            "print(secrets.token_hex(32))\"`), kept outside the database. Without it anyone "
            "who can write to the database could rewrite the audit trail undetected.")
    for number, secret in enumerate(secrets, start=1):
        if len(secret) < MINIMUM_LENGTH:
            where = f"line {number} of {file}" if file else KEY_VARIABLE
            raise ImproperlyConfigured(f"the audit key in {where} is {len(secret)} characters; "
                                       f"it needs at least {MINIMUM_LENGTH} to resist guessing")
    return tuple(AuditKey(secret.encode("utf-8")) for secret in secrets)


def _keys_in_file(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ImproperlyConfigured(f"{KEY_FILE_VARIABLE}: cannot read {path}: "
                                   f"{exc.strerror or exc}") from None
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not keys:
        raise ImproperlyConfigured(f"{KEY_FILE_VARIABLE}: {path} holds no key")
    return keys
