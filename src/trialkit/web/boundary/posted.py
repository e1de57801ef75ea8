"""The pages' side of the boundary: a submitted form (or a query string) read field by field
under the rules of ``fields``, exactly as the API's request types read a JSON body.

A refusal is an ``InvalidInputError`` naming the field, which the pages already show as a form
error ("username: is longer than 150 characters") with nothing written.
"""

from __future__ import annotations

import datetime as dt
import re

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trialkit.core.hygiene import (
    DateKind,
    InputRefusedError,
    check_date,
    check_moment,
    parse_date,
    parse_local_moment,
)
from trialkit.web.boundary.fields import DATES, ID_MAX, rule
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.wording import read_lazily


def _today() -> dt.date:
    from trialkit.web.trial.gate_facts import today

    return today()


class Posted:
    """Typed, checked access to a ``QueryDict`` (``request.POST`` or ``request.GET``)."""

    def __init__(self, data: QueryDict) -> None:
        self.data = data

    def raw(self, name: str) -> str:
        return self.data.get(name, "")

    def get(self, name: str, default: str = "") -> str:
        """``QueryDict.get`` under the field's rule: the text (blank: ``default``)."""
        return self.text(name, required=False) or default

    def items(self) -> list[tuple[str, str]]:
        """Every field as sent (each value is checked where it is read)."""
        return list(self.data.items())

    def text(self, name: str, *, required: bool = True, as_field: str | None = None) -> str:
        """The value under the rule of ``as_field`` (default: the field's own name)."""
        try:
            return rule(as_field or name).clean(self.raw(name), required=required)
        except InputRefusedError as exc:
            raise InvalidInputError(read_lazily(exc.wording), field=name) from None

    def optional(self, name: str, *, as_field: str | None = None) -> str | None:
        """The value, or None when it was left blank."""
        return self.text(name, required=False, as_field=as_field) or None

    def date(self, name: str, *, kind: DateKind | None = None) -> dt.date:
        try:
            day = parse_date(self.raw(name).strip())
        except InputRefusedError:
            raise InvalidInputError(_("give a date as YYYY-MM-DD"), field=name) from None
        try:
            return check_date(day, kind or DATES[name], _today())
        except InputRefusedError as exc:
            raise InvalidInputError(read_lazily(exc.wording), field=name) from None

    def moment(self, name: str) -> dt.datetime:
        """A date and time as typed on the page's clock (``2026-12-03 09:30``, in the zone
        the page is in), or with its UTC offset; the moment in UTC."""
        zone = timezone.get_current_timezone()
        try:
            moment = parse_local_moment(self.raw(name).strip(), zone)
            check_moment(moment.astimezone(zone), DATES[name], _today())
        except InputRefusedError as exc:
            raise InvalidInputError(read_lazily(exc.wording), field=name) from None
        return moment

    def integer(self, name: str, *, minimum: int = 0, maximum: int = ID_MAX) -> int:
        text = self.raw(name).strip()
        if re.fullmatch(r"[0-9]{1,19}", text) is None or not minimum <= int(text) <= maximum:
            raise InvalidInputError(_("must be a whole number from %(minimum)s to %(maximum)s"),
                                    field=name, minimum=minimum, maximum=maximum)
        return int(text)
