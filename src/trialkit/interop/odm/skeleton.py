"""An imported ODM study as a protocol skeleton: YAML for the ``forms``, ``codelists`` and
``schedule.visits`` of a protocol file, checked with the protocol's own models.

ODM does not say what a form is for or who enters it, nor on which study day a visit falls:
every form gets ``kind: other`` and the given roles, and scheduled visits get their order as a
placeholder day (unless the file gives a day offset, as REDCap does). The header lists these
and everything else to review.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from trialkit.core.protocol.forms import CodeList, Form
from trialkit.core.protocol.schedule import Visit
from trialkit.interop.odm.parse import OdmImportError
from trialkit.interop.odm.study import Study

DEFAULT_ENTERED_BY = ("coordinator", "investigator")


def skeleton(study: Study, entered_by: Sequence[str] = DEFAULT_ENTERED_BY) -> dict[str, Any]:
    """The protocol sections, each checked by its model (a skeleton the loader would refuse
    is refused here, naming the element)."""
    forms = [{"id": f["id"], "name": f["name"], "kind": "other",
              "entered_by": list(entered_by), **{k: v for k, v in f.items()
                                                 if k not in ("id", "name")}}
             for f in study.forms]
    for what, model, entries in (("form", Form, forms), ("codelist", CodeList, study.codelists),
                                 ("visit", Visit, study.visits)):
        for entry in entries:
            try:
                model.model_validate(entry)
            except ValidationError as exc:
                first = exc.errors()[0]
                place = ".".join(str(p) for p in first["loc"])
                raise OdmImportError(f"{what} {entry.get('id')!r}: {place}: {first['msg']}") \
                    from None
    return {"forms": forms, "codelists": study.codelists, "schedule": {"visits": study.visits}}


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the protocol's order."""


def skeleton_yaml(study: Study, *, source: str,
                  entered_by: Sequence[str] = DEFAULT_ENTERED_BY) -> str:
    data = skeleton(study, entered_by)
    review = [
        "every form has kind: other; set each form's kind (adverse_event, assessment, ...)",
        f"every form is entered by {', '.join(entered_by)}; use the protocol's roles",
        "scheduled visits (but those with a REDCap day offset) have their order as day; set "
        "each visit's study day and window",
        "merge forms and codelists into the protocol; the visits replace or extend its schedule",
        *study.notes,
    ]
    header = [f"# Protocol forms imported from the CDISC ODM file {source} by trialkit.",
              "# Review before use:", *(f"#  - {line}" for line in review), ""]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + body
