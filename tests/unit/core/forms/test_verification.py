"""Where source data verification stands: an item by its latest verification and its value
then and now; a form by its items, a visit by its forms."""

from __future__ import annotations

import pytest

from trialkit.core.forms.verification import combined, item_standing, verifiable_items


@pytest.mark.parametrize(("outcome", "then", "now", "standing"), [
    (None, None, 120, "not_verified"),
    ("verified", 120, 120, "verified"),
    ("verified", 120, 121, "changed"),
    ("verified", None, 120, "changed"),  # entered after the verification of a blank
    ("discrepancy", 120, 120, "discrepancy"),
    ("discrepancy", 120, 107, "changed"),  # corrected: verify it again
])
def test_an_items_standing_follows_its_latest_verification_and_its_value(outcome, then, now,
                                                                         standing):
    assert item_standing(outcome, then, now) == standing


@pytest.mark.parametrize(("items", "form"), [
    ([], "not_verified"),
    (["not_verified", "not_verified"], "not_verified"),
    (["verified", "verified"], "verified"),
    (["verified", "not_verified"], "partly_verified"),
    (["verified", "discrepancy", "not_verified"], "discrepancy"),
    (["verified", "discrepancy", "changed"], "changed"),
    (["partly_verified", "verified"], "partly_verified"),
])
def test_a_form_stands_as_its_items_do_a_change_first(items, form):
    assert combined(items) == form


@pytest.mark.protocols()
def test_derived_items_are_not_verified_against_a_source(trial):
    for form in trial.protocol.forms:
        items = verifiable_items(form)
        assert items and {i.id for i in items} <= {i.id for i in form.items}
        if any(i.derived is None for i in form.items):
            assert all(i.derived is None for i in items)
