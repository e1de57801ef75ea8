"""Edit checks and item meanings come from the protocol's form, never from item ids."""

from __future__ import annotations

from datetime import UTC, datetime

from trialkit.core.forms import adverse_event_items, edit_check_problems, validate_form
from trialkit.core.protocol.forms import CodeList, Form
from trialkit.core.scoring.ctcae import Seriousness

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
SEVERITY = CodeList.model_validate({"id": "SEV", "name": "Severity", "items": [
    {"code": "mild", "decode": "Mild"}, {"code": "fatal", "decode": "Fatal"}]})
CODELISTS = {"SEV": SEVERITY}


def log_form(**changes: object) -> Form:
    """A repeating event log whose ids follow no convention the software could guess."""
    spec: dict[str, object] = {
        "id": "EVLOG", "name": "Event log", "kind": "adverse_event", "entered_by": ["nurse"],
        "items": [
            {"id": "what", "label": "What happened", "type": "text",
             "cdisc": {"domain": "AE", "variable": "AETERM"}},
            {"id": "began", "label": "Began", "type": "date",
             "cdisc": {"domain": "AE", "variable": "AESTDTC"}},
            {"id": "stopped", "label": "Stopped", "type": "date",
             "cdisc": {"domain": "AE", "variable": "AEENDTC"}},
            {"id": "grave", "label": "Grave", "type": "boolean",
             "cdisc": {"domain": "AE", "variable": "AESER"}},
            {"id": "in_hospital", "label": "In hospital", "type": "boolean",
             "cdisc": {"domain": "AE", "variable": "AESHOSP"}},
            {"id": "how_bad", "label": "How bad", "type": "choice", "codelist": "SEV"},
            {"id": "end_date", "label": "Unrelated end", "type": "date"},
            {"id": "onset_date", "label": "Unrelated onset", "type": "date"},
        ],
        "checks": [
            {"id": "stops_after_it_began", "expression": "stopped >= began", "item": "stopped",
             "message": "It stopped before it began"},
            {"id": "fatal_is_grave", "when": 'how_bad == "fatal"', "expression": "grave == true",
             "item": "grave", "message": "A fatal event is grave"},
        ]}
    spec.update(changes)
    return Form.model_validate(spec)


def queries(form: Form, data: dict[str, object]) -> list[tuple[str, str]]:
    result = validate_form(form, CODELISTS, data, as_of=NOW)
    assert result.ok, result.errors
    return [(f.item, f.message) for f in result.queries]


def test_a_failing_protocol_check_opens_a_query_on_its_item_with_its_message():
    data = {"what": "Fall", "began": "2025-03-02", "stopped": "2025-03-01"}
    assert queries(log_form(), data) == [("stopped", "It stopped before it began")]


def test_a_check_that_cannot_be_judged_opens_no_query():
    assert queries(log_form(), {"what": "Fall", "began": "2025-03-02"}) == []


def test_a_check_runs_only_when_its_condition_holds():
    form = log_form()
    assert queries(form, {"how_bad": "fatal", "grave": False}) == [
        ("grave", "A fatal event is grave")]
    assert queries(form, {"how_bad": "mild", "grave": False}) == []
    assert queries(form, {"grave": False}) == []  # condition unknown: not evaluated


def test_item_ids_that_look_like_dates_of_a_span_open_no_query_without_a_check():
    data = {"onset_date": "2025-03-05", "end_date": "2025-03-01"}
    assert queries(log_form(), data) == []


def test_a_date_in_the_future_still_opens_a_query_without_any_protocol_check():
    assert queries(log_form(checks=[]), {"began": "2025-03-11"}) == [
        ("began", "Began 2025-03-11 is in the future")]


def test_a_check_comparing_a_choice_with_a_code_its_code_list_lacks_is_a_problem():
    form = log_form(checks=[{"id": "typo", "when": 'how_bad == "deadly"',
                             "expression": "grave == true", "item": "grave", "message": "m"}])
    problems = edit_check_problems(form, CODELISTS)
    assert len(problems) == 1
    assert "check typo (when)" in problems[0] and '"deadly" is not a code of how_bad' in problems[0]
    assert edit_check_problems(log_form(), CODELISTS) == []


def test_adverse_event_items_are_found_by_their_cdisc_variables():
    items = adverse_event_items(log_form())
    assert items is not None
    assert (items.term, items.onset, items.end, items.serious, items.grade) == (
        "what", "began", "stopped", "grave", None)
    assert items.criteria == ((Seriousness.HOSPITALISATION, "in_hospital"),)
    assert items.is_serious({"grave": True}) and not items.is_open({"stopped": "2025-03-01"})


def test_a_form_of_another_kind_has_no_adverse_event_items():
    assert adverse_event_items(log_form(kind="event_log")) is None
