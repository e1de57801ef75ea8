"""An edit check's message is read in the reader's language on every page that shows it.

Before, a failed check's message was stored as the query's text and shown as stored: the
protocol's English message, and trialkit's own "Visit date 2026-12-08 is in the future" and
"Resolved by version 2.", on Traditional Chinese pages. Now a finding and its query keep what
opened them (the protocol check's id, or trialkit's sentence as a template and values); the
pages read the protocol check's message from the protocol's translation (``checks``) and
trialkit's sentences from its catalogue, while the stored text stays in the protocol's words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.integration.capture_support import consented
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.wording import Wording
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.models import FormRecord, Query
from trialkit.web.trial.wording import read

pytestmark = pytest.mark.protocols()

CJK = re.compile(r"[\u4e00-\u9fff]")
COMPARISON = re.compile(r"(\w+)\s*(<|<=)\s*(\w+)")


def _comparison_check(trial):
    """A form entered at a visit, a check ``a < b`` (or ``<=``) over two numeric items of it,
    and a date item to put in the future: a vital-signs form on every protocol here."""
    for form in trial.protocol.forms:
        if form.repeating or not trial.visits_collecting(form):
            continue
        items = {item.id: item for item in form.items}
        dates = [i for i in form.items if i.type in ("date", "datetime")
                 and i.derived is None and not i.maps_to]
        for check in form.checks:
            found = COMPARISON.fullmatch(check.expression.strip())
            if found and check.when is None and dates and all(
                    items.get(name) is not None and items[name].range is not None
                    for name in (found[1], found[3])):
                return form, check, items[found[1]], items[found[3]], dates[0]
    raise AssertionError("every protocol here has a vital-signs form with such a check")


def _bound(item, which: str):
    value = getattr(item.range, which)
    return int(value) if item.type == "integer" else float(value)


def _fields(values):
    return {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
            for k, v in values.items()}


def _read(client, name, *args, language):
    client.cookies["trialkit_language"] = language
    return text_of(client.get(reverse(name, args=args)).content)


def test_a_failed_check_and_its_query_read_in_the_readers_language(trial, make_actor):
    form, check, low, high, day_item = _comparison_check(trial)
    coordinator = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-EC1", trial.site, actor=coordinator),
                            coordinator)
    enterer = make_actor(trial.entry_role(form), username="ec-enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, trial.visits_collecting(form)[0],
                                            form.id])
    future = today() + dt.timedelta(days=3)
    typed = future.isoformat() + (" 09:00" if day_item.type == "datetime" else "")
    failing = trial.values(form, today(), **{low.id: _bound(low, "max"), high.id: _bound(high, "min"),
                                             day_item.id: typed})
    assert client.post(url, _fields(failing)).status_code == 302
    record = FormRecord.objects.get(participant=participant, form_id=form.id)
    own = {q.check_id or "future": q for q in Query.objects.filter(record=record, automatic=True)}
    assert set(own) == {check.id, "future"}
    assert own[check.id].text == check.message  # stored in the protocol's own words

    zh = trial.protocol.in_language("zh-hant")
    message = next(c.message for c in zh.form(form.id).checks if c.id == check.id).lower()
    stored = record.versions.get().data[day_item.id]
    with translation.override("zh-hant"):
        future_zh = (gettext("%(value)s is in the future") % {"value": stored}).lower()
    assert future_zh != f"{stored} is in the future".lower()
    pages = {name: _read(client, name, *args, language="zh-hant") for name, args in (
        ("pages:form_entry", (participant.pk, trial.visits_collecting(form)[0], form.id)),
        ("pages:form_history", (record.pk,)), ("pages:participant", (participant.pk,)),
        ("pages:query", (own["future"].pk,)))}
    for name, page in pages.items():
        assert future_zh in page, name
        assert "is in the future" not in page, name
    for name in ("pages:form_entry", "pages:form_history", "pages:participant"):
        assert message in pages[name], name
    if message != check.message.lower():  # the protocol carries the check in Chinese
        assert check.message.lower() not in pages["pages:form_history"]
    # The English page reads the stored words.
    english = _read(client, "pages:query", own[check.id].pk, language="en")
    assert check.message.lower() in english

    # A later version resolves both; the edit checks' closing message reads in Chinese too.
    fixed = {**failing, low.id: _bound(low, "min"), high.id: _bound(high, "max"),
             day_item.id: typed.replace(future.isoformat(), (today() - dt.timedelta(days=1))
                                        .isoformat())}
    assert client.post(url, {**_fields(fixed), "reason": "Transcription error"}
                       ).status_code == 302
    assert not Query.objects.filter(record=record, automatic=True).exclude(
        status="closed").exists()
    with translation.override("zh-hant"):
        resolved = (gettext("Resolved by version %(version)s.") % {"version": 2}).lower()
    query_page = _read(client, "pages:query", own[check.id].pk, language="zh-hant")
    assert resolved in query_page and "resolved by version" not in query_page
    assert "resolved by version 2." in _read(client, "pages:query", own[check.id].pk,
                                             language="en")


@pytest.mark.protocols("derived_check")
def test_a_computed_scores_disagreement_reads_in_the_readers_language(trial, make_actor):
    # An entered total that disagrees with the one computed from its components (the rater's
    # EDSS against the FS grades) was explained in core's English on a Chinese page.
    from tests.integration.pages.test_form_pages import _derived

    form, checked, visit = _derived(trial)
    coordinator = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-EC2", trial.site, actor=coordinator),
                            coordinator)
    client = signed_in(make_actor(trial.entry_role(form), username="ec-rater").name, PASSWORD)
    right = trial.values(form, today())
    assert client.post(reverse("pages:form_entry", args=[participant.pk, visit, form.id]),
                       _fields({**right, checked.id: right[checked.id] + 2})).status_code == 302
    query = Query.objects.get(record__participant=participant, automatic=True)
    assert query.wording is not None
    with translation.override("zh-hant"):
        said = read(Wording.from_json(query.wording)).lower()
    assert CJK.search(said)
    for name, args in (("pages:form_history", (query.record_id,)), ("pages:query", (query.pk,)),
                       ("pages:participant", (participant.pk,))):
        page = _read(client, name, *args, language="zh-hant")
        assert said in page and query.text.lower() not in page, name
    assert query.text.lower() in _read(client, "pages:query", query.pk, language="en")
