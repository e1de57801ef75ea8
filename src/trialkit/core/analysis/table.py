"""A minimal table of named, equal-length, read-only numpy columns: the methods' neutral input.

Later code fills it from ADaM-like datasets (Dataset-JSON, the trial database); the methods
only read columns by name. Conventions, as in ADaM/SAS: text columns are numpy ``object``
arrays of ``str`` with ``""`` for missing; numeric columns are ``float64`` with ``NaN`` for
missing (integers with gaps become floats); dates are ``datetime64[D]`` with ``NaT``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
FloatArray = npt.NDArray[np.floating[Any]]
BoolArray = npt.NDArray[np.bool_]


class AnalysisInputError(ValueError):
    """Input a method cannot analyse; the message names the column or parameter at fault."""


def _frozen(values: object) -> Array:
    array = np.asarray(values)
    if array.ndim != 1:
        raise AnalysisInputError(f"columns must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind in "US":
        array = array.astype(object)
    array = array.copy()
    array.setflags(write=False)
    return array


@dataclass(frozen=True, init=False)
class Table:
    """Named columns of equal length; immutable (the arrays are read-only copies)."""

    columns: Mapping[str, Array]

    def __init__(self, columns: Mapping[str, object]) -> None:
        frozen = {str(name): _frozen(values) for name, values in columns.items()}
        lengths = {name: len(values) for name, values in frozen.items()}
        if len(set(lengths.values())) > 1:
            raise AnalysisInputError(f"columns differ in length: {lengths}")
        object.__setattr__(self, "columns", MappingProxyType(frozen))

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Array:
        try:
            return self.columns[name]
        except KeyError:
            raise AnalysisInputError(
                f"column '{name}' is not in the table (it has: {', '.join(self.names)})"
            ) from None

    def numeric(self, name: str) -> FloatArray:
        """The column as float64 (``NaN`` for missing); text columns are refused."""
        values = self[name]
        if values.dtype.kind not in "biuf":
            raise AnalysisInputError(f"column '{name}' must be numeric, got {values.dtype}")
        return values.astype(np.float64)

    def text(self, name: str) -> Array:
        """The column as an object array of ``str``; ``None`` and NaN read as missing (``""``)."""
        values = self[name]
        return np.array([_as_text(v) for v in values], dtype=object)

    def where(self, mask: BoolArray) -> Table:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.n_rows,):
            raise AnalysisInputError(f"row mask has shape {mask.shape}, table has {self.n_rows}")
        return Table({name: values[mask] for name, values in self.columns.items()})

    def select(self, names: Iterable[str]) -> Table:
        return Table({name: self[name] for name in names})

    def with_columns(self, columns: Mapping[str, object]) -> Table:
        return Table({**self.columns, **columns})


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def missing(values: Array) -> BoolArray:
    """Missing by the conventions above: NaN, NaT, ``None`` or ``""``."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind in "mM":
        return np.isnat(values)
    if values.dtype.kind == "O":
        return np.array([v is None or v == "" or (isinstance(v, float) and np.isnan(v))
                         for v in values], dtype=bool)
    return np.zeros(len(values), dtype=bool)
