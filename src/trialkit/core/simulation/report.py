"""A simulation's results as plain data (``summary.json``) and as a readable report
(``summary.md``): per scenario the operating characteristics with their MCSE, the seed and
the number of trials; the candidate pool; the exact table of the committee's stopping rule;
every source the scenario file cites."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialkit.core.protocol.canonical import protocol_version
from trialkit.core.simulation.gate_rules import gate_stop_table
from trialkit.core.simulation.runner import Simulation
from trialkit.core.simulation.summary import Estimate, Quantiles, ScenarioOC

MONTH = 365.25 / 12


def as_data(simulation: Simulation, *, engine: str, workers: int) -> dict[str, Any]:
    first = simulation.setups[0]
    protocol = first.plan.protocol
    pools = {id(s.pool): s.pool for s in simulation.setups}
    return {
        "format": "trialkit-simulation/1",
        "protocol": {"id": protocol.identity.id, "version": protocol_version(protocol)},
        "seed": simulation.seed, "trials": simulation.summaries[0].trials,
        "engine": engine, "workers": workers, "start": first.start.isoformat(),
        "candidate_pools": [{"size": pool.size, "eligible_rate": pool.eligible_rate,
                             "verdicts": pool.verdicts, "ruled_out_by": pool.ruled_out_by}
                            for pool in pools.values()],
        "gates": _gates(simulation),
        "scenarios": [summary.as_data() for summary in simulation.summaries],
        "sources": [source.model_dump() for source in first.file.sources],
    }


def _gates(simulation: Simulation) -> list[dict[str, Any]]:
    protocol = simulation.setups[0].plan.protocol
    return [{"committee": gate.committee, "rule": gate.stopping_rule.model_dump(mode="json"),
             "p_stop": [{"rate": row.rate, "p_stop": row.p_stop,
                         "expected_reviewed": row.expected_reviewed}
                        for row in gate_stop_table(gate.stopping_rule)]}
            for gate in protocol.gates.committee if gate.stopping_rule is not None]


def markdown(simulation: Simulation, *, engine: str, workers: int) -> str:
    data = as_data(simulation, engine=engine, workers=workers)
    lines = [f"# In-silico trials of {data['protocol']['id']}", "",
             f"Protocol version `{data['protocol']['version'][:12]}`; seed {data['seed']}; "
             f"{data['trials']} simulated trials per scenario; engine {engine} "
             f"({workers} worker(s)). Values are estimates ± Monte Carlo standard error.", ""]
    for pool in data["candidate_pools"]:
        lines += [f"Candidate pool: {pool['size']} referred candidates screened by the "
                  f"protocol's rules, {100 * pool['eligible_rate']:.1f} % eligible.", ""]
    for gate in data["gates"]:
        lines += [f"## {gate['committee']}: exact P(stop | true rate)", "",
                  "| true rate | P(stop) | expected reviewed |", "|---|---|---|"]
        lines += [f"| {r['rate']:.2f} | {r['p_stop']:.3f} | {r['expected_reviewed']:.2f} |"
                  for r in gate["p_stop"]]
        lines.append("")
    start = simulation.setups[0].start
    for summary in simulation.summaries:
        lines += _scenario(summary, start)
    return "\n".join(lines) + "\n"


def _scenario(s: ScenarioOC, start: dt.date) -> list[str]:
    end = start + dt.timedelta(days=s.duration_quantiles.p50)
    lines = [f"## {s.scenario}", "",
             f"- P(stop at the gate): {fmt(s.gate_stop, 3)}",
             f"- duration: mean {_months(s.duration_days)}; {_q(s.duration_quantiles, MONTH)}"
             f" months; median end {end.isoformat()}",
             f"- candidates screened: mean {fmt(s.screened, 1)}; {_q(s.screened_quantiles, 1)}",
             f"- allocation: imbalance {fmt(s.imbalance, 2)}, worst stratum "
             f"{fmt(s.stratum_imbalance, 2)}, correct-guess rate {fmt(s.guess_rate, 3)}",
             "", "| endpoint | method | true | P(reject) | if analysed | bias | emp. SE "
             "| coverage | fallback | failed |", "|---|---|---|---|---|---|---|---|---|---|"]
    for e in s.endpoints:
        truth = "—" if e.true_effect is None else f"{e.true_effect:g}"
        lines.append(f"| {e.endpoint} | {e.method} | {truth} | {fmt(e.rejection, 3)} | "
                     f"{fmt(e.rejection_if_analysed, 3)} | {fmt(e.bias, 3)} | "
                     f"{fmt(e.empirical_se, 3)} | {fmt(e.coverage, 3)} | {e.fallback:.2f} | "
                     f"{e.failed:.2f} |")
    lines += ["", "Safety (share of randomized participants): " + ", ".join(
        f"{name.removeprefix('safety.')} {fmt(value, 3)}" for name, value in s.safety.items()),
        "", "Control arm (calibration): " + ", ".join(
        f"{name.removeprefix('control.')} {fmt(value, 3)}"
        for name, value in s.calibration.items()), ""]
    return lines


def fmt(estimate: Estimate, digits: int) -> str:
    if estimate.value is None:
        return "—"
    mcse = f" ± {estimate.mcse:.{digits}f}" if estimate.mcse is not None else ""
    return f"{estimate.value:.{digits}f}{mcse}"


def _months(estimate: Estimate) -> str:
    if estimate.value is None or estimate.mcse is None:
        return "—"
    return f"{estimate.value / MONTH:.1f} ± {estimate.mcse / MONTH:.1f} months"


def _q(q: Quantiles, unit: float) -> str:
    low, high = q.median_ci
    return (f"10/50/90 % {q.p10 / unit:.1f} / {q.p50 / unit:.1f} / {q.p90 / unit:.1f} "
            f"(median 95 % CI {low / unit:.1f}-{high / unit:.1f})")
