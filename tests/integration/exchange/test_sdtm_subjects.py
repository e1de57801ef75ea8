"""The SDTM subject-level and trial-design domains on every protocol's demo trial, read as the
exports read it: blinded without an actor, with arms for a role that sees the allocation.
Consistent across domains as a reviewer checks them: every subject of SE, SV, IE and DS is
in DM; RFSTDTC is the first dose and --DY counts from it; each subject's elements follow one
another; every visit number is one of the trial's visits; a blinded DM has no arm."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User

from trialkit.core.sdtm.common import Context, Domain
from trialkit.core.sdtm.disposition import build_ds, build_ie
from trialkit.core.sdtm.epochs import doses_given
from trialkit.core.sdtm.special_purpose import build_dm
from trialkit.core.sdtm.subject_elements import build_se
from trialkit.core.sdtm.subject_visits import build_sv
from trialkit.core.sdtm.trial_design import build_ta, build_tv
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.exchange_source import exchange_rows

pytestmark = pytest.mark.protocols()
BUILDERS = (build_dm, build_se, build_sv, build_ie, build_ds, build_ta, build_tv)


def _domains(trial, actor=None) -> tuple[Context, dict[str, Domain]]:
    context = Context(trial.protocol, exchange_rows(clock.today(), actor))
    return context, {d.name: d for build in BUILDERS for d in build(context)}


def _unblinded_actor(trial, demo):
    role = next(r.id for r in trial.protocol.roles if "allocation" in r.sees)
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def test_every_subject_of_the_demo_is_in_dm_and_dated_from_the_first_dose(trial, module_demo):
    context, domains = _domains(trial)
    dm = {row["USUBJID"]: row for row in domains["DM"].rows}
    assert len(dm) == len(domains["DM"].rows) == len(context.rows.trial.participants)
    for name in ("SE", "SV", "IE", "DS"):
        assert {row["USUBJID"] for row in domains[name].rows} <= set(dm), name
    treated = 0
    for person in context.rows.trial.participants:
        row = dm[context.usubjid(person.key)]
        given = doses_given(context, person.key)
        if given:
            treated += 1
            assert row["RFSTDTC"] == min(given.values()).isoformat()
            assert row["RFXSTDTC"].startswith(row["RFSTDTC"])
    assert treated, "the demo gives someone a dose"
    for name, prefix in (("SE", "SEST"), ("SV", "SVST"), ("DS", "DSST")):
        days = [row[f"{prefix}DY"] for row in domains[name].rows]
        assert 0 not in days and any(d is not None for d in days), name


def test_the_demo_subjects_elements_follow_one_another(trial, module_demo):
    _, domains = _domains(trial, _unblinded_actor(trial, module_demo))
    by_subject: dict[str, list] = {}
    for row in domains["SE"].rows:
        by_subject.setdefault(row["USUBJID"], []).append(row)
    assert by_subject
    elements = {row["ETCD"] for row in domains["TA"].rows}
    for rows in by_subject.values():
        assert [r["SESEQ"] for r in rows] == list(range(1, len(rows) + 1))
        for before, after in itertools.pairwise(rows):
            assert before["SEENDTC"] == after["SESTDTC"]
        assert {r["ETCD"] for r in rows} <= elements


def test_every_demo_visit_is_a_trial_visit_and_missed_ones_say_so(trial, module_demo):
    _, domains = _domains(trial)
    numbers = {row["VISITNUM"] for row in domains["TV"].rows}
    unscheduled = {float(n) for n, v in enumerate(trial.protocol.schedule.visits, start=1)
                   if v.unscheduled}
    for row in domains["SV"].rows:
        assert row["VISITNUM"] in numbers | unscheduled
        assert (row["SVOCCUR"] == "N") == (row["SVSTDTC"] == "")
    keys = [(r["USUBJID"], r["VISITNUM"]) for r in domains["SV"].rows]
    assert len(keys) == len(set(keys))


def test_a_blinded_demo_dm_has_no_arm_and_an_unblinded_one_has_tas_arms(trial, module_demo):
    _, blinded = _domains(trial)
    arm_names = ("ARMCD", "ARM", "ACTARMCD", "ACTARM")
    assert all(row[name] == "" for row in blinded["DM"].rows for name in arm_names)
    context, unblinded = _domains(trial, _unblinded_actor(trial, module_demo))
    planned = {row["ARMCD"]: row["ARM"] for row in unblinded["TA"].rows}
    allocated = context.rows.trial.allocations or {}
    arms = [row for row in unblinded["DM"].rows if row["ARMCD"]]
    assert len(arms) == len(allocated) > 0
    assert all(planned[row["ARMCD"]] == row["ARM"] for row in arms)
