"""TOTP against the published test vectors of RFC 6238 (appendix B) and RFC 4226 (appendix D),
and the one-time and drift rules the sign-in relies on."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from trialkit.web.trial import totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890" * 6 + b"1234"

RFC_6238 = [  # (Unix time, SHA-1, SHA-256, SHA-512), 8 digits
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), RFC_6238)
def test_totp_matches_the_rfc_6238_test_vectors(seconds, sha1, sha256, sha512):
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    assert totp.totp(SHA1_KEY, moment, digits=8) == sha1
    assert totp.totp(SHA256_KEY, moment, digits=8, digest="sha256") == sha256
    assert totp.totp(SHA512_KEY, moment, digits=8, digest="sha512") == sha512


def test_hotp_matches_the_rfc_4226_test_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922",
                "162583", "399871", "520489"]
    assert [totp.hotp(SHA1_KEY, counter) for counter in range(10)] == expected


def test_a_secret_round_trips_through_base32_without_padding():
    secret = totp.new_secret()
    assert "=" not in secret and len(totp.secret_bytes(secret)) == totp.SECRET_BYTES
    assert totp.secret_bytes(base64.b32encode(SHA1_KEY).decode()) == SHA1_KEY


def test_a_code_is_accepted_one_step_either_side_and_never_twice():
    secret = base64.b32encode(SHA1_KEY).decode()
    now = dt.datetime.fromtimestamp(1111111111, dt.UTC)
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.hotp(SHA1_KEY, step + offset)
        assert totp.matching_step(secret, code, now) == step + offset
    assert totp.matching_step(secret, totp.hotp(SHA1_KEY, step + 2), now) is None
    used = totp.hotp(SHA1_KEY, step)
    assert totp.matching_step(secret, used, now, after=step) is None
    assert totp.matching_step(secret, "12345", now) is None
    assert totp.matching_step(secret, "abcdef", now) is None


def test_recovery_codes_are_distinct_and_compared_by_digest_ignoring_dashes_and_case():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES
    code = codes[0]
    assert totp.recovery_digest(code) == totp.recovery_digest(code.upper().replace("-", " "))
    assert totp.recovery_digest(code) != totp.recovery_digest(codes[1])


def test_the_provisioning_uri_names_the_issuer_account_and_secret():
    uri = totp.provisioning_uri("ABC", "ana", "trialkit")
    assert uri.startswith("otpauth://totp/trialkit%3Aana?")
    assert "secret=ABC" in uri and "issuer=trialkit" in uri and "period=30" in uri
