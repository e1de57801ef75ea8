"""The one registry of standards exports: well-formed entries, and every export that needs no
data written from each protocol and passed by its own independent validator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trialkit.interop.exports import EXPORTS, Export

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def test_the_registry_finds_the_registry_record_and_names_each_export_once():
    assert "ctgov-json" in EXPORTS
    assert all(name == export.name for name, export in EXPORTS.items())


@pytest.mark.parametrize("export", list(EXPORTS.values()), ids=list(EXPORTS))
def test_an_export_is_described_for_the_pages_and_the_api(export: Export):
    assert NAME.match(export.name), export.name
    assert export.title and export.description.endswith(".")
    assert export.layout in ("file", "folder")
    assert export.suffix.startswith(".") and "/" in export.media_type


@pytest.mark.protocols()
@pytest.mark.parametrize("name", [n for n, e in EXPORTS.items() if not e.needs_data])
def test_an_export_from_the_protocol_alone_is_valid_for_every_protocol(trial, name, tmp_path):
    export = EXPORTS[name]
    out = tmp_path / f"{name}{export.suffix if export.layout == 'file' else ''}"
    written = export.write(trial.protocol, None, out)
    assert written and all(Path(p).is_file() for p in written)
    assert list(export.validate(out)) == []


@pytest.mark.parametrize("name", [n for n, e in EXPORTS.items() if e.layout == "file"])
def test_a_validator_finds_problems_in_a_damaged_file(name, tmp_path):
    export = EXPORTS[name]
    damaged = tmp_path / f"damaged{export.suffix}"
    damaged.write_bytes(b"\x00not what the format holds")
    try:
        problems = list(export.validate(damaged))
    except (ValueError, OSError) as exc:  # a validator may refuse unreadable input outright
        problems = [str(exc)]
    assert problems
