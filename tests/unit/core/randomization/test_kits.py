"""Kit codes: shape, the check character, uniqueness."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from trialkit.core.randomization.kits import (
    ALPHABET,
    check_character,
    draw_kit_codes,
    format_kit_code,
    kit_code_is_valid,
)

bodies = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


@given(bodies)
def test_a_formatted_kit_code_is_valid(body: str) -> None:
    code = format_kit_code("UMSC", body)
    assert code.startswith("UMSC-") and len(code) == len("UMSC-XXXX-XXXX-C")
    assert kit_code_is_valid(code)


@given(bodies, st.integers(0, 7), st.sampled_from(ALPHABET))
def test_every_single_character_typo_is_caught(body: str, position: int, typo: str) -> None:
    if body[position] == typo:
        return
    wrong = body[:position] + typo + body[position + 1:]
    assert check_character(wrong) != check_character(body)


def test_the_check_character_follows_luhn_mod_32_on_a_hand_worked_example() -> None:
    # "00000001": the rightmost value 1 is doubled → 2; 32 − 2 = 30 → ALPHABET[30] = "Y".
    assert check_character("00000001") == "Y"
    # "00000010": the second from the right is not doubled → 1; 32 − 1 = 31 → "Z".
    assert check_character("00000010") == "Z"


def test_malformed_codes_are_invalid() -> None:
    good = format_kit_code("KIT", "7K3QH2MX")
    assert kit_code_is_valid(good)
    assert not kit_code_is_valid(good.replace("-", ""))
    assert not kit_code_is_valid(good.lower())
    assert not kit_code_is_valid("KIT-7K3Q-H2MI-" + good[-1])  # I is not in the alphabet


def test_drawn_codes_are_distinct_and_deterministic_by_seed() -> None:
    first = draw_kit_codes("KIT", 5000, np.random.default_rng(1))
    assert len(set(first)) == 5000
    assert draw_kit_codes("KIT", 5000, np.random.default_rng(1)) == first
    assert draw_kit_codes("KIT", 5000, np.random.default_rng(2)) != first
