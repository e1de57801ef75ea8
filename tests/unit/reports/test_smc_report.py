"""The SMC safety report on every protocol with a committee gate, from synthetic rows: the
session on its first line, the gate rule and status, exposure, the declared safety tables,
narratives, listings and laboratory shifts; the open session names no arm; the closed session
shows a data cut as stored; the same data give the same bytes; the PDF reads back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from html import unescape

import numpy as np
import pypdf
import pytest

from trialkit import __version__
from trialkit.core.adam import derive
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.protocol import protocol_version
from trialkit.core.scheduling import CommitteeDecision
from trialkit.reports.smc import SmcReportError, headline, smc_report
from trialkit.reports.smc_labs import lab_tests

pytestmark = pytest.mark.protocols("committee_gate")


@pytest.fixture
def rows(trial):
    return synthetic_rows(trial.protocol, 41, np.random.default_rng(3), unblinded=False)


def _text(html: bytes) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html.decode("utf-8")))


def _first_line(html: bytes) -> str:
    return html.decode("utf-8").split("<body>\n", 1)[1].split("\n", 1)[0]


def _pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _cut(trial, as_of: dt.date) -> dict:
    arms = [trial.protocol.arm(a).label for a in trial.randomized_part.arms]
    return {"id": 7, "as_of": as_of.isoformat(), "threshold": 5, "arms": arms,
            "rows": [{"key": "randomized", "label": "Participants randomized", "pooled": 12,
                      "counts": [6] * len(arms), "parent": None, "partition": ""},
                     {"key": "serious", "label": "With a serious adverse event", "pooled": 1,
                      "counts": None, "parent": "randomized", "partition": ""}],
            "undated_events": 0, "prepared_by": "stat", "prepared_at": "2026-01-01T10:00"}


def test_the_open_report_says_its_session_first_and_carries_every_section(trial, rows):
    protocol = trial.protocol
    gate = protocol.gates.committee[0]
    report = smc_report(protocol, rows, 0)
    assert _first_line(report.html) == f'<p class="view">{headline("open")}</p>'
    text = _text(report.html)
    for line in (f"Protocol {protocol.identity.id}, version {protocol_version(protocol)}",
                 f"trialkit {__version__}", f"Data as of {rows.as_of.isoformat()}",
                 f"Input data SHA-256 {report.stamp.data_sha256}"):
        assert line in text
    assert f"The {gate.committee} reviews {protocol.part(gate.reviews_part).name}" in text
    assert f"at least {gate.days_after_administration} days earlier" in text
    assert "committee.enrolled" in text and "Status on" in text
    assert "Administrations given by part" in text
    for administration in protocol.design.administrations:
        assert administration.name in text
    declared = [a.display.title or a.name for e in protocol.endpoints for a in e.analyses
                if a.method in ("ae_overview", "ae_by_term", "ae_by_worst")]
    assert declared and all(title in text for title in declared)
    adae = derive(protocol, rows).tables["ADAE"]
    serious = int((adae.text("AESER") == "Y").sum()) if "AESER" in adae else 0
    assert text.count("Participant ") >= serious and "Serious adverse event narratives" in text
    assert f"{protocol.part(gate.reviews_part).name}: adverse events" in text
    for test in lab_tests(protocol):
        assert f"[{test.code}]" in text
    if gate.stopping_rule is not None:
        assert "the rule's threshold of" in text or "posterior probability that" in text


def test_the_open_report_names_no_arm(trial, rows):
    report = smc_report(trial.protocol, rows, 0)
    texts = (_text(report.html), "\n".join(_pdf_text(report.pdf)))
    for arm in trial.protocol.design.arms:
        for text in texts:
            assert arm.label not in text, arm.label
    assert "Closed session" not in texts[0]


def test_the_same_data_give_the_same_bytes(trial, rows):
    again = dataclasses.replace(rows, forms=tuple(rows.forms))
    first, second = smc_report(trial.protocol, rows, 0), smc_report(trial.protocol, again, 0)
    assert first.pdf == second.pdf and first.html == second.html
    assert first.pdf_sha256 == second.pdf_sha256


def test_a_decision_signed_by_the_date_changes_the_data_hash_and_the_status(trial, rows):
    gate = trial.protocol.gates.committee[0]
    decision = CommitteeDecision(gate.committee, gate.opening_decisions[0], gate.signer_role,
                                 dt.datetime.combine(rows.as_of, dt.time(9), tzinfo=dt.UTC),
                                 True)
    before = smc_report(trial.protocol, rows, 0)
    after = smc_report(trial.protocol, rows, 0, decisions=[decision])
    assert before.stamp.data_sha256 != after.stamp.data_sha256
    assert before.pdf_sha256 != after.pdf_sha256
    assert gate.opening_decisions[0] in _text(after.html).split("signed by the data date")[1]


def test_the_pdf_reads_back_with_the_view_on_every_page_and_the_data_date(trial, rows):
    report = smc_report(trial.protocol, rows, 0)
    reader = pypdf.PdfReader(io.BytesIO(report.pdf))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 1
    assert all(page.startswith(headline("open")[:40]) for page in pages)
    assert reader.metadata["/CreationDate"].startswith(
        "D:" + rows.as_of.strftime("%Y%m%d"))
    assert f"Input data SHA-256 {report.stamp.data_sha256}" in pages[0].replace("\n", " ")


def test_the_closed_report_shows_the_cut_as_stored(trial, rows):
    if trial.randomized_part is None:
        pytest.skip("no randomized part: a data cut has no arms to show")
    cut = _cut(trial, rows.as_of)
    report = smc_report(trial.protocol, rows, 0, session="closed", cut=cut)
    assert _first_line(report.html) == f'<p class="view">{headline("closed", cut)}</p>'
    text = _text(report.html)
    assert "Closed session: tables by arm at the data cut" in text
    assert all(arm in text for arm in cut["arms"]) and "withheld" in text
    assert _pdf_text(report.pdf)[0].startswith("CLOSED SESSION")
    assert report.stamp.data_sha256 != smc_report(trial.protocol, rows, 0).stamp.data_sha256


def test_what_cannot_make_a_report_is_refused_naming_the_input(trial, rows):
    protocol = trial.protocol
    with pytest.raises(SmcReportError, match=r"^cut:"):
        smc_report(protocol, rows, 0, session="closed")
    with pytest.raises(SmcReportError, match=r"^gate_index:"):
        smc_report(protocol, rows, len(protocol.gates.committee))
    unblinded = synthetic_rows(protocol, 10, np.random.default_rng(1))
    with pytest.raises(SmcReportError, match=r"^rows:"):
        smc_report(protocol, unblinded, 0)
    if trial.randomized_part is not None:
        with pytest.raises(SmcReportError, match=r"^cut: the data cut is as of"):
            smc_report(protocol, rows, 0, session="closed",
                       cut=_cut(trial, rows.as_of - dt.timedelta(days=1)))


def test_a_lab_shift_counts_each_participant_once_at_the_worst_value_after_dosing(trial):
    from trialkit.core.adam import AdministrationRow, FormRow, ParticipantRow, TrialRows
    from trialkit.reports.smc_labs import shift_tables

    protocol = trial.protocol
    test = next((t for t in lab_tests(protocol) if t.upper), None)
    if test is None:
        pytest.skip("no laboratory test with a reference range in this protocol")
    day0 = dt.date(2025, 3, 1)

    def sample(key: int, day: dt.date, value: float, repeat: int) -> FormRow:
        return FormRow(key, test.form, "", repeat, {test.date_item: day.isoformat(),
                                                    test.item: value, test.upper: 10.0})

    first = protocol.design.administrations[0].id
    rows = TrialRows(protocol.identity.id, day0 + dt.timedelta(days=60), (
        ParticipantRow(1, "S-1", "SITE1", "enrolled", protocol.design.parts[0].id),
        ParticipantRow(2, "S-2", "SITE1", "enrolled", protocol.design.parts[0].id)),
        (AdministrationRow(1, first, day0), AdministrationRow(2, first, day0)),
        (sample(1, day0 - dt.timedelta(days=3), 12.0, 1), sample(1, day0, 8.0, 2),
         sample(1, day0 + dt.timedelta(days=7), 15.0, 3),
         sample(1, day0 + dt.timedelta(days=14), 9.0, 4),
         sample(2, day0 - dt.timedelta(days=1), 11.0, 1),
         # Dated after the data date: not in the analysis datasets, so not in the shift.
         sample(2, day0 + dt.timedelta(days=61), 3.0, 2)))
    (table,) = [t for t in shift_tables(protocol, derive(protocol, rows))
                if f"[{test.code}]" in t.title]
    by_row = {row[0]: row[1:] for row in table.rows}
    columns = table.header[1:]
    # Participant 1: the last value on or before dosing (8.0) is NORMAL; the worst after it
    # HIGH. Participant 2: HIGH at baseline, nothing after dosing by the data date.
    assert by_row["Baseline NORMAL"][columns.index("Worst HIGH")] == "1"
    assert by_row["Baseline HIGH"][columns.index("none after dosing")] == "1"
    assert [r[-1] for r in table.rows] == ["1", "1"]
