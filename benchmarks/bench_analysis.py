"""Speed of a full analysis (`trialkit analyze` without the database read): deriving the ADaM
datasets, running every declared analysis, and writing every output (three dataset formats,
results, HTML with figures, RTF), for a trial of the demo's size (41 participants, the
reference protocol's enrolment) and for 1,000 synthetic participants; beside a baseline
measured in the same run on the same data: the raw core methods alone (each analysis's method
called directly on its prepared table, no derivation, no output).

    .venv/bin/python benchmarks/bench_analysis.py [--repeats 3]

Medians of the repeats, in seconds, with the machine's load average; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

PROTOCOL = ROOT / "protocols" / "nct05532943.yaml"
SIZES = (41, 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from trialkit.core.adam import derive
    from trialkit.core.adam.synthetic import synthetic_rows
    from trialkit.core.protocol import load_protocol
    from trialkit.reports.analyze import analyze

    protocol = load_protocol(PROTOCOL)
    print(f"protocol {protocol.identity.id}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'participants':>12} {'baseline (s)':>13} {'derive+run (s)':>15} "
          f"{'full analyze (s)':>17} {'full / baseline':>16}")
    for size in SIZES:
        rows = synthetic_rows(protocol, size, np.random.default_rng(size))
        datasets = derive(protocol, rows)
        prepared = _prepared(protocol, datasets)
        baseline = _median(partial(_raw_methods, prepared), args.repeats)
        core = _median(partial(_derive_and_run, protocol, rows), args.repeats)
        with tempfile.TemporaryDirectory() as folder:
            full = _median(partial(analyze, protocol, rows, Path(folder) / "out"),
                           args.repeats)
        print(f"{size:>12} {baseline:>13.3f} {core:>15.3f} {full:>17.3f} "
              f"{full / baseline:>16.1f}")
    return 0


def _derive_and_run(protocol, rows) -> None:
    from trialkit.core.adam import derive
    from trialkit.core.reporting.runner import run_all

    run_all(protocol, derive(protocol, rows))


def _prepared(protocol, datasets):
    """Each analysis's method with the exact inputs and parameters the runner gives it."""
    from trialkit.core.analysis.catalogue import method
    from trialkit.core.reporting import runner

    found = []
    for endpoint in protocol.endpoints:
        for analysis in endpoint.analyses:
            chosen = method(analysis.method)
            flag = next(s.flag for s in protocol.analysis_data.sets
                        if s.id == analysis.analysis_set)
            data = runner._records(analysis, datasets.tables[analysis.dataset], flag)
            inputs = {"data": data}
            if chosen.inputs == runner.SAFETY:
                adsl = datasets.tables["ADSL"]
                inputs = {"subjects": adsl.where(adsl.text(flag) == "Y"), "events": data}
            parameters = runner._parameters(protocol, analysis, chosen, inputs, False)
            found.append((chosen, inputs, parameters))
    return found


def _raw_methods(prepared) -> None:
    for chosen, inputs, parameters in prepared:
        # ValueError: the same data the runner reports as not estimable
        with contextlib.suppress(ValueError):
            chosen.run(inputs, parameters)


def _median(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
