"""Data the data-capture tests share: participants and realistic form submissions."""

from __future__ import annotations

from django.utils import timezone

from trialkit.web.trial.models import Participant, Site, Study

FS_ITEMS = ("fs_pyramidal", "fs_cerebellar", "fs_brainstem", "fs_sensory", "fs_bowel_bladder",
            "fs_visual", "fs_cerebral", "ambulation")


def new_participant(number: str = "S-001", site: str = "CMUH") -> Participant:
    """A screened candidate; registration itself is the participant journey's action."""
    site_row, _ = Site.objects.get_or_create(code=site, defaults={
        "name": site, "country": "Taiwan", "status": "RECRUITING"})
    return Participant.objects.create(study=Study.objects.get(is_current=True), site=site_row,
                                      screening_number=number, enrolled_at=timezone.now())


def edss(grades: tuple[int, ...], rater: object, day: str = "2025-03-10") -> dict[str, object]:
    return {"assessment_date": day, **dict(zip(FS_ITEMS, grades, strict=True)), "edss": rater}


def adverse_event(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "term": "Post-lumbar puncture headache", "onset_date": "2025-03-01", "ctcae_grade": 2,
        "serious": False, "relation_iv": "unlikely", "relation_it": "possible",
        "relation_procedure": "probable", "relation_study": "probable", "action": "none",
        "outcome": "recovering"}
    data.update(changes)
    return data


VITALS = {"measured_at": "2025-03-10T09:00:00+08:00", "systolic_bp": 122, "diastolic_bp": 78,
          "heart_rate": 70, "temperature": 36.7}
