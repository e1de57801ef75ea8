"""Loading refuses a protocol whose rule is wrong, pointing at file, line and column."""

from __future__ import annotations

import pytest

from tests.conftest import REFERENCE_TEXT_PATH
from trialkit.core.protocol import ProtocolError, load_protocol

TEXT = REFERENCE_TEXT_PATH.read_text(encoding="utf-8")
GOOD = "      rule: |\n        exists(medications in anti_cd20 within last 12 months)\n"


def _write(tmp_path, text):
    path = tmp_path / "protocol.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


def test_every_criterion_of_the_reference_protocol_has_a_rule(reference_protocol):
    assert all(c.rule for c in reference_protocol.eligibility.criteria)
    assert len(reference_protocol.eligibility.criteria) == 19


def test_an_unknown_value_set_is_refused_with_its_position(tmp_path):
    assert GOOD in TEXT
    text = TEXT.replace(GOOD, GOOD.replace("anti_cd20", "anti_cd19"))
    with pytest.raises(ProtocolError) as info:
        load_protocol(_write(tmp_path, text))
    line = _line_of(text, "exists(medications in anti_cd19")
    message = info.value.render()
    assert f"protocol.yaml:{line}:31: eligibility.criteria[17].rule" in message
    assert "criterion E11: unknown value set 'anti_cd19'" in message


def test_a_syntax_error_on_a_later_line_of_a_rule_points_at_that_line(tmp_path):
    old = "and latest(labs in aptt within screening) <= 1.5 x uln"
    assert old in TEXT
    text = TEXT.replace(old, "and latest(labs in aptt within screening) <= 1.5 x")
    with pytest.raises(ProtocolError) as info:
        load_protocol(_write(tmp_path, text))
    line = _line_of(text, "and latest(labs in aptt within screening) <= 1.5 x")
    assert f":{line}:" in info.value.render()
    assert "criterion I5: the rule ends too early" in info.value.render()


def test_a_type_error_in_a_one_line_rule_points_into_the_line(tmp_path):
    old = "      rule: |\n        age >= 20 and age <= 65\n"
    text = TEXT.replace(old, '      rule: age >= 20 and age <= "65"\n')
    with pytest.raises(ProtocolError) as info:
        load_protocol(_write(tmp_path, text))
    line = _line_of(text, 'rule: age >= 20 and age <= "65"')
    # column 27: the comparison age <= "65" that cannot be typed
    assert f"protocol.yaml:{line}:27: eligibility.criteria[1].rule: criterion I2: cannot " \
           "compare number with text" in info.value.render()
