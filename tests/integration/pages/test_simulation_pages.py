"""In the trial (issue 13), on every protocol: the unblinded statistician's simulation page
(conditional power and predicted end, bounded, seeded and cached; refused to every role that
does not read every participant's arm) and, where a committee gate declares a stopping rule,
the safety page's exact P(stop | true rate) table beside the pooled count of qualifying events.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone, translation
from scipy import stats

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import client_for, signed_in, site_today, text_of
from tests.protocol_cases import allocation_secrets, named_in, public_texts
from trialkit.core.adam import derive
from trialkit.core.analysis.catalogue import METHODS
from trialkit.core.protocol.gates import CountAtLeast
from trialkit.core.simulation import gate_rules
from trialkit.core.simulation.conditional import conditional_power
from trialkit.web.pages import views_simulation
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.analysis_source import trial_rows
from trialkit.web.trial.clock import today
from trialkit.web.trial.models import (
    Administration,
    FormRecord,
    FormVersion,
    Participant,
    Site,
    Study,
)
from trialkit.web.trial.wording import read

pytestmark = pytest.mark.protocols()


def _simulates(role) -> bool:
    """What the page admits, from the protocol: sees allocation now, study-wide."""
    return "allocation" in role.sees and not role.site_scoped and not role.blinded_until_lock


def _statistician(trial, demo) -> str:
    roles = [r.id for r in trial.protocol.roles
             if _simulates(r) and r.id in {s.role for s in demo.sign_ins}]
    assert roles, "every protocol has a study-wide role that sees allocation"
    return roles[0]


def test_every_role_that_does_not_read_every_arm_is_refused(trial, module_demo):
    signed = {s.role for s in module_demo.sign_ins}
    refused = [r for r in trial.protocol.roles if not _simulates(r) and r.id in signed]
    assert refused
    for role in refused:
        response = client_for(module_demo, role.id).get("/simulation/?trials=5")
        assert response.status_code == 403, role.id
        assert not named_in(_beyond_public(response.content, trial.protocol),
                            _secrets(trial.protocol)), role.id
        assert b"/simulation/" not in client_for(module_demo, role.id).get("/").content


def test_the_statistician_runs_it_on_the_data_so_far_with_the_seed_and_trials_shown(
        trial, module_demo, monkeypatch):
    cache.clear()
    role = _statistician(trial, module_demo)
    client = client_for(module_demo, role)
    assert b'href="/simulation/"' in client.get("/").content
    calls = []
    real = views_simulation.conditional_power

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(views_simulation, "conditional_power", counted)
    page = client.get("/simulation/?seed=11&trials=7")
    assert page.status_code == 200
    text = text_of(page.content)
    assert "seed 11; 7 simulated trials per analysis" in text
    assert "predicted end" in text
    assert client.get("/simulation/?seed=11&trials=7").status_code == 200
    assert len(calls) == 1, "the same data, seed and trials come from the cache"
    client.get("/simulation/?seed=12&trials=7")
    assert len(calls) == 2, "another seed runs again"

    # The page shows what the core computes on the rows the analysis reads for this role.
    user = next(s.username for s in module_demo.sign_ins if s.role == role)
    from django.contrib.auth.models import User
    actor = actor_for(User.objects.get(username=user), role)
    datasets = derive(trial.protocol, trial_rows(today(), actor))
    assert not datasets.blinded
    for result in conditional_power(trial.protocol, datasets, trials=7, seed=11):
        assert result.analysis_name.lower() in text
        # The method by what it computes, not the catalogue's name ("ancova").
        assert METHODS[result.method].summary.lower() in text
        assert f"<td>{result.method}</td>" not in page.content.decode()
        if result.power is not None:
            assert f"{result.power:.3f} ± {result.mcse:.3f}" in text


def _latest_today(trial) -> dt.date:
    """The latest of the sites' todays: a day after it is in the future on every clock."""
    return max(site_today(site) for site in Site.objects.all())


def test_the_run_is_bounded_and_its_inputs_checked(trial, module_demo):
    client = client_for(module_demo, _statistician(trial, module_demo))
    for query, message in (
            (f"trials={views_simulation.MAX_TRIALS + 1}", "trials: a whole number from 1"),
            ("trials=0", "trials: a whole number from 1"),
            ("seed=-3", "seed: a whole number"),
            ((f"as_of={(_latest_today(trial) + dt.timedelta(days=1)).isoformat()}"),
             "a date in the future has no data yet")):
        page = client.get(f"/simulation/?{query}")
        assert page.status_code == 200
        assert message in text_of(page.content), query
        assert "conditional power of the" not in text_of(page.content)


def test_the_predicted_end_follows_the_enrolment_so_far(trial, module_demo):
    cache.clear()
    client = client_for(module_demo, _statistician(trial, module_demo))
    text = text_of(client.get("/simulation/?trials=3").content)
    for part in trial.protocol.design.parts:
        enrolled = Participant.objects.filter(part=part.id, enrolled_at__isnull=False).exclude(
            status__in=["screening", "screen_failed", "consented"]).count()
        assert f"{part.name.lower()} {enrolled} / {part.enrolment_target}" in text


# -- the safety page: the committee's stopping rule -------------------------------------------

def _secrets(protocol) -> set[str]:
    return {t.lower() for t in allocation_secrets(protocol)}


def _beyond_public(body: bytes, protocol) -> str:
    text = text_of(body)
    for known in public_texts(protocol):
        text = text.replace(known, " ")
    return text


def _reviewer(trial, make_actor):
    role = next(r for r in trial.protocol.roles
                if "review_safety" in r.can and "allocation" not in r.sees)
    return role, signed_in(make_actor(role.id).name, PASSWORD)


def _ae(form, participant, n, *, serious: bool, related: str) -> None:
    """An adverse-event record written as test data: serious or not, and every relation item
    of the form set to ``related``."""
    now = timezone.now()
    codes = {form.item_with("AE", "AETERM").id: f"Event {n}",
             form.item_with("AE", "AESER").id: serious,
             form.item_with("AE", "AESTDTC").id: today().isoformat()}
    codes.update(dict.fromkeys(gate_rules.relation_items(form), related))
    record = FormRecord.objects.create(participant=participant, visit_id="", form_id=form.id,
                                       repeat_index=n, created_at=now, latest_version=1)
    FormVersion.objects.create(record=record, number=1, data=codes, saved_by="test",
                               saved_role="test", saved_at=now, protocol_version="x")


@pytest.mark.protocols("committee_gate")
def test_the_safety_page_shows_each_declared_rule_s_exact_table_and_the_pooled_count(
        trial, make_actor):
    protocol = trial.protocol
    gates = [g for g in protocol.gates.committee if g.stopping_rule is not None]
    assert gates, "the committee-gate protocols declare their stopping rule"
    gate = gates[0]
    rule = gate.stopping_rule
    _role, client = _reviewer(trial, make_actor)
    admin = make_actor(next(r.id for r in protocol.roles if "manage_users" in r.can))
    study, site = Study.objects.get(is_current=True), Site.objects.get(code=trial.site)
    people = Participant.objects.bulk_create([Participant(
        study=study, site=site, screening_number=f"G-{n}", status="enrolled",
        part=gate.reviews_part, sequence_in_part=n, enrolled_at=timezone.now(),
        planned_day0=today(), consent_date=today()) for n in range(1, 6)])
    from django.contrib.auth.models import User
    recorder = User.objects.get(username=admin.name)
    for person in people[:4]:  # the fifth has not received the reviewed administration
        Administration.objects.create(participant=person, recorded_by=recorder,
                                      administration_id=gate.after_administration,
                                      given_at=timezone.now())
    related = rule.event.related[0]
    form = trial.adverse_event_form
    relation = form.item(gate_rules.relation_items(form)[0])
    unrelated = next(c.code for c in protocol.codelist(relation.codelist).items
                     if c.code not in rule.event.related)
    _ae(form, people[0], 1, serious=True, related=related)        # counts
    _ae(form, people[0], 2, serious=True, related=related)        # the same participant
    _ae(form, people[1], 1, serious=True, related=unrelated)      # not related
    _ae(form, people[2], 1, serious=False, related=related)       # not serious
    _ae(form, people[4], 1, serious=True, related=related)        # not reviewed: not dosed

    page = client.get("/safety/")
    assert page.status_code == 200
    text = text_of(page.content)
    assert "so far 1 of 4 participant(s) who received the reviewed administration" in text
    status = gate_rules.gate_status(rule, 1, 4)
    assert status.explanation.lower() in text
    rows = re.findall(r"<tr><td class=\"num\">([\d.]+)</td><td class=\"num\">([\d.]+)</td>",
                      page.content.decode())
    table = gate_rules.gate_stop_table(rule)
    assert rows == [(f"{r.rate:.2f}", f"{r.p_stop:.3f}") for r in table]
    if isinstance(rule, CountAtLeast):  # the binomial tail, computed here on its own
        for rate, p in rows:
            exact = stats.binom.sf(rule.events - 1, rule.of_participants, float(rate))
            assert p == f"{exact:.3f}"
        if (rule.events, rule.of_participants) == (1, 6):  # EVIDENCE.md section 6
            assert [p for _, p in rows[:4]] == ["0.265", "0.469", "0.738", "0.882"]
    assert not named_in(_beyond_public(page.content, protocol), _secrets(protocol))
    # The rule's status is core's sentence, read in the reader's language (it was English on
    # a Chinese page).
    client.cookies["trialkit_language"] = "zh-hant"
    chinese = text_of(client.get("/safety/").content)
    with translation.override("zh-hant"):
        said = read(status.wording).lower()
    assert said != status.explanation.lower() and said in chinese
    assert status.explanation.lower() not in chinese


@pytest.mark.protocols("committee_gate")
def test_a_role_that_does_not_review_safety_gets_no_gate_table(trial, make_actor):
    role = next(r for r in trial.protocol.roles if "report_adverse_event" in r.can
                and "review_safety" not in r.can)
    client = signed_in(make_actor(role.id).name, PASSWORD)
    page = client.get("/safety/")
    assert page.status_code == 200
    assert b"stopping rule for" not in page.content


def test_a_request_runs_a_bounded_number_of_analyses(trial, module_demo, monkeypatch):
    cache.clear()
    monkeypatch.setattr(views_simulation, "MAX_RUNS", 12)
    analyses = sum(len(e.analyses) for e in trial.protocol.endpoints)
    client = client_for(module_demo, _statistician(trial, module_demo))
    text = text_of(client.get("/simulation/?trials=50&endpoints=all&seed=5").content)
    allowed = max(1, 12 // analyses)
    assert f"trials reduced from 50 to {allowed}" in text
    assert f"seed 5; {allowed} simulated trials per analysis" in text
