"""Coded adverse events in SDTM AE, ADAE and the safety tables, on every protocol.

The rows are the synthetic trial with its first adverse event coded (as the web layer's
``analysis_source`` would give it): that event carries the dictionary variables, the others
keep their term as AEDECOD in SDTM and count as "(not coded)" in the tables.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trialkit.core.adam import CodedTermRow, TrialRows, derive
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.analysis.safety import NOT_CODED, events_by_term
from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.sdtm import events
from trialkit.core.sdtm.common import Context

pytestmark = pytest.mark.protocols()


def _coded_rows(protocol: Protocol) -> tuple[TrialRows, str]:
    trial = synthetic_rows(protocol, 8, np.random.default_rng(7), unblinded=False)
    ae_forms = {f.id: f for f in protocol.forms if f.kind == "adverse_event"}
    first = next(r for r in trial.forms if r.form in ae_forms)
    term = ae_forms[first.form].item_with("AE", "AETERM")
    coding = CodedTermRow(first.participant, first.form, first.visit, first.repeat,
                          "MedDRA 99.0", "94000001", "Head ache", "93000001", "Headache",
                          "92000001", "Headaches NEC", "91000001", "Headaches", "90000001",
                          "Nervous system disorders")
    return dataclasses.replace(trial, codings=(coding,)), first.data[term.id]


def test_a_coded_event_carries_the_dictionary_variables_in_sdtm_ae(trial):
    rows, verbatim = _coded_rows(trial.protocol)
    ae = events.adverse_events(Context(trial.protocol, ExchangeRows(rows)))[0]
    coded = [r for r in ae.rows if r.get("AEPTCD")]
    assert len(coded) == 1
    [row] = coded
    assert row["AETERM"] == verbatim  # the reported term stays as collected
    assert (row["AEDECOD"], row["AEBODSYS"], row["AESOC"], row["AELLT"]) == (
        "Headache", "Nervous system disorders", "Nervous system disorders", "Head ache")
    assert (row["AELLTCD"], row["AEPTCD"], row["AEHLTCD"], row["AEHLGTCD"], row["AEBDSYCD"],
            row["AESOCCD"]) == (94000001, 93000001, 92000001, 91000001, 90000001, 90000001)
    assert row["AEHLT"] == "Headaches NEC" and row["AEHLGT"] == "Headaches"
    names = [v.name for v in ae.variables]
    assert {"AELLT", "AEPTCD", "AESOCCD", "AEHLGT"} <= set(names)
    uncoded = [r for r in ae.rows if not r.get("AEPTCD")]
    assert uncoded and all(r["AEDECOD"] == r["AETERM"] and not r.get("AEBODSYS")
                           for r in uncoded)


def test_without_any_coding_ae_has_no_dictionary_code_columns(trial):
    rows = synthetic_rows(trial.protocol, 8, np.random.default_rng(7), unblinded=False)
    ae = events.adverse_events(Context(trial.protocol, ExchangeRows(rows)))[0]
    assert "AEPTCD" not in [v.name for v in ae.variables]
    assert all(r["AEDECOD"] == r["AETERM"] for r in ae.rows)


def test_the_safety_table_counts_the_coded_soc_and_pt_and_the_rest_as_not_coded(trial):
    rows, _ = _coded_rows(trial.protocol)
    datasets = derive(trial.protocol, rows)
    adae = datasets.tables["ADAE"]
    assert list(adae.text("AEDECOD")).count("Headache") == 1
    table = events_by_term(datasets.tables["ADSL"], adae)
    categories = {row.category for row in table.rows}
    assert ("Nervous system disorders", "Headache") in categories
    assert (NOT_CODED, NOT_CODED) in categories


def test_coding_changes_the_rows_digest_and_no_coding_leaves_it_as_before(trial):
    rows, _ = _coded_rows(trial.protocol)
    assert rows.digest() != dataclasses.replace(rows, codings=()).digest()
