"""The report's figures as SVG text: score trajectories, Kaplan–Meier curves, a forest plot of
effects, a swimmer plot and the CONSORT flow.

matplotlib with the Agg-free SVG backend, a fixed hash salt and no date in the metadata, so a
figure of the same data is the same file. Each function returns None when it has nothing to
draw (a pooled view has no effects to put in a forest plot).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
import numpy as np

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.reporting.consort import Flow

plt.rcParams.update({"svg.hashsalt": "trialkit", "svg.fonttype": "none", "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False})


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def trajectory(datasets: AnalysisDatasets, dataset: str, parameter: str, flag: str,
               group: str, title: str) -> str | None:
    """Mean (± SE) of the value at each scheduled visit by group, participants faint behind."""
    table = datasets.tables[dataset]
    rows = (table.text("PARAMCD") == parameter) & (table.text(flag) == "Y") & (
        table.text("ANL01FL") == "Y") & ~np.isnan(table.numeric("AVISITN"))
    if not rows.any():
        return None
    days, values = table.numeric("AVISITN")[rows], table.numeric("AVAL")[rows]
    groups, subjects = table.text(group)[rows], table.text("USUBJID")[rows]
    figure, axes = plt.subplots(figsize=(7, 3.6))
    for index, name in enumerate(sorted(set(groups.tolist()))):
        colour = f"C{index}"
        for subject in sorted(set(subjects[groups == name].tolist())):
            mine = subjects == subject
            order = np.argsort(days[mine])
            axes.plot(days[mine][order], values[mine][order], color=colour, alpha=0.15, lw=0.8)
        at = sorted(set(days[groups == name].tolist()))
        means = [values[(groups == name) & (days == d)].mean() for d in at]
        errors = [_se(values[(groups == name) & (days == d)]) for d in at]
        axes.errorbar(at, means, yerr=errors, color=colour, marker="o", capsize=3, label=name)
    axes.set(xlabel="Planned study day of visit", ylabel=parameter, title=title)
    axes.legend(frameon=False)
    return _svg(figure)


def _se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def kaplan_meier(result: dict[str, Any], title: str) -> str | None:
    curves = result.get("curves") or []
    if not curves:
        return None
    figure, axes = plt.subplots(figsize=(7, 3.6))
    for index, curve in enumerate(curves):
        times = [0.0] + [s["time"] for s in curve["steps"]]
        survival = [1.0] + [s["survival"] for s in curve["steps"]]
        axes.step(times, survival, where="post", color=f"C{index}",
                  label=f"{curve['group']} (n={curve['n']}, events={curve['events']})")
        censored = [(s["time"], s["survival"]) for s in curve["steps"] if s["n_censor"]]
        if censored:
            axes.plot(*zip(*censored, strict=True), "|", color=f"C{index}", ms=8)
    axes.set(xlabel="Days from baseline", ylabel="Proportion without event", ylim=(0, 1.05),
             title=title)
    axes.legend(frameon=False, loc="lower left")
    return _svg(figure)


def forest(effects: Sequence[tuple[str, str, float, float | None, float | None]]
           ) -> str | None:
    """Effects as (label, kind, estimate, low, high); kind "ratio" (log scale, null 1) or
    "difference" (null 0), one panel each."""
    kinds = [k for k in ("ratio", "difference") if any(e[1] == k for e in effects)]
    if not kinds:
        return None
    height = 1 + 0.35 * max(sum(e[1] == k for e in effects) for k in kinds)
    figure, panels = plt.subplots(1, len(kinds), figsize=(7 * len(kinds) / 1.4, height),
                                  squeeze=False)
    for axes, kind in zip(panels[0], kinds, strict=True):
        mine = [e for e in effects if e[1] == kind and e[2] is not None]
        for y, (_, _, estimate, low, high) in enumerate(reversed(mine)):
            if low is not None and high is not None and math.isfinite(high):
                axes.plot([low, high], [y, y], color="C0")
            axes.plot([estimate], [y], "s", color="C0")
        axes.set_yticks(range(len(mine)), [e[0] for e in reversed(mine)])
        axes.axvline(1.0 if kind == "ratio" else 0.0, color="grey", lw=0.8, ls="--")
        if kind == "ratio":
            axes.set_xscale("log")
        axes.set_title("Ratios (log scale)" if kind == "ratio" else "Differences")
    return _svg(figure)


def swimmer(datasets: AnalysisDatasets, group: str) -> str | None:
    """One lane per dosed participant from first administration to last contact, with
    administrations (triangles) and adverse events (dots; serious ones red)."""
    adsl = datasets.tables["ADSL"]
    dosed = ~np.isnat(adsl["TRTSDT"])
    if not dosed.any():
        return None
    subjects = adsl.text("USUBJID")[dosed]
    spans = (adsl["LSTCNDT"][dosed] - adsl["TRTSDT"][dosed]).astype(float) + 1
    groups = adsl.text(group)[dosed]
    order = sorted(range(len(subjects)), key=lambda i: (groups[i], subjects[i]))
    lane = {subjects[i]: y for y, i in enumerate(order)}
    figure, axes = plt.subplots(figsize=(8, 1 + 0.22 * len(order)))
    names = sorted(set(groups.tolist()))
    for i in order:
        axes.barh(lane[subjects[i]], spans[i], left=1, height=0.5, alpha=0.35,
                  color=f"C{names.index(groups[i])}")
    _marks(axes, datasets.tables["ADEX"], lane, "ASTDY", "^", "black", "administration")
    adae = datasets.tables["ADAE"]
    serious = adae.text("AESER") == "Y" if "AESER" in adae else np.zeros(adae.n_rows, bool)
    _marks(axes, adae.where(~serious), lane, "ASTDY", "o", "C1", "adverse event")
    _marks(axes, adae.where(serious), lane, "ASTDY", "o", "red", "serious adverse event")
    axes.set_yticks([lane[subjects[i]] for i in order],
                    [f"{subjects[i]} ({groups[i]})" for i in order], fontsize=7)
    axes.invert_yaxis()
    axes.set(xlabel="Study day (day 1 = first administration)")
    axes.legend(frameon=False, fontsize=7, loc="lower right")
    return _svg(figure)


def _marks(axes: Any, table: Any, lane: dict[str, int], day: str, marker: str, colour: str,
           label: str) -> None:
    points = [(d, lane[s]) for s, d in zip(table.text("USUBJID"), table.numeric(day),
                                           strict=True) if s in lane and not math.isnan(d)]
    if points:
        axes.plot(*zip(*points, strict=True), marker, color=colour, ls="", ms=5, label=label)


def consort(flow: Flow) -> str:
    """The flow as boxes: assessed → not enrolled; each part → its groups → analysed."""
    groups = [g for _, gs in flow.parts for g in gs]
    width = max(len(groups), 2)
    figure, axes = plt.subplots(figsize=(2.4 * width, 5.2))
    axes.set(xlim=(0, width), ylim=(0, 5))
    axes.axis("off")
    _box(axes, width / 2, 4.6, f"{flow.assessed.label}\nn = {flow.assessed.n}")
    _box(axes, width - 0.6, 3.8, f"{flow.excluded.label}: {flow.excluded.n}\n" + "\n".join(
        f"{k}: {v}" for k, v in flow.excluded.detail), small=True)
    column = 0
    for part, part_groups in flow.parts:
        middle = column + max(len(part_groups), 1) / 2
        _box(axes, middle, 3.0, f"{part.label}\nn = {part.n}", small=True)
        for group in part_groups:
            _box(axes, column + 0.5, 1.7, f"{group.label}\nn = {group.n}\n" + "\n".join(
                f"{k}: {v}" for k, v in group.detail), small=True)
            column += 1
        column += 0 if part_groups else 1
    _box(axes, width / 2, 0.3, "Analysed: " + "; ".join(
        f"{b.label} {b.n}" for b in flow.analysed), small=True)
    return _svg(figure)


def _box(axes: Any, x: float, y: float, text: str, small: bool = False) -> None:
    axes.text(x, y, text, ha="center", va="center", fontsize=7 if small else 9,
              bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "black"})
