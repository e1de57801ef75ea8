"""The least a Django application on this stack can do per request: the floor under trialkit.

Served by gunicorn exactly as ``trialkit web serve`` serves trialkit (synchronous workers, the
application preloaded), on the same Django, psycopg and PostgreSQL, with no trialkit code:

- ``GET /ping``: a JSON answer, no database (HTTP, WSGI and Django's request cycle alone);
- ``POST /write``: the minimum an audited, hash-chained write needs, in raw SQL (no ORM): in one
  transaction, lock the audit chain's head, insert the record, insert its audit event whose
  HMAC-SHA256 chains to the head, move the head; commit.

``benchmarks/bench_stack_floor.py`` measures both beside pgbench, so the server bench's ratios
can be read against what the stack itself allows on the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import django
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

KEY = os.environ.get("FLOOR_AUDIT_KEY", "floor").encode()


def ping(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def write(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body or b"{}")
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM floor_head WHERE id = 1 FOR UPDATE")
        previous = cursor.fetchone()[0]
        cursor.execute("INSERT INTO floor_record (data) VALUES (%s) RETURNING id", [payload])
        record_id = cursor.fetchone()[0]
        digest = hmac.new(KEY, f"{previous}|{record_id}|{payload}".encode(),
                          hashlib.sha256).hexdigest()
        cursor.execute("INSERT INTO floor_event (record_id, previous, hash) VALUES (%s, %s, %s)",
                       [record_id, previous, digest])
        cursor.execute("UPDATE floor_head SET hash = %s WHERE id = 1", [digest])
    return JsonResponse({"id": record_id, "hash": digest}, status=201)


urlpatterns = [path("ping", ping), path("write", write)]

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("FLOOR_SECRET_KEY", "floor-bench-only"),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["FLOOR_DATABASE"],
        "HOST": os.environ.get("FLOOR_HOST", "127.0.0.1"),
        "PORT": os.environ.get("FLOOR_PORT", "5432"),
        "USER": os.environ.get("FLOOR_USER", "postgres"),
        "CONN_MAX_AGE": None,  # as trialkit's workers: one connection each, kept
    }},
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402  (needs the settings above)

application = get_wsgi_application()
