"""REDCap data dictionaries: a protocol's forms out, and a site's REDCap project in.

``dictionary_csv`` writes the forms as the CSV REDCap's "Data Dictionary" page uploads;
``import_dictionary`` reads such a CSV (written by trialkit or by any REDCap project) into the
protocol's ``forms`` and ``codelists`` sections, refusing a malformed one with problems that name
the row and the column; ``dictionary_problems`` is the export's validator.
"""

from trialkit.interop.redcap.checking import dictionary_problems
from trialkit.interop.redcap.dictionary import dictionary_csv
from trialkit.interop.redcap.importing import Imported, import_dictionary
from trialkit.interop.redcap.reading import DictionaryError, Problem

__all__ = ["DictionaryError", "Imported", "Problem", "dictionary_csv", "dictionary_problems",
           "import_dictionary"]
