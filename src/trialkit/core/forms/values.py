"""Parsing one entered item value by its protocol type.

Values arrive from JSON bodies and from HTML forms, so numbers and booleans may come as
strings; each is parsed strictly and returned in the JSON form stored in a form version:
integers as ``int``, decimals as ``float``, dates as ``YYYY-MM-DD``, date-times as ISO 8601 in
UTC, choices as their code (``int`` for an integer code list). ``None`` means "not entered".
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from trialkit.core.protocol.forms import CodeList, Item, Range

JsonScalar = str | int | float | bool | None

_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ItemValueError(ValueError):
    """An entered value that does not fit its item; the message reads after the item id."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_value(item: Item, value: object, codelist: CodeList | None) -> JsonScalar:
    """``value`` cleaned for ``item``; raises ItemValueError saying what is wrong."""
    if is_blank(value):
        return None
    if item.type == "integer":
        return _in_range(_integer(value), item.range)
    if item.type == "decimal":
        return _in_range(_decimal(value), item.range)
    if item.type == "text":
        return _text(value)
    if item.type == "date":
        return _date(value)
    if item.type == "datetime":
        return _datetime(value)
    if item.type == "boolean":
        return _boolean(value)
    if codelist is None:  # a loaded protocol guarantees the code list; guard the invariant
        raise ItemValueError(f"has no code list '{item.codelist}' in the protocol")
    return _choice(value, codelist)


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    raise ItemValueError(f"must be a whole number, got {value!r}")


def _decimal(value: object) -> float:
    number: Decimal | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ItemValueError(f"must be a number, got {value!r}")
    return float(number)


def _in_range(number: int | float, limits: Range | None) -> int | float:
    if limits is None:
        return number
    exact = Decimal(str(number))
    if limits.min is not None and exact < Decimal(str(limits.min)):
        raise ItemValueError(f"must be at least {limits.min:g}, got {number:g}")
    if limits.max is not None and exact > Decimal(str(limits.max)):
        raise ItemValueError(f"must be at most {limits.max:g}, got {number:g}")
    if limits.step is not None:
        base = Decimal(str(limits.min)) if limits.min is not None else Decimal(0)
        if (exact - base) % Decimal(str(limits.step)) != 0:
            raise ItemValueError(f"must be in steps of {limits.step:g} from {base}, "
                                 f"got {number:g}")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ItemValueError(f"must be text, got {value!r}")
    return value.strip()


def _date(value: object) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ItemValueError(f"must be a date as YYYY-MM-DD, got {value!r}")


def _datetime(value: object) -> str:
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ItemValueError(f"must be a date and time in ISO 8601, got {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time is ambiguous across sites and daylight-saving changes.
        raise ItemValueError(f"must carry a time zone (e.g. +08:00 or Z), got {value!r}")
    return moment.astimezone(UTC).isoformat()


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ItemValueError(f"must be true or false, got {value!r}")


def _choice(value: object, codelist: CodeList) -> str | int:
    codes = [entry.code for entry in codelist.items]
    given = value.strip() if isinstance(value, str) else value
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)
    if not isinstance(given, str) or given not in codes:
        raise ItemValueError(f"must be one of the codes of {codelist.id} "
                             f"({', '.join(codes)}), got {value!r}")
    return int(given) if codelist.data_type == "integer" else given
