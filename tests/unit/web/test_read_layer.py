"""The site scope is written once (docs/adr/0011-read-layer.md): no module but the scope, the
actor's own check and the kernel's site guard reads ``site_ids`` to filter rows."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "trialkit"
ALLOWED = {
    "web/trial/scope.py",  # the primitive itself
    "web/trial/actions/base.py",  # Actor: holds the sites, require_site
    "web/trial/actions/kernel.py",  # Guard.SITE calls require_site
    "web/trial/actions/accounts.py",  # makes actors
    "web/api/accounts.py",  # reports the signed-in actor's own sites ("who am I")
}


def _uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "site_ids"]


def test_only_the_scope_filters_rows_by_the_actors_sites():
    offenders = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).as_posix()
        if relative in ALLOWED:
            continue
        lines = _uses(path)
        if lines:
            offenders[relative] = lines
    assert offenders == {}, "use trialkit.web.trial.scope.in_scope instead"


# Views parse, call a reader or an action, and render (ADR 0011): no view module builds a query.
QUERYSET_CALLS = {"objects", "filter", "exclude", "select_related", "prefetch_related",
                  "values_list", "aggregate", "annotate", "order_by"}
VIEWS_STILL_QUERYING: set[str] = set()  # none left: every page reads through a reader


def _queries(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted({node.lineno for node in ast.walk(tree)
                   if isinstance(node, ast.Attribute) and node.attr in QUERYSET_CALLS})


def test_no_view_module_queries_the_database_itself():
    offenders = {}
    for path in (SRC / "web" / "pages").glob("views_*.py"):
        relative = path.relative_to(SRC).as_posix()
        if relative not in VIEWS_STILL_QUERYING and (lines := _queries(path)):
            offenders[relative] = lines
    assert offenders == {}, "read through a reader (pages/readers.py and its siblings)"


def test_the_views_rule_would_notice_a_query(tmp_path):
    view = tmp_path / "views_example.py"
    view.write_text("def listing(request, participant):\n"
                    "    return participant.administrations.order_by('given_at')\n")
    assert _queries(view) == [2]
