"""Reads of blinded facts, exports, role switches and sign-outs are in the audit trail, on every
randomized protocol: one event per kind of read per request (however many rows), refused reads
too, and no event for a page that merely does not show a fact to a blinded reader."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import Max

from tests.accounts_support import PASSWORD, grant
from tests.integration.pages.support import (
    client_for,
    randomize_the_waiting_candidate,
    signed_in,
)
from trialkit.web.trial.actions.accounts import do_create_user
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.models import AuditEvent, Participant, RandomizationSlot

pytestmark = pytest.mark.protocols("randomized")


def _mark() -> int:
    return AuditEvent.objects.aggregate(n=Max("sequence"))["n"] or 0


def _since(mark: int, *actions: str) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(sequence__gt=mark).order_by("sequence")
    return list(events.filter(action__in=actions) if actions else events)


def _randomized() -> Participant:
    return RandomizationSlot.objects.filter(participant__isnull=False).exclude(
        participant__part="").select_related("participant").first().participant


def _role(protocol, *, sees: str | None = None, can: str | None = None, blind: bool = False):
    return next(r.id for r in protocol.roles
                if (sees is None or sees in r.sees) and (can is None or can in r.can)
                and (not blind or not r.sees))


def test_a_participant_page_read_by_an_unblinded_role_is_one_audited_read(trial, module_demo):
    participant = _randomized()
    reader = _role(trial.protocol, sees="allocation")
    client = client_for(module_demo, reader)
    mark = _mark()
    assert client.get(f"/participants/{participant.pk}/").status_code == 200
    [read] = _since(mark, "read_allocation", "read_refused")
    assert read.action == "read_allocation" and read.actor_role == reader
    assert read.new["subjects"] == [participant.screening_number]
    assert read.new["where"] == f"GET /participants/{participant.pk}/"


def test_a_blinded_reader_is_audited_for_asking_not_for_opening_a_page(trial, module_demo):
    participant = _randomized()
    blinded = _role(trial.protocol, can="enter_data", blind=True)
    client = client_for(module_demo, blinded)
    mark = _mark()
    assert client.get(f"/participants/{participant.pk}/").status_code == 200
    assert _since(mark, "read_allocation", "read_refused") == []
    answer = client.get(f"/api/participants/{participant.pk}/allocation")
    assert answer.status_code == 403
    [refused] = _since(mark, "read_allocation", "read_refused")
    assert refused.action == "read_refused" and refused.new["read"] == "read_allocation"
    assert refused.new["subjects"] == [participant.screening_number]


def test_a_queue_of_many_kits_is_one_event_naming_every_kit(trial, module_demo):
    protocol = trial.protocol
    randomize_the_waiting_candidate(module_demo, protocol)
    preparer = next(r.id for r in protocol.roles
                    if "prepare_kit" in r.can and "preparation" in r.sees)
    mark = _mark()
    queue = client_for(module_demo, preparer).get("/preparations/")
    assert queue.status_code == 200
    [read] = _since(mark, "read_preparation")
    page = queue.content.decode()
    shown = {kit for kit in RandomizationSlot.objects.values_list("kit_code", flat=True)
             if kit in page}
    assert shown and set(read.new["subjects"]) == shown
    assert read.new["count"] == len(shown)


def test_the_randomization_list_and_exports_are_audited_and_a_refused_export_too(
        trial, module_demo):
    protocol = trial.protocol
    manager = _role(protocol, can="manage_randomization")
    mark = _mark()
    assert client_for(module_demo, manager).get("/randomization/list/").status_code == 200
    [listed] = _since(mark, "read_randomization_list")
    assert listed.new["rows"] == RandomizationSlot.objects.count()
    exporter = _role(protocol, can="export_data", blind=True)
    client = client_for(module_demo, exporter)
    mark = _mark()
    assert client.get("/api/exports/participants.csv").status_code == 200
    [exported] = _since(mark, "export_data")
    assert exported.new["export"] == "participants" and exported.new["format"] == "csv"
    assert exported.new["rows"] == Participant.objects.count()
    outsider = next(r.id for r in protocol.roles if not {"export_data", "verify_source"}
                    & set(r.can) and not r.sees and r.id in {s.role for s in
                                                             module_demo.sign_ins})
    mark = _mark()
    assert client_for(module_demo, outsider).get(
        "/api/exports/participants.json").status_code == 403
    [refused] = _since(mark, "read_refused")
    assert refused.new["read"] == "export_data"


def test_role_switches_and_sign_outs_are_audited(trial, module_demo):
    protocol = trial.protocol
    plain = [r for r in protocol.roles if not r.sees and not r.blinded_until_lock
             and "manage_users" not in r.can][:2]
    assert len(plain) == 2, "two blinded roles one person may hold"
    admin_role = trial.administrator
    admin_login = next(s for s in module_demo.sign_ins if s.role == admin_role)
    admin = actor_for(User.objects.get(username=admin_login.username), admin_role)
    user = do_create_user("two-hats", PASSWORD, "Two Hats", actor=admin)
    for role in plain:
        grant(user, role.id, trial.site if role.site_scoped else None, admin=admin)
    plain = [role.id for role in plain]
    client = signed_in("two-hats", PASSWORD, plain[0])
    mark = _mark()
    assert client.put("/api/session/role", {"role": plain[1]},
                      content_type="application/json").status_code == 200
    assert client.put("/api/session/role", {"role": admin_role},
                      content_type="application/json").status_code == 403
    switched, refused = _since(mark, "switch_role", "switch_role_refused")
    assert (switched.action, switched.old, switched.new) == (
        "switch_role", {"role": plain[0]}, {"role": plain[1]})
    assert (refused.action, refused.new["role"]) == ("switch_role_refused", admin_role)
    assert client.post("/role/", {"role": plain[0]}).status_code == 302
    assert _since(mark, "switch_role")[-1].new == {"role": plain[0]}
    assert client.post("/logout/").status_code == 302
    [out] = _since(mark, "sign_out")
    assert (out.actor, out.actor_role, out.new) == ("two-hats", plain[0], {"role": plain[0]})
