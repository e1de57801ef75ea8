"""The patient record a participant's screening forms give, read from the items' ``maps_to``,
on every protocol.

No form or item id is known to the code: a protocol whose forms and items all have other ids
gets the same record from the same answers, and every mapped item lands where its mapping
says (a patient field, an attestation, a column of its table's row, one row per ``row``
value with the ``set`` constants, a choice as its code list's concept or its ``codes``
translation, a quantity with its unit).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.protocol_variants import renamed_ids, variant
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.forms import Item
from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE
from trialkit.web.trial.screening_record import record_data, screening_record

pytestmark = pytest.mark.protocols()
SEEN = dt.date(2027, 1, 4)
INDEX = SEEN + dt.timedelta(days=7)


def _answers(trial) -> dict[str, list[dict[str, object]]]:
    return trial.screening_forms(SEEN)


def test_a_protocol_with_other_form_and_item_ids_gets_the_same_record(trial, tmp_path):
    renames: dict[str, dict[str, str]] = {}
    renamed = load_protocol(variant(tmp_path, lambda d: renames.update(renamed_ids(d)),
                                    source=trial.path))
    answers = _answers(trial)
    same_answers = {renames[form][""]: [{renames[form][k]: v for k, v in data.items()}
                                        for data in instances]
                    for form, instances in answers.items()}
    expected = record_data(trial.protocol, "S-1", answers, INDEX)
    assert record_data(renamed, "S-1", same_answers, INDEX) == expected
    assert screening_record(renamed, "S-1", same_answers, INDEX)


def _as_recorded(trial, item: Item, value: object) -> object:
    """What the record holds for an entered value (the mapping's reading of it)."""
    mapping = item.maps_to
    if item.type == "choice":
        if mapping.codes:
            return mapping.codes[value]
        concept = next(c.concept for c in trial.protocol.codelist(item.codelist).items
                       if c.code == value)
        column = _column(trial, mapping.table, mapping.column)
        return concept if concept and column is not None and column.type == "code" else value
    if item.type == "datetime":
        return str(value)[:10]
    return value


def _column(trial, table: str, column: str):
    schema = trial.protocol.record_schema()
    found = next((t for t in schema.tables if t.id == table), None)
    return next((c for c in found.columns if c.id == column), None) if found else None


def _mapped(trial, answers):
    """Entered items with a mapping that makes a record value: an item shared by the rows of
    its table (a sample date) only where one of those rows was entered."""
    for form_id, instances in answers.items():
        form = trial.form(form_id)
        for values in instances:
            for item in form.items:
                if item.maps_to is None or values.get(item.id) is None:
                    continue
                rows = [i for i in form.items if i.maps_to is not None and i.maps_to.row
                        and i.maps_to.table == item.maps_to.table]
                if rows and not item.maps_to.row and not any(
                        values.get(i.id) is not None for i in rows):
                    continue
                yield item, values


def test_the_record_follows_each_items_mapping(trial):
    answers = _answers(trial)
    data = record_data(trial.protocol, "S-1", answers, INDEX)
    window = trial.protocol.eligibility.screening_window_days
    assert data["observation_period"] == {
        "start": (INDEX - dt.timedelta(days=window)).isoformat(), "end": INDEX.isoformat()}
    checked = 0
    for item, values in _mapped(trial, answers):
        mapping, expected = item.maps_to, _as_recorded(trial, item, values[item.id])
        if mapping.table == PATIENT_TABLE:
            assert data[mapping.column] == expected, item.id
        elif mapping.table == ATTESTATIONS:
            assert data[ATTESTATIONS][mapping.column] is expected, item.id
        else:
            rows = [r for r in data[mapping.table] if r.get(mapping.column) == expected
                    and all(r.get(k) == v for k, v in mapping.set.items())]
            assert rows, (item.id, data[mapping.table])
            if _column(trial, mapping.table, mapping.column).type == "quantity" and item.unit:
                assert {r["unit"] for r in rows} == {item.unit}, item.id
        checked += 1
    assert checked >= 5, "the screening answers feed the record"
    assert screening_record(trial.protocol, "S-1", answers, INDEX)


def _row_item(trial, answers) -> tuple[str, Item]:
    """An entered analyte alone in its row: an item mapped with a ``row`` of its own and a
    constant test."""
    for form_id, instances in answers.items():
        items = trial.form(form_id).items
        for item in items:
            mapping = item.maps_to
            if mapping is None or not mapping.row or not mapping.set:
                continue
            alone = [i for i in items if i.maps_to is not None and i.maps_to.row == mapping.row]
            if alone == [item] and any(item.id in values for values in instances):
                return form_id, item
    raise AssertionError(f"{trial.stem}: no analyte entered at screening")


def test_an_analyte_not_entered_makes_no_row(trial):
    answers = _answers(trial)
    form_id, item = _row_item(trial, answers)
    constants = item.maps_to.set
    before = record_data(trial.protocol, "S-1", answers, INDEX)[item.maps_to.table]
    assert any(all(r.get(k) == v for k, v in constants.items()) for r in before)
    for values in answers[form_id]:
        values.pop(item.id, None)
    after = record_data(trial.protocol, "S-1", answers, INDEX).get(item.maps_to.table, [])
    assert not any(all(r.get(k) == v for k, v in constants.items()) for r in after)
