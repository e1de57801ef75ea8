"""TS, the trial summary: one row per parameter value, from the protocol (and the rows' count
of enrolled participants and data cut-off).

The parameters are those FDA's Study Data Technical Conformance Guide asks for where the
protocol file holds them. A parameter it asks for that the protocol file cannot tell (the
trial type, whether treatment is added on to existing treatment, the pharmacologic class…)
is written with TSVALNF = NI ("no information"), which is what SDTMIG prescribes for a value
that is not known, rather than left out or guessed. Coded values are CDISC submission values
with their NCI codes (TSVALCD) and the codelist in ``PARAMETERS``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trialkit.core.protocol import Protocol
from trialkit.core.sdtm.common import Context, Domain, Variable, iso_date
from trialkit.core.sdtm.trial_design import planned_arms

TSVAL_LENGTH = 200
SDTM_VERSION = "2.0"
SDTMIG_VERSION = "3.4"
CDISC = "CDISC"
CT_VERSION = "2020-12-18"
"""TSVCDVER of a CDISC-coded value: the SDTM CT package the export follows, the one the
vendored codelists of ``trialkit.interop.sdtm`` come from (a test keeps the two equal)."""
ISO_8601 = "ISO 8601"
ISO_3166 = "ISO 3166-1 alpha-3"


@dataclass(frozen=True)
class Value:
    text: str = ""
    code: str = ""
    reference: str = ""
    null_flavor: str = ""
    group: str = ""


# TSPARMCD → (TSPARM, codelist of TSVAL). Values come from the maps below.
PARAMETERS: dict[str, tuple[str, str]] = {
    "ACTSUB": ("Actual Number of Subjects", ""),
    "ADAPT": ("Adaptive Design", "C66742"),
    "ADDON": ("Added on to Existing Treatments", "C66742"),
    "AGEMAX": ("Planned Maximum Age of Subjects", ""),
    "AGEMIN": ("Planned Minimum Age of Subjects", ""),
    "COMPTRT": ("Comparative Treatment Name", ""),
    "DCUTDESC": ("Data Cutoff Description", ""),
    "DCUTDTC": ("Data Cutoff Date", ""),
    "FCNTRY": ("Planned Country of Investigational Sites", ""),
    "HLTSUBJI": ("Healthy Subject Indicator", "C66742"),
    "INDIC": ("Trial Disease/Condition Indication", ""),
    "INTMODEL": ("Intervention Model", "C99076"),
    "INTTYPE": ("Intervention Type", "C99078"),
    "LENGTH": ("Trial Length", ""),
    "NARMS": ("Planned Number of Arms", ""),
    "OUTMSPRI": ("Primary Outcome Measure", ""),
    "OUTMSSEC": ("Secondary Outcome Measure", ""),
    "OUTMSEXP": ("Exploratory Outcome Measure", ""),
    "PCLAS": ("Pharmacologic Class", ""),
    "PLANSUB": ("Planned Number of Subjects", ""),
    "RANDOM": ("Trial is Randomized", "C66742"),
    "REGID": ("Registry Identifier", ""),
    "SDTIGVER": ("SDTM IG Version", ""),
    "SDTMVER": ("SDTM Version", ""),
    "SENDTC": ("Study End Date", ""),
    "SEXPOP": ("Sex of Participants", "C66732"),
    "SPONSOR": ("Clinical Study Sponsor", ""),
    "SSTDTC": ("Study Start Date", ""),
    "STOPRULE": ("Study Stop Rules", ""),
    "STYPE": ("Study Type", "C99077"),
    "TBLIND": ("Trial Blinding Schema", "C66735"),
    "TCNTRL": ("Control Type", "C66785"),
    "TDIGRP": ("Diagnosis Group", ""),
    "TINDTP": ("Trial Intent Type", "C66736"),
    "TITLE": ("Trial Title", ""),
    "TPHASE": ("Trial Phase Classification", "C66737"),
    "TRT": ("Investigational Therapy or Treatment", ""),
    "TTYPE": ("Trial Type", "C66739"),
}

_NY = {True: ("Y", "C49488"), False: ("N", "C49487")}
_PHASES = {  # registry phases (one, or two combined) → TPHASE
    ("EARLY_PHASE1",): ("PHASE 0 TRIAL", "C54721"), ("PHASE1",): ("PHASE I TRIAL", "C15600"),
    ("PHASE2",): ("PHASE II TRIAL", "C15601"), ("PHASE3",): ("PHASE III TRIAL", "C15602"),
    ("PHASE4",): ("PHASE IV TRIAL", "C15603"), ("NA",): ("NOT APPLICABLE", "C48660"),
    ("PHASE1", "PHASE2"): ("PHASE I/II TRIAL", "C15693"),
    ("PHASE2", "PHASE3"): ("PHASE II/III TRIAL", "C15694"),
}
_STUDY_TYPES = {"INTERVENTIONAL": ("INTERVENTIONAL", "C98388"),
                "OBSERVATIONAL": ("OBSERVATIONAL", "C16084"),
                "EXPANDED_ACCESS": ("EXPANDED ACCESS", "C98722")}
_BLINDING = {"NONE": ("OPEN LABEL", "C49659"), "SINGLE": ("SINGLE BLIND", "C28233"),
             # ICH E6's double blind covers the subjects, investigators, monitors and in some
             # cases the analysts: the registry's triple and quadruple masking are double blind.
             "DOUBLE": ("DOUBLE BLIND", "C15228"), "TRIPLE": ("DOUBLE BLIND", "C15228"),
             "QUADRUPLE": ("DOUBLE BLIND", "C15228")}
_CONTROLS = {"PLACEBO_COMPARATOR": ("PLACEBO", "C49648"), "SHAM_COMPARATOR": ("PLACEBO", "C49648"),
             "ACTIVE_COMPARATOR": ("ACTIVE", "C49649"), "NO_INTERVENTION": ("NONE", "C41132")}
_MODELS = {"PARALLEL": ("PARALLEL", "C82639"), "CROSSOVER": ("CROSSOVER", "C82637"),
           "FACTORIAL": ("FACTORIAL", "C82638"), "SINGLE_GROUP": ("SINGLE GROUP", "C82640"),
           "SEQUENTIAL": ("SEQUENTIAL", "C142568")}
_INTERVENTIONS = {"DRUG": ("DRUG", "C1909"), "BIOLOGICAL": ("BIOLOGIC", "C307"),
                  "DEVICE": ("DEVICE", "C16830"), "PROCEDURE": ("PROCEDURE", "C25218"),
                  "DIETARY_SUPPLEMENT": ("DIETARY SUPPLEMENT", "C1505"),
                  "GENETIC": ("GENETIC", "C15238"), "RADIATION": ("RADIATION", "C15313"),
                  "BEHAVIORAL": ("BEHAVIORAL", "C15184")}
_INTENTS = {"TREATMENT": ("TREATMENT", "C49656"), "PREVENTION": ("PREVENTION", "C49657"),
            "DIAGNOSTIC": ("DIAGNOSIS", "C49654"), "SCREENING": ("SCREENING", "C71486")}
_SEXES = {"ALL": ("BOTH", "C49636"), "FEMALE": ("F", "C16576"), "MALE": ("M", "C20197")}
_COUNTRIES = Path(__file__).with_name("countries.tsv")


def coded(pair: tuple[str, str]) -> Value:
    return Value(pair[0], pair[1], CDISC)


def unknown() -> Value:
    return Value(null_flavor="NI")


def country_code(country: str) -> str:
    """ISO 3166-1 alpha-3 for a country's code or English name ('' if unknown)."""
    return _countries().get(country.strip().casefold(), "")


@cache
def _countries() -> dict[str, str]:
    """Every code and name of countries.tsv (case-folded) → alpha-3."""
    found: dict[str, str] = {}
    for line in _COUNTRIES.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            found.update({f.casefold(): fields[0] for f in fields})
    return found


def parameters(context: Context) -> Iterator[tuple[str, Value]]:
    protocol, design = context.protocol, context.protocol.design
    identity, status = protocol.identity, protocol.status
    yield "TITLE", Value(identity.official_title or identity.brief_title)
    phases = tuple(sorted(set(design.phases)))
    yield "TPHASE", coded(_PHASES[phases]) if phases in _PHASES else unknown()
    yield "STYPE", coded(_STUDY_TYPES[design.study_type])
    yield "RANDOM", coded(_NY[design.allocation == "RANDOMIZED"])
    yield "TBLIND", coded(_BLINDING[design.masking.level])
    yield from _controls(protocol)
    yield "TINDTP", (coded(_INTENTS[design.primary_purpose])
                     if design.primary_purpose in _INTENTS else unknown())
    yield "TTYPE", unknown()
    for condition in identity.conditions:
        yield "TDIGRP", Value(condition)
        yield "INDIC", Value(condition)
    yield "HLTSUBJI", coded(_NY[protocol.eligibility.healthy_volunteers])
    yield "PLANSUB", Value(str(design.enrolment.count))
    yield "ACTSUB", Value(str(sum(1 for p in context.rows.trial.participants
                                  if p.enrolled_on is not None)))
    for registry in identity.registry_ids:
        yield "REGID", Value(registry.id, registry.id, registry.registry)
    yield "SPONSOR", Value(identity.sponsor.name)
    yield "SSTDTC", Value(iso_date(status.start.date), reference=ISO_8601)
    yield "SENDTC", (Value(iso_date(status.completion.date), reference=ISO_8601)
                     if status.completion.type == "ACTUAL" else unknown())
    yield from _ages(protocol)
    yield "SEXPOP", coded(_SEXES[protocol.eligibility.sex])
    yield "INTMODEL", coded(_MODELS[design.intervention_model])
    kinds = dict.fromkeys(_INTERVENTIONS[i.type] for i in design.interventions
                          if i.type in _INTERVENTIONS)
    for kind in kinds or [None]:
        yield "INTTYPE", coded(kind) if kind is not None else unknown()
    yield "NARMS", Value(str(len(planned_arms(protocol))))
    yield from _treatments(protocol)
    yield from _outcomes(protocol)
    for country in dict.fromkeys(country_code(s.country) for s in identity.sites):
        yield "FCNTRY", Value(country, country, ISO_3166) if country else unknown()
    yield "LENGTH", _length(protocol)
    yield "STOPRULE", _stop_rule(protocol)
    yield "ADAPT", unknown()
    yield "ADDON", unknown()
    yield "PCLAS", unknown()
    yield "DCUTDTC", Value(iso_date(context.rows.as_of), reference=ISO_8601)
    yield "DCUTDESC", Value("DATA AS OF THE EXPORT DATE")
    yield "SDTMVER", Value(SDTM_VERSION)
    yield "SDTIGVER", Value(SDTMIG_VERSION)


def _controls(protocol: Protocol) -> Iterator[tuple[str, Value]]:
    controls = dict.fromkeys(_CONTROLS[a.type] for a in protocol.design.arms
                             if a.type in _CONTROLS)
    for control in controls or [_CONTROLS["NO_INTERVENTION"]]:
        yield "TCNTRL", coded(control)


def _ages(protocol: Protocol) -> Iterator[tuple[str, Value]]:
    for code, years in (("AGEMIN", protocol.eligibility.minimum_age_years),
                        ("AGEMAX", protocol.eligibility.maximum_age_years)):
        yield code, (Value(f"P{years}Y", reference=ISO_8601) if years is not None
                     else Value(null_flavor="PINF" if code == "AGEMAX" else "NI"))


def _treatments(protocol: Protocol) -> Iterator[tuple[str, Value]]:
    design = protocol.design
    experimental = {i for a in design.arms if a.type == "EXPERIMENTAL" for i in a.interventions}
    compared = {i for a in design.arms if a.type.endswith("COMPARATOR") for i in a.interventions}
    for intervention in design.interventions:
        if intervention.id in experimental:
            yield "TRT", Value(intervention.name)
        elif intervention.id in compared:
            yield "COMPTRT", Value(intervention.name)


def _outcomes(protocol: Protocol) -> Iterator[tuple[str, Value]]:
    codes = {"primary": "OUTMSPRI", "secondary": "OUTMSSEC", "exploratory": "OUTMSEXP"}
    for endpoint in protocol.endpoints:
        yield codes[endpoint.kind], Value(f"{endpoint.name} ({endpoint.time_frame})")


def _length(protocol: Protocol) -> Value:
    """The planned time from the first to the last scheduled visit, in days."""
    days = [v.day - v.window.before for v in protocol.schedule.visits if v.day is not None]
    days += [v.day + v.window.after for v in protocol.schedule.visits if v.day is not None]
    return Value(f"P{max(days) - min(days)}D", reference=ISO_8601)


def _stop_rule(protocol: Protocol) -> Value:
    rules = [f"{g.committee}: {g.stopping_rule.event.description}"
             for g in protocol.gates.committee if g.stopping_rule is not None]
    return Value("; ".join(rules)) if rules else unknown()


def build_ts(context: Context) -> Sequence[Domain]:
    rows: list[dict[str, object]] = []
    counts: dict[str, int] = {}
    for code, value in parameters(context):
        counts[code] = counts.get(code, 0) + 1
        rows.append({"STUDYID": context.studyid, "DOMAIN": "TS", "TSSEQ": counts[code],
                     "TSGRPID": value.group, "TSPARMCD": code, "TSPARM": PARAMETERS[code][0],
                     **_split(value.text), "TSVALNF": value.null_flavor,
                     "TSVALCD": value.code, "TSVCDREF": value.reference,
                     "TSVCDVER": CT_VERSION if value.reference == CDISC else ""})
    extra = max((len([k for k in r if k.startswith("TSVAL") and k[5:].isdigit()])
                 for r in rows), default=0)
    variables = (Variable("STUDYID", "Study Identifier", role="Identifier", origin="Assigned"),
                 Variable("DOMAIN", "Domain Abbreviation", role="Identifier", origin="Assigned"),
                 Variable("TSSEQ", "Sequence Number", "integer", "Identifier"),
                 Variable("TSGRPID", "Group ID", role="Identifier"),
                 Variable("TSPARMCD", "Trial Summary Parameter Short Name", role="Topic",
                          codelist="C66738"),
                 Variable("TSPARM", "Trial Summary Parameter", role="Synonym Qualifier",
                          codelist="C67152"),
                 Variable("TSVAL", "Parameter Value", role="Result Qualifier", origin="Protocol"),
                 *(Variable(f"TSVAL{n}", f"Parameter Value {n}", role="Result Qualifier",
                            origin="Protocol") for n in range(1, extra + 1)),
                 # ISO 21090 NullFlavor (NI, PINF, …): an external dictionary, not NCI CT.
                 Variable("TSVALNF", "Parameter Null Flavor", role="Result Qualifier"),
                 Variable("TSVALCD", "Parameter Value Code", role="Result Qualifier"),
                 Variable("TSVCDREF", "Name of the Reference Terminology",
                          role="Result Qualifier"),
                 Variable("TSVCDVER", "Version of the Reference Terminology",
                          role="Result Qualifier"))
    return [Domain("TS", "Trial Summary", "Trial Design", variables, tuple(rows),
                   ("STUDYID", "TSPARMCD", "TSSEQ"))]


def _split(text: str) -> dict[str, str]:
    """TSVAL holds 200 characters; the rest goes on in TSVAL1, TSVAL2 … (SDTMIG 3.4, TS)."""
    chunks = [text[i:i + TSVAL_LENGTH] for i in range(0, len(text), TSVAL_LENGTH)] or [""]
    return {("TSVAL" if n == 0 else f"TSVAL{n}"): chunk for n, chunk in enumerate(chunks)}


BUILDERS = (build_ts,)
