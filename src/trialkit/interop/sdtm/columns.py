"""One SDTM variable's submission metadata, computed once from a domain and shared by the
Dataset-JSON file, the transport file and the Define-XML, so the three always agree.

Why lengths come from the data: SDTM text variables are sized to their longest value (the
FDA's Technical Conformance Guide asks for it, to keep transport files small); a variable with
no value still has length 1, the least XPT and Define-XML allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trialkit.core.sdtm import Domain, Variable
from trialkit.interop.sdtm.rules import standard_codelist, standard_core

# Define-XML DataType → Dataset-JSON dataType (Dataset-JSON 1.1 §"dataType").
JSON_TYPES = {"text": "string", "integer": "integer", "float": "double", "date": "date",
              "datetime": "datetime"}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    data_type: str
    """Define-XML DataType: text, integer, float, date or datetime."""
    length: int | None
    significant_digits: int | None
    key_sequence: int | None
    role: str
    codelist: str
    origin: str
    mandatory: bool

    @property
    def json_type(self) -> str:
        return JSON_TYPES[self.data_type]

    @property
    def numeric(self) -> bool:
        return self.data_type in ("integer", "float")


def _data_type(variable: Variable, values: list[Any]) -> str:
    if variable.name.endswith("DTC"):
        # --DTC is ISO 8601 text; Define calls it datetime when any value carries a time.
        return "datetime" if any("T" in str(v) for v in values if v) else "date"
    return variable.kind


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sizes(data_type: str, values: list[Any]) -> tuple[int | None, int | None]:
    texts = [_text(v) for v in values]
    if data_type in ("date", "datetime"):
        return None, None
    if data_type == "float":
        decimals = [len(t.split(".")[1]) if "." in t else 0 for t in texts if t]
        return max([1, *map(len, texts)]), max([0, *decimals])
    return max([1, *(len(t.encode("utf-8")) for t in texts)]), None


def columns(domain: Domain) -> list[Column]:
    """The domain's variables in order, with the metadata every output of it carries."""
    result = []
    for variable in domain.variables:
        values = domain.column(variable.name)
        data_type = _data_type(variable, values)
        length, digits = _sizes(data_type, values)
        key = domain.keys.index(variable.name) + 1 if variable.name in domain.keys else None
        result.append(Column(
            variable.name, variable.label, data_type, length, digits, key, variable.role,
            variable.codelist or standard_codelist(domain.name, variable.name), variable.origin,
            standard_core(domain.name, variable.name) == "Req"))
    return result


def cell(value: Any, column: Column) -> Any:
    """A value as Dataset-JSON writes it: numbers as numbers (null when missing), text as text
    (empty when missing, as SAS and the CDISC examples do)."""
    if not column.numeric:
        return _text(value)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value) if column.data_type == "integer" else float(value)
