"""CDISC ODM 1.3.2: the study's metadata and its clinical data out, another EDC's study in.

``write_metadata`` writes the protocol's forms (no data); ``write_snapshot`` and
``write_transactional`` add the participants' data read for one actor as of one day (the
latest versions, or every version with its audit record and signatures); ``problems`` checks a
file against the official schema; ``read_study`` turns an ODM study from another system into
protocol form definitions (``skeleton_yaml``). Registered as exports in
``trialkit.interop.exports.odm``.
"""

from trialkit.interop.odm.clinical import OdmExportError
from trialkit.interop.odm.files import write_metadata, write_snapshot, write_transactional
from trialkit.interop.odm.reader import OdmImportError, read_study
from trialkit.interop.odm.skeleton import skeleton_yaml
from trialkit.interop.odm.validate import problems

__all__ = ["OdmExportError", "OdmImportError", "problems", "read_study", "skeleton_yaml",
           "write_metadata", "write_snapshot", "write_transactional"]
