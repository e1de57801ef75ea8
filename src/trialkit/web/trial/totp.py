"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) and recovery codes.

Written with the standard library's hmac and hashlib rather than a dependency: the algorithm
is a dozen lines and the RFC's own test vectors check it (tests/unit/web/test_totp.py).
Authenticator apps use SHA-1, 6 digits and 30-second steps, so those are the defaults.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
"""Codes of one step before or after the current one are accepted: clocks drift and people
type slowly (RFC 6238 section 5.2 recommends at most one step either way)."""
SECRET_BYTES = 20
"""160 bits, the length RFC 4226 recommends for HMAC-SHA-1."""
RECOVERY_CODES = 10


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: HMAC of the 8-byte counter, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), digest).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


def time_step(moment: dt.datetime, *, step: int = STEP_SECONDS) -> int:
    """RFC 6238's T: whole steps since the Unix epoch."""
    return int(moment.timestamp()) // step


def totp(key: bytes, moment: dt.datetime, *, digits: int = DIGITS,
         digest: str = "sha1") -> str:
    return hotp(key, time_step(moment), digits=digits, digest=digest)


def new_secret() -> str:
    """A random secret in base32 without padding, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_bytes(secret: str) -> bytes:
    text = secret.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def matching_step(secret: str, code: str, moment: dt.datetime, *, after: int = 0) -> int | None:
    """The time step within the drift window whose code is ``code``, if it is later than
    ``after`` (the last step accepted: a code is used once, RFC 6238 section 5.2)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = secret_bytes(secret)
    current = time_step(moment)
    for candidate in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every candidate is compared, in constant time, so timing tells nothing of which.
        if candidate > after and hmac.compare_digest(hotp(key, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as text or as a QR code)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like ``k7q2-m9xp-4hde``: 60 random bits each, easy to read aloud and type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    return ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
            for _ in range(count)]


def recovery_digest(code: str) -> str:
    normalised = code.strip().lower().replace(" ", "").replace("-", "")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
