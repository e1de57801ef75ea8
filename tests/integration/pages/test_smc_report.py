"""The SMC safety report on the demo trial of every protocol with a committee gate: produced on
the committee's page (and by `trialkit report committee`), kept as the bytes its SHA-256 names,
pooled in the open session whatever the arms, by arm only from a data cut in the closed one;
the chair's decision records the SHA-256 of the report it was made on and refuses any other."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from tests.integration.pages.support import client_for, text_of
from tests.protocol_cases import allocation_secrets, named_in, public_texts
from trialkit.reports.smc import headline
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    actor_for,
)
from trialkit.web.trial.actions.data_cuts import do_prepare_data_cut
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.smc_reports import do_produce_smc_report
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import AuditEvent, RandomizationSlot, SafetyDecision, SmcReport

pytestmark = pytest.mark.protocols("committee_gate")


def _sign_in(demo, role: str):
    return next(s for s in demo.sign_ins if s.role == role)


def _actor(demo, role: str):
    return actor_for(User.objects.get(username=_sign_in(demo, role).username), role)


def _member(trial) -> str:
    """A committee role that does not sign (reads the reports)."""
    gate = trial.protocol.gates.committee[0]
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and r.id != gate.signer_role and not r.site_scoped)


def _preparer(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and {"allocation", "arm_summaries"} <= set(r.sees) and not r.site_scoped)


def _first_line(html: bytes) -> str:
    return html.decode("utf-8").split("<body>\n", 1)[1].split("\n", 1)[0]


def test_the_committee_produces_the_open_report_on_its_page_and_downloads_what_it_hashes(
        trial, module_demo):
    client = client_for(module_demo, _member(trial))
    assert client.get("/committee/").content.count(b"/committee/reports/") >= 1
    assert client.get("/committee/reports/").status_code == 200
    produced = client.post("/committee/reports/produce/", {"session": "open", "gate_index": "0"})
    assert produced.status_code == 302
    report = SmcReport.objects.latest("pk")
    assert (report.session, report.gate_index) == ("open", 0)
    pdf = client.get(f"/committee/reports/{report.pk}/pdf/")
    html = client.get(f"/committee/reports/{report.pk}/html/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == report.pdf_sha256
    assert hashlib.sha256(html.content).hexdigest() == report.html_sha256
    assert _first_line(html.content) == f'<p class="view">{headline("open")}</p>'
    assert report.pdf_sha256 in text_of(client.get("/committee/reports/").content)
    event = AuditEvent.objects.filter(action=AuditAction.PRODUCE_SMC_REPORT).latest("sequence")
    assert event.new["pdf_sha256"] == report.pdf_sha256 and event.new["session"] == "open"


def test_the_open_report_names_no_arm_and_is_the_same_whichever_arms_were_given(
        trial, module_demo):
    protocol = trial.protocol
    member = _actor(module_demo, _member(trial))
    first = do_produce_smc_report(0, "open", actor=member)
    text = text_of(bytes(first.html))
    for public in public_texts(protocol):
        text = text.replace(public, " ")
    assert named_in(text, {s.lower() for s in allocation_secrets(protocol)}) == set()
    slots = list(RandomizationSlot.objects.filter(participant__isnull=False)
                 .exclude(arm="").order_by("pk"))
    pair = next(((a, b) for a in slots for b in slots if a.arm != b.arm), None)
    if pair is None:
        pytest.skip("the demo randomized no two participants to different arms")
    a, b = pair
    RandomizationSlot.objects.filter(pk=a.pk).update(arm=b.arm)
    RandomizationSlot.objects.filter(pk=b.pk).update(arm=a.arm)
    again = do_produce_smc_report(0, "open", first.as_of, actor=member)
    assert bytes(again.pdf) == bytes(first.pdf) and again.pdf_sha256 == first.pdf_sha256


def test_the_closed_report_shows_a_data_cut_by_arm_and_needs_one(trial, module_demo):
    protocol = trial.protocol
    chair = _actor(module_demo, protocol.gates.committee[0].signer_role)
    if protocol.randomization is None or not chair.sees("arm_summaries"):
        pytest.skip("the committee reads no tables by arm in this protocol")
    with pytest.raises(InvalidInputError) as refused:
        do_produce_smc_report(0, "closed", actor=chair)
    assert refused.value.field == "data_cut"
    preparer = _actor(module_demo, _preparer(trial))
    from trialkit.web.trial import clock

    cut = do_prepare_data_cut(clock.today(), actor=preparer)
    report = do_produce_smc_report(0, "closed", actor=chair)
    assert report.data_cut == cut and report.as_of == cut.as_of
    assert _first_line(bytes(report.html)).startswith(
        '<p class="view">CLOSED SESSION — VIEW BY ARM from data cut')
    assert all(label in bytes(report.html).decode() for label in cut.arms)
    client = client_for(module_demo, protocol.gates.committee[0].signer_role)
    assert client.get(f"/committee/reports/{report.pk}/pdf/").status_code == 200


def test_a_role_that_does_not_review_safety_may_not_produce_a_report(trial, module_demo):
    outsider = next(r.id for r in trial.protocol.roles if "review_safety" not in r.can)
    with pytest.raises(NotPermittedError):
        do_produce_smc_report(0, "open", actor=_actor(module_demo, outsider))
    client = client_for(module_demo, outsider)
    assert client.get("/committee/reports/").status_code == 403


def test_the_chair_decision_records_the_report_it_was_made_on(trial, module_demo):
    gate = trial.protocol.gates.committee[0]
    report = do_produce_smc_report(0, "open", actor=_actor(module_demo, _member(trial)))
    chair = _sign_in(module_demo, gate.signer_role)
    client = client_for(module_demo, gate.signer_role)
    page = client.get("/committee/reports/")
    assert f"/committee/reports/{report.pk}/decision/" in page.content.decode()
    signed = client.post(f"/committee/reports/{report.pk}/decision/", {
        "decision": gate.decisions[0], "rationale": "Reviewed the report",
        "password": chair.password})
    assert signed.status_code == 302
    decision = SafetyDecision.objects.latest("pk")
    assert (decision.report, decision.report_sha256) == (report, report.pdf_sha256)
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_SAFETY_DECISION).latest(
        "sequence")
    assert event.new["report_sha256"] == report.pdf_sha256
    by_html = do_sign_safety_decision(gate.decisions[0], "On the HTML", chair.password,
                                      actor=_actor(module_demo, gate.signer_role),
                                      report_sha256=report.html_sha256.upper())
    assert by_html.report == report and by_html.report_sha256 == report.html_sha256


@pytest.mark.parametrize("given", ["0" * 64, "not a hash", "", "   "])
def test_a_decision_on_no_report_or_one_never_produced_for_the_gate_is_refused(
        trial, module_demo, given):
    gate = trial.protocol.gates.committee[0]
    chair = _sign_in(module_demo, gate.signer_role)
    before = SafetyDecision.objects.count(), AuditEvent.objects.count()
    with pytest.raises(InvalidInputError, match="SHA-256") as refused:
        do_sign_safety_decision(gate.decisions[0], "Reviewed", chair.password,
                                actor=_actor(module_demo, gate.signer_role),
                                report_sha256=given)
    assert refused.value.field == "report_sha256"
    if not given.strip():
        assert refused.value.message.startswith("report_sha256 is required")
    assert (SafetyDecision.objects.count(), AuditEvent.objects.count()) == before


def test_the_demo_chair_signs_the_opening_decision_on_the_open_report_of_that_day(
        trial, module_demo):
    first = SafetyDecision.objects.order_by("pk").first()  # the demo's, before any test's
    assert first is not None and first.report is not None
    assert first.report.session == "open" and first.report_sha256 == first.report.pdf_sha256
    assert first.report.as_of == first.signed_at.date()


def test_the_committee_page_decides_on_a_report_the_chair_picks(trial, module_demo):
    gate = trial.protocol.gates.committee[0]
    report = do_produce_smc_report(0, "open", actor=_actor(module_demo, _member(trial)))
    chair = _sign_in(module_demo, gate.signer_role)
    client = client_for(module_demo, gate.signer_role)
    page = client.get("/committee/").content.decode()
    assert f'<option value="{report.pdf_sha256}">' in page
    body = {"gate_index": "0", "decision": gate.decisions[0], "rationale": "On the report",
            "password": chair.password}
    before = SafetyDecision.objects.count(), AuditEvent.objects.count()
    refused = client.post("/committee/decisions/", body, follow=True)
    assert "report sha256: report_sha256 is required" in text_of(refused.content)
    assert (SafetyDecision.objects.count(), AuditEvent.objects.count()) == before
    signed = client.post("/committee/decisions/", {**body, "report_sha256": report.pdf_sha256})
    assert signed.status_code == 302
    decision = SafetyDecision.objects.latest("pk")
    assert (decision.report, decision.report_sha256) == (report, report.pdf_sha256)


def test_without_a_report_for_the_gate_the_committee_page_sends_the_chair_to_produce_one(
        trial, module_demo):
    gate = trial.protocol.gates.committee[0]
    client = client_for(module_demo, gate.signer_role)
    with transaction.atomic():
        SmcReport.objects.update(gate_index=999)  # setup, rolled back: no report of gate 0
        page = client.get("/committee/").content.decode()
        transaction.set_rollback(True)
    assert 'name="report_sha256"' not in page and "/committee/decisions/" not in page
    assert "none has been produced for this gate yet" in page
    assert 'href="/committee/reports/"' in page


def test_the_command_produces_the_report_and_prints_its_hashes(trial, module_demo, tmp_path,
                                                             capsys):
    from trialkit.cli.main import main

    member = _sign_in(module_demo, _member(trial))
    code = main(["report", "committee", "--user", member.username, "--role", member.role,
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(headline("open"))
    report = SmcReport.objects.latest("pk")
    (pdf,) = tmp_path.glob("*.pdf")
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == report.pdf_sha256
    assert report.pdf_sha256 in out
    code = main(["report", "committee", "--user", member.username, "--role", member.role,
                 "--session", "open", "--data-cut", "1", "--out", str(tmp_path)])
    assert code == 2 and "--data-cut" in capsys.readouterr().err
