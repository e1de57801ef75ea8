"""Form entry on every protocol: edit checks inline, reason for change, versions, audit trail,
sign-off. The forms are found by what they are: one whose entered total is checked against a
derivation, one that needs a signature, one a role may not enter."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.integration.capture_support import DAY, consented, measured, signed_form
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.protocol.reading import reads
from trialkit.web.pages.item_values import value_in_words, values_in_words
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import FormRecord, Query, Signature
from trialkit.web.trial.site_time import zone_of

pytestmark = pytest.mark.protocols()


def _fields(values: dict[str, object]) -> dict[str, str]:
    return {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
            for k, v in values.items()}


def _candidate(trial, make_actor, number: str):
    coordinator = make_actor(trial.screener)
    return coordinator, consented(do_register_candidate(number, trial.site, actor=coordinator),
                                  coordinator)


def test_a_hard_error_is_shown_at_its_item_and_nothing_is_saved(trial, make_actor):
    _, participant = _candidate(trial, make_actor, "S-200")
    target = measured(trial)
    enterer = make_actor(trial.entry_role(target.form), username="enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id])
    above = target.item.range.max + 1
    above = int(above) if target.item.type == "integer" else above
    response = client.post(url, _fields(target.values(trial, **{target.item.id: above})))
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="err-{target.item.id}"' in page
    assert f"must be at most {target.item.range.max:g}" in page
    assert 'aria-invalid="true"' in page
    assert not FormRecord.objects.filter(participant=participant, form_id=target.form.id).exists()


def _derived(trial):
    form, item = next((f, i) for f in trial.protocol.forms for i in f.items
                      if i.derived is not None and i.derived.check_against)
    visit = trial.visits_collecting(form)[0]
    return form, form.item(item.derived.check_against), visit


def _number(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


@pytest.mark.protocols("derived_check")
def test_an_edit_needs_a_reason_and_the_history_shows_versions_trail_and_queries(
        trial, make_actor):
    _, participant = _candidate(trial, make_actor, "S-201")
    form, checked, visit = _derived(trial)
    enterer = make_actor(trial.entry_role(form), username="enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, visit, form.id])
    right = trial.values(form, DAY)
    wrong = {**right, checked.id: right[checked.id] + 2}
    saved = client.post(url, _fields(wrong))
    record = FormRecord.objects.get(participant=participant, form_id=form.id)
    assert saved["Location"] == reverse("pages:form_history", args=[record.pk])
    assert Query.objects.filter(record=record, automatic=True, status="open").exists()

    edit = url + (f"?entry={record.repeat_index}" if form.repeating else "")
    no_reason = client.post(edit, _fields(right))
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.content.decode()
    client.post(edit, {**_fields(right), "reason": "Transcription error"})
    record.refresh_from_db()
    assert record.latest_version == 2
    assert Query.objects.get(record=record, automatic=True).status == "closed"
    history = text_of(client.get(reverse("pages:form_history", args=[record.pk])).content)
    assert "version 2" in history and "reason for change: transcription error" in history
    change = f"{_number(wrong[checked.id])} → {_number(right[checked.id])}"
    # People read the protocol's labels, not item ids: in the trail, the queries, findings.
    assert f"{checked.label.lower()} 2 {change}" in history
    query = Query.objects.get(record=record, automatic=True)
    page = text_of(client.get(reverse("pages:query", args=[query.pk])).content)
    assert f"query on {form.name.lower()} · {checked.label.lower()}" in page


def test_the_investigator_signs_the_latest_version_with_the_password(trial, make_actor):
    _, participant = _candidate(trial, make_actor, "S-202")
    form, visit = signed_form(trial)
    enterer = make_actor(trial.entry_role(form), username="enterer")
    signed_in(enterer.name, PASSWORD).post(
        reverse("pages:form_entry", args=[participant.pk, visit, form.id]),
        _fields(trial.values(form, DAY)))
    record = FormRecord.objects.get(participant=participant, form_id=form.id)
    investigator = make_actor(trial.investigator, username="signer")
    client = signed_in(investigator.name, PASSWORD)
    sign = reverse("pages:sign_form", args=[record.pk])
    wrong = client.post(sign, {"password": "nope", "meaning": "Reviewed"}, follow=True)
    assert "password: the password is not correct" in text_of(wrong.content)
    client.post(sign, {"password": PASSWORD, "meaning": "Reviewed and approved"})
    signature = Signature.objects.get(version__record=record)
    history = client.get(reverse("pages:form_history", args=[record.pk])).content.decode()
    assert signature.printed_name in history and "Valid:" in history


def test_a_role_may_enter_its_forms_but_not_the_administration_record(trial, make_actor):
    _, participant = _candidate(trial, make_actor, "S-203")
    dose = trial.forms_of_kind("administration")[0]
    role, mine = next((r.id, f) for r in trial.roles("enter_data") for f in trial.protocol.forms
                      if r.id in trial.entry_roles(f) and r.id not in dose.entered_by
                      and trial.visits_collecting(f))
    client = signed_in(make_actor(role, username="specialist").name, PASSWORD)
    own = client.get(reverse("pages:form_entry", args=[
        participant.pk, trial.visits_collecting(mine)[0], mine.id]))
    other = client.get(reverse("pages:form_entry", args=[
        participant.pk, trial.visits_collecting(dose)[0], dose.id]))
    assert '<form method="post" novalidate id="entry-form" data-unsaved-warning>' in \
        own.content.decode()
    if reads(trial.protocol.role(role), dose):
        assert "Your role may not enter this form" in other.content.decode()
    else:  # a role that does not read the record (a blinded rater) is not shown it at all
        assert other.status_code == 403 and "does not read form" in other.content.decode()


def test_the_history_shows_each_item_by_its_label_and_its_value_in_words(trial, make_actor):
    # It once listed item ids and stored codes: "ms_course RRMS", "serious false".
    _, participant = _candidate(trial, make_actor, "S-204")
    target = measured(trial)
    enterer = make_actor(trial.entry_role(target.form), username="enterer")
    client = signed_in(enterer.name, PASSWORD)
    client.post(reverse("pages:form_entry", args=[participant.pk, target.visit,
                                                 target.form.id]),
                _fields(target.values(trial)))
    record = FormRecord.objects.get(participant=participant, form_id=target.form.id)
    html = client.get(reverse("pages:form_history", args=[record.pk])).content.decode()
    saved = record.versions.get().data
    with timezone.override(zone_of(participant.site)):  # the page is on the site's clock
        rows = values_in_words(trial.protocol, target.form, saved)
    assert [label for label, _ in rows] == [i.label for i in target.form.items if i.id in saved]
    for label, value in rows:
        assert f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" in html
    for item in target.form.items:
        assert f"<dt>{item.id}</dt>" not in html or item.id == item.label


def test_stored_values_read_in_words_on_every_form(trial):
    protocol = trial.protocol
    for form in protocol.forms:
        for item in form.items:
            assert value_in_words(protocol, item, None) == "—"
            if item.type == "boolean":
                assert (value_in_words(protocol, item, True),
                        value_in_words(protocol, item, False)) == ("Yes", "No")
            if item.codelist is not None:
                for entry in protocol.codelist(item.codelist).items:
                    assert value_in_words(protocol, item, entry.code) == entry.decode
            if item.type == "datetime":
                assert value_in_words(protocol, item, "2026-03-01T10:05:00+08:00") == (
                    "2026-03-01 02:05 UTC")


def test_a_time_is_typed_and_read_on_the_sites_clock_and_kept_in_utc(trial, make_actor):
    # Times were typed in UTC ("Given at (UTC)"): a site at UTC+8 converted each by hand.
    _, participant = _candidate(trial, make_actor, "S-205")
    target = measured(trial)
    when = next(i for i in target.form.items if i.type == "datetime")
    zone = ZoneInfo(trial.protocol.identity.sites[0].time_zone)
    assert participant.site.code == trial.protocol.identity.sites[0].id
    enterer = make_actor(trial.entry_role(target.form), username="enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id])
    typed = f"{DAY:%Y-%m-%d} 21:30"  # late enough that the UTC day differs east of Greenwich
    response = client.post(url, _fields(target.values(trial, **{when.id: typed})))
    assert response.status_code == 302, text_of(response)
    record = FormRecord.objects.get(participant=participant, form_id=target.form.id)
    stored = dt.datetime.fromisoformat(record.versions.get().data[when.id])
    wall = dt.datetime.combine(DAY, dt.time(21, 30), tzinfo=zone)
    assert stored == wall and stored.utcoffset() == dt.timedelta(0)
    offset = wall.utcoffset().total_seconds() / 3600
    label = "UTC" if offset == 0 else f"UTC{offset:+g}"
    history = client.get(reverse("pages:form_history", args=[record.pk])).content.decode()
    assert f"<dd>{DAY:%Y-%m-%d} 21:30 {label}</dd>" in history
    entry = client.get(url + "?entry=0").content.decode()
    assert f'value="{DAY:%Y-%m-%d} 21:30"' in entry
    assert f"times in {zone.key}" in entry


def test_a_time_not_typed_as_iso_date_and_24_hour_clock_is_refused_at_its_item(trial, make_actor):
    _, participant = _candidate(trial, make_actor, "S-206")
    target = measured(trial)
    when = next(i for i in target.form.items if i.type == "datetime")
    enterer = make_actor(trial.entry_role(target.form), username="enterer")
    client = signed_in(enterer.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id])
    response = client.post(url, _fields(target.values(trial, **{when.id: "10/03/2025 9:30"})))
    assert response.status_code == 422
    assert "give a date and time as YYYY-MM-DD HH:MM" in response.content.decode()
    assert not FormRecord.objects.filter(participant=participant, form_id=target.form.id).exists()
