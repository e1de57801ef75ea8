"""The scenario file: every assumption of an in-silico trial, each with its source.

A scenario file names the protocol it simulates, the disease model, where that model's
quantities live in the protocol's patient record, the population of candidates, accrual and
conduct, treatment effects, adverse events, the endpoints to analyse and how, and the
scenarios to run (named variants and grids over any parameter). Every value a model reads is
``{value: ..., source: <id>}`` where the id names an entry of ``sources``: a published figure,
a computation from one, or a stated assumption. docs/simulation.md lists them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from trialkit.core.protocol._base import Flag, Frozen, Ident, OptionalText, PositiveInt, Text

FORMAT = "trialkit-scenarios/1"
MODEL_KINDS = ("relapsing_multiple_sclerosis",)
"""The disease models trialkit simulates; a protocol whose endpoints need another has none."""
COURSES = 4
"""Values given by course: relapsing-remitting, secondary progressive, primary progressive,
unspecified (the cohort generator's courses)."""


def _number(value: Any) -> Any:
    # A quoted "0.4" or a yes/no in a scenario file is a mistake, not a number.
    if isinstance(value, (str, bool)):
        raise ValueError(f"expected a number, got {value!r}")
    return value


Num = Annotated[float, BeforeValidator(_number)]
Cites = Ident | tuple[Ident, ...]
"""The source id of a value, or several when its parts come from different sources."""


class Source(Frozen):
    id: Ident
    citation: Text
    marker: Literal["verified", "computed", "unverified", "assumption"]
    """As in shared/design/EVIDENCE.md: read in the source, computed from it, not verified,
    or an assumption of this scenario file (the citation says why)."""


class Value(Frozen):
    value: Num
    source: Cites


class ByCourse(Frozen):
    value: tuple[Num, Num, Num, Num]
    source: Cites


class Span(Frozen):
    value: tuple[Num, Num]
    source: Cites

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if not 0 <= self.value[0] < self.value[1]:
            raise ValueError(f"{self.value} is not a range [low, high] with 0 ≤ low < high")
        return self


class Shares(Frozen):
    """Probabilities of CTCAE grades 1, 2, 3 and 4; they sum to 1."""

    value: tuple[Num, Num, Num, Num]
    source: Cites

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        if abs(sum(self.value) - 1.0) > 1e-9 or min(self.value) < 0:
            raise ValueError(f"grade shares {self.value} must be ≥ 0 and sum to 1")
        return self


class RecordMap(Frozen):
    """Where the model's quantities are in the protocol's patient record (table ids and
    ``table.column``): what candidates' histories are written to and the rules read."""

    relapse_events: Ident
    """The table of relapses (one dated row each)."""
    disability: Text
    enhancing_lesions: Text
    new_lesions: Text


class Population(Frozen):
    """Candidates referred for screening, before the eligibility rules select them."""

    referral_activity_months: Value
    """A patient is referred when their record shows a relapse, or a scan with an enhancing
    or new lesion, in this many months before the planned day 0."""
    referral_treated_share: Value
    """Share of referrals who must be treated non-responders: their activity fell at least 6
    months into a disease-modifying therapy."""
    years_since_diagnosis: Span
    """Range of years from the diagnosis to the planned day 0 (uniform)."""
    course_mix: ByCourse
    relapses_per_year: ByCourse
    frailty_shape: Value
    """Gamma shape k of the frailty shared by relapses and lesions (mean 1, variance 1/k)."""
    enhancing_per_scan: ByCourse
    new_lesions_per_year: ByCourse
    disability_low: ByCourse
    disability_high: ByCourse
    disability_slope: ByCourse
    """Points per year."""
    disability_slope_sd: Value
    rating_noise: Value
    """SD of a rating around the latent score, before rounding to the scale."""
    relapse_peak: Value
    relapse_recovery_days: Value
    relapse_residual: Value


class Accrual(Frozen):
    candidates_per_month: Value
    screening_days: Value
    """From referral to the planned day 0."""


class Conduct(Frozen):
    dropout_per_year: Value
    missed_visit: Value
    committee_decision_days: Value
    """From the end of a committee's review period to its e-signed decision."""


class Effects(Frozen):
    """True effects of ``arm`` against the control arm (rate ratios; a difference in the
    12-month change of the disability score, negative = less worsening)."""

    arm: Ident
    relapse_rate_ratio: Value
    lesion_rate_ratio: Value
    disability_change: Value
    full_effect_day: Value
    """Study day by which the disability effect is complete (it grows linearly until then)."""


class AdverseTerm(Frozen):
    term: Text
    route: Literal["intravenous", "intrathecal", "subcutaneous", "oral", "intramuscular",
                   "other"]
    cause: Literal["product", "procedure"]
    """``product``: after a real administration of an active arm's product; ``procedure``:
    after the procedure itself (real, or sham at ``sham_factor`` of the risk)."""
    risk: Value
    """Probability per administration."""
    grades: Shares
    sham_factor: Value | None = None


class Safety(Frozen):
    related_serious_risk: Value
    """Probability that a participant of an active arm has a serious adverse event related to
    study treatment: the true rate a committee's stopping rule is about."""
    serious_resolution_days: Value
    background_per_year: Value
    background_serious: Value
    terms: tuple[AdverseTerm, ...] = ()


class ChangeMeasure(Frozen):
    kind: Literal["change"]
    from_visit: Ident
    to_visit: Ident


class RateMeasure(Frozen):
    kind: Literal["relapse_rate"]
    until_visit: Ident


class LesionMeasure(Frozen):
    kind: Literal["new_lesions"]
    visits: tuple[Ident, ...] = Field(min_length=1)


class NoActivityMeasure(Frozen):
    """No relapse, no enhancing or new lesion and no confirmed worsening until the visit."""

    kind: Literal["no_activity"]
    until_visit: Ident
    worsening: tuple[tuple[Num, Num], ...] = Field(min_length=1)
    """(first rating up to, increase that counts as worsening), in order of the first value."""
    confirm_days: PositiveInt = 84
    """A worsening counts when a rating at least this many days later holds it."""


Measure = Annotated[ChangeMeasure | RateMeasure | LesionMeasure | NoActivityMeasure,
                    Field(discriminator="kind")]


class Endpoint(Frozen):
    id: Ident
    """The protocol's endpoint id."""
    measure: Measure
    method: Literal["ancova", "negative_binomial", "poisson", "proportions"]
    """A method of ``trialkit.core.analysis`` (docs/analysis.md)."""
    adjust_for_strata: Flag = True


class Axis(Frozen):
    parameter: Text
    """Dotted path of a value, e.g. ``effects.disability_change``."""
    values: tuple[Num, ...] = Field(min_length=1)
    source: Cites
    """Why these values (a source id, like any value)."""


class ScenarioDef(Frozen):
    id: Ident
    description: Text
    set: dict[str, Num] = Field(default_factory=dict)
    """Values that differ from the file's, by dotted path."""
    grid: tuple[Axis, ...] = ()
    """Every combination of these values is one scenario."""


class ScenarioFile(Frozen):
    format: Literal["trialkit-scenarios/1"]
    title: Text
    protocol: OptionalText | None = None
    """The protocol file, relative to this file (``--protocol`` overrides)."""
    model: Text
    start: dt.date | None = None
    """Calendar date of the first referral (default: the protocol's start date)."""
    alpha: Num = Field(default=0.05, gt=0, lt=1)
    """Two-sided level of every test."""
    sources: tuple[Source, ...] = Field(min_length=1)
    record: RecordMap
    population: Population
    accrual: Accrual
    conduct: Conduct
    effects: Effects
    safety: Safety
    endpoints: tuple[Endpoint, ...] = ()
    scenarios: tuple[ScenarioDef, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _sources_and_ids_hold(self) -> ScenarioFile:
        known = {s.id for s in self.sources}
        unknown = sorted({source for source in cited(self) if source not in known})
        if unknown:
            raise ValueError(f"source id(s) not in sources: {', '.join(unknown)}")
        ids = [s.id for s in self.scenarios]
        if len(set(ids)) != len(ids):
            raise ValueError("scenario ids must be unique")
        return self


def cited(model: Frozen) -> list[str]:
    """Every source id the values (and grid axes) of ``model`` cite."""
    found: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, (Value, ByCourse, Shares, Span, Axis)):
                found.extend((item.source,) if isinstance(item.source, str) else item.source)
            elif isinstance(item, Frozen):
                found.extend(cited(item))
    return found
