"""Items of a consent form that hold a fact of the consent (``holds``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pydantic import ValidationError

from tests.protocol_cases import protocol_files
from trialkit.core.forms.consent_record import ConsentFacts, consent_values
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.forms import Form, Item

DATE = Item(id="signed", label="Signed", type="date", holds="consent.date")
VERSION = Item(id="version", label="Version", type="text", holds="consent.form_version")


def _form(*items: Item, kind: str = "consent", repeating: bool = False) -> Form:
    return Form(id="ICF", name="Consent", kind=kind, entered_by=("nurse",), items=items,
                repeating=repeating)


def test_a_consent_form_names_what_its_items_hold_and_the_consent_fills_only_those():
    form = _form(DATE, VERSION, Item(id="witness", label="Witness", type="text"))
    facts = ConsentFacts(dt.date(2026, 11, 2), "ICF 2.0", "Dr Lin")
    assert consent_values(form, facts) == {"signed": "2026-11-02", "version": "ICF 2.0"}


@pytest.mark.parametrize(("fact", "wrong_type"), [("consent.date", "text"),
                                                  ("consent.form_version", "date"),
                                                  ("consent.taken_by", "boolean")])
def test_an_item_holding_a_fact_has_its_type(fact, wrong_type):
    with pytest.raises(ValidationError, match=rf"holding {re.escape(fact)} is of type"):
        Item(id="x", label="X", type=wrong_type, holds=fact)


def test_an_unknown_fact_is_refused():
    with pytest.raises(ValidationError):
        Item(id="x", label="X", type="text", holds="consent.witness")


def test_only_a_consent_form_holds_consent_facts():
    with pytest.raises(ValidationError, match="only a consent form"):
        _form(DATE, kind="demographics")


def test_one_item_per_fact():
    with pytest.raises(ValidationError, match="two items hold"):
        _form(DATE, Item(id="again", label="Again", type="date", holds="consent.date"))


def test_a_consent_form_holding_facts_is_not_repeating():
    with pytest.raises(ValidationError, match="not repeating"):
        _form(DATE, repeating=True)


@pytest.mark.parametrize("path", protocol_files(), ids=lambda p: p.stem)
def test_every_protocols_consent_form_holds_the_consent_date(path):
    protocol = load_protocol(path)
    consent = [form for form in protocol.forms if form.kind == "consent"]
    assert consent
    for form in consent:
        assert [i for i in form.items if i.holds == "consent.date"]
