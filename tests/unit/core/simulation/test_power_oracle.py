"""The whole simulated trial against the analytic answer where one is known: the EDSS ANCOVA
of a trial whose disability change is normal (SD 0.6) and independent of the baseline has
the two-sample t test's power, and its type I error is nominal (issue 13, "Proof")."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.core.simulation.conftest import only, quiet, reference_raw, scenarios_of
from trialkit.core.protocol import Protocol, parse_protocol
from trialkit.core.simulation.runner import prepare_all, run_local, summarise_all

TRIALS = 800
SD = 0.6
M12_DAYS_RMS = float(np.sqrt(393**2 + (29**2 - 1) / 12))
"""Root mean square of the month-12 study day, uniform on 393 ± 14."""


def continuous_scale_protocol() -> Protocol:
    """The reference protocol with the disability score on a continuous 0-10 scale (the
    t test's normal responses are not rounded to half points)."""
    data: dict[str, Any] = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    table = next(t for t in data["record"]["tables"] if t["id"] == "edss")
    for column in table["columns"]:
        if column["id"] == "score":
            del column["allowed"]
            column.update(minimum=0.0, maximum=10.0)
    return parse_protocol(yaml.safe_dump(data))


def oracle_scenarios(effects: list[float]):
    raw = only(quiet(reference_raw()), "edss_change")
    # Slope spread such that the month-12 change has SD 0.6; the effect complete by then.
    raw["population"]["disability_slope_sd"]["value"] = SD / (M12_DAYS_RMS / 365.25)
    raw["effects"]["full_effect_day"]["value"] = 370
    raw["scenarios"] = [{"id": "oracle", "description": "t-test oracle", "grid": [
        {"parameter": "effects.disability_change", "values": effects, "source": "what-if"}]}]
    return scenarios_of(raw)


@pytest.fixture(scope="module")
def oracle():
    protocol = continuous_scale_protocol()
    setups = prepare_all(protocol, oracle_scenarios([0.0, -0.5]), seed=13, pool_size=300)
    rows = run_local(setups, seed=13, trials=TRIALS, workers=1)
    return summarise_all(setups, rows, seed=13)


def t_test_power(delta: float, sd: float, n1: int, n0: int, alpha: float = 0.05) -> float:
    df = n1 + n0 - 2
    shift = delta / (sd * np.sqrt(1 / n1 + 1 / n0))
    critical = stats.t.isf(alpha / 2, df)
    return float(stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift))


def test_the_analytic_power_of_the_oracle_is_the_published_0_67():
    assert t_test_power(0.5, 0.6, 18, 17) == pytest.approx(0.67, abs=0.005)


def test_the_edss_ancova_has_the_two_sample_t_test_power(oracle):
    power = oracle[1].endpoints[0].rejection
    assert power.value == pytest.approx(t_test_power(0.5, SD, 18, 17), abs=3 * power.mcse)


def test_the_edss_ancova_rejects_a_true_null_at_its_nominal_level(oracle):
    size = oracle[0].endpoints[0].rejection
    assert size.value == pytest.approx(0.05, abs=3 * size.mcse)


def test_the_simulated_change_has_the_sd_the_oracle_assumes(oracle):
    """Empirical SE of the difference = SD × sqrt(1/18 + 1/17) when the data are as stated."""
    se = oracle[0].endpoints[0].empirical_se
    assert se.value == pytest.approx(SD * np.sqrt(1 / 18 + 1 / 17), abs=3 * se.mcse)
