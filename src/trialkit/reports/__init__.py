"""Reports of a trial's analyses: the HTML report with its figures, RTF tables, and the
orchestration of ``trialkit analyze`` (``analyze.analyze``). Reads core results and writes
files; knows nothing of Django (the rows come from ``trialkit.web.trial.analysis_source``)."""
