"""Secrets the server must read back, kept in the database sealed with a key held outside it.

A second factor's seed has to be read again at every sign-in, so it cannot be hashed like a
password or a recovery code. Stored in clear, anyone who reads the database or a backup could
generate every user's codes. So it is sealed with AES-256-GCM under a key derived (HKDF-SHA256)
from Django's ``SECRET_KEY``, which lives in the environment, never in the database
(docs/deploy.md). Each value is bound to its owner (the associated data names the user), so a
sealed seed copied onto another account's row does not open.

Rotation follows Django's: values sealed under a key now in ``SECRET_KEY_FALLBACKS`` still
open, and the next write seals them under the current key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "sealed1:"
NONCE_BYTES = 12


class UnsealError(ValueError):
    """The stored value does not open with any configured key (or it is not sealed)."""


def seal(text: str, *, purpose: str, owner: str) -> str:
    """``text`` sealed for ``purpose`` (which also names the key) and bound to ``owner``."""
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(_key(settings.SECRET_KEY, purpose)).encrypt(
        nonce, text.encode("utf-8"), owner.encode("utf-8"))
    return PREFIX + base64.urlsafe_b64encode(nonce + body).decode("ascii")


def unseal(stored: str, *, purpose: str, owner: str) -> str:
    """The text ``seal`` sealed; ``UnsealError`` when no configured key opens it."""
    if not is_sealed(stored):
        raise UnsealError("the value is not sealed")
    raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
    nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in _secret_keys():
        try:
            opened = AESGCM(_key(secret, purpose)).decrypt(nonce, body, owner.encode("utf-8"))
        except InvalidTag:
            continue
        return opened.decode("utf-8")
    raise UnsealError("no configured key opens the value (was SECRET_KEY changed without "
                      "keeping the old one in SECRET_KEY_FALLBACKS?)")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def _secret_keys() -> Iterator[str]:
    yield settings.SECRET_KEY
    yield from getattr(settings, "SECRET_KEY_FALLBACKS", ())


def _key(secret: str | bytes, purpose: str) -> bytes:
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"trialkit sealed values",
                info=purpose.encode("utf-8")).derive(material)


__all__ = ["UnsealError", "is_sealed", "seal", "unseal"]
