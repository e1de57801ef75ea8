"""Define-XML 2.1: what trialkit writes is valid against the schema odmlib bundles and says
what the datasets are; the CDISC sample's define fails on its STDTMIG typo and passes fixed."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest
from odmlib.odm_parser import ODMSchemaValidator

from tests.conftest import FIXTURES
from tests.unit.interop.sdtm import domains
from trialkit.interop.sdtm.datasetjson import Study
from trialkit.interop.sdtm.submission import write_domains
from trialkit.interop.sdtm.validate import define_errors

MSG = FIXTURES / "sdtm-msg"
STUDY = Study("STUDY1", "STUDY1", "MDV.1", "2026-12-03T00:00:00", "0.1.0")
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def define(tmp_path_factory):
    folder = tmp_path_factory.mktemp("define")
    write_domains(folder, domains.study(), STUDY, description="A hand-built study")
    return folder / "define.xml"


def test_the_define_is_valid_against_the_define_xml_2_1_schema(define):
    assert define_errors(define) == []
    ODMSchemaValidator(standard="define", version="2.1").validate_file(str(define))


def test_the_define_names_sdtmig_3_4_and_the_terminology_version(define):
    standards = ET.parse(define).getroot().findall(".//def:Standard", NS)
    assert {(s.get("Name"), s.get("Version")) for s in standards} == {
        ("SDTMIG", "3.4"), ("CDISC/NCI", "2020-12-18")}


def test_each_dataset_is_an_item_group_with_its_keys_class_and_transport_file(define):
    root = ET.parse(define).getroot()
    group = root.find(".//odm:ItemGroupDef[@Name='AE']", NS)
    assert group is not None and group.get("Purpose") == "Tabulation"
    assert group.get(f"{{{NS['def']}}}Structure") == "One record per USUBJID, AEDECOD, AESTDTC"
    assert group.find("def:Class", NS).get("Name") == "EVENTS"
    assert group.find("def:leaf", NS).get(f"{{{NS['xlink']}}}href") == "ae.xpt"
    keyed = {r.get("ItemOID"): r.get("KeySequence") for r in group.findall("odm:ItemRef", NS)}
    assert keyed["IT.AE.AESTDTC"] == "4" and keyed["IT.AE.AETERM"] is None
    mandatory = {r.get("ItemOID"): r.get("Mandatory") for r in group.findall("odm:ItemRef", NS)}
    assert mandatory["IT.AE.AETERM"] == "Yes" and mandatory["IT.AE.AESEV"] == "No"
    assert {g.get("Name") for g in root.findall(".//odm:ItemGroupDef", NS)} == {
        "AE", "DM", "EX", "TS", "VS"}


def test_items_carry_type_length_origin_and_derived_ones_a_method(define):
    root = ET.parse(define).getroot()
    item = root.find(".//odm:ItemDef[@OID='IT.DM.SEX']", NS)
    assert (item.get("DataType"), item.get("Length")) == ("text", "1")
    assert item.find("def:Origin", NS).get("Type") == "Collected"
    seq = root.find(".//odm:ItemRef[@ItemOID='IT.AE.AESEQ']", NS)
    method = root.find(f".//odm:MethodDef[@OID='{seq.get('MethodOID')}']", NS)
    assert "Sequence number" in "".join(method.itertext())


def test_codelists_carry_the_nci_codes_and_mark_a_sponsor_value(define):
    root = ET.parse(define).getroot()
    sex = root.find(".//odm:CodeList[@OID='CL.SEX']", NS)
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    codes = {i.get("CodedValue"): i.find("odm:Alias", NS).get("Name")
             for i in sex.findall("odm:EnumeratedItem", NS)}
    assert codes == {"F": "C16576", "M": "C20197"}  # the values used, not the whole list
    route = root.find(".//odm:CodeList[@OID='CL.ROUTE']", NS)
    assert route.find("odm:EnumeratedItem", NS).find("odm:Alias", NS).get("Name") == "C38276"
    units = root.find(".//odm:CodeList[@OID='CL.UNIT']", NS)
    assert units.find("odm:EnumeratedItem", NS).get("CodedValue") == "mg"


def test_the_cdisc_sample_define_fails_on_stdtmig_and_passes_when_fixed(tmp_path):
    problems = define_errors(MSG / "define.xml")
    assert len(problems) == 1 and "STDTMIG" in problems[0] and "def:Standard" in problems[0]
    fixed = tmp_path / "define.xml"
    shutil.copy(MSG / "define.xml", fixed)
    text = fixed.read_text(encoding="utf-8")
    fixed.write_text(text.replace('Name="STDTMIG"', 'Name="SDTMIG"'), encoding="utf-8")
    assert define_errors(fixed) == []


def test_findings_results_are_described_per_test_code(define):
    root = ET.parse(define).getroot()
    parent = root.find(".//odm:ItemDef[@OID='IT.VS.VSORRES']", NS)
    assert parent.find("def:ValueListRef", NS).get("ValueListOID") == "VL.VS.VSORRES"
    value_list = root.find(".//def:ValueListDef[@OID='VL.VS.VSORRES']", NS)
    refs = [r.get("ItemOID") for r in value_list.findall("odm:ItemRef", NS)]
    assert refs == ["IT.VS.VSORRES.SYSBP", "IT.VS.VSORRES.TEMP"]
    sysbp = root.find(".//odm:ItemDef[@OID='IT.VS.VSORRES.SYSBP']", NS)
    temp = root.find(".//odm:ItemDef[@OID='IT.VS.VSORRES.TEMP']", NS)
    assert (sysbp.get("DataType"), temp.get("DataType"), temp.get("SignificantDigits")) == (
        "integer", "float", "1")
    where = root.find(".//def:WhereClauseDef[@OID='WC.VS.VSTESTCD.TEMP']/odm:RangeCheck", NS)
    assert where.get(f"{{{NS['def']}}}ItemOID") == "IT.VS.VSTESTCD"
    assert (where.get("Comparator"), where.findtext("odm:CheckValue", namespaces=NS)) == (
        "EQ", "TEMP")
