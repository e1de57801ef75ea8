"""A REDCap data dictionary into protocol forms: a realistic project, malformed ones refused
with the row and column named, and the result accepted by the protocol loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from trialkit.cli.main import main
from trialkit.core.protocol import load_protocol
from trialkit.interop.redcap import DictionaryError, import_dictionary

FIXTURES = ROOT / "tests" / "fixtures" / "redcap"
REALISTIC = FIXTURES / "realistic.csv"


def _import(path: Path = REALISTIC):
    return import_dictionary(path.read_text(encoding="utf-8"), ["coordinator"])


def _items(imported):
    return {i["id"]: i for f in imported.forms for i in f["items"]}


def test_instruments_become_forms_in_dictionary_order():
    imported = _import()
    assert [f["id"] for f in imported.forms] == [
        "enrollment", "baseline_vitals", "medications", "quality_of_life", "adverse_events"]
    assert {f["kind"] for f in imported.forms} == {"other"}
    assert all(f["entered_by"] == ["coordinator"] for f in imported.forms)


def test_validation_types_give_item_types_ranges_and_units():
    items = _items(_import())
    assert items["consent_date"]["type"] == "date"
    assert items["enrol_datetime"]["type"] == "datetime"
    assert items["weight"] == {"id": "weight", "label": "Weight", "type": "decimal",
                               "unit": "kg", "range": {"min": 30, "max": 250},
                               "required": True}
    assert items["height"]["type"] == "integer" and items["height"]["unit"] == "cm"
    assert items["packs_per_day"]["range"] == {"min": 0, "max": 10}
    assert items["ae_reporter_email"]["type"] == "text"
    assert items["cm_other"]["type"] == "text"  # notes


def test_choice_fields_share_a_code_list_when_their_choices_are_the_same():
    imported = _import()
    items = _items(imported)
    codelists = {c["id"]: c for c in imported.codelists}
    assert items["sex"]["type"] == "choice"
    assert codelists[items["sex"]["codelist"]]["items"] == [
        {"code": "1", "decode": "Female"}, {"code": "2", "decode": "Male"},
        {"code": "9", "decode": "Unknown"}]
    assert items["qol_mobility"]["codelist"] == items["qol_selfcare"]["codelist"]
    assert [c["code"] for c in codelists[items["ae_severity"]["codelist"]]["items"]] == [
        "mild", "moderate", "severe"]


def test_yes_no_checkbox_slider_and_calc_fields_become_items_the_protocol_knows():
    items = _items(_import())
    assert items["smoker"]["type"] == items["ae_any"]["type"] == "boolean"
    assert [i for i in items if i.startswith("cm_current___")] == [
        f"cm_current___{n}" for n in range(1, 6)]
    assert items["cm_current___3"]["label"].endswith(": Calcium channel blocker")
    assert items["qol_overall"]["type"] == "integer"
    assert items["qol_overall"]["range"] == {"min": 0, "max": 100}
    assert items["bmi"]["type"] == "decimal" and "[weight]" in items["bmi"]["help"]


def test_the_record_id_descriptive_and_file_fields_and_branching_are_reported_as_skipped():
    imported = _import()
    items = _items(imported)
    assert {"participant_id", "enrol_intro", "cm_ecg"}.isdisjoint(items)
    skipped = "\n".join(imported.skipped)
    for name in ("participant_id", "enrol_intro", "cm_ecg", "pregnant", "cm_other"):
        assert f"'{name}'" in skipped


@pytest.mark.protocols()
def test_the_imported_forms_merged_into_a_protocol_load(trial, tmp_path):
    data = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    imported = import_dictionary(REALISTIC.read_text(encoding="utf-8"),
                                 [trial.protocol.roles[0].id])
    data["codelists"] = [*data.get("codelists", []), *imported.codelists]
    data["forms"] = [*data["forms"], *imported.forms]
    merged = tmp_path / "merged.yaml"
    merged.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    protocol = load_protocol(merged)
    assert protocol.form("baseline_vitals").item("weight").range.max == 250
    assert protocol.codelist(protocol.form("enrollment").item("sex").codelist).decode("2") \
        == "Male"


MALFORMED = [
    ("missing_column.csv", 1, "Field Type", "missing"),
    ("unknown_field_type.csv", 6, "Field Type", "radiobutton"),
    ("bad_choices.csv", 6, "Choices, Calculations, OR Slider Labels", "2 Male"),
    ("duplicate_variable.csv", 10, "Variable / Field Name", "row 4"),
    ("min_above_max.csv", 11, "Text Validation Min", "greater than the maximum 120"),
]


@pytest.mark.parametrize(("name", "row", "column", "says"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_a_malformed_dictionary_is_refused_naming_the_row_and_column(name, row, column, says):
    with pytest.raises(DictionaryError) as caught:
        _import(FIXTURES / name)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (row, column)
    assert says in problem.message


@pytest.mark.parametrize(("name", "row", "column", "says"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_the_command_refuses_a_malformed_dictionary_with_exit_2_and_writes_nothing(
        name, row, column, says, tmp_path, capsys):
    out = tmp_path / "forms.yaml"
    status = main(["protocol", "import-redcap", str(FIXTURES / name), "-o", str(out),
                   "--entered-by", "coordinator"])
    assert status == 2 and not out.exists()
    assert f"row {row}, column '{column}'" in capsys.readouterr().err


def test_the_command_writes_the_forms_as_yaml(tmp_path, capsys):
    out = tmp_path / "forms.yaml"
    assert main(["protocol", "import-redcap", str(REALISTIC), "-o", str(out),
                 "--entered-by", "coordinator"]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written == _import().sections()
    assert "skipped: row 19: 'cm_ecg'" in capsys.readouterr().err


def test_a_branching_logic_naming_no_field_is_refused(tmp_path):
    text = REALISTIC.read_text(encoding="utf-8").replace("[smoker] = '1'", "[smokes] = '1'")
    with pytest.raises(DictionaryError, match=r"row 16, column 'Branching Logic \(Show field "
                                              r"only if\.\.\.\)': names \[smokes\]"):
        import_dictionary(text, ["coordinator"])
