"""The demo's story of one trial: who takes part and what happens to them, read from a data
file beside the protocol (``protocols/demo/<protocol file stem>.yaml``).

The file holds what a protocol cannot say: the demo people's values on the forms, their
adverse events and queries, visits seen late or not yet. It names the protocol's own form,
item, visit, role and administration ids, as a site's data would; trialkit's code names none
(trialkit.web.demo_trial reads the file). Every key is optional: without a file, each part
gets a few people whose forms hold the values generated from the item definitions
(trialkit.web.demo_values), which meet the criteria only for a protocol whose forms decide
little.

Form values (``FormValues``: item id → value) may give a date relative to the day the form is
filled in (``-6y``, ``-30d``) and, for a number, ``[low, high]``: a value in that range that
varies with the participant and the day, as real measurements do.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FormValues = dict[str, Any]
"""Item id → value."""
Forms = dict[str, FormValues | list[FormValues]]
"""Form id → item values; a list gives the instances of a repeating form."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Answer(_Model):
    """A reply to a query, some days after it was raised."""

    text: str = ""
    after_days: int = 0
    by: str | None = None
    """Role; by default the site's screening role answers and the query's raiser closes."""


class QueryStep(_Model):
    form: str
    visit: str = ""
    item: str = ""
    text: str
    by: str | None = None
    """Role raising it; by default the data manager (who raises, closes and locks)."""
    answer: Answer | None = None
    close: Answer | None = None


class AutomaticAnswer(_Model):
    """An answer to the automatic query an edit check opened on a visit's form."""

    form: str
    visit: str
    text: str
    by: str | None = None


class AdverseEventStep(_Model):
    """An adverse event reported on the day, with onset the day before."""

    values: FormValues = Field(default_factory=dict)
    """Values of the protocol's adverse-event form (its term, grade, relations...)."""
    serious: bool = False
    """Ticks the form's items annotated AESER and AESHOSP."""
    report: bool = False
    """The serious event is reported the next morning (its 24-hour clock stops)."""
    lasts: int | None = None
    """Days until it resolves (then its end date and the story's resolved values)."""
    by: str | None = None


class LogStep(_Model):
    """An entry in a log form (a relapse, a seizure) with no visit."""

    form: str
    values: FormValues = Field(default_factory=dict)
    by: str | None = None


class Event(_Model):
    """Something that happens ``days`` after the participant received ``after``."""

    after: str
    """Administration id."""
    days: int
    adverse_event: AdverseEventStep | None = None
    log: LogStep | None = None
    query: QueryStep | None = None
    answer_automatic: AutomaticAnswer | None = None


class Person(_Model):
    """One participant (or candidate) and their story."""

    key: str = ""
    part: str | None = None
    """The part they join (default: the first part)."""
    forms: dict[str, str | Forms | list[str | Forms]] = Field(default_factory=dict)
    """Visit id → form values from that visit on (a template name, form values, or a list
    of both); a later visit's values replace an earlier one's for the same form."""
    once: dict[str, Forms] = Field(default_factory=dict)
    """Visit id → form values at that visit only (a rater's score off the computed one)."""
    late: dict[str, int] = Field(default_factory=dict)
    """Visit id → days after the target date the visit took place."""
    skipped: list[str] = Field(default_factory=list)
    """Visits not (yet) seen: overdue or missed on the dashboard."""
    events: list[Event] = Field(default_factory=list)
    only: list[str] | None = None
    """A candidate still in screening: the screening forms entered so far."""


class SeriousNow(_Model):
    """A serious adverse event reported at the real present, so its 24-hour clock runs."""

    person: str = ""
    """Key of the person it happens to (default: the last participant)."""
    adverse_event: AdverseEventStep = AdverseEventStep(serious=True)


class AdverseEventValues(_Model):
    ongoing: FormValues = Field(default_factory=dict)
    """Values of an event that has not resolved (its outcome)."""
    resolved: FormValues = Field(default_factory=dict)
    """Values added when it resolves (its outcome)."""


class Story(_Model):
    first_day0_days_ago: int | None = None
    """Days before today of the first participant's Day 0 (default: so that the last
    participant's Day 0 falls three weeks before today)."""
    spacing: int = 12
    """Days between Day 0s in a part without a sequential rule."""
    screening_days: int = 7
    """Days before Day 0 a candidate is screened."""
    randomize_day: int = 0
    """Study day of randomization (0: on Day 0, before the dose)."""
    users: list[str] = Field(default_factory=list)
    """Printed names of the demo users, one per role in the protocol's order."""
    consent_version: str = "1.0"
    committee_rationale: str = ("Every participant of the reviewed part completed the review "
                                "period without a safety concern.")
    entry: dict[str, str] = Field(default_factory=dict)
    """Form id → the role that enters it (default: the listed role entering fewest forms)."""
    screening_entry: dict[str, str] = Field(default_factory=dict)
    """As ``entry``, at the screening visit."""
    forms: Forms = Field(default_factory=dict)
    """Values every instance of a form starts from."""
    templates: dict[str, Forms] = Field(default_factory=dict)
    """Named form values a person refers to."""
    adverse_events: AdverseEventValues = AdverseEventValues()
    people: list[Person] = Field(default_factory=list)
    """The participants, in the order they join (within each part)."""
    screen_failure: Person | None = None
    awaiting: Person | None = None
    """A candidate screened, judged and consented yesterday, not yet in a part."""
    in_screening: Person | None = None
    serious_now: SeriousNow | None = None


    def instances(self, person: Person, form_id: str, visits: Iterable[str],
                  visit_id: str, *, repeating: bool = False) -> list[FormValues]:
        """The values ``person`` gives ``form_id`` at ``visit_id``: the story's values for the
        form, then the person's from every visit up to this one (``visits`` in schedule order,
        a later one replacing an earlier one), then the person's for this visit only. A
        repeating form has one instance per entry of a list the person gives (none without);
        a ``[low, high]`` number is drawn for this person, visit and form."""
        given: list[FormValues] | FormValues = {}
        for visit in visits:
            found = self._forms_at(person, visit).get(form_id)
            if isinstance(found, list) and visit != visit_id:
                found = found[-1] if found else None  # later visits carry the last entry
            if found is not None:
                given = found
            if visit == visit_id:
                break
        once = person.once.get(visit_id, {}).get(form_id)
        if repeating and not isinstance(given, list):
            return []
        entries = given if isinstance(given, list) else [given]
        base = self.forms.get(form_id, {})
        shared = base if isinstance(base, dict) else {}
        seed = f"{person.key}/{visit_id}/{form_id}"
        return [_drawn({**shared, **entry, **(once if isinstance(once, dict) else {})},
                       f"{seed}/{n}") for n, entry in enumerate(entries)]

    def _forms_at(self, person: Person, visit: str) -> Forms:
        entry = person.forms.get(visit)
        parts = entry if isinstance(entry, list) else [entry] if entry is not None else []
        merged: Forms = {}
        for part in parts:
            if isinstance(part, str):
                if part not in self.templates:
                    raise StoryError(f"template '{part}' is not in the story's templates")
                part = self.templates[part]
            for form_id, values in part.items():
                merged[form_id] = _merge(merged.get(form_id), values)
        return merged


def _merge(old: FormValues | list[FormValues] | None,
           new: FormValues | list[FormValues]) -> FormValues | list[FormValues]:
    """Later values over earlier ones; values for one instance apply to each of a list's."""
    if old is None:
        return new
    if isinstance(new, list):
        return [{**old, **entry} for entry in new] if isinstance(old, dict) else new
    if isinstance(old, list):
        return [{**entry, **new} for entry in old]
    return {**old, **new}


def _drawn(values: FormValues, seed: str) -> FormValues:
    """``[low, high]`` replaced by a number in that range (whole if both ends are)."""
    rng = random.Random(seed)
    out: FormValues = {}
    for item, value in values.items():
        if isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            low, high = value
            drawn = low + (high - low) * rng.random()
            value = round(drawn) if isinstance(low, int) and isinstance(high, int) \
                else round(drawn, 1)
        out[item] = value
    return out


class StoryError(ValueError):
    """The demo file is malformed: the message names the file and the key."""


def story_path(protocol_path: Path) -> Path:
    return protocol_path.parent / "demo" / f"{protocol_path.stem}.yaml"


def load_story(protocol_path: str | Path) -> Story:
    """The story beside the protocol file, or the default story if there is none."""
    path = story_path(Path(protocol_path))
    if not path.exists():
        return Story()
    try:
        return Story.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors(include_url=False))
        raise StoryError(f"{path}: {problems}") from None
