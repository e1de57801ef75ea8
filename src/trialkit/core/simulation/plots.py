"""Figures of a simulation (matplotlib, Agg backend: files only, no display): power curves
over a grid, the gate-stop curve by true rate, and the distribution of trial durations.

Simulated values are drawn with ±2 MCSE bars; the gate curve is the exact P(stop | rate) of
the protocol's declared rule, with the simulated points on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from trialkit.core.protocol.gates import CommitteeGate
from trialkit.core.simulation.designs import DesignOC
from trialkit.core.simulation.gate_rules import stop_probability
from trialkit.core.simulation.runner import Simulation
from trialkit.core.simulation.summary import Estimate, ScenarioOC

MONTH = 365.25 / 12


def draw_all(simulation: Simulation, out: Path) -> list[Path]:
    """Every figure the simulation supports, as PNG files in ``out``."""
    written = [_power_curves(simulation, out / "power.png"),
               _gate_curve(simulation, out / "gate.png"),
               _durations(simulation, out / "duration.png")]
    return [path for path in written if path is not None]


def draw_design(results: Sequence[DesignOC], out: Path, alpha: float) -> list[Path]:
    """A design-level file's figures: P(reject) of every endpoint by scenario, and the
    duration distribution when the whole protocol ran (its rows carry durations)."""
    written = [_design_power(results, out / "power.png", alpha),
               _histograms([(r.scenario, np.array([row["duration_days"] for row in r.rows]))
                            for r in results if r.rows and "duration_days" in r.rows[0]],
                           out / "duration.png")]
    return [path for path in written if path is not None]


def _design_power(results: Sequence[DesignOC], path: Path, alpha: float) -> Path:
    # Design scenarios are named points (no effect, a published effect, a large one), not a
    # numeric grid: one tick per scenario, in the file's order.
    figure, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(results)), 4))
    x = list(range(len(results)))
    for index, endpoint in enumerate(results[0].endpoints):
        y = [Estimate(r.endpoints[index].rejection, r.endpoints[index].mcse) for r in results]
        _with_bars(ax, x, y, f"{endpoint.endpoint} ({endpoint.analysis})")
    ax.axhline(alpha, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(x, [r.scenario for r in results], rotation=15, fontsize=8)
    ax.set(title="P(reject) by scenario", xlabel="scenario", ylabel="P(p < alpha) over all "
           "trials", ylim=(0, 1))
    ax.legend(fontsize=7)
    return _save(figure, path)


def _axis_of(summary: ScenarioOC) -> tuple[str, float] | None:
    """The grid axis a scenario varies (its last setting), if it has one."""
    if not summary.settings:
        return None
    path, value = list(summary.settings.items())[-1]
    return path, value


def _groups(simulation: Simulation) -> dict[tuple[str, str], list[ScenarioOC]]:
    groups: dict[tuple[str, str], list[ScenarioOC]] = {}
    for summary in simulation.summaries:
        axis = _axis_of(summary)
        if axis is not None and "[" in summary.scenario:
            groups.setdefault((summary.scenario.split("[")[0], axis[0]), []).append(summary)
    return {key: members for key, members in groups.items() if len(members) > 1}


def _power_curves(simulation: Simulation, path: Path) -> Path | None:
    # Power curves are drawn over the grids of treatment effects (other grids, such as the
    # gate's true rates, have their own figure).
    groups = {k: v for k, v in _groups(simulation).items()
              if v[0].endpoints and k[1].startswith("effects.")}
    if not groups:
        return None
    figure, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
    for ax, ((base, parameter), members) in zip(axes[0], groups.items(), strict=True):
        x = [m.settings[parameter] for m in members]
        for index, endpoint in enumerate(members[0].endpoints):
            y = [m.endpoints[index].rejection for m in members]
            _with_bars(ax, x, y, f"{endpoint.endpoint} ({endpoint.method})")
        ax.axhline(0.05, color="grey", linewidth=0.8, linestyle=":")
        ax.set(title=f"{base}: P(reject) by {parameter}", xlabel=parameter,
               ylabel="P(p < alpha) over all trials", ylim=(0, 1))
        ax.legend(fontsize=7)
    return _save(figure, path)


def _gate_curve(simulation: Simulation, path: Path) -> Path | None:
    gate = _gate_with_rule(simulation)
    if gate is None or gate.stopping_rule is None:
        return None
    rule = gate.stopping_rule
    rates = np.linspace(0, 0.6, 121)
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rates, [stop_probability(rule, float(r)) for r in rates],
            label=f"exact: {rule.kind.replace('_', ' ')}")
    points = [(s.settings.get("safety.related_serious_risk"), s.gate_stop)
              for s in simulation.summaries]
    shown = [(x, y) for x, y in points if x is not None]
    if shown:
        _with_bars(ax, [x for x, _ in shown], [y for _, y in shown], "simulated (±2 MCSE)",
                   line=False)
    ax.set(title=f"{gate.committee}: P(stop) by true rate", xlabel="true rate of "
           f"{rule.event.description}", ylabel="P(stop)", ylim=(0, 1))
    ax.legend(fontsize=8)
    return _save(figure, path)


def _gate_with_rule(simulation: Simulation) -> CommitteeGate | None:
    gates = simulation.setups[0].plan.protocol.gates.committee
    return next((gate for gate in gates if gate.stopping_rule is not None), None)


def _durations(simulation: Simulation, path: Path) -> Path | None:
    # One histogram per named scenario, not per grid point.
    return _histograms([(setup.scenario.id, np.array([row["duration_days"] for row in rows]))
                        for setup, rows in zip(simulation.setups, simulation.rows, strict=True)
                        if not (setup.scenario.settings and "[" in setup.scenario.id)], path)


def _histograms(days: Sequence[tuple[str, npt.NDArray[np.float64]]], path: Path
                ) -> Path | None:
    """Each scenario's simulated durations (days), in months."""
    if not days:
        return None
    figure, ax = plt.subplots(figsize=(6, 4))
    for label, values in days:
        ax.hist(values / MONTH, bins=30, histtype="step", label=label)
    ax.set(title="Trial duration (first referral to last visit)", xlabel="months",
           ylabel="simulated trials")
    ax.legend(fontsize=8)
    return _save(figure, path)


def _with_bars(ax: Axes, x: Sequence[float], y: Sequence[Estimate], label: str,
               line: bool = True) -> None:
    values = [e.value if e.value is not None else np.nan for e in y]
    errors = [2 * e.mcse if e.mcse is not None else 0.0 for e in y]
    ax.errorbar(x, values, yerr=errors, marker="o", capsize=3, label=label,
                linestyle="-" if line else "none")


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
