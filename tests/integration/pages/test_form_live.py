"""Data entry done once and safely: conditional items (a question that does not apply is not
asked: child-bearing potential was asked of men) and computed values and edit checks shown
while typing (the computed EDSS appeared only after saving, so every mismatch became a query).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.integration.capture_support import DAY, consented
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.forms import validate_form
from trialkit.core.forms.expressions import Compare, Constant, ItemRef, parse_check
from trialkit.web.pages.item_values import value_in_words
from trialkit.web.trial import clock
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import FormRecord

pytestmark = pytest.mark.protocols()


def _fields(values: dict[str, object]) -> dict[str, str]:
    return {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
            for k, v in values.items()}


def _conditional(trial):
    """A form with an item asked only when another item equals a code: (form, item, the
    controlling item, the code that asks it, a code that does not)."""
    for form in trial.protocol.forms:
        for item in form.items:
            if item.asked_when is None:
                continue
            condition = parse_check(item.asked_when, form)
            if isinstance(condition, Compare) and condition.op == "==" and isinstance(
                    condition.left, ItemRef) and isinstance(condition.right, Constant):
                controller = form.item(condition.left.item)
                codes = [c.code for c in trial.protocol.codelist(controller.codelist).items]
                other = next(c for c in codes if c != condition.right.value)
                return form, item, controller, condition.right.value, other
    raise AssertionError("the protocol has a conditional item on a code")


def _page(trial, make_actor, form, number):
    screener = make_actor(trial.screener)
    participant = consented(do_register_candidate(number, trial.site, actor=screener), screener)
    visit = trial.visits_collecting(form)[0]
    enterer = make_actor(trial.entry_role(form), username=f"enterer-{number}".lower())
    url = reverse("pages:form_entry", args=[participant.pk, visit, form.id])
    live = reverse("pages:form_live", args=[participant.pk, visit, form.id])
    return participant, signed_in(enterer.name, PASSWORD), url, live


def _not_asked(body: bytes) -> list[str]:
    return re.search(r'data-not-asked="([^"]*)"', body.decode()).group(1).split()


@pytest.mark.protocols("conditional_item")
def test_a_question_that_does_not_apply_is_not_asked_and_a_value_for_it_is_refused(
        trial, make_actor):
    form, item, controller, asking, not_asking = _conditional(trial)
    participant, client, url, live = _page(trial, make_actor, form, "S-601")
    page = client.get(url).content.decode()
    # Not yet decided (nothing entered): hidden, with its condition in words beside it.
    assert re.search(rf'<div class="field" data-item="{item.id}" hidden>', page)
    assert f"Asked only when {item.asked_when}" in page.replace("&quot;", '"')
    assert item.id in _not_asked(client.get(live, {f"item-{controller.id}": not_asking})
                                 .content)
    assert item.id not in _not_asked(client.get(live, {f"item-{controller.id}": asking})
                                     .content)

    answer = "true" if item.type == "boolean" else "1"
    values = trial.values(form, DAY, **{controller.id: not_asking})
    refused = client.post(url, {**_fields(values), f"item-{item.id}": answer})
    assert refused.status_code == 422
    assert f'id="err-{item.id}"' in refused.content.decode()
    assert "is asked only when" in text_of(refused.content)
    assert not FormRecord.objects.filter(participant=participant, form_id=form.id).exists()
    saved = client.post(url, _fields(values))  # the question left out: saved
    assert saved.status_code == 302
    record = FormRecord.objects.get(participant=participant, form_id=form.id)
    assert record.versions.get().data[item.id] is None


@pytest.mark.protocols("derived_check")
def test_the_computed_value_and_failing_checks_show_while_typing(trial, make_actor):
    form, derived = next((f, i) for f in trial.protocol.forms for i in f.items
                         if i.derived is not None and i.derived.check_against)
    _, client, url, live = _page(trial, make_actor, form, "S-602")
    right = trial.values(form, DAY)
    checked = derived.derived.check_against
    wrong = {**right, checked: right[checked] + 2}
    codelists = {c.id: c for c in trial.protocol.codelists}
    expected = validate_form(form, codelists, wrong, as_of=clock.now()).values[derived.id]
    panel = text_of(client.get(live, _fields(wrong)).content)
    assert f"{derived.label.lower()} {value_in_words(trial.protocol, derived, expected).lower()}" \
        in panel
    assert "would open a query if saved now" in panel
    calm = text_of(client.get(live, _fields(right)).content)
    assert "no edit check fails on what is entered" in calm
    # The entry page starts with the panel, fed by the same fragment while people type.
    assert f'data-refresh="{live}"' in client.get(url).content.decode()


def test_the_live_panel_is_refused_to_a_role_that_does_not_enter_the_form(trial, make_actor):
    form = next(f for f in trial.protocol.forms if not f.repeating)
    outsider = next(r for r in trial.protocol.roles if r.id not in form.entered_by)
    screener = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-603", trial.site, actor=screener),
                            screener)
    visit = trial.visits_collecting(form)[0] if trial.visits_collecting(form) else "-"
    actor = make_actor(outsider.id, username="outsider")
    response = signed_in(actor.name, PASSWORD).get(
        reverse("pages:form_live", args=[participant.pk, visit, form.id]))
    assert response.status_code in (403, 404)


def test_save_and_next_lands_on_the_visits_next_form_the_role_enters(trial, make_actor):
    # Save landed on a history page; entering a visit's forms meant going back each time.
    protocol = trial.protocol
    pair = next((visit.id, form, later) for visit in protocol.schedule.visits
                for i, form in enumerate(visit.forms) for later in visit.forms[i + 1:]
                if not protocol.form(form).repeating and protocol.form(form).kind != "consent"
                and trial.entry_role(form) in protocol.form(later).entered_by)
    visit, form_id, _ = pair
    form = protocol.form(form_id)
    screener = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-604", trial.site, actor=screener),
                            screener)
    enterer = make_actor(trial.entry_role(form), username="enterer-next")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, visit, form.id])
    page = client.get(url).content.decode()
    assert 'name="then" value="next"' in page
    saved = client.post(url, {**_fields(trial.values(form, DAY)), "then": "next"})
    assert saved.status_code == 302
    landed = saved["Location"].rsplit("/", 2)[-2]
    following = next(f for f in protocol.visit(visit).forms[
        protocol.visit(visit).forms.index(form_id) + 1:]
        if enterer.role in trial.entry_roles(f))
    assert saved["Location"] == reverse("pages:form_entry", args=[participant.pk, visit,
                                                                   following])
    assert landed == following
