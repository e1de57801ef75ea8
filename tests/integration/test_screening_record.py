"""The patient record a participant's screening forms give, read from the items' ``maps_to``.

No form or item id is known to the code: a protocol whose forms and items all have other ids
gets the same record from the same answers.
"""

from __future__ import annotations

import datetime as dt

from tests.integration.journey_support import screening_forms
from tests.integration.protocol_variants import renamed_ids, variant
from trialkit.core.protocol import load_protocol
from trialkit.web.trial.screening_record import record_data, screening_record

SEEN = dt.date(2027, 1, 4)
INDEX = SEEN + dt.timedelta(days=7)


def _answers(reference_protocol):
    forms = screening_forms(SEEN, sex="female")
    forms["DM"]["childbearing_potential"] = True
    forms["PREG"] = {"test_date": SEEN.isoformat(), "specimen": "urine", "result": "negative"}
    return {form: [data] for form, data in forms.items()}


def test_a_protocol_with_other_form_and_item_ids_gets_the_same_record(tmp_path,
                                                                      reference_protocol):
    renames: dict[str, dict[str, str]] = {}
    renamed = load_protocol(variant(tmp_path, lambda d: renames.update(renamed_ids(d))))
    answers = _answers(reference_protocol)
    same_answers = {renames[form][""]: [{renames[form][k]: v for k, v in data.items()}
                                        for data in instances]
                    for form, instances in answers.items()}
    expected = record_data(reference_protocol, "S-1", answers, INDEX)
    assert record_data(renamed, "S-1", same_answers, INDEX) == expected
    assert screening_record(renamed, "S-1", same_answers, INDEX).rows("labs")


def test_the_record_follows_each_items_mapping(reference_protocol):
    data = record_data(reference_protocol, "S-1", _answers(reference_protocol), INDEX)
    window = reference_protocol.eligibility.screening_window_days
    assert data["observation_period"] == {
        "start": (INDEX - dt.timedelta(days=window)).isoformat(), "end": INDEX.isoformat()}
    assert (data["sex"], data["birth_date"]) == ("female", "1984-05-12")
    assert data["attestations"]["childbearing_potential"] is True
    # a choice feeding a code column: the code list's concept
    course = reference_protocol.codelist("MS_COURSE").items[0]
    assert data["diagnoses"] == [{"code": course.concept,
                                  "date": SEEN.replace(year=SEEN.year - 6).isoformat()}]
    labs = {row["test"]: row for row in data["labs"]}
    # one row per `row`, the shared sample date in each, `set` filling the test, the item's
    # unit filling the row's unit, the limit of normal in its analyte's row
    alt = next(i for i in reference_protocol.form("LAB").items if i.id == "alt")
    assert alt.maps_to is not None
    assert labs[alt.maps_to.set["test"]] == {"test": alt.maps_to.set["test"],
                                             "date": SEEN.isoformat(), "value": 25.0,
                                             "unit": alt.unit, "uln": 40.0}
    # `codes` translating a choice, a text column taking the code as entered
    assert labs["LOINC:2106-3"] == {"date": SEEN.isoformat(), "test": "LOINC:2106-3",
                                    "value_text": "negative"}
    assert data["edss"] == [{"date": SEEN.isoformat(), "score": 3.0}]


def test_an_analyte_not_entered_makes_no_row(reference_protocol):
    answers = _answers(reference_protocol)
    del answers["LAB"][0]["egfr"]
    tests = {row["test"] for row in record_data(reference_protocol, "S-1", answers,
                                                INDEX)["labs"]}
    egfr = next(i for i in reference_protocol.form("LAB").items if i.id == "egfr")
    assert egfr.maps_to is not None and egfr.maps_to.set["test"] not in tests
