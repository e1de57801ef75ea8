"""ClinicalTrials.gov records both ways: export a protocol as an API v2 study record, and import
an API v2 (JSON) or classic (XML) record as a protocol skeleton. See docs/registry.md."""

from trialkit.interop.ctgov.errors import RecordError
from trialkit.interop.ctgov.export import study_json, study_record
from trialkit.interop.ctgov.import_json import read_record
from trialkit.interop.ctgov.schema import study_errors
from trialkit.interop.ctgov.skeleton import skeleton_from_study, skeleton_yaml

__all__ = ["RecordError", "read_record", "skeleton_from_study", "skeleton_yaml", "study_errors",
           "study_json", "study_record"]
