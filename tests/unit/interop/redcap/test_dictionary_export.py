"""A protocol's forms as a REDCap data dictionary, and back through the importer."""

from __future__ import annotations

import csv
import io
import re

import pytest

from trialkit.interop.exports import EXPORTS
from trialkit.interop.redcap import dictionary_csv, dictionary_problems, import_dictionary
from trialkit.interop.redcap import format as fmt
from trialkit.interop.redcap.dictionary import _Names, variable_name

pytestmark = pytest.mark.protocols()

HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
          "Choices, Calculations, OR Slider Labels", "Field Note",
          "Text Validation Type OR Show Slider Number", "Text Validation Min",
          "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
          "Required Field?", "Custom Alignment", "Question Number (surveys only)",
          "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]
"""REDCap's data dictionary header, typed from its documentation (not imported from src)."""


def _rows(protocol):
    return list(csv.DictReader(io.StringIO(dictionary_csv(protocol))))


def test_the_dictionary_has_redcaps_18_columns_and_the_record_id_first(trial):
    text = dictionary_csv(trial.protocol)
    assert next(csv.reader(io.StringIO(text))) == HEADER
    first = _rows(trial.protocol)[0]
    assert (first["Variable / Field Name"], first["Field Type"]) == ("record_id", "text")


def test_variable_names_are_lower_case_short_and_unique_over_the_project(trial):
    names = [r["Variable / Field Name"] for r in _rows(trial.protocol)]
    assert len(names) == len(set(names)) == 1 + sum(len(f.items) for f in trial.protocol.forms)
    for name in names:
        assert name == name.lower() and len(name) <= 26 and name[0].isalpha(), name


def test_item_types_become_field_types_and_validations(trial):
    rows = {r["Field Annotation"].split("item=")[1].split()[0]: r
            for r in _rows(trial.protocol)[1:]}
    for form in trial.protocol.forms:
        for item in form.items:
            row = rows[item.id]
            kind, validation = row["Field Type"], row["Text Validation Type OR Show Slider Number"]
            expected = {"boolean": ("yesno", ""), "text": ("text", ""),
                        "date": ("text", "date_ymd"), "datetime": ("text", "datetime_ymd"),
                        "integer": ("text", "integer")}.get(item.type)
            if expected:
                assert (kind, validation) == expected, item.id
            elif item.type == "decimal":
                assert kind == "text" and validation.startswith("number"), item.id
            else:
                codes = trial.protocol.codelist(item.codelist).items
                assert kind in ("radio", "dropdown")
                assert row["Choices, Calculations, OR Slider Labels"] == " | ".join(
                    f"{c.code}, {c.decode}" for c in codes)
            assert (row["Required Field?"] == "y") is item.required
            assert row["Field Note"] == (item.unit or item.help or "")


def test_a_range_with_half_steps_is_validated_to_one_decimal(trial):
    halves = [(f, i) for f in trial.protocol.forms for i in f.items
              if i.range is not None and i.range.step == 0.5]
    rows = {r["Field Label"]: r for r in _rows(trial.protocol)}
    for _, item in halves:
        row = rows[item.label]
        assert row["Text Validation Type OR Show Slider Number"] == "number_1dp"
        assert float(row["Text Validation Max"]) == item.range.max


def test_the_export_passes_its_validator(trial):
    assert dictionary_problems(dictionary_csv(trial.protocol)) == []


def test_export_then_import_gives_back_the_forms_items_types_ranges_and_code_lists(trial):
    protocol = trial.protocol
    imported = import_dictionary(dictionary_csv(protocol), ["coordinator"])
    assert [(f["id"], f["name"], f["kind"]) for f in imported.forms] == [
        (f.id, f.name, f.kind) for f in protocol.forms]
    codelists = {c["id"]: c for c in imported.codelists}
    for form, back in zip(protocol.forms, imported.forms, strict=True):
        assert [i["id"] for i in back["items"]] == [i.id for i in form.items]
        for item, got in zip(form.items, back["items"], strict=True):
            assert (got["label"], got["type"]) == (item.label, item.type)
            assert got.get("required", False) is item.required
            assert (got.get("unit"), got.get("help")) == (item.unit, item.help) or item.unit
            if item.type in ("integer", "decimal"):
                assert got.get("unit") == item.unit
                want = item.range.model_dump(exclude_none=True) if item.range else {}
                assert got.get("range", {}) == want
            if item.codelist is not None:
                assert got["codelist"] == item.codelist
                assert codelists[item.codelist]["items"] == [
                    {"code": c.code, "decode": c.decode}
                    for c in protocol.codelist(item.codelist).items]


def test_names_that_collide_after_shortening_are_told_apart_in_order():
    names = _Names()
    long_id = "active_infection_needing_systemic_treatment"
    first = names.claim(variable_name(long_id))
    second = names.claim(variable_name(long_id.replace("treatment", "therapy")))
    assert first == "active_infection_needing_s" and len(first) == 26
    assert second == "active_infection_needing_2"
    assert variable_name("EDSS0101") == "edss0101" and variable_name("3rd visit") == "v_3rd_visit"


def test_the_validator_checks_the_documented_rules_not_our_writer(trial):
    rows = list(csv.reader(io.StringIO(dictionary_csv(trial.protocol))))
    rows[2][3] = "checkbox_grid"
    rows[3][0] = "a_variable_name_longer_than_twenty_six"
    rows[4][7] = "date_iso"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    problems = dictionary_problems(out.getvalue())
    assert any(p.startswith("row 3: field type 'checkbox_grid'") for p in problems)
    assert any(p.startswith("row 4: variable name") for p in problems)
    assert any(p.startswith("row 5: validation type 'date_iso'") for p in problems)
    assert tuple(HEADER) == fmt.HEADER


def test_the_registry_export_tells_a_blinded_reader_no_arm(trial, tmp_path):
    """Any exporting role may take the dictionary: it holds no form that records a real-or-sham
    procedure and no code or label that names an arm, a sequence, a preparation or 'sham'."""
    protocol = trial.protocol
    out = tmp_path / "dictionary.csv"
    EXPORTS["redcap-dictionary"].write(protocol, None, out)
    design = protocol.design
    concealed = {v.lower() for a in design.arms for v in (a.id, a.label)}
    concealed |= {v.lower() for p in design.parts for s in p.sequences for v in (s.id, s.label)}
    concealed |= {p.preparation.lower() for a in design.administrations
                  for p in a.by_arm.values()}
    for row in csv.reader(out.read_text(encoding="utf-8").splitlines()):
        choices = [part.strip() for cell in row for choice in cell.split("|")
                   for part in choice.split(",", 1)]
        assert not concealed & {c.lower() for c in [*row, *choices]}, row
        assert not re.search(r"\bsham\b", " ".join(row), re.IGNORECASE), row
