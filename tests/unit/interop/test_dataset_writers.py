"""Dataset writers: Dataset-JSON 1.1 valid against CDISC's schema and read back; SAS transport
v5 read back by pandas and by ReadStat; Parquet read back by Arrow; the same bytes twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import struct

import jsonschema
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from tests.conftest import FIXTURES
from trialkit.core.analysis import read_dataset_json
from trialkit.core.analysis.table import Table
from trialkit.core.reporting.stamp import Stamp
from trialkit.interop.datasets import FORMATS, DatasetMeta
from trialkit.interop.datasets.xpt import ibm_float

SCHEMA = FIXTURES / "analysis" / "dataset-json-1.1.schema.json"
STAMP = Stamp("NCT0", "a" * 64, "0.1.0", dt.date(2026, 12, 3), "b" * 64, "blinded-pooled")
META = DatasetMeta("ADTEST", "Test Analysis Dataset", {"AVAL": "Analysis Value",
                                                       "ADT": "Analysis Date"})


def table() -> Table:
    return Table({"STUDYID": ["NCT0"] * 4, "USUBJID": ["NCT0-1", "NCT0-2", "NCT0-3", "NCT0-4"],
                  "AVAL": [1.5, np.nan, -1 / 3, 123456789.0],
                  "ADT": np.array(["2026-01-02", "NaT", "1959-12-31", "2026-12-03"],
                                  dtype="datetime64[D]"),
                  "AVALC": ["Y", "", "N", "Ünïcode"]})


def test_dataset_json_is_valid_against_the_cdisc_schema_and_reads_back(tmp_path):
    path = tmp_path / "ADTEST.json"
    FORMATS["dataset-json"].write(path, table(), META, STAMP)
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text())).validate(document)
    assert document["records"] == 4 and document["metaDataVersionOID"] == "a" * 64
    assert "b" * 64 in document["fileOID"] and document["sourceSystem"]["version"] == "0.1.0"
    back = read_dataset_json(document)
    np.testing.assert_array_equal(back["AVAL"], table()["AVAL"])
    np.testing.assert_array_equal(back["ADT"], table()["ADT"])
    assert list(back.text("AVALC")) == ["Y", "", "N", "Ünïcode"]


def test_the_transport_file_reads_back_with_pandas_and_readstat(tmp_path):
    path = tmp_path / "adtest.xpt"
    FORMATS["xpt"].write(path, table(), META, STAMP)
    frame = pd.read_sas(path, format="xport", encoding="latin-1")
    assert list(frame.columns) == ["STUDYID", "USUBJID", "AVAL", "ADT", "AVALC"]
    np.testing.assert_allclose(frame["AVAL"], [1.5, np.nan, -1 / 3, 123456789.0], rtol=1e-15)
    sas_day = [(dt.date(2026, 1, 2) - dt.date(1960, 1, 1)).days, -9999, -1,
               (dt.date(2026, 12, 3) - dt.date(1960, 1, 1)).days]
    assert list(frame["ADT"].fillna(-9999)) == sas_day  # days since 1960-01-01
    read, meta = pyreadstat.read_xport(str(path), encoding="iso-8859-1")
    assert meta.table_name == "ADTEST" and meta.file_label == "Test Analysis Dataset"
    assert meta.column_names_to_labels["AVAL"] == "Analysis Value"
    assert str(read["ADT"][0]) == "2026-01-02"  # the DATE9. format makes it a date
    assert list(read["AVALC"]) == ["Y", "", "N", "Ünïcode"]


@pytest.mark.parametrize(("value", "expected"), [
    (1.0, "4110000000000000"), (-1.0, "C110000000000000"), (0.1, "401999999999999A"),
    (100.0, "4264000000000000"), (0.0, "0000000000000000"), (math.nan, "2E00000000000000")])
def test_ibm_floats_match_the_published_encodings(value, expected):
    # 1 = 0x4110..., 100 = 0x4264..., 0.1 = 0x40199999 9999999A (rounded to nearest)
    assert ibm_float(value).hex().upper() == expected


def test_ibm_floats_round_trip_through_a_reference_decoder():
    def decode(raw: bytes) -> float:
        (word,) = struct.unpack(">Q", raw)
        sign = -1 if word >> 63 else 1
        exponent = (word >> 56) & 0x7F
        return sign * (word & ((1 << 56) - 1)) / 2**56 * 16.0 ** (exponent - 64)
    for value in np.random.default_rng(3).normal(0, 1e6, 200):
        assert decode(ibm_float(float(value))) == pytest.approx(value, rel=1e-15)


def test_parquet_keeps_types_labels_and_the_stamp(tmp_path):
    path = tmp_path / "ADTEST.parquet"
    FORMATS["parquet"].write(path, table(), META, STAMP)
    read = pq.read_table(path)
    assert str(read.schema.field("ADT").type) == "date32[day]"
    assert read.schema.field("AVAL").metadata[b"label"] == b"Analysis Value"
    stamp = json.loads(read.schema.metadata[b"trialkit"])
    assert stamp["data_sha256"] == "b" * 64 and stamp["view"] == "blinded-pooled"
    assert read.column("AVAL").to_pylist()[1] is None


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_writes_the_same_bytes_for_the_same_data(tmp_path, name):
    form = FORMATS[name]
    digests = set()
    for attempt in ("a", "b"):
        path = tmp_path / f"{attempt}{form.suffix}"
        form.write(path, table(), META, STAMP)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1
