"""Results name visits by their ids (AVISIT ``M3``); displayed tables use the protocol's names."""

from trialkit.core.reporting.display import DisplayTable, named, tables_of


def test_codes_in_cells_and_titles_take_their_names_as_whole_words():
    table = DisplayTable("Change at M12", ("Group", "Visit"),
                         (("POOLED", "M3"), ("A − B at M12", "M12"), ("M30", "xM3")))
    shown = named(table, {"M3": "Month 3", "M12": "Month 12"})
    assert shown.title == "Change at Month 12"
    assert shown.rows == (("POOLED", "Month 3"), ("A − B at Month 12", "Month 12"),
                          ("M30", "xM3"))
    assert shown.header == table.header
    assert named(table, {}) is table


def test_a_summarys_visit_column_is_named():
    outcome = {"decimals": 1, "result": {"type": "SummaryResult", "variable": "CHG", "rows": [
        {"group": "POOLED", "visit": "M3", "n": 2, "mean": 0.5, "sd": 0.1, "median": 0.5,
         "q1": 0.4, "q3": 0.6, "minimum": 0.4, "maximum": 0.6}]}}
    assert tables_of(outcome)[0].rows[0][1] == "M3"
    assert tables_of(outcome, {"M3": "Month 3"})[0].rows[0][1] == "Month 3"
