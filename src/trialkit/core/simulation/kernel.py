"""The raw kernel of the model, for the benchmark: the randomized part's natural history and
the same analyses, with none of the protocol around them.

A kernel trial draws the randomized part's participants straight from the eligible
candidates, allocates them by alternation, rates and scans them on the visits' target days
with no dropout, and runs the same endpoint analyses. What it leaves out is what the full
simulation adds by simulating the protocol itself: referrals and screening, the sequential
part and its adverse events, the committee gate, the protocol's randomization list, visit
windows, missed visits and dropout. ``benchmarks/bench_simulation.py`` compares the two.
"""

from __future__ import annotations

import numpy as np

from trialkit.core.simulation.endpoints import Randomized, analyse
from trialkit.core.simulation.natural_history import People, simulate
from trialkit.core.simulation.setup import Setup
from trialkit.core.simulation.trial import Row


def kernel_trial(setup: Setup, rng: np.random.Generator) -> Row:
    plan, file, pool = setup.plan, setup.file, setup.pool
    count = plan.randomized_part.target
    chosen = setup.eligible[rng.integers(0, len(setup.eligible), count)]
    arms = np.where(np.arange(count) % 2 == 0, plan.experimental, plan.control).astype(object)
    leaves = np.full(count, float(plan.last_day))
    people = People(pool.course[chosen], pool.frailty[chosen], pool.disability[chosen],
                    pool.slope[chosen], arms == plan.experimental, leaves)
    days = {visit.id: np.full(count, float(visit.day)) for visit in plan.visits}
    course = simulate(rng, file, setup.scale, people,
                      np.column_stack([days[v] for v in setup.rating_visits]),
                      np.column_stack([days[v] for v in setup.scan_visits]))
    data = Randomized(arms, np.full(count, "all", dtype=object), plan.control,
                      plan.experimental, days,
                      {v: course.disability[:, i] for i, v in enumerate(setup.rating_visits)},
                      {v: course.enhancing[:, i] for i, v in enumerate(setup.scan_visits)},
                      {v: course.new[:, i] for i, v in enumerate(setup.scan_visits)},
                      course.relapse_who, course.relapse_day, leaves)
    row: Row = {}
    for endpoint in file.endpoints:
        outcome = analyse(endpoint, data, 1.0 - file.alpha)
        row[f"endpoint.{endpoint.id}.reject"] = float(outcome.p_value < file.alpha)
    return row
