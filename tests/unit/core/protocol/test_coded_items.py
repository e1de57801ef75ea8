"""An item coded to a medical dictionary (``coded_with``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.protocol_cases import protocol_files
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.forms import Item


def test_a_text_item_may_be_coded_to_meddra():
    item = Item(id="term", label="Term", type="text", coded_with="meddra")
    assert item.coded_with == "meddra"


@pytest.mark.parametrize("kind", ["integer", "date", "boolean"])
def test_only_text_items_are_coded(kind):
    with pytest.raises(ValidationError, match="only text items are coded"):
        Item(id="x", label="X", type=kind, coded_with="meddra")


def test_an_unknown_dictionary_is_refused():
    with pytest.raises(ValidationError):
        Item(id="x", label="X", type="text", coded_with="whoart")


@pytest.mark.parametrize("path", protocol_files(), ids=lambda p: p.stem)
def test_every_adverse_event_term_is_coded_and_some_role_codes_it(path):
    protocol = load_protocol(path)
    for form in protocol.forms:
        if form.kind == "adverse_event":
            term = form.item_with("AE", "AETERM")
            assert term is not None and term.coded_with == "meddra"
    assert any("code_terms" in role.can for role in protocol.roles)
