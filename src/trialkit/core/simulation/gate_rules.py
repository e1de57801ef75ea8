"""A committee's declared stopping rule: exact operating characteristics and the verdict on
the events observed so far.

Participants are reviewed one after another; each has the counted event independently with
the true rate p. ``count_at_least`` (k of n) stops when the k-th event is seen, so
P(stop | p) = P(Binomial(n, p) ≥ k). ``posterior_threshold`` stops at the first m ≤ n with
P(rate > p0 | x events in m) > c under a Beta(a, b) prior; P(stop | p) is summed exactly over
the paths that have not stopped before (a dynamic programme over (m, x)). Both are what the
committee's page shows next to the observed count, and what the simulation must reproduce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy import stats

from trialkit.core.protocol.forms import Form
from trialkit.core.protocol.gates import CountAtLeast, GateEvent, PosteriorThreshold
from trialkit.core.wording import Wording, gettext_noop, worded

Rule = CountAtLeast | PosteriorThreshold
DEFAULT_RATES = (0.05, 0.10, 0.20, 0.30, 0.50)


@dataclass(frozen=True)
class StopRow:
    rate: float
    p_stop: float
    expected_reviewed: float
    """Expected number of participants reviewed when the rule decides (stop or all n)."""


@dataclass(frozen=True)
class GateStatus:
    """The rule applied to what has been observed."""

    events: int
    participants: int
    stop: bool
    posterior: float | None
    """P(rate > threshold | data), for a posterior rule."""
    wording: Wording
    """Why, as a catalogue template (read in the reader's language on the safety page)."""

    @property
    def explanation(self) -> str:
        return self.wording.text


def boundary(rule: Rule) -> tuple[int | None, ...]:
    """For m = 1..n, the smallest event count among m participants that stops (None: no count
    stops at m)."""
    return _boundary(rule)


@cache
def _boundary(rule: Rule) -> tuple[int | None, ...]:
    if isinstance(rule, CountAtLeast):
        return tuple(rule.events if rule.events <= m else None
                     for m in range(1, rule.of_participants + 1))
    found: list[int | None] = []
    for m in range(1, rule.of_participants + 1):
        x = np.arange(m + 1)
        posterior = stats.beta.sf(rule.threshold_rate, rule.prior.a + x, rule.prior.b + m - x)
        stopping = np.flatnonzero(posterior > rule.probability)
        found.append(int(stopping[0]) if len(stopping) else None)
    return tuple(found)


def stop_probability(rule: Rule, rate: float) -> float:
    """P(the rule stops by its last participant | each has the event with probability rate)."""
    return _decide(rule, rate)[0]


def _decide(rule: Rule, rate: float) -> tuple[float, float]:
    """(P(stop), expected participants reviewed when the rule decides)."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate: {rate} is not a probability")
    going = np.zeros(rule.of_participants + 1)
    going[0] = 1.0
    stopped, reviewed = 0.0, 0.0
    for m, first_stopping in enumerate(boundary(rule), start=1):
        going[1:m + 1] = going[1:m + 1] * (1 - rate) + going[0:m] * rate
        going[0] *= 1 - rate
        if first_stopping is not None:
            here = float(going[first_stopping:m + 1].sum())
            stopped, reviewed = stopped + here, reviewed + here * m
            going[first_stopping:m + 1] = 0.0
    reviewed += (1.0 - stopped) * rule.of_participants
    if isinstance(rule, CountAtLeast):  # the binomial tail itself, free of summation error
        stopped = float(stats.binom.sf(rule.events - 1, rule.of_participants, rate))
    return stopped, reviewed


def gate_stop_table(rule: Rule, rates: tuple[float, ...] = DEFAULT_RATES
                    ) -> tuple[StopRow, ...]:
    """P(stop | true rate) for each rate: the committee's operating characteristics."""
    return tuple(StopRow(rate, *_decide(rule, rate)) for rate in rates)


def gate_status(rule: Rule, events: int, participants: int) -> GateStatus:
    """Whether the rule stops now, given ``events`` among ``participants`` reviewed."""
    if not 0 <= events <= participants:
        raise ValueError(f"events: {events} is not between 0 and participants ({participants})")
    posterior = None
    if isinstance(rule, PosteriorThreshold):
        posterior = float(stats.beta.sf(rule.threshold_rate, rule.prior.a + events,
                                        rule.prior.b + participants - events))
        stop = participants <= rule.of_participants and posterior > rule.probability
        said = worded(gettext_noop("P(rate > %(threshold)s | %(events)s of %(participants)s) = "
                                   "%(posterior)s; the rule stops above %(probability)s."),
                      threshold=f"{rule.threshold_rate:g}", events=events,
                      participants=participants, posterior=f"{posterior:.3f}",
                      probability=f"{rule.probability:g}")
    else:
        stop = events >= rule.events
        said = worded(gettext_noop("%(events)s of %(participants)s reviewed participants had "
                                   "%(event)s; the rule stops at %(stopping)s of %(of)s."),
                      events=events, participants=participants, event=rule.event.description,
                      stopping=rule.events, of=rule.of_participants)
    return GateStatus(events, participants, stop, posterior, said)


def counts_toward(event: GateEvent, *, serious: bool, related: bool,
                  grade: int | None = None) -> bool:
    """Whether one adverse event counts for the rule: serious if required, related if the rule
    names relation codes (``related``: its relation is one of them), at least the grade."""
    if event.serious and not serious:
        return False
    if event.related and not related:
        return False
    return event.minimum_grade is None or (grade is not None and grade >= event.minimum_grade)


def stops_at(rule: Rule, events: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each row of ``events`` (trials × participants in review order), the participant
    count at which the rule stops, 0 when it never does."""
    limits = boundary(rule)
    cumulative = np.cumsum(events[:, :len(limits)], axis=1)
    stop_at = np.zeros(len(events), dtype=np.int64)
    for m in range(len(limits), 0, -1):  # the first m wins: overwrite from the last
        limit = limits[m - 1]
        if limit is not None and m <= cumulative.shape[1]:
            stop_at = np.where(cumulative[:, m - 1] >= limit, m, stop_at)
    return stop_at


RELATION_VARIABLE = "AEREL"
"""The CDISC AE relation variable; a form may split it by what the event is related to
(AERELIV, AERELIT, AERELPR, ...), each item carrying the same relation codes."""


def relation_items(form: Form) -> tuple[str, ...]:
    """The adverse-event form's relation items: every AE item whose variable is AEREL or
    starts with it (a relation to one intervention)."""
    return tuple(item.id for item in form.items
                 if item.cdisc is not None and item.cdisc.domain == "AE"
                 and (item.cdisc.variable or "").startswith(RELATION_VARIABLE))


def recorded_event_qualifies(event: GateEvent, form: Form, values: Mapping[str, object]) -> bool:
    """Whether one recorded adverse event (the latest values of ``form``) counts for a rule.

    Serious: the AESER item is true. Related, when the rule lists relation codes: any of the
    form's relation items holds one of them — an event "at least possibly related to study
    treatment" is related to some intervention, whichever item says so. Grade: the AETOXGR
    code read as its number; an event without a grade does not meet a minimum grade."""
    def item(variable: str) -> str | None:
        found = form.item_with("AE", variable)
        return found.id if found is not None else None

    serious_item, grade_item = item("AESER"), item("AETOXGR")
    serious = serious_item is not None and values.get(serious_item) is True
    related = any(str(values.get(i)) in event.related for i in relation_items(form))
    grade = _grade_number(values.get(grade_item)) if grade_item is not None else None
    return counts_toward(event, serious=serious, related=related, grade=grade)


def _grade_number(value: object) -> int | None:
    digits = "".join(ch for ch in str(value) if ch.isdigit()) if value is not None else ""
    return int(digits) if digits else None
