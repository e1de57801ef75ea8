"""Analyses as data: what each endpoint computes, on which analysis set and data, by which method.

An endpoint's ``analyses`` are shaped like the CDISC Analysis Results Standard (ARS): each names
an analysis dataset and, for a BDS dataset, a parameter; the analysis set (an ADSL population
flag); a data subset (an ARS where clause on the dataset's variables); the grouping variable
(the treatment, e.g. ``TRT01P``); the analysis variable; a method of the analysis registry
(``trialkit.core.analysis.method``) with its covariates, factors and other parameters; and how
to display it. Nothing names Python code.

``analysis_data`` holds what the analysis datasets need beyond the forms: the analysis sets
(which ADSL flag each one sets, and who is in it) and the derived parameters — confirmed
change (ADTTE), event counts with their exposure (ADCNT), and responders (ADRSP). The
datasets themselves follow from the forms (``analysis_datasets``), and
docs/analysis.md lists their variables.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    Int,
    NonNegativeInt,
    Number,
    OptionalText,
    PositiveInt,
    Text,
)

Variable = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,7}$")]
"""An ADaM variable or parameter code: upper case, at most 8 characters (SAS v5 names)."""
DatasetName = Annotated[str, StringConstraints(pattern=r"^AD[A-Z0-9]{1,6}$")]
Comparator = Literal["EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE"]
Requirement = Literal["enrolled", "randomized", "dosed", "dosed_all", "completed"]
"""What puts a participant in an analysis set: enrolled in a part, randomized, given at
least one administration, given every administration of their part, completed the study."""


class Where(Frozen):
    """An ARS where clause: one condition on a variable, or all / any / none of several."""

    variable: Variable | None = None
    comparator: Comparator | None = None
    values: tuple[Text | Int | Number, ...] = ()
    all_of: tuple[Where, ...] = ()
    any_of: tuple[Where, ...] = ()
    none_of: tuple[Where, ...] = ()

    @model_validator(mode="after")
    def _one_shape(self) -> Where:
        simple = self.variable is not None or self.comparator is not None or bool(self.values)
        compounds = sum(bool(c) for c in (self.all_of, self.any_of, self.none_of))
        if (simple and compounds) or compounds > 1:
            raise ValueError("a clause is either a condition (variable, comparator, values) or "
                             "one of all_of / any_of / none_of")
        if compounds == 0 and (self.variable is None or self.comparator is None
                               or not self.values):
            raise ValueError("a condition needs variable, comparator and values")
        return self

    def variables(self) -> tuple[str, ...]:
        """Every variable the clause reads."""
        if self.variable is not None:
            return (self.variable,)
        return tuple(v for c in (*self.all_of, *self.any_of, *self.none_of)
                     for v in c.variables())

    def as_data(self) -> dict[str, Any]:
        """The plain-data form ``trialkit.core.analysis.where_from_data`` reads."""
        if self.variable is not None:
            return {"variable": self.variable, "comparator": self.comparator,
                    "values": list(self.values)}
        if self.all_of:
            return {"all_of": [c.as_data() for c in self.all_of]}
        if self.any_of:
            return {"any_of": [c.as_data() for c in self.any_of]}
        return {"not": {"any_of": [c.as_data() for c in self.none_of]}}


class AnalysisSet(Frozen):
    """A population: an ADSL flag set to Y for participants meeting every requirement."""

    id: Ident
    name: Text
    flag: Variable
    """The ADSL flag, e.g. SAFFL, ITTFL, FASFL."""
    description: Text
    requires: tuple[Requirement, ...] = Field(min_length=1)
    parts: tuple[Ident, ...] = ()
    """Only participants of these parts (default: every part)."""


class ParameterRef(Frozen):
    """A parameter of an analysis dataset, e.g. the EDSS of the EDSS form's BDS dataset."""

    dataset: DatasetName
    parameter: Variable


class Threshold(Frozen):
    """The change that counts, for baselines up to a bound (the first bound not exceeded)."""

    baseline_up_to: Number
    change: Annotated[float, Field(gt=0)]


class ExclusionWindow(Frozen):
    """Assessments this many days after an event of an event-log form are not used."""

    events: Ident
    """An event-log form (e.g. relapses): its records' onset dates."""
    days: NonNegativeInt


class ConfirmedChange(Frozen):
    """An ADTTE parameter: time to a confirmed worsening or improvement of a score."""

    parameter: Variable
    name: Text
    source: ParameterRef
    direction: Literal["worsening", "improvement"]
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    confirmation_days: PositiveInt
    sustained: Flag = True
    """Every valid assessment between onset and confirmation must meet the change too."""
    excluding: ExclusionWindow | None = None


class Window(Frozen):
    """Study days (day 1 = the first administration) an event or record must fall in."""

    from_day: Int | None = None
    to_day: Int | None = None


class CountParameter(Frozen):
    """An ADCNT parameter: per participant, a count with its exposure.

    ``events``: the records of an event-log form, exposure the years of follow-up within the
    window. ``sum_of``: a BDS parameter's values summed over post-baseline records (of the
    named visits), exposure the number of records summed (scans)."""

    parameter: Variable
    name: Text
    events: Ident | None = None
    sum_of: ParameterRef | None = None
    visits: tuple[Ident, ...] = ()
    window: Window = Window()

    @model_validator(mode="after")
    def _one_source(self) -> CountParameter:
        if (self.events is None) == (self.sum_of is None):
            raise ValueError("give exactly one of events (an event-log form) or sum_of")
        if self.visits and self.sum_of is None:
            raise ValueError("visits select the records of sum_of")
        return self


class Responder(Frozen):
    """An ADRSP parameter: a responder has none of the listed events (NEDA-type composites):
    no event in an ADTTE parameter, a count of 0 in an ADCNT parameter."""

    parameter: Variable
    name: Text
    none_of: tuple[ParameterRef, ...] = Field(min_length=1)


class AnalysisData(Frozen):
    sets: tuple[AnalysisSet, ...] = ()
    time_to_event: tuple[ConfirmedChange, ...] = ()
    counts: tuple[CountParameter, ...] = ()
    responders: tuple[Responder, ...] = ()


class Display(Frozen):
    title: OptionalText | None = None
    """Default: the analysis name."""
    decimals: Annotated[int, Field(ge=0, le=6)] = 2


class Analysis(Frozen):
    """One analysis of an endpoint, as the ARS describes it."""

    id: Ident
    name: Text
    method: Ident
    """A method of the analysis registry (``trialkit.core.analysis.methods()``)."""
    dataset: DatasetName
    analysis_set: Ident
    parameter: Variable | None = None
    """The PARAMCD of a BDS, ADTTE, ADCNT or ADRSP dataset."""
    variable: Variable | None = None
    """The analysis variable (AVAL, CHG, a grade or relation variable)."""
    data_subset: Where | None = None
    grouping: Variable
    """The treatment variable results are grouped by (TRT01P, TRT01A, TRTSEQP, TRTA)."""
    reference: Ident | None = None
    """The reference arm (or sequence) id the others are compared with."""
    covariates: tuple[Variable, ...] = ()
    factors: tuple[Variable, ...] = ()
    options: dict[Ident, Any] = Field(default_factory=dict)
    """Other parameters of the method, as plain data (e.g. ``order`` of grades)."""
    display: Display = Display()

