"""A time typed on the site's clock in a real browser, read back the same on every page.

The site of the reference trial is in Taichung (Asia/Taipei, UTC+8). A coordinator there used
to type every post-dose time in UTC ("Given at (UTC)"). Now they type what the ward clock said
and read it back the same; the database holds the moment in UTC. Runs on every protocol, each
in its own site's zone, in English; in Traditional Chinese on the protocols that carry Chinese
words (the Taichung trial: tests/browser/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.support import escaped, fill_form, label, shown, sign_in, words
from tests.integration.capture_support import measured
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    join,
    list_live,
    make_team,
)
from trialkit.web.trial.models import FormRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.protocols()]


def _offset_label(moment: dt.datetime) -> str:
    hours = moment.utcoffset().total_seconds() / 3600
    return "UTC" if hours == 0 else f"UTC{hours:+g}"


def test_a_time_typed_on_the_sites_clock_is_read_back_the_same_and_kept_in_utc(
        browser, server, shot, trial, make_actor, monkeypatch, language):
    t = words(language)
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    if trial.entry_part.allocation == "RANDOMIZED":
        list_live(team, clock)
    participant = eligible_and_consented("S-801", team, clock, START)
    join(participant, trial.entry_part.id, team)
    zone = ZoneInfo(participant.site.time_zone)
    target = measured(trial)
    when = next(i for i in target.form.items if i.type == "datetime")
    # Early morning on the site's clock: east of Greenwich it is still the day before in UTC.
    typed = dt.datetime.combine(clock.today, dt.time(7, 30), tzinfo=zone)
    values = {**target.values(trial, clock.today), when.id: f"{typed:%Y-%m-%d %H:%M}"}

    shown_label = shown(trial.protocol, language).form(target.form.id).item(when.id).label
    page = sign_in(browser, server, team.actor(trial.entry_role(target.form)).name, language)
    page.goto(reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id]))
    field = page.get_by_label(label(shown_label, language))
    expect(field).to_have_attribute("placeholder", "YYYY-MM-DD HH:MM")
    hint = page.locator(f"#hint-{when.id}")
    expect(hint).to_contain_text(t.pattern(
        "On the site's clock (%(zone)s), 24-hour, as YYYY-MM-DD HH:MM."))
    expect(hint).to_contain_text(zone.key)
    fill_form(page, trial, target.form.id, values, language)
    shot(page, "typed-on-the-sites-clock")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("heading", level=3, name=re.compile(
        "^" + t.pattern("Version %(version)s", version=1).pattern))).to_be_visible()

    record = FormRecord.objects.get(participant=participant, form_id=target.form.id,
                                    visit_id=target.visit)
    stored = dt.datetime.fromisoformat(record.versions.get().data[when.id])
    assert stored == typed and stored.utcoffset() == dt.timedelta(0)
    read_back = f"{typed:%Y-%m-%d %H:%M} {_offset_label(typed)}"
    expect(page.locator("dd", has_text=read_back).first).to_be_visible()
    expect(page.locator("footer")).to_contain_text(t.pattern(
        "trialkit · every change is an audited action · times in %(zone)s",
        zone=re.compile(escaped(zone.key) + ".*?")))
    shot(page, "read-back-in-the-history")

    page.goto(reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id])
              + f"?entry={record.repeat_index}")
    expect(page.get_by_label(label(shown_label, language))).to_have_value(
        f"{typed:%Y-%m-%d %H:%M}")
