"""What `trialkit web check` verifies before a site goes live (docs/deploy.md).

Django's own deployment checks (``check --deploy``) and trialkit's: a strong secret key from
the environment, DEBUG off, a real audit key, the database reachable and migrated, the audit
table append-only in the database, every stored protocol version still valid under this
release's checks (docs/adr/0015), and the static files collected and up to date. Every check
runs and reports, so one run lists everything there is to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# Django's messages for a weak SECRET_KEY and for DEBUG say what trialkit's own checks say,
# without naming the environment variables that set them.
_REPORTED_OURSELVES = {"security.W009", "security.W018"}
MINIMUM_KEY_LENGTH = 50
_IGNORED_STATIC = ["CVS", ".*", "*~"]  # collectstatic's defaults


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str


def deploy_findings() -> list[Finding]:
    findings = [_secret_key(), _debug(), *_audit_key(), *_django_checks()]
    database = _database_reachable()
    findings.append(database)
    if database.ok:
        migrated = _migrated()
        findings.append(migrated)
        if migrated.ok:
            findings.append(_append_only())
            findings.append(stored_protocols())
    findings.append(_static_files())
    return findings


def _secret_key() -> Finding:
    source = getattr(settings, "TRIALKIT_SECRET_KEY_SOURCE", "environment")
    if source != "environment":
        return Finding("secret key", False, f"TRIALKIT_SECRET_KEY is not set: the server runs "
                                            f"on the {source} key")
    key = settings.SECRET_KEY
    weak = []
    if len(key) < MINIMUM_KEY_LENGTH:
        weak.append(f"{len(key)} characters, fewer than {MINIMUM_KEY_LENGTH}")
    if len(set(key)) < 5:
        weak.append("fewer than 5 different characters")
    if key.startswith("django-insecure"):
        weak.append("Django's 'insecure' placeholder")
    if weak:
        return Finding("secret key", False, "TRIALKIT_SECRET_KEY is weak: " + "; ".join(weak))
    return Finding("secret key", True, f"set in TRIALKIT_SECRET_KEY ({len(key)} characters)")


def _debug() -> Finding:
    if settings.DEBUG:
        return Finding("debug", False, "TRIALKIT_DEBUG is on: error pages would show code, "
                                       "settings and data to anyone")
    return Finding("debug", True, "off")


def _audit_key() -> Iterator[Finding]:
    """Only where the settings hold audit keys: the public development key is no key."""
    if not hasattr(settings, "TRIALKIT_AUDIT_KEYS"):
        return
    keys = settings.TRIALKIT_AUDIT_KEYS
    if not keys or any(getattr(key, "development", False) for key in keys):
        yield Finding("audit key", False, "the audit chain is linked with the public "
                                          "development key: set TRIALKIT_AUDIT_KEY or "
                                          "TRIALKIT_AUDIT_KEY_FILE")
    else:
        yield Finding("audit key", True, f"configured ({len(keys)} key(s), current first)")


def _django_checks() -> Iterator[Finding]:
    from django.core import checks

    messages = [m for m in checks.run_checks(include_deployment_checks=True)
                if m.is_serious(checks.WARNING) and not m.is_silenced()
                and m.id not in _REPORTED_OURSELVES]
    if not messages:
        yield Finding("Django deploy checks", True, "no warning")
    for message in messages:
        text = " ".join(str(message.msg).split())
        yield Finding(f"Django {message.id}", False, text)


def _database_reachable() -> Finding:
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:  # any driver's error: the report says what it was
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Finding("database", False, f"cannot connect ({connection.vendor}): {first_line}")
    return Finding("database", True, f"reachable ({connection.vendor})")


def _migrated() -> Finding:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan)
        return Finding("migrations", False, f"{len(plan)} not applied ({names}): run "
                                            "`trialkit web manage migrate`")
    return Finding("migrations", True, "all applied")


def _append_only() -> Finding:
    from django.db import connection

    from trialkit.web.trial.audit import is_append_only_enforced

    if is_append_only_enforced():
        return Finding("audit trail", True, "the database refuses changes to the audit table")
    if connection.vendor != "postgresql":
        return Finding("audit trail", False, f"{connection.vendor} does not refuse changes to "
                                             "the audit table: run a site on PostgreSQL")
    return Finding("audit trail", False, "the append-only triggers on the audit table are "
                                         "missing or disabled: run `trialkit audit verify`")


def stored_protocols() -> Finding:
    """Every protocol version the database holds, parsed by this release's loader.

    A release may tighten the load-time checks; a version stored under an older release that
    fails them would make every page that reads it fail. Reported here, before going live, with
    the remedy: load a corrected version as an amendment (ADR 0015).
    """
    from trialkit.core.protocol import ProtocolError
    from trialkit.web.trial.models import Study
    from trialkit.web.trial.study import protocol_of

    studies = list(Study.objects.order_by("pk"))
    failing = []
    for study in studies:
        try:
            protocol_of(study)
        except ProtocolError as exc:
            first = exc.problems[0] if exc.problems else None
            where = f"{first.dotted_path()}: {first.message}" if first else str(exc)
            failing.append(f"{study.protocol_id} {study.protocol_version[:12]}"
                           f"{' (current)' if study.is_current else ''}: {where}")
    if failing:
        return Finding("protocol versions", False,
                       f"{len(failing)} of {len(studies)} no longer pass this release's checks "
                       f"({'; '.join(failing)}): with the release that stored it, load a "
                       "corrected file as an amendment (`trialkit web amend --protocol FILE "
                       "--user ADMIN`), then upgrade (docs/deploy.md, \"Upgrading\")")
    return Finding("protocol versions", True, f"{len(studies)} stored, each valid")


def _static_files() -> Finding:
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    root = Path(settings.STATIC_ROOT)
    found = {path: Path(storage.path(path)) for finder in finders.get_finders()
             for path, storage in finder.list(_IGNORED_STATIC)}
    # collectstatic keeps the original name beside the hashed one: compare it with the source.
    missing = [path for path in found if not (root / path).is_file()]
    stale = [path for path, source in found.items() if (root / path).is_file()
             and (root / path).read_bytes() != source.read_bytes()]
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        manifest = staticfiles_storage.load_manifest()
        missing += [path for path in found if path not in manifest and path not in missing]
    if missing or stale:
        parts = [f"{len(missing)} missing (e.g. {sorted(missing)[0]})"] if missing else []
        parts += [f"{len(stale)} out of date (e.g. {sorted(stale)[0]})"] if stale else []
        return Finding("static files", False, f"in {root}: {'; '.join(parts)}: run "
                                              "`trialkit web manage collectstatic --noinput`")
    return Finding("static files", True, f"collected in {root}")
