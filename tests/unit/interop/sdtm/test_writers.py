"""SDTM domains written as Dataset-JSON 1.1 (valid against CDISC's schema, columns as in the
define) and as SAS transport v5 (read back by ReadStat), the same bytes twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import jsonschema
import pyreadstat
import pytest

from tests.conftest import FIXTURES
from tests.unit.interop.sdtm import domains
from trialkit.interop.sdtm.datasetjson import Study, read_dataset, write_dataset_json
from trialkit.interop.sdtm.submission import write_domains
from trialkit.interop.sdtm.transport import write_transport

SCHEMA = json.loads((FIXTURES / "analysis" / "dataset-json-1.1.schema.json").read_text())
STUDY = Study("STUDY1", "STUDY1", "MDV.1", "2026-12-03T00:00:00", "0.1.0")



@pytest.mark.parametrize("domain", domains.study(), ids=lambda d: d.name)
def test_each_domain_is_valid_dataset_json_and_reads_back(domain, tmp_path):
    path = tmp_path / f"{domain.name.lower()}.json"
    write_dataset_json(path, domain, STUDY)
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator(SCHEMA).validate(document)
    back = read_dataset(path)
    assert back.variables == [v.name for v in domain.variables]
    assert back.keys() == list(domain.keys)[: len(back.keys())]
    assert len(back.rows) == len(domain.rows) == document["records"]


def test_dataset_json_columns_carry_type_length_and_key_sequence(tmp_path):
    path = tmp_path / "ae.json"
    write_dataset_json(path, domains.ae(), STUDY)
    columns = {c["name"]: c for c in json.loads(path.read_text())["columns"]}
    assert columns["AESEQ"]["dataType"] == "integer" and "length" not in columns["AESTDTC"]
    assert columns["AESTDTC"]["dataType"] == "datetime"
    assert columns["AETERM"] == {"itemOID": "IT.AE.AETERM", "name": "AETERM",
                                 "label": "Reported Term for the Adverse Event",
                                 "dataType": "string", "length": len("HEADACHE")}
    assert [columns[k]["keySequence"] for k in ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC")] \
        == [1, 2, 3, 4]


def test_the_transport_file_reads_back_with_readstat(tmp_path):
    path = tmp_path / "ex.xpt"
    write_transport(path, domains.ex(), as_of=dt.date(2026, 12, 3),
                    version="0.1.0")
    frame, meta = pyreadstat.read_xport(str(path))
    assert list(frame.columns) == [v.name for v in domains.ex().variables]
    assert meta.column_names_to_labels["EXROUTE"] == "Route of Administration"
    assert meta.table_name == "EX" and meta.file_label == "Exposure"
    assert list(frame["EXROUTE"]) == ["INTRAVENOUS", "INTRAVENOUS"]
    assert list(frame["EXDOSE"]) == [1.5, 1.5] and list(frame["EXSEQ"]) == [1, 1]
    assert meta.variable_storage_width["EXSTDTC"] == len("2025-03-03T09:00")


def test_a_missing_number_is_a_sas_missing_value_and_missing_text_is_blank(tmp_path):
    domain = domains.dm(AGE=None, COUNTRY=None)
    path = tmp_path / "dm.xpt"
    write_transport(path, domain, as_of=dt.date(2026, 12, 3),
                    version="0.1.0")
    frame, _ = pyreadstat.read_xport(str(path))
    assert all(math.isnan(v) for v in frame["AGE"]) and list(frame["COUNTRY"]) == ["", ""]


def test_a_name_over_eight_or_a_label_over_forty_characters_is_refused(tmp_path):
    domain = domains.ex()
    long_label = dataclasses.replace(domain.variables[4], label="x" * 41)
    broken = dataclasses.replace(domain, variables=(*domain.variables[:4], long_label,
                                                    *domain.variables[5:]))
    with pytest.raises(ValueError, match="EXTRT"):
        write_transport(tmp_path / "ex.xpt", broken,
                        as_of=dt.date(2026, 12, 3), version="0.1.0")


def test_the_same_domains_write_the_same_bytes(tmp_path):
    first = write_domains(tmp_path / "a", domains.study(), STUDY, description="A study")
    second = write_domains(tmp_path / "b", domains.study(), STUDY, description="A study")
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    assert {p.name for p in first} >= {"dm.xpt", "dm.json", "define.xml", "ts.json"}
