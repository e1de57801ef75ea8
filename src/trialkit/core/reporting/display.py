"""Results as display tables: a title, a header and rows of text, for HTML and RTF alike.

Built from a result's plain data (``Outcome.as_data()['result']``, with its ``type``), so a
report can be re-rendered from the results JSON alone. Numbers are rounded to the analysis's
``display.decimals``; p-values to 4 decimals (``<0.0001`` below); a missing value is blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

Plain = dict[str, Any]


@dataclass(frozen=True)
class DisplayTable:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def number(value: object, decimals: int = 2) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def p_value(value: object) -> str:
    if not isinstance(value, float):
        return ""
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def interval(low: object, high: object, decimals: int) -> str:
    if low is None and high is None:
        return ""
    return f"({number(low, decimals)}, {number(high, decimals)})"


def _estimates(rows: Sequence[Plain], d: int) -> list[tuple[str, ...]]:
    return [(e["label"], number(e["estimate"], d), number(e["se"], d),
             interval(e["ci_lower"], e["ci_upper"], d), number(e["df"], 1),
             p_value(e["p_value"])) for e in rows]


ESTIMATE_HEADER = ("", "Estimate", "SE", "CI", "df", "p")


def _safety(r: Plain, d: int) -> list[DisplayTable]:
    arms, reference = r["arms"], r["reference"]
    worst = r["title"].startswith("participants by worst")
    compared = [arm for arm in arms if reference and arm != reference]
    header = ("Term" if len(r["levels"]) > 1 or worst else "Category",
              *((r["levels"][-1],) if worst else ()),
              *(f"{arm} (N={r['denominators'][arm]})" for arm in arms),
              *(f"p {arm} vs {reference}" for arm in compared))
    rows = []
    for row in r["rows"]:
        category = list(row["category"])
        last = [category.pop()] if worst else []
        label = "  " * (len(category) - 1) + category[-1] if category else "Any event"
        cells = [f"{c['subjects']} ({number(c['percent'], 1)}%) [{c['events']}]"
                 if c["percent"] is not None else f"{c['subjects']} [{c['events']}]"
                 for c in (row["counts"][arm] for arm in arms)]
        rows.append((label, *last, *cells, *(p_value(row["p_values"].get(arm))
                                            for arm in compared)))
    return [DisplayTable(r["title"], header, tuple(rows),
                         ("n (%) [events]: participants with at least one event, "
                          "percent of N, and the number of events",))]


def _model(r: Plain, d: int) -> list[DisplayTable]:
    tables = [DisplayTable("Least-squares means", ESTIMATE_HEADER,
                           tuple(_estimates(r["lsmeans"], d)))]
    if r["differences"]:
        tables.append(DisplayTable("Differences", ESTIMATE_HEADER,
                                   tuple(_estimates(r["differences"], d))))
    return tables


def _counts(r: Plain, d: int) -> list[DisplayTable]:
    crude = DisplayTable(f"Events and exposure ({r['model']} model)",
                         ("Group", "Events", "Exposure", "Crude rate"),
                         tuple((a["arm"], str(a["events"]), number(a["exposure"], d),
                                number(a["crude_rate"], d + 1)) for a in r["arms"]))
    tables = [crude, DisplayTable("Model rates", ESTIMATE_HEADER,
                                  tuple(_estimates(r["rates"], d)))]
    if r["rate_ratios"]:
        tables.append(DisplayTable("Rate ratios", ESTIMATE_HEADER,
                                   tuple(_estimates(r["rate_ratios"], d))))
    return tables


def _cox(r: Plain, d: int) -> list[DisplayTable]:
    tests = tuple((name, number(r[key]["statistic"], d), str(r[key]["df"]),
                   p_value(r[key]["p_value"]))
                  for name, key in (("Likelihood ratio", "likelihood_ratio"),
                                    ("Wald", "wald"), ("Score", "score")))
    return [DisplayTable(f"Hazard ratios ({r['events']} events in {r['n']})", ESTIMATE_HEADER,
                         tuple(_estimates(r["hazard_ratios"], d))),
            DisplayTable("Tests", ("Test", "Statistic", "df", "p"), tests)]


def _km(r: Plain, d: int) -> list[DisplayTable]:
    rows = tuple((c["group"], str(c["n"]), str(c["events"]), number(c["median"], 0),
                  interval(c["median_ci"][0], c["median_ci"][1], 0)) for c in r["curves"])
    return [DisplayTable("Kaplan–Meier", ("Group", "N", "Events", "Median (days)",
                                          "Median CI"), rows)]


def _logrank(r: Plain, d: int) -> list[DisplayTable]:
    rows = tuple((g, number(o, 0), number(e, d)) for g, o, e in
                 zip(r["groups"], r["observed"], r["expected"], strict=True))
    return [DisplayTable(f"Log-rank χ² {number(r['chi_square'], d)} on {r['df']} df, "
                         f"p {p_value(r['p_value'])}", ("Group", "Observed", "Expected"), rows)]


def _proportions(r: Plain, d: int) -> list[DisplayTable]:
    tables = [DisplayTable("Proportions (Clopper–Pearson CI)", ("Group", "n/N", "%", "CI"),
                           tuple((a["label"], f"{a['events']}/{a['n']}",
                                  number(None if a["estimate"] is None else
                                         100 * a["estimate"], 1),
                                  interval(a["ci_lower"], a["ci_upper"], 3))
                                 for a in r["arms"]))]
    if r["differences"]:
        tables.append(DisplayTable("Differences (Newcombe CI, Fisher p)",
                                   ("", "Difference", "CI", "p"),
                                   tuple((x["label"], number(x["difference"], 3),
                                          interval(x["ci_lower"], x["ci_upper"], 3),
                                          p_value(x["p_value"])) for x in r["differences"])))
    return tables


def _summary(r: Plain, d: int) -> list[DisplayTable]:
    rows = tuple((s["group"], s["visit"], str(s["n"]), number(s["mean"], d),
                  number(s["sd"], d), number(s["median"], d),
                  f"{number(s['q1'], d)}; {number(s['q3'], d)}" if s["n"] else "",
                  f"{number(s['minimum'], d)}; {number(s['maximum'], d)}" if s["n"] else "")
                 for s in r["rows"])
    return [DisplayTable(f"Summary of {r['variable']}", ("Group", "Visit", "n", "Mean", "SD",
                                                         "Median", "Q1; Q3", "Min; Max"),
                         rows)]


def _rates(r: Plain, d: int) -> list[DisplayTable]:
    rows = tuple((x["group"], str(x["n"]), str(x["events"]), number(x["exposure"], d),
                  number(x["rate"], d + 1), interval(x["ci_lower"], x["ci_upper"], d + 1))
                 for x in r["rows"])
    return [DisplayTable("Crude rates (exact Poisson CI)", ("Group", "N", "Events", "Exposure",
                                                             "Rate", "CI"), rows)]


def _category_cells(counts: Sequence[Plain]) -> tuple[str, ...]:
    return tuple(f"{c['n']} ({number(c['percent'], 1)}%)" if c["percent"] is not None
                 else str(c["n"]) for c in counts)


def _ordinal(r: Plain, d: int) -> list[DisplayTable]:
    tables = [DisplayTable(f"Distribution of {r['response']} by arm",
                           ("Group", "N", *r["categories"]),
                           tuple((x["group"], str(x["n"]), *_category_cells(x["counts"]))
                                 for x in r["distribution"]),
                           ("n (%) of the arm's participants",))]
    if r["odds_ratios"]:
        test = r["treatment_test"]
        tables.append(DisplayTable(
            "Common odds ratio of a higher category (proportional odds)", ESTIMATE_HEADER,
            tuple(_estimates(r["odds_ratios"], d)),
            (f"Likelihood-ratio test of the arm: χ² {number(test['statistic'], d)} on "
             f"{test['df']} df, p {p_value(test['p_value'])}",) if test else ()))
    return tables


def _crossover(r: Plain, d: int) -> list[DisplayTable]:
    cells = DisplayTable("Period means by sequence", ("Sequence", "Period", "Treatment", "n",
                                                      "Mean", "SD"),
                         tuple((c["sequence"], c["period"], c["treatment"], str(c["n"]),
                                number(c["mean"], d), number(c["sd"], d)) for c in r["cells"]))
    effects = DisplayTable("Within-participant effects", ESTIMATE_HEADER, tuple(_estimates(
        [*r["differences"], r["period_effect"], r["carryover"]], d)),
        ("carry-over: a sensitivity analysis with little power, not a gate",))
    return [cells, effects]


def _shift(r: Plain, d: int) -> list[DisplayTable]:
    return [DisplayTable(f"{arm['group']} (N={arm['n']}): {r['baseline'] or 'all'} → "
                         f"{'worst ' if r['worst'] else ''}{r['response']}",
                         ("Baseline", "n", *r["categories"]),
                         tuple((row["baseline"], str(row["n"]),
                                *_category_cells(row["counts"])) for row in arm["rows"]),
                         ("n (%) of the baseline row",))
            for arm in r["arms"]]


RENDERERS: dict[str, Callable[[Plain, int], list[DisplayTable]]] = {
    "SafetyTable": _safety, "AncovaResult": _model, "MmrmResult": _model,
    "CountResult": _counts, "CoxResult": _cox, "KaplanMeierResult": _km,
    "LogRankTest": _logrank, "ProportionsResult": _proportions, "SummaryResult": _summary,
    "RatesResult": _rates, "OrdinalResult": _ordinal, "CrossoverResult": _crossover,
    "ShiftResult": _shift}


def tables_of(outcome: Mapping[str, Any],
              names: Mapping[str, str] | None = None) -> list[DisplayTable]:
    """The display tables of one analysis outcome (``Outcome.as_data()``); ``names`` puts the
    codes results carry (a visit's id, ``M3``) in the protocol's words (``Month 3``)."""
    result = outcome.get("result")
    if result is None:
        return []
    tables = RENDERERS[result["type"]](result, int(outcome.get("decimals", 2)))
    return [named(t, names) for t in tables] if names else tables


def named(table: DisplayTable, names: Mapping[str, str]) -> DisplayTable:
    """``table`` with each whole-word code of ``names`` in a cell or the title replaced by its
    name ("UMSC01 − Placebo at M12" → "… at Month 12")."""
    if not names:
        return table
    pattern = re.compile(r"(?<![\w-])(" + "|".join(
        re.escape(code) for code in sorted(names, key=len, reverse=True)) + r")(?![\w-])")

    def words(text: str) -> str:
        return pattern.sub(lambda m: names[m.group(1)], text)

    return replace(table, title=words(table.title),
                   rows=tuple(tuple(words(cell) for cell in row) for row in table.rows))
