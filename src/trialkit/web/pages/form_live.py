"""What a form entry page shows while people type: the values the protocol computes from what
is entered (a disability score from its components), the edit checks that would open a query if
the form were saved now, and which conditional items are not asked.

Computed by the core's own validation (``validate_form``) on the entries, so the live panel and
the save can never disagree; nothing is saved or audited (``views_form_live`` serves it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from trialkit.core.forms import asked_items, validate_form
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.pages.item_values import value_in_words
from trialkit.web.trial.wording import read


@dataclass(frozen=True)
class Live:
    computed: list[tuple[str, str]] = field(default_factory=list)
    findings: list[dict[str, object]] = field(default_factory=list)
    not_asked: list[str] = field(default_factory=list)


def live_checks(protocol: Protocol, form: Form, entries: Mapping[str, object],
                now: dt.datetime) -> Live:
    """``entries``: item id → entered value (text from the page or a saved version's value);
    ``now`` in the site's zone (dates are checked against its calendar day)."""
    codelists = {c.id: c for c in protocol.codelists}
    derived = {item.id for item in form.items if item.derived is not None}
    check = validate_form(form, codelists, {k: v for k, v in entries.items()
                                            if k not in derived}, as_of=now)
    labels = {item.id: item.label for item in form.items}
    computed = [(item.label, value_in_words(protocol, item, check.values.get(item.id)))
                for item in form.items
                if item.id in derived and check.values.get(item.id) is not None]
    findings: list[dict[str, object]] = [
        {"item": f.item, "label": labels.get(f.item, f.item),
         "message": read(f.wording) if f.wording is not None else f.message}
        for f in check.findings if f.opens_query]
    asked = asked_items(form, check.values, now.date(), codelists)
    return Live(computed, findings, [item for item, yes in asked.items() if not yes])
