"""The analysis datasets a protocol defines, with their variables and parameters.

A pure function of the protocol, used twice: the consistency check refuses an analysis that
names a dataset, variable or parameter that will not exist, and the ADaM derivation
(``trialkit.core.adam``) fills exactly these variables, with these labels, in this order.

Everything follows from the protocol's data, never from form or item ids known in advance:
ADSL from the demographics items' CDISC annotations (DM.BRTHDTC, DM.SEX, any other DM
variable), the analysis sets, the randomization strata and the crossover periods; ADAE from
every AE-annotated item of the adverse-event forms (SUPPAE qualifiers such as the relation to
each administration included, under their QNAM); ADEX from the administrations; one BDS dataset
per assessment, imaging, laboratory or vital-signs form (``AD`` + the form id), a parameter per
numeric item (its test code, else its id), with the reference range and its indicators where
the form records one (--ORNRLO/--ORNRHI items paired with their result by record row);
ADTTE, ADCNT and ADRSP from ``analysis_data``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.model import Protocol

VariableType = Literal["text", "float", "date"]
BDS_KINDS = ("assessment", "imaging", "laboratory", "vital_signs")
ADAE_DERIVED = {"AESTDTC": "ASTDT", "AEENDTC": "AENDT", "AESEV": "ASEV", "AETOXGR": "ATOXGR",
                "AEREL": "AREL"}
"""SDTM AE variables with their ADaM analysis counterpart (dates as dates)."""
ADAE_CODED = (("AELLT", "Lowest Level Term"), ("AELLTCD", "Lowest Level Term Code"),
              ("AEDECOD", "Dictionary-Derived Term"), ("AEPTCD", "Preferred Term Code"),
              ("AEHLT", "High Level Term"), ("AEHLTCD", "High Level Term Code"),
              ("AEHLGT", "High Level Group Term"), ("AEHLGTCD", "High Level Group Term Code"),
              ("AEBODSYS", "Body System or Organ Class"),
              ("AEBDSYCD", "Body System or Organ Class Code"),
              ("AESOC", "Primary System Organ Class"),
              ("AESOCCD", "Primary System Organ Class Code"))
"""The dictionary variables of an event whose term is coded (``coded_with``), empty until it
is: the safety tables count an empty SOC or PT as "(not coded)"."""


@dataclass(frozen=True)
class VariableSpec:
    name: str
    label: str
    type: VariableType
    item: str = ""
    """The form item it is read from (ADAE, ADSL demographics), if any."""


@dataclass(frozen=True)
class ParameterSpec:
    code: str
    """PARAMCD."""
    name: str
    """PARAM."""
    item: str = ""
    category: str = ""
    low_item: str = ""
    """The item holding the lower limit of the reference range (--ORNRLO), if any."""
    high_item: str = ""
    """The item holding the upper limit of the reference range (--ORNRHI), if any."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    label: str
    structure: Literal["ADSL", "OCCDS", "BDS"]
    variables: tuple[VariableSpec, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    form: str = ""
    """The form the records come from (BDS, ADAE: the first adverse-event form)."""
    date_item: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def parameter(self, code: str) -> ParameterSpec | None:
        return next((p for p in self.parameters if p.code == code), None)


def _v(name: str, label: str, kind: VariableType = "text", item: str = "") -> VariableSpec:
    return VariableSpec(name, label, kind, item)


KEYS = (_v("STUDYID", "Study Identifier"), _v("USUBJID", "Unique Subject Identifier"))
BDS_VARIABLES = (
    _v("PARAMCD", "Parameter Code"), _v("PARAM", "Parameter"),
    _v("PARCAT1", "Parameter Category 1"), _v("AVAL", "Analysis Value", "float"),
    _v("ADT", "Analysis Date", "date"), _v("ADY", "Analysis Relative Day", "float"),
    _v("AVISIT", "Analysis Visit"), _v("AVISITN", "Analysis Visit (N)", "float"),
    _v("APERIOD", "Period"), _v("ABLFL", "Baseline Record Flag"),
    _v("BASE", "Baseline Value", "float"), _v("CHG", "Change from Baseline", "float"),
    _v("PCHG", "Percent Change from Baseline", "float"),
    _v("ANL01FL", "Analysis Flag 01"), _v("TRTA", "Actual Treatment"))
RANGE_VARIABLES = (
    _v("ANRLO", "Analysis Normal Range Lower Limit", "float"),
    _v("ANRHI", "Analysis Normal Range Upper Limit", "float"),
    _v("ANRIND", "Analysis Reference Range Indicator"),
    _v("BNRIND", "Baseline Reference Range Indicator"))
"""Variables of a BDS dataset whose form records reference ranges (laboratory results)."""


def dataset_specs(protocol: Protocol) -> dict[str, DatasetSpec]:
    """Every analysis dataset of the protocol by name (ADSL first); subject-level ADSL
    variables are merged into every other dataset (``merged``)."""
    specs = [adsl_spec(protocol), adae_spec(protocol), adex_spec()]
    specs += [spec for form in protocol.forms if form.kind in BDS_KINDS
              if (spec := bds_spec(form, protocol)) is not None]
    data = protocol.analysis_data
    if data.time_to_event:
        specs.append(DatasetSpec("ADTTE", "Time-to-Event Analysis Dataset", "BDS", (
            *KEYS, _v("PARAMCD", "Parameter Code"), _v("PARAM", "Parameter"),
            _v("AVAL", "Analysis Value (days)", "float"), _v("CNSR", "Censor", "float"),
            _v("STARTDT", "Time-to-Event Origin Date", "date"),
            _v("ADT", "Analysis Date", "date"), _v("EVNTDESC", "Event or Censoring Description"),
            _v("BASE", "Baseline Value", "float")),
            tuple(ParameterSpec(p.parameter, p.name) for p in data.time_to_event)))
    if data.counts:
        specs.append(DatasetSpec("ADCNT", "Event Count Analysis Dataset", "BDS", (
            *KEYS, _v("PARAMCD", "Parameter Code"), _v("PARAM", "Parameter"),
            _v("AVAL", "Analysis Value (count)", "float"),
            _v("EXPOS", "Exposure (years or records)", "float"),
            _v("EXPOSU", "Exposure Unit"), _v("BASE", "Baseline Value", "float")),
            tuple(ParameterSpec(p.parameter, p.name) for p in data.counts)))
    if data.responders:
        specs.append(DatasetSpec("ADRSP", "Responder Analysis Dataset", "BDS", (
            *KEYS, _v("PARAMCD", "Parameter Code"), _v("PARAM", "Parameter"),
            _v("AVALC", "Analysis Value (C)"), _v("AVAL", "Analysis Value", "float")),
            tuple(ParameterSpec(p.parameter, p.name) for p in data.responders)))
    return {spec.name: spec for spec in specs}


def merged(protocol: Protocol) -> tuple[VariableSpec, ...]:
    """The ADSL variables every other dataset carries (ADaM copies them from ADSL)."""
    keep = {"SITEID", "PART", "AGE", "SEX", "TRTSDT", "TRTSEQP", "TRTSEQA", "RANDDT"}
    pattern = re.compile(r"^(TRT\d\d[PA]|STRAT\dR)$")
    flags = {s.flag for s in protocol.analysis_data.sets} | {"ENRLFL", "RANDFL"}
    return tuple(v for v in adsl_spec(protocol).variables
                 if v.name in keep | flags or pattern.match(v.name))


def variables_of(protocol: Protocol, dataset: str) -> set[str]:
    """The variables an analysis of ``dataset`` can read: its own and the merged ADSL ones."""
    specs = dataset_specs(protocol)
    if dataset not in specs:
        return set()
    return set(specs[dataset].names) | {v.name for v in merged(protocol)}


def periods(protocol: Protocol) -> int:
    """The most treatment periods of any part (1 for parallel parts)."""
    return max([len(p.periods) for p in protocol.design.parts] + [1])


def adsl_spec(protocol: Protocol) -> DatasetSpec:
    dm = [_v("BRTHDT" if variable == "BRTHDTC" else variable, i.label[:40],
             "date" if i.type == "date" else "text", i.id)
          for f in protocol.forms if f.kind == "demographics" for i in f.items
          if i.cdisc is not None and i.cdisc.domain == "DM"
          and (variable := i.cdisc.variable) is not None]
    crossover = any(p.is_crossover for p in protocol.design.parts)
    treatments = [_v(f"TRT{n:02d}{pa}", f"{'Planned' if pa == 'P' else 'Actual'} Treatment "
                     f"for Period {n:02d}") for n in range(1, periods(protocol) + 1)
                  for pa in "PA"]
    if crossover:
        treatments = [_v("TRTSEQP", "Planned Sequence of Treatments"),
                      _v("TRTSEQA", "Actual Sequence of Treatments"), *treatments,
                      *(_v(f"AP{n:02d}SDT", f"Period {n:02d} Start Date", "date")
                        for n in range(1, periods(protocol) + 1))]
    strata = [] if protocol.randomization is None else [
        _v(f"STRAT{n}R", f"Stratum {n} ({s.id}) at Randomization")
        for n, s in enumerate(protocol.randomization.strata, start=1)]
    flags = [_v(s.flag, f"{s.name} Flag"[:40]) for s in protocol.analysis_data.sets]
    return DatasetSpec("ADSL", "Subject-Level Analysis Dataset", "ADSL", (
        *KEYS, _v("SUBJID", "Subject Identifier for the Study"), _v("SITEID", "Study Site "
        "Identifier"), _v("PART", "Part of the Trial"), _v("AGE", "Age at Consent", "float"),
        _v("AGEU", "Age Units"), *(v for v in dm if v.name not in {"AGE", "AGEU"}),
        _v("ENRLFL", "Enrolled Population Flag"), _v("RANDFL", "Randomized Population Flag"),
        *flags, *treatments, *strata, _v("RFICDT", "Date of Informed Consent", "date"),
        _v("ENRLDT", "Date of Enrollment", "date"), _v("RANDDT", "Date of Randomization",
                                                        "date"),
        _v("TRTSDT", "Date of First Exposure to Treatment", "date"),
        _v("TRTEDT", "Date of Last Exposure to Treatment", "date"),
        _v("EOSSTT", "End of Study Status"), _v("EOSDT", "End of Study Date", "date"),
        _v("DCSREAS", "Reason for Discontinuation from Study"),
        _v("LSTCNDT", "Last Contact or Cut-off Date", "date")))


def adverse_event_forms(protocol: Protocol) -> tuple[Form, ...]:
    return tuple(f for f in protocol.forms if f.kind == "adverse_event")


def adae_spec(protocol: Protocol) -> DatasetSpec:
    """Every AE-annotated item of the adverse-event forms, plus the analysis variables."""
    annotated: dict[str, VariableSpec] = {}
    for form in adverse_event_forms(protocol):
        for item in form.items:
            if item.cdisc is not None and item.cdisc.domain == "AE" and item.cdisc.variable:
                annotated.setdefault(item.cdisc.variable, _v(
                    item.cdisc.variable, item.label[:40], "text", item.id))
    derived = [_v(ADAE_DERIVED[name], f"Analysis {annotated[name].label}"[:40],
                  "date" if name.endswith("DTC") else "text")
               for name in ADAE_DERIVED if name in annotated]
    forms = adverse_event_forms(protocol)
    coded = [_v(name, label) for name, label in ADAE_CODED if name not in annotated] if any(
        item.coded_with for form in forms for item in form.items) else []
    return DatasetSpec("ADAE", "Adverse Events Analysis Dataset", "OCCDS", (
        *KEYS, _v("AESEQ", "Sequence Number", "float"), *annotated.values(), *coded, *derived,
        _v("ASTDY", "Analysis Start Relative Day", "float"),
        _v("AENDY", "Analysis End Relative Day", "float"),
        _v("TRTEMFL", "Treatment Emergent Analysis Flag"), _v("APERIOD", "Period"),
        _v("TRTA", "Actual Treatment")), form=forms[0].id if forms else "")


def adex_spec() -> DatasetSpec:
    return DatasetSpec("ADEX", "Exposure Analysis Dataset", "OCCDS", (
        *KEYS, _v("EXSEQ", "Sequence Number", "float"), _v("ADMINID", "Administration "
        "Identifier"), _v("EXTRT", "Name of Administration"), _v("EXROUTE", "Route of "
        "Administration"), _v("AVISIT", "Analysis Visit"), _v("ASTDT", "Analysis Start Date",
                                                              "date"),
        _v("ASTDY", "Analysis Start Relative Day", "float"), _v("APERIOD", "Period"),
        _v("EXOVRFL", "Given Despite a Gate Flag"), _v("TRTA", "Actual Treatment")))


def bds_name(form: Form) -> str:
    return ("AD" + re.sub(r"[^A-Z0-9]", "", form.id.upper()))[:8]


def bds_spec(form: Form, protocol: Protocol) -> DatasetSpec | None:
    """A BDS dataset for a scored form: one parameter per numeric item (entered or derived),
    None when the form has no numeric item or no date to place the records in time."""
    measured = [i for i in form.items if _numeric(i, protocol)]
    date = date_item(form)
    if not measured or date is None:
        return None
    codes = [i.cdisc.testcd for i in measured if i.cdisc is not None and i.cdisc.testcd]
    limits = range_limits(form, protocol)
    parameters: list[ParameterSpec] = []
    for item in measured:
        code = item.cdisc.testcd if item.cdisc is not None and item.cdisc.testcd else None
        if code is None or codes.count(code) > 1:  # shared test code (NUMLES by category)
            code = _unique(re.sub(r"[^A-Z0-9]", "", item.id.upper()),
                           {p.code for p in parameters} | set(codes))
        name = item.cdisc.test if item.cdisc is not None and item.cdisc.test else item.label
        category = item.cdisc.category if item.cdisc is not None and item.cdisc.category else ""
        if category and codes.count(item.cdisc.testcd or "") > 1:  # type: ignore[union-attr]
            name = f"{name} ({category.lower()})"
        low, high = limits.get(item.id, ("", ""))
        parameters.append(ParameterSpec(code, name[:200], item.id, category, low, high))
    ranged = any(p.low_item or p.high_item for p in parameters)
    return DatasetSpec(bds_name(form), f"{form.name}"[:40], "BDS", (
        *KEYS, *BDS_VARIABLES, *(RANGE_VARIABLES if ranged else ())),
        tuple(parameters), form=form.id, date_item=date.id)


def range_limits(form: Form, protocol: Protocol) -> dict[str, tuple[str, str]]:
    """Result item → (lower-limit item, upper-limit item). A limit is an item annotated
    --ORNRLO or --ORNRHI (SDTM's reference range as collected); it belongs to the result that
    feeds the same patient-record row (``maps_to.row``, the protocol's own pairing of a value
    with its limit and LOINC code), else, without rows, to the result just before it."""
    limits: dict[str, tuple[str, str]] = {}
    results = [i for i in form.items if _numeric(i, protocol)]
    by_row = {i.maps_to.row: i for i in results if i.maps_to is not None and i.maps_to.row}
    before: Item | None = None
    for item in form.items:
        variable = item.cdisc.variable if item.cdisc is not None else None
        if variable and variable[2:] in ("ORNRLO", "ORNRHI"):
            row = item.maps_to.row if item.maps_to is not None else None
            result = by_row.get(row) if row else before
            if result is not None:
                low, high = limits.get(result.id, ("", ""))
                limits[result.id] = (item.id, high) if variable.endswith("LO") else (
                    low, item.id)
        elif item in results:
            before = item
    return limits


def _unique(wanted: str, taken: set[str]) -> str:
    """``wanted`` cut to 8 characters, its end replaced by a number while that is taken."""
    code, n = wanted[:8], 1
    while code in taken:
        n += 1
        code = wanted[:8 - len(str(n))] + str(n)
    return code


def _numeric(item: Item, protocol: Protocol) -> bool:
    if item.cdisc is not None and item.cdisc.variable and not item.cdisc.testcd:
        return False  # a qualifier (a reference limit, a date), not a result
    if item.type in ("integer", "decimal"):
        return True
    if item.type == "choice" and item.codelist is not None:
        return protocol.codelist(item.codelist).data_type == "integer"
    return False


def date_item(form: Form) -> Item | None:
    """The item that dates a record of the form: its CDISC --DTC or --STDTC date, else its
    first required date."""
    dated = [i for i in form.items if i.type in ("date", "datetime")]
    annotated = [i for i in dated if i.cdisc is not None and i.cdisc.variable
                 and i.cdisc.variable.endswith(("STDTC", "DTC"))
                 and not i.cdisc.variable.endswith("ENDTC")]
    required = [i for i in dated if i.required]
    found = annotated or required or dated
    return found[0] if found else None
