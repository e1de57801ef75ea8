"""Whether the database itself refuses UPDATE, DELETE and TRUNCATE on the audit table, read
from its catalogue (pg_trigger, sqlite_master) rather than assumed from its vendor: an owner
can drop or disable the triggers, or replace the function they call."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

TABLE = "trial_auditevent"
TRIGGERS = ("trial_auditevent_no_update_delete", "trial_auditevent_no_truncate")
"""What migration 0002 installs on PostgreSQL (SQLite gets none: see docs/audit-trail.md)."""
FUNCTION = "trialkit_audit_is_append_only"
REFUSAL = "RAISE EXCEPTION 'the audit trail is append-only"


@dataclass(frozen=True)
class TriggerState:
    expected: bool
    """Whether this kind of database gets the triggers from the migrations."""
    enabled: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    function_refuses: bool = False

    @property
    def enforced(self) -> bool:
        return (self.expected and not self.missing and not self.disabled
                and self.function_refuses)

    @property
    def tampered(self) -> bool:
        """Installed by the migrations but no longer what they installed."""
        return self.expected and not self.enforced

    def describe(self) -> str:
        if self.enforced:
            return (f"installed and enabled ({', '.join(self.enabled)}): the database "
                    "refuses changes to the audit table")
        if not self.expected and self.enabled:
            return (f"{', '.join(self.enabled)} on the audit table, added by hand (trialkit "
                    f"installs none on {connection.vendor}); the keyed chain and checkpoints "
                    "detect changes")
        if not self.expected:
            return (f"none on {connection.vendor}: the database does not refuse changes to "
                    "the audit table; the keyed chain and checkpoints detect them")
        parts = [f"MISSING {name}" for name in self.missing]
        parts += [f"DISABLED {name}" for name in self.disabled]
        if not self.function_refuses:
            parts.append(f"the function {FUNCTION}() no longer refuses changes")
        return ("NOT enforced: " + "; ".join(parts) + " (dropped, disabled or replaced "
                "since the migration installed them)")


def append_only_triggers() -> TriggerState:
    """What the catalogue says about the audit table's append-only triggers, right now."""
    if connection.vendor == "postgresql":
        return _postgresql()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = %s", [TABLE])
            present = tuple(sorted(row[0] for row in cursor.fetchall()))
        # SQLite gets no trigger from the migrations; any found was added by hand.
        return TriggerState(expected=False, enabled=present)
    return TriggerState(expected=False)


def _postgresql() -> TriggerState:
    with connection.cursor() as cursor:
        # to_regclass: the table as the search path resolves it, as the application sees it.
        cursor.execute("SELECT t.tgname, t.tgenabled FROM pg_trigger t WHERE NOT "
                       "t.tgisinternal AND t.tgrelid = to_regclass(%s)", [TABLE])
        state = dict(cursor.fetchall())
        cursor.execute("SELECT p.prosrc FROM pg_proc p WHERE p.proname = %s", [FUNCTION])
        bodies = [row[0] for row in cursor.fetchall()]
    # tgenabled: 'O' fires normally, 'A' always, 'R' only on replicas, 'D' never.
    return TriggerState(
        expected=True,
        enabled=tuple(n for n in TRIGGERS if state.get(n) in ("O", "A")),
        disabled=tuple(n for n in TRIGGERS if n in state and state[n] not in ("O", "A")),
        missing=tuple(n for n in TRIGGERS if n not in state),
        function_refuses=len(bodies) == 1 and REFUSAL in bodies[0])


def is_append_only_enforced() -> bool:
    """Whether the database itself refuses UPDATE and DELETE on the audit table, as its
    catalogue shows now."""
    return append_only_triggers().enforced
