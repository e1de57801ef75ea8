"""Source data verification: where an item, a form and a visit stand.

A monitor compares an item's value with the source documents and records the outcome against
the version it read: verified, or a discrepancy (with a note). A later version that changes
the item's value leaves that verification in the history but no longer standing: the item is
"changed since verified" until it is verified again. An item a later version leaves as it was
keeps its verification. A form (and a visit) stands as its items (its forms) do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from trialkit.core.protocol.forms import Form, Item

Standing = Literal["not_verified", "verified", "discrepancy", "changed", "partly_verified"]

LABELS: Mapping[Standing, str] = {
    "not_verified": "not verified",
    "verified": "verified",
    "discrepancy": "discrepancy found",
    "changed": "changed since verified",
    "partly_verified": "partly verified",
}

AWAITING: frozenset[Standing] = frozenset({"not_verified", "changed"})
"""Item standings a verification of the whole form (or visit) covers. An item with a
discrepancy waits for its query and is verified again on its own, deliberately."""


def verifiable_items(form: Form) -> tuple[Item, ...]:
    """The items read from a source: every item but those the system derives from others
    (a derived score is checked by the edit checks, not against a source)."""
    entered = tuple(i for i in form.items if i.derived is None)
    return entered or form.items


def item_standing(outcome: str | None, verified_value: object,
                  current_value: object) -> Standing:
    """An item's standing from its latest verification (``outcome``: ``verified`` or
    ``discrepancy``; None when never verified) and its value then and now."""
    if outcome is None:
        return "not_verified"
    if verified_value != current_value:
        return "changed"
    return "discrepancy" if outcome == "discrepancy" else "verified"


def combined(standings: Iterable[str]) -> Standing:
    """A form's standing from its items' (a visit's from its forms'): a change anywhere first,
    then a discrepancy; verified only when everything is."""
    found = set(standings)
    if "changed" in found:
        return "changed"
    if "discrepancy" in found:
        return "discrepancy"
    if found == {"verified"}:
        return "verified"
    return "partly_verified" if found & {"verified", "partly_verified"} else "not_verified"
