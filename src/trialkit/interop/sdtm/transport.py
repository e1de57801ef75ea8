"""SDTM domains as SAS transport (XPORT) v5 files, written by ``interop.datasets.xpt``.

SDTM dates are ISO 8601 text, so a domain becomes a table of text and numeric columns only
(no SAS dates); the transport writer sizes each text column to its longest value, as
``columns.py`` does for Dataset-JSON and the define.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from trialkit.core.analysis.table import Table
from trialkit.core.sdtm import Domain
from trialkit.interop.datasets.xpt import Column as XptColumn
from trialkit.interop.datasets.xpt import write_xpt
from trialkit.interop.sdtm.columns import cell, columns

LABEL_MAX = 40


def table(domain: Domain) -> Table:
    values: dict[str, object] = {}
    for column in columns(domain):
        raw = [cell(row.get(column.name), column) for row in domain.rows]
        if column.numeric:
            values[column.name] = np.array([np.nan if v is None else v for v in raw],
                                           dtype=np.float64)
        else:
            values[column.name] = np.array(raw, dtype=object)
    return Table(values)


def write_transport(path: Path, domain: Domain, *, as_of: dt.date, version: str) -> None:
    """Write ``domain`` as ``path``; refuses names over 8 and labels over 40 characters rather
    than truncating them silently (the checker reports them with their rule)."""
    cols = columns(domain)
    too_long = [c.name for c in cols if len(c.name) > 8 or len(c.label) > LABEL_MAX]
    if len(domain.name) > 8 or len(domain.label) > LABEL_MAX or too_long:
        raise ValueError(f"{domain.name}: names over 8 or labels over 40 characters: "
                         f"{', '.join(too_long) or domain.name}")
    xpt_columns = [XptColumn(c.name, c.label, "numeric" if c.numeric else "text") for c in cols]
    write_xpt(path, table(domain), xpt_columns, name=domain.name, label=domain.label,
              stamp_date=as_of, version=version)
