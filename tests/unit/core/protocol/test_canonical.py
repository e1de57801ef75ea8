"""The protocol version is the SHA-256 of the canonical form: meaning changes it, layout does not."""

from __future__ import annotations

import json

import yaml

from tests.conftest import REFERENCE_TEXT_PATH
from trialkit.core.protocol import (
    canonical_json,
    from_canonical_json,
    json_schema,
    parse_protocol,
    protocol_version,
)

TEXT = REFERENCE_TEXT_PATH.read_text(encoding="utf-8")


def test_the_version_is_a_sha256_hex_digest(reference_protocol):
    version = protocol_version(reference_protocol)
    assert len(version) == 64 and int(version, 16) >= 0


def test_comments_quoting_and_key_order_do_not_change_the_version(reference_protocol):
    data = yaml.safe_load(TEXT)
    reordered = dict(reversed(list(data.items())))
    relaid = "# a comment\n" + yaml.safe_dump(reordered, sort_keys=False, default_flow_style=True)
    assert protocol_version(parse_protocol(relaid)) == protocol_version(reference_protocol)


def test_spelling_out_a_default_does_not_change_the_version(reference_protocol):
    text = TEXT.replace("  screening_window_days: 28\n  day_zero: iv",
                        "  screening_window_days: 28\n  day_zero: iv", 1)
    text = text.replace("      arms: [umsc01, placebo]\n",
                        "      arms: [umsc01, placebo]\n      enrolment_order: parallel\n", 1)
    assert protocol_version(parse_protocol(text)) == protocol_version(reference_protocol)


def test_any_change_of_meaning_changes_the_version(reference_protocol):
    amended = parse_protocol(TEXT.replace("wait_days: 7", "wait_days: 14"))
    assert protocol_version(amended) != protocol_version(reference_protocol)


def test_the_canonical_json_reads_back_to_an_equal_protocol(reference_protocol):
    again = from_canonical_json(canonical_json(reference_protocol))
    assert again == reference_protocol
    assert protocol_version(again) == protocol_version(reference_protocol)


def test_the_canonical_json_is_compact_and_sorted(reference_protocol):
    text = canonical_json(reference_protocol)
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False)


def test_the_json_schema_accepts_the_reference_and_rejects_an_unknown_key(reference_protocol):
    import jsonschema

    schema = json_schema()
    data = json.loads(canonical_json(reference_protocol))
    jsonschema.validate(data, schema)
    data["design"]["enrolement"] = 1
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert any("enrolement" in e.message for e in errors)
