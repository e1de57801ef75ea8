"""SAS transport (XPORT) version 5 files, written byte for byte from the published layout.

Why not pyreadstat's writer: it stamps the current time into the headers, and trialkit's
outputs must be byte-identical when the data are. Here the created/modified stamps are the
data's as-of date. Layout (SAS TS-140, "The record layout of a SAS transport file"): 80-byte
records; a library header, a member header with the dataset name and label, one 140-byte
namestr per variable, then the observations, each numeric an 8-byte IBM (System/360) float
(missing: ``.`` = 0x2E followed by zeros), each character value blank-padded to its length.
Dates are SAS dates (days since 1960-01-01) with the DATE9. format.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trialkit.core.analysis.table import Table

SAS_EPOCH = dt.date(1960, 1, 1)
RECORD = 80
LIBRARY = "HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
MEMBER = "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
DESCRIPTOR = "HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
NAMESTR = "HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{:04d}00000000000000000000  "
OBSERVATIONS = "HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str
    """"numeric", "date" or "text"."""


def ibm_float(value: float) -> bytes:
    """An IEEE double as an 8-byte IBM hexadecimal float (base-16 exponent excess 64,
    56-bit fraction), rounded to nearest; NaN is SAS's ordinary missing value."""
    if math.isnan(value):
        return b"\x2e" + bytes(7)
    if value == 0:
        return bytes(8)
    sign = 0x80 if value < 0 else 0
    mantissa, exponent = math.frexp(abs(value))  # abs(value) = mantissa * 2**exponent
    hex_exponent = -(-exponent // 4)  # ceil: the fraction lands in [1/16, 1)
    fraction = round(math.ldexp(mantissa, exponent - 4 * hex_exponent + 56))
    if fraction >= 1 << 56:  # rounding carried into a new hex digit
        fraction >>= 4
        hex_exponent += 1
    if not -64 <= hex_exponent <= 63:
        raise ValueError(f"{value} is outside the range of an IBM float")
    return bytes([sign | (hex_exponent + 64)]) + fraction.to_bytes(7, "big")


def sas_datetime(day: dt.date) -> str:
    return f"{day.day:02d}{MONTHS[day.month - 1]}{day.year % 100:02d}:00:00:00"


def _pad(text: str, width: int) -> bytes:
    raw = text.encode("latin-1", errors="replace")[:width]
    return raw + b" " * (width - len(raw))


def _records(data: bytes) -> bytes:
    """``data`` blank-padded to a whole number of 80-byte records."""
    return data + b" " * (-len(data) % RECORD)


def _cells(table: Table, column: Column) -> list[bytes] | list[float]:
    values = table[column.name]
    if column.kind == "date":
        return [math.nan if np.isnat(v) else float((v.astype("datetime64[D]").astype(object)
                                                    - SAS_EPOCH).days) for v in values]
    if column.kind == "numeric":
        return [float(v) for v in values]
    return [str(v).encode("latin-1", errors="replace") for v in table.text(column.name)]


def write_xpt(path: Path, table: Table, columns: Sequence[Column], *, name: str, label: str,
              stamp_date: dt.date, version: str) -> None:
    """Write ``table`` as one dataset ``name`` of a v5 transport file."""
    cells = {c.name: _cells(table, c) for c in columns}
    lengths = {c.name: 8 if c.kind != "text" else max(
        [1, *(len(v) for v in cells[c.name] if isinstance(v, bytes))]) for c in columns}
    if any(n > 200 for n in lengths.values()):
        raise ValueError("a v5 transport file holds text values of at most 200 bytes")
    created = sas_datetime(stamp_date)
    head = (LIBRARY + "SAS     SAS     SASLIB  " + f"{version:<8.8}{'trialkit':<8}"
            + " " * 24 + created + created + " " * 64 + MEMBER + DESCRIPTOR).encode("ascii")
    member = (b"SAS     " + _pad(name, 8) + b"SASDATA " + _pad(version, 8) + _pad("trialkit", 8)
              + b" " * 24 + created.encode() + created.encode() + b" " * 16
              + _pad(label, 40) + b" " * 8)
    namestrs, position = b"", 0
    for number, column in enumerate(columns, start=1):
        numeric = column.kind != "text"
        form = (b"DATE    ", 9) if column.kind == "date" else (b" " * 8, 0)
        namestrs += struct.pack(">hhhh8s40s8shhh2s8shhi52s", 1 if numeric else 2, 0,
                                lengths[column.name], number, _pad(column.name, 8),
                                _pad(column.label, 40), form[0], form[1], 0, 0, b"  ",
                                b" " * 8, 0, 0, position, bytes(52))
        position += lengths[column.name]
    rows = bytearray()
    for index in range(table.n_rows):
        for column in columns:
            value = cells[column.name][index]
            rows += _pad_bytes(value, lengths[column.name]) if isinstance(value, bytes) \
                else ibm_float(value)
    body = head + member + NAMESTR.format(len(columns)).encode() + _records(namestrs) \
        + OBSERVATIONS.encode() + _records(bytes(rows))
    path.write_bytes(body)


def _pad_bytes(value: bytes, width: int) -> bytes:
    return value[:width] + b" " * (width - len(value[:width]))
