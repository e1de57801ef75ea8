"""The production server: gunicorn, a master process and several worker processes.

The application is loaded once in the master before the workers are forked (``preload_app``),
so a broken configuration stops the server at start with one message instead of every worker
failing in turn. Workers are plain synchronous processes: a request that blocks on the
database blocks only its own worker.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    """Gunicorn's rule of thumb: two per CPU (one computes while the other waits) plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class TrialkitServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.urls import get_resolver

        from trialkit.web.api import api
        from trialkit.web.wsgi import application

        # Import every view (and what the views import: SciPy, matplotlib) and build the API's
        # document here, once, before the workers are forked: otherwise each worker pays the
        # seconds on its first request, and a readiness probe sees a slow server.
        get_resolver().url_patterns  # noqa: B018  (the attribute imports the URLconf)
        api.get_openapi_schema(path_prefix="/api/")
        return application


def serve(host: str, port: int, workers: int) -> None:
    """Run until SIGTERM or SIGINT; then finish the requests in flight and return."""
    TrialkitServer({
        "bind": bind_address(host, port),
        "workers": workers,
        "preload_app": True,
        # One line per request on standard output, errors on standard error: the service
        # manager (systemd, a container runtime) keeps both.
        "accesslog": "-",
        "errorlog": "-",
        # X-Forwarded-Proto is trusted by Django only when TRIALKIT_BEHIND_TLS_PROXY says so;
        # gunicorn would otherwise trust it from any local client on its own.
        "forwarded_allow_ips": "",
        # Gunicorn's run-time control socket lives at one path per user by default, so two
        # servers on a machine would fight over it; trialkit does not use it.
        "control_socket_disable": True,
        "proc_name": "trialkit",
    }).run()
