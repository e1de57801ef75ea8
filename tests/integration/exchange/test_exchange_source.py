"""The one reader of the database for exports (``exchange_source.exchange_rows``) on every
protocol's demo trial: as complete as the analysis rows, never more than its reader may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from trialkit.core.protocol.reading import revealing_administrations
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import readable_form_ids
from trialkit.web.trial.exchange_source import exchange_rows
from trialkit.web.trial.models import FormVersion, Membership, Signature

pytestmark = pytest.mark.protocols()


def _actor(demo, role_id: str):
    sign_in = next(s for s in demo.sign_ins if s.role == role_id)
    return actor_for(User.objects.get(username=sign_in.username), role_id)


def test_without_an_actor_the_rows_are_blinded_and_hold_no_form_that_differs_by_arm(
        trial, module_demo):
    rows = exchange_rows(clock.today())
    revealing = {f.id for f in trial.protocol.forms
                 if revealing_administrations(trial.protocol, f)}
    assert rows.blinded
    assert rows.versions
    assert not {v.form for v in rows.versions} & revealing
    assert not {f.form for f in rows.trial.forms} & revealing


def test_every_saved_version_and_signature_is_read_with_who_when_and_why(trial, module_demo):
    actor = _actor(module_demo, next(r.id for r in trial.protocol.roles if "allocation" in r.sees))
    rows = exchange_rows(clock.today(), actor)
    forms = readable_form_ids(actor)
    assert len(rows.versions) == FormVersion.objects.filter(record__form_id__in=forms).count()
    assert len(rows.signatures) == Signature.objects.filter(
        version__record__form_id__in=forms).count()
    latest = {}
    for version in rows.versions:
        latest[(version.participant, version.form, version.visit, version.repeat)] = version
    assert {(f.participant, f.form, f.visit, f.repeat): dict(f.data) for f in rows.trial.forms} \
        == {key: dict(v.data) for key, v in latest.items()}
    assert all(v.saved_by and v.saved_at for v in rows.versions)
    signed = {(s.participant, s.form, s.visit, s.repeat, s.version) for s in rows.signatures}
    assert signed <= {(v.participant, v.form, v.visit, v.repeat, v.number) for v in rows.versions}


def test_a_reader_who_sees_allocation_gets_arms_and_a_blinded_role_does_not(trial, module_demo):
    unblinded = next(r.id for r in trial.protocol.roles if "allocation" in r.sees)
    blinded = next(r.id for r in trial.protocol.roles if not r.sees and not r.blinded_until_lock)
    assert not exchange_rows(clock.today(), _actor(module_demo, unblinded)).blinded
    rows = exchange_rows(clock.today(), _actor(module_demo, blinded))
    assert rows.blinded
    assert {v.form for v in rows.versions} <= readable_form_ids(_actor(module_demo, blinded))


def test_rows_as_of_a_past_day_hold_nothing_saved_or_given_after_it(trial, module_demo):
    everything = exchange_rows(clock.today())
    days = sorted({v.saved_at.date() for v in everything.versions})
    as_of = days[len(days) // 2]
    rows = exchange_rows(as_of)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    assert rows.versions and len(rows.versions) < len(everything.versions)
    assert all(v.saved_at < end for v in rows.versions)
    assert all(d.given_at < end for d in rows.doses)
    assert all(r.randomized_at < end for r in rows.randomizations)
    assert all(v.done_on is None or v.done_on <= as_of for v in rows.visits)
    assert rows.digest() != everything.digest()


def test_a_reader_limited_to_one_site_reads_only_that_sites_participants(trial, module_demo):
    membership = Membership.objects.filter(site__isnull=False, active=True).select_related(
        "site", "user").first()
    if membership is None:  # every demo role is study-wide: make one site-bound reader
        pytest.fail("the demo has no site-bound membership to read as")
    rows = exchange_rows(clock.today(), actor_for(membership.user, membership.role))
    assert {p.site for p in rows.trial.participants} <= {membership.site.code}
    assert {s.code for s in rows.sites} <= {membership.site.code}
