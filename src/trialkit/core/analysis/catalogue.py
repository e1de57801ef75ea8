"""The named analysis methods a protocol can declare, with their parameters as data.

``method("ancova").run({"data": adeff}, {"response": "CHG", "treatment": "TRT01P",
"reference": "Sham", "factors": ["STRATUM"], "covariates": ["BASE"]})``. Names are
methodological (what is computed), not endpoint names: the protocol maps its endpoints to
them. docs/analysis.md describes each method, its edge cases and its oracle.
"""

from __future__ import annotations

from trialkit.core.analysis.registry import Method, Parameter
from trialkit.core.analysis.table import AnalysisInputError

P = Parameter
TESTS = "tests/unit/core/analysis/"
CONFIDENCE = P("confidence", "number", "confidence level of intervals (default 0.95)")
COMPARISONS = P("comparisons", "pairs", "[arm, against] pairs (default: each arm against "
                "the reference)")
TREATMENT = P("treatment", "column", "the arm of each row", required=True)
REFERENCE = P("reference", "text", "the reference (control) arm", required=True)
FACTORS = P("factors", "factors", "categorical covariates: a list, or a mapping to each "
            "one's reference level")
COVARIATES = P("covariates", "columns", "continuous covariates")
MODEL = (TREATMENT, REFERENCE, FACTORS, COVARIATES, COMPARISONS, CONFIDENCE)
SAFETY = (P("subject", "column", "participant id (default USUBJID)", role="subjects"),
          P("treatment", "column", "the arm in the subjects dataset (default TRT01A)",
            role="subjects"),
          P("arms", "texts", "arms in display order (default: sorted)"),
          P("reference", "text", "arm the others are compared with by Fisher's exact test"))
SURVIVAL = (P("time", "column", "time to event or censoring (default AVAL)"),
            P("censor", "column", "1 censored, 0 event (default CNSR)"))

_CATALOGUE = (
    Method("ae_overview", "participants with at least one event of each named category",
           ("subjects", "events"), (
               P("categories", "conditions", "label → condition on the events (null: any "
                 "event)", required=True), *SAFETY),
           "trialkit.core.analysis.safety:overview", TESTS + "test_safety_ars.py"),
    Method("ae_by_term", "participants and events by SOC and PT (or any hierarchy)",
           ("subjects", "events"), (
               P("levels", "columns", "event columns of the hierarchy (default AESOC, "
                 "AEDECOD)", role="events"),
               P("order", "choice", "alphabetical or frequency", choices=(
                   "alphabetical", "frequency")), *SAFETY),
           "trialkit.core.analysis.safety:events_by_term", TESTS + "test_safety_ars.py"),
    Method("ae_by_worst", "participants by worst grade or closest relation, by term",
           ("subjects", "events"), (
               P("column", "column", "grade or relation column", required=True,
                 role="events"),
               P("order", "texts", "its values from least to most severe", required=True),
               P("levels", "columns", "term hierarchy (default AESOC, AEDECOD)",
                 role="events"), *SAFETY),
           "trialkit.core.analysis.safety_worst:by_worst_category", TESTS + "test_safety.py"),
    Method("proportions", "responders by arm: exact CIs, Newcombe differences, Fisher p",
           ("data",), (
               P("response", "column", "binary response (flag or 0/1)", required=True),
               P("treatment", "column", "the arm of each row", required=True),
               P("reference", "text", "the reference arm"),
               P("success", "texts", "values that count as a response (default Y)"),
               P("arms", "texts", "arms in display order"), COMPARISONS, CONFIDENCE),
           "trialkit.core.analysis.responders:proportions_by_arm", TESTS + "test_proportions.py"),
    Method("ancova", "analysis of covariance with LS-mean differences",
           ("data",), (P("response", "column", "the response", required=True), *MODEL),
           "trialkit.core.analysis.ancova:ancova", TESTS + "test_ancova_csr.py"),
    Method("mmrm", "mixed model for repeated measures, unstructured, REML, Satterthwaite",
           ("data",), (
               P("response", "column", "the response", required=True),
               P("subject", "column", "participant id", required=True),
               P("visit", "column", "visit of each row", required=True), *MODEL,
               P("visit_effect", "flag", "visit as a fixed effect (default true)"),
               P("treatment_by_visit", "flag", "arm × visit interaction (default true)"),
               P("covariates_by_visit", "columns", "covariates interacting with visit"),
               P("visit_order", "texts", "visits in order (default: sorted)"),
               P("stop", "choice", "optimum (default) or sas", choices=("optimum", "sas"))),
           "trialkit.core.analysis.mmrm:mmrm", TESTS + "test_mmrm_sas.py"),
    Method("negative_binomial", "NB2 rate ratios with log-exposure offset; Poisson "
           "fallback", ("data",), (
               P("response", "column", "event count", required=True),
               P("exposure", "column", "follow-up (years) or number of scans"), *MODEL),
           "trialkit.core.analysis.counts:negative_binomial", TESTS + "test_counts_r.py"),
    Method("poisson", "Poisson rate ratios: model, quasi-Poisson or robust variance",
           ("data",), (
               P("response", "column", "event count", required=True),
               P("exposure", "column", "follow-up (years) or number of scans"), *MODEL,
               P("variance", "choice", "model, quasi or robust", choices=(
                   "model", "quasi", "robust"))),
           "trialkit.core.analysis.counts:poisson", TESTS + "test_counts_r.py"),
    Method("kaplan_meier", "Kaplan–Meier curves with Greenwood CIs and medians",
           ("data",), (*SURVIVAL, P("group", "column", "arm (default: one curve)"),
                       P("groups", "texts", "groups in order"), CONFIDENCE,
                       P("conf_type", "choice", "log (default), log-log or plain",
                         choices=("log", "log-log", "plain"))),
           "trialkit.core.analysis.survival:kaplan_meier", TESTS + "test_survival_r.py"),
    Method("logrank", "log-rank test, optionally stratified", ("data",), (
        *SURVIVAL, P("group", "column", "arm", required=True),
        P("strata", "columns", "stratification columns"),
        P("groups", "texts", "groups in order")),
        "trialkit.core.analysis.logrank:logrank", TESTS + "test_survival_r.py"),
    Method("cox", "Cox proportional hazards (Efron ties), optionally stratified",
           ("data",), (*SURVIVAL, *MODEL, P("strata", "columns", "stratification columns")),
           "trialkit.core.analysis.cox:cox", TESTS + "test_survival_r.py"),
    Method("proportional_odds", "ordinal outcome: proportional-odds model, common odds "
           "ratio, distribution by arm", ("data",), (
               P("response", "column", "the ordinal category (number or text)", required=True),
               P("levels", "texts", "categories from lowest to highest (default: the "
                 "observed values in order)"),
               TREATMENT, REFERENCE, FACTORS, COVARIATES,
               P("arms", "texts", "arms in display order"), CONFIDENCE),
           "trialkit.core.analysis.ordinal:proportional_odds", TESTS + "test_ordinal_r.py"),
    Method("crossover", "2×2 crossover: period-adjusted within-participant treatment "
           "effect, period effect, carry-over test", ("data",), (
               P("response", "column", "the response", required=True),
               P("subject", "column", "participant id", required=True),
               P("treatment", "column", "treatment received in the row's period (TRTA)",
                 required=True),
               P("reference", "text", "the reference (control) treatment", required=True),
               P("period", "column", "period of each row (default APERIOD)"), CONFIDENCE),
           "trialkit.core.analysis.crossover:crossover", TESTS + "test_crossover_r.py"),
    Method("shift_table", "participants by baseline and (worst) later category, by arm",
           ("data",), (
               P("response", "column", "the later category (ANRIND, AVAL)", required=True),
               P("treatment", "column", "the arm of each row", required=True),
               P("baseline", "column", "the baseline category (BNRIND, BASE); default: "
                 "none, the distribution by arm"),
               P("subject", "column", "participant id: count each once at their worst "
                 "category (default: one row per participant already)"),
               P("order", "texts", "categories from best to worst (default: sorted)"),
               P("arms", "texts", "arms in display order")),
           "trialkit.core.analysis.shift:shift_table", TESTS + "test_shift.py"),
)
_DESCRIPTIVE = (
    Method("summary", "n, mean, SD, median, quartiles, min and max by group (and visit)",
           ("data",), (
               P("response", "column", "the variable summarised", required=True),
               P("treatment", "column", "the group of each row", required=True),
               P("visit", "column", "visit of each row (default: no visits)"),
               P("visit_order", "texts", "visits in order (default: sorted)"),
               P("arms", "texts", "groups in display order")),
           "trialkit.core.analysis.describe:summary", TESTS + "test_describe.py"),
    Method("rates", "events / exposure by group with exact Poisson CIs", ("data",), (
        P("response", "column", "event count", required=True),
        P("treatment", "column", "the group of each row", required=True),
        P("exposure", "column", "follow-up (years) or number of scans", required=True),
        P("arms", "texts", "groups in display order"), CONFIDENCE),
           "trialkit.core.analysis.describe:rates", TESTS + "test_describe.py"),
)
METHODS = {m.name: m for m in (*_CATALOGUE, *_DESCRIPTIVE)}


def method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise AnalysisInputError(f"no analysis method '{name}' (known: "
                                 f"{', '.join(sorted(METHODS))})") from None


def methods() -> tuple[Method, ...]:
    return tuple(METHODS[name] for name in sorted(METHODS))
