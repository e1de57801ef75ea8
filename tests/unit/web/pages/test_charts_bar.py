"""The bar chart and the step chart are well-formed SVG that a screen reader can read: a
title and a description saying every number, bars whose lengths follow the counts, and no
markup smuggled in through a label."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from trialkit.web.pages.charts_bar import Series, bar_chart, describe, nice_scale
from trialkit.web.pages.charts_step import RunningTotal, Target, step_chart

SVG = "{http://www.w3.org/2000/svg}"


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _bars(root: ET.Element) -> list[ET.Element]:
    """The bar segments (the legend's squares are 12 high, bars 18)."""
    return [r for r in root.iter(f"{SVG}rect") if r.get("height") == "18"]


def test_a_bar_chart_is_an_image_titled_and_described_with_every_number():
    svg = bar_chart(["Screened", "Eligible", "Enrolled"],
                    [Series("Participants", (12, 9, 4))], title="Screening funnel",
                    ident="funnel")
    root = _tree(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "funnel-t funnel-d"
    assert root.find(f"{SVG}title").text == "Screening funnel"
    assert root.find(f"{SVG}desc").text == "Screened: 12; Eligible: 9; Enrolled: 4"


def test_bar_lengths_are_proportional_to_the_counts():
    root = _tree(bar_chart(["a", "b", "c"], [Series("n", (10, 5, 0))], title="t", ident="x"))
    widths = [float(r.get("width")) for r in _bars(root)]
    assert len(widths) == 2  # a zero draws no bar
    assert widths[0] == pytest.approx(2 * widths[1])
    totals = [t.text for t in root.iter(f"{SVG}text") if t.text in ("10", "5", "0")]
    assert {"10", "5", "0"} <= set(totals)


def test_stacked_series_sit_end_to_end_and_each_segment_names_its_count():
    root = _tree(bar_chart(["Grade 1: Mild", "Grade 2: Moderate"], [
        Series("Serious", (1, 0), "#a4161a"), Series("Not serious", (3, 2), "#0072b2")],
        title="Adverse events by grade", ident="ae"))
    bars = _bars(root)
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "Grade 1: Mild: Serious 1", "Grade 1: Mild: Not serious 3",
        "Grade 2: Moderate: Not serious 2"]
    first, second = bars[0], bars[1]
    assert float(first.get("x")) + float(first.get("width")) == pytest.approx(
        float(second.get("x")), abs=0.11)
    assert [b.get("fill") for b in bars] == ["#a4161a", "#0072b2", "#0072b2"]
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "Serious" in legend and "Not serious" in legend
    assert root.find(f"{SVG}desc").text == ("Grade 1: Mild: Serious 1, Not serious 3 (total 4); "
                                            "Grade 2: Moderate: Serious 0, Not serious 2 "
                                            "(total 2)")


def test_labels_are_escaped_and_long_ones_wrap_at_spaces_never_shortened():
    long = "Day 0 (infusion <with> a very long name & more words)"
    svg = bar_chart([long, "Short"], [Series("n", (1, 2))], title="A & B", ident="v")
    root = _tree(svg)  # parses: nothing unescaped
    labels = [t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}tspan") is not None]
    lines = [[s.text for s in t.iter(f"{SVG}tspan")] for t in labels]
    assert len(lines[0]) > 1 and " ".join(lines[0]) == long
    assert lines[1] == ["Short"]
    assert "<with>" not in svg
    rows = [float(r.get("y")) for r in _bars(root)]
    assert rows[1] - rows[0] > 28  # the wrapped label's row is taller


def test_a_chart_with_no_categories_still_draws_and_says_so():
    root = _tree(bar_chart([], [Series("n", ())], title="Nothing", ident="e"))
    assert root.find(f"{SVG}desc").text == "nothing to show yet"
    assert describe([], [Series("n", ())]) == "nothing to show yet"


@pytest.mark.parametrize(("values", "problem"), [
    ([], "at least one series"), ([Series("n", (1, 2))], "one value per category"),
    ([Series("n", (-1,))], "not negative")])
def test_a_bar_chart_refuses_what_it_cannot_draw(values, problem):
    with pytest.raises(ValueError, match=problem):
        bar_chart(["a"], values, title="t", ident="x")


@pytest.mark.parametrize(("largest", "scale"), [
    (0, (1, 1)), (1, (1, 1)), (4, (4, 1)), (7, (8, 2)), (41, (50, 10)), (120, (150, 50)),
    (1000, (1000, 200))])
def test_the_scale_ends_on_a_round_number_in_at_most_five_steps(largest, scale):
    top, step = nice_scale(largest)
    assert (top, step) == scale
    assert top >= largest and top // step <= 5


def test_a_step_chart_draws_running_totals_against_dashed_targets_with_iso_dates():
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 1)
    enrolled = RunningTotal("Enrolled", ((dt.date(2025, 1, 10), 1), (dt.date(2025, 2, 1), 3)))
    svg = step_chart([enrolled], [Target("Planned enrolment", 20)], title="Enrolment",
                     ident="enrol", start=start, end=end)
    root = _tree(svg)
    assert root.get("aria-labelledby") == "enrol-t enrol-d"
    assert root.find(f"{SVG}desc").text == ("Enrolled: 3 by 2025-03-01, first on 2025-01-10; "
                                            "Planned enrolment: 20")
    path = next(root.iter(f"{SVG}path")).get("d")
    assert len(re.findall(r"V", path)) == 2  # one step up per day someone joined
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1
    dates = [t.text for t in root.iter(f"{SVG}text") if t.text and re.fullmatch(
        r"\d{4}-\d{2}-\d{2}", t.text)]
    assert dates[0] == "2025-01-01" and dates[-1] == "2025-03-01"


def test_a_step_chart_refuses_to_end_before_it_starts():
    with pytest.raises(ValueError, match="ends before"):
        step_chart([], [], title="t", ident="s", start=dt.date(2025, 2, 1),
                   end=dt.date(2025, 1, 1))
