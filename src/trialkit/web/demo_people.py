"""Who takes part in the demo and what happens to them (see trialkit.web.demo).

A ``Profile`` is one participant's story: screening facts, Functional System scores over the
visits, visits seen late or not yet, and events (adverse events, a relapse, queries) dated
from a dose. Events act through ``DemoTrial``, i.e. through the actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialkit.web import demo_data as data

if TYPE_CHECKING:
    from trialkit.web.demo_trial import DemoTrial
    from trialkit.web.trial.models import Participant

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Event:
    after_days: int
    """Days after the dose it is attached to."""
    run: Callable[[DemoTrial, Participant], object]


@dataclass(frozen=True)
class Profile:
    key: str
    sex: str
    birth_year: int
    course: str
    fs: tuple[int, ...]
    """Functional System scores and ambulation at screening (see demo_data.FS_ITEMS)."""
    changes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Visit id → scores from that visit on."""
    rated: Mapping[str, float] = field(default_factory=dict)
    """Visit id → an EDSS the rater entered that differs from the computed one."""
    late: Mapping[str, int] = field(default_factory=dict)
    """Visit id → days after the target date the visit took place."""
    skipped: frozenset[str] = frozenset()
    """Visits not (yet) seen: overdue or missed on the dashboard."""
    relapse_reviews: frozenset[str] = frozenset()
    """Visits whose relapse review answers yes."""
    events: Mapping[str, tuple[Event, ...]] = field(default_factory=dict)
    """Administration id → events dated from it."""
    pregnant: bool = False

    def fs_at(self, visit_id: str) -> tuple[int, ...]:
        order = [v for v in ("D0", "W4PIT", "M3", "M6", "M9", "M12") if v in self.changes]
        scores = self.fs
        for visit in ("D0", "W4PIT", "M3", "M6", "M9", "M12"):
            if visit in order:
                scores = self.changes[visit]
            if visit == visit_id:
                break
        return scores


def _adverse_event(term: str, grade: int, *, lasts: int | None, role: str = "investigator",
                   serious: bool = False, report: bool = False,
                   **extra: Any) -> Callable[[DemoTrial, Participant], object]:
    """An AE reported today with onset yesterday; it resolves ``lasts`` days later."""

    def run(trial: DemoTrial, participant: Participant) -> object:
        onset = trial.today - DAY
        values = data.adverse_event(term, onset, grade=grade, serious=serious, **extra)
        record = trial.save(participant, "AE", "", values, role)
        if report:
            trial.at(trial.today + DAY, 8, lambda: trial.report_serious(record))
        if lasts is not None:
            end = onset + lasts * DAY
            trial.at(end + DAY, 11, lambda: trial.save(
                participant, "AE", "", {**values, "end_date": end.isoformat(),
                                        "outcome": "recovered"}, role,
                reason="Event resolved; end date and outcome added",
                repeat_index=record.repeat_index))
            trial.at(end + 3 * DAY, 16, lambda: trial.sign(record))
        return record

    return run


def _relapse(trial: DemoTrial, participant: Participant) -> object:
    return trial.save(participant, "RELAPSE", "", data.relapse(
        trial.today - 2 * DAY, "Gait ataxia and left-hand numbness over three days"))


def _alt_query(trial: DemoTrial, participant: Participant) -> object:
    query = trial.raise_query(participant, "LAB", "W4PIT", "alt", "ALT is above the upper "
                              "limit of normal; please confirm the value against the lab report.")
    trial.at(trial.today + 2 * DAY, 14, lambda: trial.answer(
        query, "Confirmed against the laboratory report; repeat sample scheduled at M3."))
    trial.at(trial.today + 3 * DAY, 10, lambda: trial.close(query))
    return query


def _vitals_query(trial: DemoTrial, participant: Participant) -> object:
    return trial.raise_query(participant, "VS", "D0", "temperature", "Post-dose temperature "
                             "was taken at 12:30; the protocol asks for 30 minutes after the "
                             "end of infusion. Please confirm the time.", role="monitor")


def _birth_date_query(trial: DemoTrial, participant: Participant) -> object:
    return trial.raise_query(participant, "DM", "SCR", "birth_date", "The date of birth "
                             "differs from the one on the consent form copy; please check.")


def _answer_edss_query(trial: DemoTrial, participant: Participant) -> object:
    query = participant.forms.get(form_id="EDSS", visit_id="D0").queries.get()
    trial.answer(query, "Rater re-examined ambulation: the EDSS reflects the walking range "
                 "observed; Functional System scores to be re-checked by the rater.",
                 role="edss_rater")
    return query


FS = {"mild": (2, 1, 1, 1, 0, 0, 0, 0), "moderate": (3, 2, 1, 2, 1, 0, 1, 0),
      "walking": (3, 2, 2, 2, 1, 1, 1, 3), "better": (2, 1, 1, 2, 1, 0, 1, 0),
      "relapse": (3, 3, 2, 2, 1, 0, 1, 3)}

PHASE1 = (
    Profile("p1-1", "female", 1986, "RRMS", FS["moderate"], changes={"M6": FS["better"]},
            late={"M12": 1}),
    Profile("p1-2", "male", 1979, "RRMS", FS["moderate"], changes={"M6": FS["relapse"],
                                                                   "M9": FS["moderate"]},
            relapse_reviews=frozenset({"M6"}), late={"M12": 0},
            events={"it": (Event(1, _adverse_event(
                "Post-lumbar puncture headache", 2, lasts=5, relation_procedure="probable")),),
                "iv": (Event(190, _relapse),)}),
    Profile("p1-3", "female", 1990, "RRMS", FS["mild"], late={"M6": 20}),
    Profile("p1-4", "male", 1983, "SPMS", FS["walking"], events={"it": (Event(1, _adverse_event(
        "Back pain at the puncture site", 1, lasts=3, relation_procedure="definite")),)}),
    Profile("p1-5", "female", 1988, "RRMS", FS["moderate"],
            events={"iv": (Event(40, _vitals_query),)}),
    Profile("p1-6", "female", 1981, "SPMS", FS["walking"], changes={"M3": FS["moderate"]}),
)

PHASE2A = (
    Profile("p2-01", "female", 1987, "RRMS", FS["moderate"], events={"iv": (Event(
        1, _adverse_event("Infusion-related reaction", 1, lasts=1, relation_procedure=
                          "not_related")),)}),
    Profile("p2-02", "male", 1984, "SPMS", FS["walking"]),
    Profile("p2-03", "female", 1992, "RRMS", FS["mild"], events={"it": (Event(
        2, _adverse_event("Aseptic meningitis", 3, lasts=7, serious=True, report=True,
                          relation_procedure="possible", hospitalisation=True)),)}),
    Profile("p2-04", "female", 1985, "RRMS", FS["moderate"],
            events={"iv": (Event(60, _alt_query),)}),
    Profile("p2-05", "male", 1980, "SPMS", FS["walking"], skipped=frozenset({"M3"})),
    Profile("p2-06", "female", 1991, "RRMS", FS["mild"], events={"iv": (Event(
        100, _adverse_event("Urinary tract infection", 2, lasts=None, role="coordinator")),)}),
    Profile("p2-07", "female", 1989, "RRMS", FS["moderate"], rated={"D0": 4.0},
            events={"iv": (Event(3, _answer_edss_query),)}),
    Profile("p2-08", "male", 1982, "RRMS", FS["moderate"]),
    Profile("p2-09", "female", 1978, "SPMS", FS["walking"],
            events={"iv": (Event(20, _birth_date_query),)}),
    Profile("p2-10", "female", 1993, "RRMS", FS["mild"]),
    Profile("p2-11", "male", 1986, "RRMS", FS["moderate"]),
    Profile("p2-12", "female", 1987, "RRMS", FS["moderate"], rated={"D0": 3.0}),
)

FAILURE = Profile("fail", "female", 1994, "RRMS", FS["mild"], pregnant=True)
AWAITING = Profile("awaiting", "male", 1988, "SPMS", FS["walking"])
IN_SCREENING = Profile("screening", "female", 1990, "RRMS", FS["mild"])
SERIOUS_NOW = _adverse_event("Pyelonephritis", 3, lasts=None, role="coordinator",
                             serious=True, hospitalisation=True)
"""Reported at the real present by the demo, so its 24-hour clock is running."""
