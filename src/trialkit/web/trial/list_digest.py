"""The randomization list's digest: HMAC-SHA256 under a key that the database does not hold.

The digest is recorded when a list goes live and is read by roles blinded to the list (the audit
trail carries it). A plain SHA-256 would be a public test for a guess: whoever rebuilt a
candidate list (from a guessed seed, or by trying the few orders a small block allows) could
check it offline. Keyed, only the server can check it, and the digest says nothing about the
list to anyone without the key.

The key is the setting ``TRIALKIT_LIST_DIGEST_KEY`` (environment variable of the same name);
left empty, it is derived from ``SECRET_KEY``, and lists released under a retired key in
``SECRET_KEY_FALLBACKS`` still verify. A deployment that rotates ``SECRET_KEY`` without keeping
the old one as a fallback should set ``TRIALKIT_LIST_DIGEST_KEY`` (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

LEGACY_PREFIX = "sha256:"
"""Marks a digest recorded before digests were keyed (migration 0007): a plain SHA-256."""
_DERIVATION_LABEL = b"trialkit randomization list digest key"


def _keys() -> list[bytes]:
    """The current key first, then keys that verify older digests only."""
    configured = getattr(settings, "TRIALKIT_LIST_DIGEST_KEY", "")
    if configured:
        return [configured.encode("utf-8")]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    # A key of its own, so the digest is independent of Django's other uses of SECRET_KEY.
    return [hmac.new(str(s).encode("utf-8"), _DERIVATION_LABEL, hashlib.sha256).digest()
            for s in secrets]


def _hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def list_digest(text: str) -> str:
    """The digest to record for a list's canonical text."""
    return _hmac(_keys()[0], text)


def digest_matches(text: str, recorded: str) -> bool:
    """Whether ``recorded`` is the digest of ``text`` under any configured key (or, for a list
    released before digests were keyed, its plain SHA-256)."""
    if recorded.startswith(LEGACY_PREFIX):
        plain = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return hmac.compare_digest(plain, recorded.removeprefix(LEGACY_PREFIX))
    return any(hmac.compare_digest(_hmac(key, text), recorded) for key in _keys())
