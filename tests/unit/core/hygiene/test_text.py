"""Text rules: what is refused, what is cleaned, and that the published pattern says the same."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialkit.core.hygiene import (
    CONTROLS,
    SPACES,
    InputRefusedError,
    free_text,
    identifier,
    line,
    password,
    username,
)

RULES = {"line": line(20), "free text": free_text(20), "identifier": identifier(20),
         "username": username(20), "password": password(20, min_length=3)}


def test_a_lone_surrogate_is_refused_by_every_rule():
    for rule in RULES.values():
        with pytest.raises(InputRefusedError, match="surrogate"):
            rule.clean("ab\ud800", required=True)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\x9b"])
def test_nul_and_other_control_characters_are_refused(char):
    for rule in RULES.values():
        with pytest.raises(InputRefusedError, match="control characters"):
            rule.clean(f"ab{char}c", required=True)


def test_free_text_keeps_tab_and_line_breaks_and_turns_crlf_into_lf():
    assert free_text(50).clean("one\ttwo\r\nthree\rfour", required=True) == \
        "one\ttwo\nthree\nfour"
    with pytest.raises(InputRefusedError):
        line(50).clean("one\ttwo", required=True)


def test_text_is_nfc_normalised_before_its_length_is_counted():
    decomposed = "Jose\u0301"  # e + combining acute: five characters, four after NFC
    assert line(4).clean(decomposed, required=True) == "Jos\u00e9"
    assert unicodedata.is_normalized("NFC", line(4).clean(decomposed, required=True))


def test_a_password_is_kept_exactly_as_typed():
    typed = " Jose\u0301 "
    assert password(20).clean(typed, required=True) == typed
    with pytest.raises(InputRefusedError, match="shorter than 3"):
        password(20, min_length=3).clean("ab", required=True)


def test_lengths_and_blank_values():
    with pytest.raises(InputRefusedError, match="longer than 20 characters"):
        line(20).clean("x" * 21, required=True)
    with pytest.raises(InputRefusedError, match="required"):
        line(20).clean(" \u3000 ", required=True)
    assert line(20).clean("  ", required=False) == ""
    assert line(20).clean("  Ada Admin ", required=True) == "Ada Admin"


def test_identifiers_and_usernames_have_their_own_form():
    assert identifier(20).clean(" visit_1.a-b ", required=True) == "visit_1.a-b"
    assert username(20).clean("ada.admin+1@site", required=True) == "ada.admin+1@site"
    for rule, bad in ((identifier(20), "1st"), (username(20), "ada admin"),
                      (username(20), "j\u00f6rg")):
        with pytest.raises(InputRefusedError, match=r"must be an id|only ASCII"):
            rule.clean(bad, required=True)
    assert identifier(20).optional().clean("", required=False) == ""


def test_the_spaces_class_is_exactly_what_python_strips_apart_from_controls():
    spaces = re.compile(f"[{SPACES}]")
    controls = re.compile(f"[{CONTROLS}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if controls.match(char):
            continue
        assert char.isspace() == bool(spaces.match(char)), hex(code)


def ecma(pattern: str) -> str:
    """In ECMA-262, as in JSON Schema, ``$`` matches only at the very end; in Python it also
    matches before a final line break."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern


text = st.text(st.characters(codec="utf-8"), max_size=30)


@pytest.mark.parametrize("name", sorted(RULES))
@pytest.mark.parametrize("required", [True, False])
@settings(max_examples=300, deadline=None)
@given(value=text)
def test_the_published_pattern_and_length_accept_what_the_rule_accepts(name, required, value):
    """Drawn from all of Unicode: the JSON Schema a client reads and the check agree."""
    rule = RULES[name]
    schema = rule.schema(required=required)
    if rule.normalise:
        # The schema sees the text as sent; the rule counts after NFC. Compare on NFC text,
        # which is what every client sends but a few exotic code points.
        value = unicodedata.normalize("NFC", value)
    if rule.multiline:
        value = value.replace("\r", "")
    by_schema = (schema["minLength"] <= len(value) <= schema["maxLength"]
                 and re.search(ecma(schema["pattern"]), value) is not None)
    try:
        rule.clean(value, required=required)
        by_rule = True
    except InputRefusedError:
        by_rule = False
    assert by_schema == by_rule, (value, schema["pattern"])
