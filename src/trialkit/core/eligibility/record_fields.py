"""Field readers for the record parser: each check records a problem under its field path."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

_T = TypeVar("_T")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


class Reader:
    """Collects (path, message) problems while reading values out of decoded JSON."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path or "(record)", message))

    def mapping(self, value: object, at: str, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
        if value is None and at:
            return None
        if not isinstance(value, dict):
            self.problem(at, f"expected an object, got {_kind(value)}")
            return None
        for key in value:
            if key not in keys:
                self.problem(_join(at, str(key)),
                             f"unknown field (expected one of: {', '.join(keys)})")
        return value

    def _get(self, obj: Mapping[str, Any], key: str, at: str, required: bool) -> Any:
        value = obj.get(key)
        if value is None and required:
            self.problem(_join(at, key), "required field is missing")
        return value

    def text(self, obj: Mapping[str, Any], key: str, at: str,
             *, required: bool = False) -> str | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(_join(at, key), f"expected a non-empty string, got {_kind(value)}")
            return None
        return value

    def choice(self, obj: Mapping[str, Any], key: str, at: str,
               choices: tuple[str, ...]) -> str | None:
        value = self.text(obj, key, at)
        if value is not None and value not in choices:
            self.problem(_join(at, key), f"'{value}' is not one of: {', '.join(choices)}")
            return None
        return value

    def date(self, obj: Mapping[str, Any], key: str, at: str,
             *, required: bool = False) -> dt.date | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(_join(at, key), f"expected a date YYYY-MM-DD, got {_kind(value)}")
        return None

    def number(self, obj: Mapping[str, Any], key: str, at: str,
               *, required: bool = False) -> float | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            self.problem(_join(at, key), f"expected a number, got {_kind(value)}")
            return None
        return float(value)

    def count(self, obj: Mapping[str, Any], key: str, at: str,
              *, required: bool = False) -> int | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(_join(at, key), f"expected a count (0, 1, 2, …), got {_kind(value)}")
            return None
        return value

    def each(self, obj: Mapping[str, Any], key: str, columns: tuple[str, ...],
             read: Callable[[Reader, Mapping[str, Any], str], _T | None]) -> Iterator[_T]:
        """Each row of the list ``obj[key]`` read by ``read``; keys outside ``columns`` are
        problems (a misspelt column must not read as "not recorded")."""
        rows = obj.get(key)
        if rows is None:
            return
        if not isinstance(rows, list):
            self.problem(key, f"expected a list, got {_kind(rows)}")
            return
        for i, row in enumerate(rows):
            at = f"{key}[{i}]"
            checked = self.mapping(row, at, columns) if row is not None else None
            if row is None:
                self.problem(at, "expected an object, got null")
            if checked is not None:
                item = read(self, checked, at)
                if item is not None:
                    yield item


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}...'"
    return {"dict": "an object", "list": "a list"}.get(type(value).__name__,
                                                       type(value).__name__)
