"""EDSS worsening: +1.0 from a baseline ≤ 5.0, +0.5 from a baseline ≥ 5.5, within the window."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

WORSENED = n.EdssWorsening(n.Window(months=24))


def scores(pid: str, *pairs: tuple[str, float]) -> object:
    return patient(pid, edss=[{"date": day, "score": score} for day, score in pairs])


def test_the_threshold_depends_on_the_baseline(engine: Engine) -> None:
    check_table(engine, WORSENED, [
        (scores("low_plus_1", ("2025-01-01", 5.0), ("2026-11-01", 6.0)), "met"),
        (scores("low_plus_half", ("2025-01-01", 5.0), ("2026-11-01", 5.5)), "not_met"),
        (scores("high_plus_half", ("2025-01-01", 5.5), ("2026-11-01", 6.0)), "met"),
        (scores("high_flat", ("2025-01-01", 6.0), ("2026-11-01", 6.0)), "not_met"),
    ])


def test_the_baseline_is_the_earliest_score_inside_the_window(engine: Engine) -> None:
    check_table(engine, WORSENED, [
        (scores("old_low_ignored", ("2024-01-01", 2.0), ("2025-01-01", 4.0),
                ("2026-11-01", 4.5)), "not_met"),
        (scores("in_window", ("2025-01-01", 2.0), ("2026-11-01", 3.0)), "met"),
    ])


def test_one_score_cannot_show_worsening(engine: Engine) -> None:
    check_table(engine, WORSENED, [
        (scores("single", ("2026-11-01", 6.0)), "unknown"),
        (patient("none"), "unknown"),
    ])
