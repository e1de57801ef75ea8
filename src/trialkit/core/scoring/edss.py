"""The Neurostatus EDSS computed from Functional System grades, as an edit check on the rater.

The rater's EDSS is the measurement; this computation catches transcription errors. The steps
and conversions are those of PROTOCOL-NOTES §5 (Kurtzke 1983, Neurology 33:1444, as defined by
the Neurostatus scoring sheet). Published implementations disagree for FS patterns that the
definitions do not name explicitly and that land in 4.0–5.0 ("combinations of lesser grades
exceeding the limits of previous steps"); those results carry ``rater_judgement`` and a band
instead of pretending one answer is the truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from trialkit.core.scoring.checks import EditCheck, ScoringInputError, compare, whole_number
from trialkit.core.wording import Wording, gettext_noop, joined, ngettext, worded

__all__ = [
    "EDSS_SCALE", "JUDGEMENT_BAND", "EdssResult", "FunctionalSystems", "ScoringInputError",
    "check_rater_edss", "edss_from_kurtzke", "edss_value", "kurtzke_ambulation_floor",
    "neurostatus_ambulation_floor", "neurostatus_edss",
]

EDSS_SCALE: tuple[float, ...] = (0.0, *(step / 2 for step in range(2, 21)))
JUDGEMENT_BAND = (4.0, 5.0)
NEUROSTATUS_AMBULATION_MAX = 16
KURTZKE_AMBULATION_MAX = 13

# Raw grade -> grade used for the EDSS step (index = raw grade).
_VISUAL = (0, 1, 2, 2, 3, 3, 4)
_BOWEL_BLADDER = (0, 1, 2, 3, 3, 4, 5)
# Neurostatus ambulation 0-16 -> lowest EDSS that ambulation allows (index = ambulation score).
_NEUROSTATUS_FLOOR = (0.0, 2.0, 4.5, 5.0, 5.5, 6.0, 6.0, 6.0, 6.5, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0,
                      9.5, 10.0)


@dataclass(frozen=True)
class FunctionalSystems:
    """The seven FS grades as the rater enters them (visual and bowel/bladder raw)."""

    pyramidal: int
    cerebellar: int
    brainstem: int
    sensory: int
    bowel_bladder: int
    visual: int
    cerebral: int

    def __post_init__(self) -> None:
        for field in fields(self):
            value = whole_number(getattr(self, field.name), field.name, 0, _FS_MAX[field.name])
            object.__setattr__(self, field.name, value)

    @classmethod
    def from_entered(cls, grades: Mapping[str, object]) -> FunctionalSystems:
        """From entered values keyed by FS name, validated like the constructor."""
        valid = {field.name: whole_number(grades.get(field.name), field.name, 0,
                                          _FS_MAX[field.name]) for field in fields(cls)}
        return cls(**valid)

    def converted(self) -> dict[str, int]:
        """Grades on the common 0-6 footing the EDSS steps are defined on."""
        grades = {field.name: int(getattr(self, field.name)) for field in fields(self)}
        grades["visual"] = _VISUAL[self.visual]
        grades["bowel_bladder"] = _BOWEL_BLADDER[self.bowel_bladder]
        # Cerebral grade 1 (mood alteration only) does not count towards the EDSS.
        grades["cerebral"] = 0 if self.cerebral == 1 else self.cerebral
        return grades


_FS_MAX = {"pyramidal": 6, "cerebellar": 5, "brainstem": 5, "sensory": 6, "bowel_bladder": 6,
           "visual": 6, "cerebral": 5}


@dataclass(frozen=True)
class EdssResult:
    score: float
    decided_by: Wording
    """The rule that decided the score: an FS step rule or the ambulation floor."""
    said: Wording
    """How the score was reached, as a catalogue template (read in the reader's language)."""
    rater_judgement: bool
    judgement_band: tuple[float, float] | None
    """With ``rater_judgement``: the range of values published algorithms give."""
    fs_score: float
    ambulation_floor: float

    @property
    def rule(self) -> str:
        return self.decided_by.text

    @property
    def explanation(self) -> str:
        return self.said.text


@dataclass(frozen=True)
class _Step:
    score: float
    rule: Wording
    judgement: bool = False


def _rule(text: str) -> Wording:
    """A step rule without values; ``text`` must be a ``gettext_noop`` literal."""
    return Wording(text)


# The Functional Systems as the explanation names them.
_FS_NAMES = {"pyramidal": gettext_noop("pyramidal"), "cerebellar": gettext_noop("cerebellar"),
             "brainstem": gettext_noop("brainstem"), "sensory": gettext_noop("sensory"),
             "bowel_bladder": gettext_noop("bowel and bladder"),
             "visual": gettext_noop("visual"), "cerebral": gettext_noop("cerebral")}


def neurostatus_ambulation_floor(ambulation: object) -> float:
    """The lowest EDSS a Neurostatus ambulation score (0-16) allows."""
    score = whole_number(ambulation, "ambulation", 0, NEUROSTATUS_AMBULATION_MAX)
    return _NEUROSTATUS_FLOOR[score]


def kurtzke_ambulation_floor(ambulation: object) -> float:
    """The lowest EDSS a Kurtzke ambulation grade (0-13: 1 -> 4.0, then +0.5 a grade) allows."""
    grade = whole_number(ambulation, "ambulation", 0, KURTZKE_AMBULATION_MAX)
    return 0.0 if grade == 0 else 3.5 + grade / 2


def neurostatus_edss(fs: FunctionalSystems, ambulation: object) -> EdssResult:
    score = whole_number(ambulation, "ambulation", 0, NEUROSTATUS_AMBULATION_MAX)
    return _combine(fs, _NEUROSTATUS_FLOOR[score],
                    worded(gettext_noop("Neurostatus ambulation %(score)s"), score=score))


def edss_from_kurtzke(fs: FunctionalSystems, ambulation: object) -> EdssResult:
    """The EDSS for data that codes ambulation on the Kurtzke 0-13 scale (e.g. MSBase exports)."""
    grade = whole_number(ambulation, "ambulation", 0, KURTZKE_AMBULATION_MAX)
    return _combine(fs, kurtzke_ambulation_floor(grade),
                    worded(gettext_noop("Kurtzke ambulation %(grade)s"), grade=grade))


def edss_value(value: object, field: str = "score") -> float:
    """A score on the EDSS scale (0, 1.0-10.0 in steps of 0.5), else a ScoringInputError."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScoringInputError(field, f"must be an EDSS score, got {value!r}")
    if float(value) not in EDSS_SCALE:
        raise ScoringInputError(field, f"{value!r} is not on the EDSS scale "
                                       "(0, 1.0-10.0 in steps of 0.5)")
    return float(value)


def check_rater_edss(rater: object, computed: EdssResult) -> EditCheck:
    """The rater's EDSS against the computed one.

    Equal: agree. Different, but the FS pattern is one where published algorithms disagree and
    the rater's value lies in their band: rater judgement, reported as a note and no query (the
    rater saw the patient walk; the algorithm did not). Anything else: disagree, open a query.
    """
    entered = edss_value(rater, "edss (rater)")
    return compare(entered, computed.score, computed.judgement_band,
                   Wording(gettext_noop("Rater EDSS")), ".1f")


def _combine(fs: FunctionalSystems, floor: float, ambulation_label: Wording) -> EdssResult:
    grades = fs.converted()
    step = _fs_step(list(grades.values()))
    score = max(step.score, floor)
    by_floor = floor > step.score
    judgement = step.judgement and floor < JUDGEMENT_BAND[1]
    band = (max(JUDGEMENT_BAND[0], floor), JUDGEMENT_BAND[1]) if judgement else None
    rule = (worded(gettext_noop("%(ambulation)s sets the floor %(floor)s"),
                   ambulation=ambulation_label, floor=f"{floor:.1f}") if by_floor else step.rule)
    shown = joined([worded(gettext_noop("%(system)s %(grade)s"),
                           system=Wording(_FS_NAMES[name]), grade=grade)
                    for name, grade in grades.items()], gettext_noop("%(first)s, %(rest)s"))
    floor_text = (worded(gettext_noop("%(ambulation)s sets the floor %(floor)s"),
                         ambulation=ambulation_label, floor=f"{floor:.1f}") if floor
                  else worded(gettext_noop("%(ambulation)s sets no floor"),
                              ambulation=ambulation_label))
    said = worded(gettext_noop("FS grades for the EDSS: %(grades)s. FS step %(step)s (%(rule)s); "
                               "%(floor)s; EDSS %(score)s, decided by: %(decided)s."),
                  grades=shown, step=f"{step.score:.1f}", rule=step.rule, floor=floor_text,
                  score=f"{score:.1f}", decided=rule)
    if band is not None:
        said = worded(gettext_noop("%(explanation)s Rater judgement: published algorithms give "
                                   "%(low)s–%(high)s for this pattern."),
                      explanation=said, low=f"{band[0]:.1f}", high=f"{band[1]:.1f}")
    return EdssResult(score=score, decided_by=rule, said=said, rater_judgement=judgement,
                      judgement_band=band, fs_score=step.score, ambulation_floor=floor)


def _fs_step(grades: Sequence[int]) -> _Step:
    count = Counter(grades)
    if max(grades) >= 5:
        return _Step(5.0, _rule(gettext_noop("an FS grade of 5 or more")))
    if count[4] >= 2:
        return _Step(5.0, _rule(gettext_noop("two or more FS grades of 4")))
    if count[3] >= 6:
        return _Step(5.0, _rule(gettext_noop("six or seven FS grades of 3")))
    if count[4] == 1:
        return _with_one_four(count[3], count[2])
    if count[3] >= 1:
        return _with_threes(count[3], count[2])
    return _twos_and_ones(count[2], count[1])


def _with_one_four(threes: int, twos: int) -> _Step:
    if threes == 0 and twos == 0:
        return _Step(4.0, _rule(gettext_noop("one FS grade of 4, others 0 or 1")))
    if threes <= 2 and twos == 0:
        return _Step(4.5, _rule(gettext_noop("one FS grade of 4 with one or two grades of 3")))
    if threes == 0:
        return _Step(4.0, worded(gettext_noop(
            "one FS grade of 4 with %(twos)s of 2, a combination exceeding 3.5"), twos=twos),
            judgement=True)
    return _Step(4.5, worded(gettext_noop(
        "one FS grade of 4 with %(threes)s of 3 and %(twos)s of 2, a combination exceeding one 4 "
        "with one or two 3"), threes=threes, twos=twos), judgement=True)


def _with_threes(threes: int, twos: int) -> _Step:
    if threes == 5:
        if twos == 0:
            return _Step(4.5, _rule(gettext_noop("five FS grades of 3")))
        return _Step(4.5, worded(gettext_noop(
            "five FS grades of 3 with %(twos)s of 2, a combination exceeding five grades of 3"),
            twos=twos), judgement=True)
    if threes == 1 and twos == 0:
        return _Step(3.0, _rule(gettext_noop("one FS grade of 3, others 0 or 1")))
    if threes == 1 and twos <= 2:
        return _Step(3.5, _rule(gettext_noop("one FS grade of 3 with one or two grades of 2")))
    if threes == 2 and twos == 0:
        return _Step(3.5, _rule(gettext_noop("two FS grades of 3, others 0 or 1")))
    return _Step(4.0, worded(gettext_noop(
        "%(threes)s FS grades of 3 with %(twos)s of 2, a combination exceeding 3.5"),
        threes=threes, twos=twos), judgement=True)


def _twos_and_ones(twos: int, ones: int) -> _Step:
    if twos == 0:
        if ones == 0:
            return _Step(0.0, _rule(gettext_noop("all FS grades 0")))
        return (_Step(1.0, _rule(gettext_noop("one FS grade of 1"))) if ones == 1
                else _Step(1.5, _rule(gettext_noop("two or more FS grades of 1"))))
    steps = {1: 2.0, 2: 2.5, 3: 3.0, 4: 3.0, 5: 3.5, 6: 4.0, 7: 4.0}
    return _Step(steps[twos], ngettext("%(count)s FS grade of 2, others 0 or 1",
                                       "%(count)s FS grades of 2, others 0 or 1", twos))
