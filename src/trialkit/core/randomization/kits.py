"""Concealed kit codes: ``PREFIX-XXXX-XXXX-C``, random base32 with a check character.

The body is drawn at random from Crockford's base32 alphabet (no I, L, O, U: nothing to
misread), independently of arm and order, so a kit code reveals nothing. The last character
is a Luhn mod-32 check over the body: it catches every single-character typo and most swaps
of adjacent characters when a code is typed in at the pharmacy or bedside.
"""

from __future__ import annotations

import re

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_SHAPE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_.]*)-(?P<a>[0-9A-Z]{4})-(?P<b>[0-9A-Z]{4})"
                    r"-(?P<check>[0-9A-Z])$")


def check_character(body: str) -> str:
    """Luhn mod 32: double every second value from the right, fold, complete to a multiple."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = _VALUE[char] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return ALPHABET[(32 - total % 32) % 32]


def format_kit_code(prefix: str, body: str) -> str:
    return f"{prefix}-{body[:4]}-{body[4:]}-{check_character(body)}"


def kit_code_is_valid(code: str) -> bool:
    """Shape and check character hold (the prefix is not checked against a protocol)."""
    match = _SHAPE.match(code)
    if match is None:
        return False
    body = match["a"] + match["b"]
    if any(char not in _VALUE for char in body + match["check"]):
        return False
    return check_character(body) == match["check"]


def draw_kit_codes(prefix: str, count: int, rng: np.random.Generator) -> tuple[str, ...]:
    """``count`` distinct kit codes; a repeated draw is replaced, never kept."""
    if count < 0:
        raise ValueError("count: must not be negative")
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        values = rng.integers(0, len(ALPHABET), size=BODY_LENGTH)
        code = format_kit_code(prefix, "".join(ALPHABET[int(v)] for v in values))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return tuple(codes)
