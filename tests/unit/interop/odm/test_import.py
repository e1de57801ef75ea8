"""Importing an ODM study from another EDC as protocol forms (``trialkit protocol
import-odm``): the fixtures written from REDCap's, OpenClinica's and CDISC's documented
shapes, the round trip of every protocol, and the refusals (line, element, OID; nothing
written; exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT
from trialkit.cli.main import main
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.forms import CodeList, Form
from trialkit.interop.odm import (
    OdmImportError,
    problems,
    read_study,
    skeleton_yaml,
    write_metadata,
)
from trialkit.interop.odm.skeleton import skeleton

ODM = FIXTURES / "odm"
ODM_20_EXAMPLES = sorted((ROOT.parent / "shared" / "reference-data" / "odm-xsd" /
                          "examples-odm-2.0").glob("*.xml"))


def _import(path: Path) -> dict:
    return skeleton(read_study(path.read_bytes()))


def _form(data: dict, form_id: str) -> dict:
    return next(f for f in data["forms"] if f["id"] == form_id)


def _item(form: dict, item_id: str) -> dict:
    return next(i for i in form["items"] if i["id"] == item_id)


def _includes(actual: dict, expected: dict) -> bool:
    return all(actual.get(key) == value for key, value in expected.items())


def test_a_redcap_project_becomes_its_instruments_fields_choices_and_events():
    data = _import(ODM / "redcap_longitudinal.xml")
    assert [f["id"] for f in data["forms"]] == ["enrolment", "attack_log"]
    enrolment = _form(data, "enrolment")
    assert [i["id"] for i in enrolment["items"]] == [
        "record_id", "dob", "sex", "weight", "triggers___1", "triggers___2"]  # no status field
    assert _item(enrolment, "sex") == {"id": "sex", "label": "Sex at birth", "type": "choice",
                                          "codelist": "sex.choices", "required": True}
    assert _item(enrolment, "weight")["range"] == {"min": 30.0, "max": 250.0}
    assert _item(enrolment, "triggers___1")["type"] == "boolean"
    log = _form(data, "attack_log")
    assert log["repeating"] is True  # declared in redcap:RepeatingInstruments
    assert _includes(_item(log, "pain_score"),
                     {"type": "integer", "range": {"min": 0.0, "max": 10.0}})
    assert _item(log, "aura")["type"] == "boolean"
    assert [c["id"] for c in data["codelists"]] == ["sex.choices"]
    assert _includes(data["schedule"]["visits"][1], {
        "id": "follow_up_arm_1", "day": 28, "window": {"before": 3, "after": 3},
        "forms": ["attack_log"]})


def test_an_openclinica_study_keeps_units_ranges_codes_annotations_and_its_unscheduled_event():
    data = _import(ODM / "openclinica3_metadata.xml")
    assert [f["id"] for f in data["forms"]] == ["DEMOGRAPHIC_V10", "VITALS_V10", "AELOG_V10"]
    demographics, vitals = _form(data, "DEMOGRAPHIC_V10"), _form(data, "VITALS_V10")
    assert _item(demographics, "AGE")["range"] == {"min": 40.0, "max": 85.0}  # LT 86 on integers
    assert _item(demographics, "SEX")["cdisc"] == {"domain": "DM", "variable": "SEX"}
    assert _includes(_item(vitals, "WEIGHT"),
                     {"type": "decimal", "unit": "kg", "range": {"min": 35.0}})
    assert _item(vitals, "SYSBP")["unit"] == "mmHg"
    assert _form(data, "AELOG_V10")["repeating"] is True  # its item group repeats
    codelists = {c["id"]: c for c in data["codelists"]}
    assert codelists["SEX_1"]["data_type"] == "integer"
    assert [i["code"] for i in codelists["NY_2"]["items"]] == ["Y", "N"]
    visits = data["schedule"]["visits"]
    assert [(v["id"], v.get("unscheduled", False)) for v in visits] == [
        ("SCREENING", False), ("WEEK12", False), ("ADVERSEEVENT", True)]


def test_a_study_in_the_shape_of_the_cdisc_example_is_valid_odm_and_imports_group_by_group():
    path = ODM / "cdisc_style_metadata_1_3_2.xml"
    assert problems(path) == []  # the fixture itself is valid ODM 1.3.2
    data = _import(path)
    baseline = _form(data, "BASELINE")
    assert [i["id"] for i in baseline["items"]] == [  # groups in their OrderNumber order
        "VISITDATE", "BRTHDT", "Sex", "Smoker", "PACKYEARS"]
    assert _item(baseline, "BRTHDT")["type"] == "text"  # a partialDate
    assert _includes(_item(_form(data, "SPIRO"), "FEV1"), {"unit": "L", "type": "decimal"})
    assert {c["id"]: c.get("cdisc_codelist") for c in data["codelists"]}["SEX"] == "C66731"
    assert [v["id"] for v in data["schedule"]["visits"]] == ["BASELINE", "WEEK_8"]
    assert "AE" not in {f for v in data["schedule"]["visits"] for f in v["forms"]}


@pytest.mark.protocols()
@pytest.mark.parametrize("name", sorted(p.name for p in ODM.glob("*.xml")))
def test_each_imported_skeleton_merged_into_a_protocol_loads(trial_path, tmp_path, name):
    protocol = yaml.safe_load(trial_path.read_text(encoding="utf-8"))
    role = protocol["forms"][0]["entered_by"][0]
    text = skeleton_yaml(read_study((ODM / name).read_bytes()), source=name, entered_by=[role])
    assert text.startswith(f"# Protocol forms imported from the CDISC ODM file {name}")
    imported = yaml.safe_load(text)
    added = {f"odm_{f['id']}" for f in imported["forms"]}
    _merge(protocol, imported, prefix="odm_")
    merged = tmp_path / "merged.yaml"
    merged.write_text(yaml.safe_dump(protocol, sort_keys=False), encoding="utf-8")
    loaded = load_protocol(merged)
    assert added <= {f.id for f in loaded.forms}
    assert all(loaded.form(f).entered_by == (role,) for f in added)


def _merge(protocol: dict, imported: dict, prefix: str) -> None:
    """Imported forms, codelists and visits added to the protocol under prefixed ids."""
    for form in imported["forms"]:
        form["id"] = prefix + form["id"]
        for item in form["items"]:
            if "codelist" in item:
                item["codelist"] = prefix + item["codelist"]
    for codelist in imported["codelists"]:
        codelist["id"] = prefix + codelist["id"]
    for visit in imported["schedule"]["visits"]:
        visit["id"] = prefix + visit["id"]
        visit["forms"] = [prefix + f for f in visit["forms"]]
    protocol["forms"] += imported["forms"]
    protocol["codelists"] += imported["codelists"]
    protocol["schedule"]["visits"] += imported["schedule"]["visits"]


@pytest.mark.protocols()
def test_export_then_import_keeps_every_form_item_type_range_unit_and_codelist(trial, tmp_path):
    protocol = trial.protocol
    data = _import(write_metadata(protocol, tmp_path / "study.xml", blinded=False))
    forms = [Form.model_validate(f) for f in data["forms"]]
    assert [(f.id, f.name, f.repeating) for f in forms] == \
        [(f.id, f.name, f.repeating) for f in protocol.forms]
    for original, back in zip(protocol.forms, forms, strict=True):
        for before, after in zip(original.items, back.items, strict=True):
            kept = ("id", "label", "type", "unit", "codelist", "required", "help", "cdisc")
            assert [getattr(after, k) for k in kept] == [getattr(before, k) for k in kept]
            assert (after.range and (after.range.min, after.range.max)) == \
                (before.range and (before.range.min, before.range.max))
    codelists = {c["id"]: CodeList.model_validate(c) for c in data["codelists"]}
    assert codelists == {c.id: c for c in protocol.codelists
                         if any(i.codelist == c.id for f in protocol.forms for i in f.items)}
    assert [(v["id"], v["name"], v["forms"]) for v in data["schedule"]["visits"]] == \
        [(v.id, v.name, list(v.forms)) for v in protocol.schedule.visits]


@pytest.mark.parametrize("path", ODM_20_EXAMPLES, ids=lambda p: p.name)
def test_an_odm_2_0_file_is_refused_with_a_clear_message(path):
    with pytest.raises(OdmImportError, match=r"line \d+: <MetaDataVersion OID=\"MV.001\">: this "
                                             r"is ODM 2\.0 .*export the study as ODM 1\.3\.2"):
        read_study(path.read_bytes())


def test_an_odm_file_of_version_2_is_refused_whatever_its_namespace():
    data = (b'<?xml version="1.0"?>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" '
            b'ODMVersion="2.0" FileOID="F" FileType="Snapshot" CreationDateTime="2024-01-01"/>')
    with pytest.raises(OdmImportError, match=r"line 2: <ODM>: this is ODM 2\.0"):
        read_study(data)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (ODM / "openclinica3_metadata.xml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('ItemGroupOID="IG_VITAL_UNGROUPED" Mandatory', 'ItemGroupOID="IG_MISSING" Mandatory',
     r"line 47: <ItemGroupRef> refers to ItemGroupDef 'IG_MISSING', which the MetaDataVersion "
     r"does not define"),
    ('Name="AGE" DataType="integer"', 'Name="AGE" DataType="number"',
     r"line 84: <ItemDef OID=\"I_DEMOG_AGE\">: DataType 'number' is not an ODM 1\.3\.2 data type"),
    ('Name="AGE" DataType="integer"', 'Name="AGE" DataType="base64Binary"',
     r"<ItemDef OID=\"I_DEMOG_AGE\">: DataType 'base64Binary' \(binary data\)"),
    ('<CodeListRef CodeListOID="CL_NY_2"/>', '<CodeListRef CodeListOID="CL_GONE"/>',
     r"<CodeListRef> refers to CodeList 'CL_GONE'"),
    ('<MeasurementUnitRef MeasurementUnitOID="MU_KG"/>',
     '<MeasurementUnitRef MeasurementUnitOID="MU_LB"/>',
     r"<ItemDef OID=\"I_VITAL_WEIGHT\"> refers to MeasurementUnit 'MU_LB'"),
    ('<CheckValue>35</CheckValue>', '<CheckValue>thirty-five</CheckValue>',
     r"<RangeCheck> of line \d+: <ItemDef OID=\"I_VITAL_WEIGHT\">: CheckValue 'thirty-five'"),
    ('<ItemDef OID="I_AELOG_AETERM"', '<ItemDef OID="I_DEMOG_AGE"',
     r"OID 'I_DEMOG_AGE' is defined twice \(first on line \d+\)"),
    ('</ODM>', '</ODMX>', r"line \d+, column \d+: not well-formed XML"),
])
def test_a_malformed_study_is_refused_naming_the_line_element_and_oid(tmp_path, old, new,
                                                                       message):
    with pytest.raises(OdmImportError, match=message):
        read_study(_broken(tmp_path, old, new).read_bytes())


def test_a_file_that_is_not_odm_is_refused(tmp_path):
    path = tmp_path / "record.xml"
    path.write_text("<?xml version='1.0'?>\n<clinical_study><id>1</id></clinical_study>\n",
                    encoding="utf-8")
    with pytest.raises(OdmImportError, match=r"line 2: <clinical_study>: not an ODM 1\.3 file"):
        read_study(path.read_bytes())


def test_the_command_writes_the_skeleton_for_the_roles_given(tmp_path):
    out = tmp_path / "skeleton.yaml"
    assert main(["protocol", "import-odm", str(ODM / "openclinica3_metadata.xml"), "-o",
                 str(out), "--entered-by", "nurse", "--entered-by", "doctor"]) == 0
    forms = yaml.safe_load(out.read_text(encoding="utf-8"))["forms"]
    assert {tuple(f["entered_by"]) for f in forms} == {("nurse", "doctor")}


def test_the_command_refuses_a_malformed_study_with_exit_2_and_writes_nothing(
        tmp_path, capsys):
    broken = _broken(tmp_path, 'Name="AGE" DataType="integer"', 'Name="AGE" DataType="number"')
    out = tmp_path / "skeleton.yaml"
    assert main(["protocol", "import-odm", str(broken), "-o", str(out)]) == 2
    assert not out.exists()
    error = capsys.readouterr().err
    assert "broken.xml: line 84: <ItemDef OID=\"I_DEMOG_AGE\">: DataType 'number'" in error
    assert "Traceback" not in error
