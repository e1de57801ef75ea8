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
