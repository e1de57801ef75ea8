"""Django settings. SQLite by default (zero set-up); PostgreSQL when DATABASE_URL says so.

Environment:
- ``DATABASE_URL``: ``sqlite:///path.sqlite3`` or ``postgresql://user@host:port/name``.
- ``TRIALKIT_PROTOCOL``: the protocol file the server runs (default: the reference protocol).
- ``TRIALKIT_SECRET_KEY``: required outside DEBUG.
- ``TRIALKIT_DEBUG``: ``1`` for development.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("TRIALKIT_VAR", BASE_DIR / "var"))

DEBUG = os.environ.get("TRIALKIT_DEBUG", "0") == "1"
# A local default keeps `make run` zero-set-up; deployments set TRIALKIT_SECRET_KEY.
SECRET_KEY = os.environ.get("TRIALKIT_SECRET_KEY",
                            "dev-only-not-secret-local-default-change-me-for-production-use")
ALLOWED_HOSTS = os.environ.get(
    "TRIALKIT_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "trialkit.web.trial",
    "trialkit.web.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "trialkit.web.urls"
WSGI_APPLICATION = "trialkit.web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]


def _database(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as in SQLAlchemy URLs.
        name = unquote(parsed.path[1:])
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or ":memory:",
                # Writers wait for each other instead of failing with "database is locked".
                "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"}}
    if parsed.scheme in ("postgres", "postgresql"):
        return {"ENGINE": "django.db.backends.postgresql", "NAME": unquote(parsed.path[1:]),
                "USER": unquote(parsed.username or ""), "PASSWORD": unquote(parsed.password or ""),
                "HOST": parsed.hostname or "", "PORT": str(parsed.port or ""),
                "CONN_MAX_AGE": 0, "ATOMIC_REQUESTS": False}
    raise ValueError(f"DATABASE_URL: unsupported scheme '{parsed.scheme}' "
                     "(expected sqlite:/// or postgresql://)")


DATABASES = {"default": _database(
    os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'trialkit.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first: new and re-hashed passwords use it (django.contrib.auth upgrades on login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Sessions end after 30 minutes without activity, and with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("TRIALKIT_SESSION_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Lockout: this many consecutive failed sign-ins lock the account for this long.
TRIALKIT_LOCKOUT_FAILURES = 5
TRIALKIT_LOCKOUT_MINUTES = 30
# The key of the randomization list's digest (trialkit.web.trial.list_digest), which blinded
# roles read: empty derives it from SECRET_KEY (and SECRET_KEY_FALLBACKS, for verifying). Set
# it when SECRET_KEY may be rotated without keeping the old one (docs/security.md).
TRIALKIT_LIST_DIGEST_KEY = os.environ.get("TRIALKIT_LIST_DIGEST_KEY", "")
TRIALKIT_PROTOCOL = os.environ.get("TRIALKIT_PROTOCOL",
                                   str(BASE_DIR / "protocols" / "nct05532943.yaml"))

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = False
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "/login/"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}}}
