"""Validating a submitted form against its protocol definition.

Hard errors (wrong type, out of range, not in the code list, a required item missing, an
unknown or computed item entered) refuse the save. Soft findings (an entered score that
disagrees with the score computed from its components, the protocol's edit checks and the
future-date check of ``checks``) let the save through and open data queries; rater judgement
is kept as a note without a query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from trialkit.core.forms.checks import Finding, asking, cross_item_findings
from trialkit.core.forms.values import ItemValueError, JsonScalar, parse_value
from trialkit.core.protocol.forms import CodeList, Form, Item
from trialkit.core.scoring.checks import Outcome, ScoringInputError
from trialkit.core.scoring.derivations import UnknownDerivationError, derive
from trialkit.core.wording import gettext_noop, worded


@dataclass(frozen=True)
class ItemError:
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.item}: {self.message}"


@dataclass(frozen=True)
class FormCheck:
    """The outcome of validating one submission of a form."""

    values: Mapping[str, JsonScalar]
    """Every item of the form, cleaned; None = not entered; derived items computed."""
    errors: tuple[ItemError, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def queries(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.opens_query)


def validate_form(form: Form, codelists: Mapping[str, CodeList], data: Mapping[str, object],
                  *, as_of: datetime) -> FormCheck:
    """Check ``data`` (item id → entered value) against ``form`` at the moment ``as_of``.

    ``as_of`` must be time-zone aware and in the site's zone: date items are compared with its
    calendar day.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    errors = [ItemError(str(key), "is not an item of form " + form.id)
              for key in data if key not in {item.id for item in form.items}]
    values: dict[str, JsonScalar] = {}
    problems: dict[str, str] = {}
    for item in form.items:
        values[item.id], problems[item.id] = _entered(item, data, codelists)
    asked = asking(form, values, as_of.date(), codelists)
    for item in form.items:  # in the form's order, as people read the errors
        problem = problems[item.id] or _asked_problem(item, values[item.id], asked[item.id])
        if problem:
            errors.append(ItemError(item.id, problem))
    findings: list[Finding] = []
    for item in form.items:
        if item.derived is not None:
            _derive_into(item, values, errors, findings)
    if not errors:
        findings.extend(cross_item_findings(form, values, as_of, codelists))
    return FormCheck(values, tuple(errors), tuple(findings))


def _entered(item: Item, data: Mapping[str, object],
             codelists: Mapping[str, CodeList]) -> tuple[JsonScalar, str]:
    raw = data.get(item.id)
    if item.derived is not None:
        if raw is not None:
            return None, ("is computed from " + ", ".join(item.derived.inputs.values())
                          + "; do not enter it")
        return None, ""
    try:
        value = parse_value(item, raw, codelists.get(item.codelist or ""))
    except ItemValueError as exc:
        return None, str(exc)
    return value, ""


def _asked_problem(item: Item, value: JsonScalar, asked: bool | None) -> str:
    if asked is False and value is not None:
        return f"is asked only when {item.asked_when}; leave it empty ({item.label})"
    if asked is True and value is None and item.required:
        return f"is required ({item.label})"
    return ""


def _derive_into(item: Item, values: dict[str, JsonScalar], errors: list[ItemError],
                 findings: list[Finding]) -> None:
    """Compute a derived item when its inputs are entered and valid; run its edit check."""
    assert item.derived is not None
    spec = item.derived
    failed = {e.item for e in errors}
    if failed & {*spec.inputs.values(), spec.check_against or ""} or any(
            values.get(item) is None for item in spec.inputs.values()):
        return
    try:
        derived = derive(spec.function, spec.inputs, values)
    except ScoringInputError as exc:
        errors.append(ItemError(exc.field, exc.detail))
        return
    except UnknownDerivationError as exc:
        errors.append(ItemError(item.id, str(exc)))
        return
    values[item.id] = derived.value
    entered = values.get(spec.check_against) if spec.check_against else None
    if spec.check_against is None or entered is None:
        return
    check = derived.check(entered, spec.check_against)
    if check.outcome is not Outcome.AGREE:
        findings.append(Finding(spec.check_against, f"{check.message} ({derived.explanation})",
                                opens_query=check.opens_query,
                                wording=worded(gettext_noop("%(check)s (%(how)s)"),
                                               check=check.wording, how=derived.wording)))
