"""Running a protocol's declared analyses and describing their results, framework-free.

``runner.run_all`` gives every endpoint's outcomes as plain data; ``display.tables_of`` turns
an outcome into display tables; ``stamp.Stamp`` is what every output carries. Writing files
(HTML, figures, RTF, datasets) is ``trialkit.reports``.
"""
