"""SDTM events, interventions and findings follow the protocol's annotations, on every protocol.

The rows are the synthetic trial of ``trialkit.core.adam.synthetic`` (every scheduled form
filled, adverse events and event-log records scattered), with each administration given at
09:00 UTC on its day. Nothing here names a form or an item: the tests walk the annotations.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.adam.values import as_date
from trialkit.core.exchange import DoseRow, ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Cdisc, Item
from trialkit.core.sdtm import events, exposure, findings, interventions, relapses
from trialkit.core.sdtm._collected import moment
from trialkit.core.sdtm.common import Context, Domain
from trialkit.core.sdtm.epochs import epoch

pytestmark = pytest.mark.protocols()
MODULES = (events, exposure, findings, interventions, relapses)
OTHERS = {"DM", "DS", "IE", "SE", "SV", "TA", "TE", "TI", "TS", "TV"}
"""Domains other modules derive (subjects, disposition, eligibility, trial design)."""


def _context(protocol: Protocol, *, unblinded: bool = True, n: int = 8) -> Context:
    trial = synthetic_rows(protocol, n, np.random.default_rng(7), unblinded=unblinded)
    doses = tuple(DoseRow(a.participant, a.administration,
                          dt.datetime.combine(a.given_on, dt.time(9), dt.UTC))
                  for a in trial.administrations)
    return Context(protocol, ExchangeRows(trial, doses=doses))


def _domains(context: Context) -> dict[str, Domain]:
    built = [d for module in MODULES for build in module.BUILDERS for d in build(context)]
    return {d.name: d for d in built}


@pytest.fixture(scope="module")
def derived(trial) -> tuple[Context, dict[str, Domain]]:
    context = _context(trial.protocol)
    return context, _domains(context)


def _annotated(protocol: Protocol) -> list[tuple[str, Item]]:
    return [(form.id, item) for form in protocol.forms for item in form.items
            if item.cdisc is not None and item.cdisc.domain not in OTHERS]


def test_every_annotated_item_lands_in_the_domain_it_names(trial, derived) -> None:
    _, domains = derived
    missing = []
    for form, item in _annotated(trial.protocol):
        cdisc = item.cdisc
        assert cdisc is not None
        domain = domains.get(cdisc.domain)
        if domain is None:
            missing.append(f"{form}.{item.id}: no {cdisc.domain}")
        elif cdisc.testcd:
            tests = {(r[f"{domain.name}TESTCD"], r.get(f"{domain.name}CAT") or "")
                     for r in domain.rows}
            if not any(code == cdisc.testcd and (not cdisc.category or cat == cdisc.category)
                       for code, cat in tests):
                missing.append(f"{form}.{item.id}: no {cdisc.domain} {cdisc.testcd} row")
        else:
            supp = domains.get(f"SUPP{cdisc.domain}")
            qnams = set(supp.column("QNAM")) if supp is not None else set()
            if cdisc.variable not in {v.name for v in domain.variables} | qnams:
                missing.append(f"{form}.{item.id}: {cdisc.domain} has no {cdisc.variable}")
    assert missing == []


def test_each_finding_reports_its_item_s_value_and_visit(trial, derived) -> None:
    context, domains = derived
    checked = 0
    for row in context.rows.trial.forms:
        form = trial.protocol.form(row.form)
        tests = [(d, t) for d in ("VS", "LB", "RS", "NV")
                 for t in findings.tests_of(form, d, trial.protocol)]
        for d, test in tests:
            value = row.data.get(test.item.id)
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            found = [r for r in domains[d].rows
                     if r["USUBJID"] == context.usubjid(row.participant)
                     and r[f"{d}TESTCD"] == test.code
                     and (r.get(f"{d}CAT") or "") == test.category
                     and r["VISIT"] == context.visit_name(row.visit)]
            assert found, (row.form, row.visit, test.item.id)
            assert float(value) in {r[f"{d}STRESN"] for r in found}
            assert {r["VISITNUM"] for r in found} == {context.visit_number(row.visit)}
            checked += 1
    assert checked > 0


def _dated(domain: Domain) -> str | None:
    d = domain.name
    for name in (f"{d}DTC", f"{d}STDTC"):
        if name in {v.name for v in domain.variables}:
            return name
    return None


def test_study_day_epoch_and_visit_number_agree_with_each_record_s_date(derived) -> None:
    context, domains = derived
    subjects = {context.usubjid(p.key): p.key for p in context.rows.trial.participants}
    checked = 0
    for domain in domains.values():
        date_name = _dated(domain)
        day_name = next((v.name for v in domain.variables if v.name.endswith("DY")), None)
        for row in domain.rows:
            day = as_date(row.get(date_name)) if date_name else None
            key = subjects[row["USUBJID"]]
            if day_name is not None:
                assert row[day_name] == context.study_day(key, day), (domain.name, row)
            if "EPOCH" in row:
                when = moment(row.get(date_name) or "") if date_name else None
                assert row["EPOCH"] == epoch(context, key, when), (domain.name, row)
            checked += 1
        visits = {(r["VISIT"], r["VISITNUM"]) for r in domain.rows if r.get("VISIT")}
        assert len(visits) == len({v for v, _ in visits}), domain.name
    assert checked > 0


def test_sequence_numbers_run_from_one_per_subject_in_every_domain(derived) -> None:
    _, domains = derived
    for domain in domains.values():
        seq = f"{domain.name}SEQ"
        if seq not in {v.name for v in domain.variables}:
            continue
        by_subject: dict[str, list[int]] = {}
        for row in domain.rows:
            by_subject.setdefault(row["USUBJID"], []).append(row[seq])
        for numbers in by_subject.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1)), domain.name


def test_supplemental_qualifiers_point_at_an_existing_parent_record(derived) -> None:
    _, domains = derived
    for name, supp in domains.items():
        if not name.startswith("SUPP"):
            continue
        parent = domains[name[4:]]
        keys = {(r["USUBJID"], str(r[f"{parent.name}SEQ"])) for r in parent.rows}
        assert {(r["USUBJID"], r["IDVARVAL"]) for r in supp.rows} <= keys
        assert not {r["QNAM"] for r in supp.rows} & {v.name for v in parent.variables}


def test_the_baseline_is_the_last_result_before_the_first_administration(derived) -> None:
    context, domains = derived
    first = {context.usubjid(d.participant): d.given_at for d in
             sorted(context.rows.doses, key=lambda d: d.given_at, reverse=True)}
    flagged = 0
    for domain in domains.values():
        d = domain.name
        if f"{d}BLFL" not in {v.name for v in domain.variables}:
            continue
        series: dict[tuple[str, str, str], list[dict]] = {}
        for row in domain.rows:
            series.setdefault((row["USUBJID"], row[f"{d}TESTCD"], row.get(f"{d}CAT") or ""),
                              []).append(dict(row))
        for (subject, _, _), rows in series.items():
            before = [r for r in rows if r[f"{d}DTC"] and subject in first
                      and _before(r[f"{d}DTC"], first[subject])]
            marked = [r for r in rows if r[f"{d}BLFL"] == "Y"]
            assert len(marked) == (1 if before else 0), (d, subject)
            if marked:
                assert marked[0][f"{d}DTC"] == max(r[f"{d}DTC"] for r in before)
                flagged += 1
    assert flagged > 0


def _before(when: str, dose: dt.datetime) -> bool:
    if "T" in when:
        return dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC) < dose
    return dt.date.fromisoformat(when) <= dose.date()


def test_a_rating_scale_s_category_is_its_annotation_or_its_instrument(derived) -> None:
    context, domains = derived
    tests = [t for f in context.protocol.forms for t in findings.tests_of(f, "RS",
                                                                          context.protocol)]
    assert ("RS" in domains) == bool(tests)
    for test in tests:
        cdisc = test.item.cdisc
        if cdisc is not None and cdisc.testcd:
            assert cdisc.test is not None
            expected = cdisc.category or cdisc.test.partition("-")[0]
        else:  # an uncoded scale: its form's name
            expected = next(f.name.upper() for f in context.protocol.forms
                            if test.item in f.items)
        assert {r["RSCAT"] for r in domains["RS"].rows if r["RSTESTCD"] == test.code} \
            == {expected}


def test_units_are_written_as_cdisc_spells_them(derived) -> None:
    context, domains = derived
    units = {t.item.unit for f in context.protocol.forms for d in domains
             for t in findings.tests_of(f, d, context.protocol) if t.item.unit}
    written = {r.get(f"{d.name}ORRESU") for d in domains.values() for r in d.rows} - {None, ""}
    assert written == {findings.UNITS.get(u, u) for u in units}
    assert not written & set(findings.UNITS)


def test_a_relapse_s_findings_are_about_it_and_related_to_it(trial) -> None:
    protocol = _with_event_finding(trial.protocol)
    logs = [f for f in protocol.forms if f.kind == "event_log" and f.item_with("CE", "CETERM")]
    domains = _domains(_context(protocol, n=12))
    if not logs:
        assert "FA" not in domains and "RELREC" not in domains
        return
    ce, fa, relrec = domains["CE"], domains["FA"], domains["RELREC"]
    assert fa.rows, "the synthetic trial records relapses"
    events_by_key = {(r["USUBJID"], r["CESEQ"]): r for r in ce.rows}
    for subject, relid in {(r["USUBJID"], r["RELID"]) for r in relrec.rows}:
        linked = [r for r in relrec.rows if (r["USUBJID"], r["RELID"]) == (subject, relid)]
        (event,) = [r for r in linked if r["RDOMAIN"] == "CE"]
        term = events_by_key[(event["USUBJID"], int(event["IDVARVAL"]))]["CETERM"]
        about = [r for r in linked if r["RDOMAIN"] == "FA"]
        assert about
        for link in about:
            (finding,) = [r for r in fa.rows if r["USUBJID"] == link["USUBJID"]
                          and str(r["FASEQ"]) == link["IDVARVAL"]]
            assert finding["FAOBJ"] == term
    assert Counter(r["RDOMAIN"] for r in relrec.rows)["FA"] == len(fa.rows)


def _with_event_finding(protocol: Protocol) -> Protocol:
    """The protocol with a severity finding (FA) added to each relapse log."""
    forms = []
    for form in protocol.forms:
        if form.kind == "event_log" and form.item_with("CE", "CETERM") is not None:
            extra = Item(id="event_severity_for_test", label="Severity", type="integer",
                         cdisc=Cdisc(domain="FA", testcd="SEV", test="Severity/Intensity"))
            form = form.model_copy(update={"items": (*form.items, extra)})
        forms.append(form)
    return protocol.model_copy(update={"forms": tuple(forms)})

