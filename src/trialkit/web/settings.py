"""Django settings. SQLite by default (zero set-up); PostgreSQL when DATABASE_URL says so.

Environment (docs/deploy.md shows a whole site):
- ``DATABASE_URL``: ``sqlite:///path.sqlite3`` or ``postgresql://user@host:port/name``.
- ``TRIALKIT_PROTOCOL``: the protocol file CLI commands use when ``--protocol`` is not given.
- ``TRIALKIT_SECRET_KEY``: required. Only the demo (``trialkit web demo`` keeps a random key
  of its own beside its SQLite database) and the test suite run without it.
- ``TRIALKIT_DEBUG``: ``1`` for development.
- ``TRIALKIT_ALLOWED_HOSTS``: the host names the server answers to, comma-separated.
- ``TRIALKIT_CSRF_TRUSTED_ORIGINS``: origins (``https://trial.example.org``) whose form posts
  are accepted when the proxy in front changes the Host header.
- ``TRIALKIT_HTTPS``: ``1`` (the default, except for the demo and the tests): people reach the
  site over HTTPS only, so cookies are Secure and browsers are told to keep to HTTPS (HSTS).
- ``TRIALKIT_BEHIND_TLS_PROXY``: ``1`` when a proxy terminates TLS and sets
  ``X-Forwarded-Proto`` (overwriting any the client sent): requests it marks ``https`` count as
  secure, and plain HTTP is redirected to HTTPS.
- ``TRIALKIT_HSTS_SECONDS``: how long browsers keep to HTTPS (default one year).
- ``TRIALKIT_SESSION_SECONDS``: idle time before a session ends (default 1800).
- ``TRIALKIT_VAR``: the folder of local state (SQLite database, collected static files).
- ``TRIALKIT_DB_CONN_MAX_AGE``: seconds a worker keeps its PostgreSQL connection between
  requests (default 600; 0 opens one per request).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("TRIALKIT_VAR", BASE_DIR / "var"))
SECRET_KEY_VARIABLE = "TRIALKIT_SECRET_KEY"
# The test suite: pytest sets PYTEST_VERSION for the whole run (before pytest-django reads these
# settings), and the processes a test starts inherit it.
TESTING = "PYTEST_VERSION" in os.environ


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}: expected 1 or 0, got {value!r}")


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _flag("TRIALKIT_DEBUG", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja as an app so that /api/docs uses the Swagger UI files shipped in its wheel
    # (served from /static/ninja/) instead of fetching them from a CDN (docs/adr).
    "ninja",
    "trialkit.web.trial",
    "trialkit.web.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "trialkit.web.security.ContentSecurityPolicyMiddleware",
    # Body size, strict JSON and query-string characters, before any view (docs/security.md).
    "trialkit.web.boundary.middleware.InputBoundaryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the person's choice (a cookie set by /i18n/setlang/), else the browser's
    # Accept-Language (zh-TW falls back to zh-Hant), else English (docs/how-to/translate.md).
    "django.middleware.locale.LocaleMiddleware",
    "trialkit.web.language.ApiInProtocolLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads of blinded facts are written to the audit trail when the view has answered, one
    # event per kind per request, before the answer leaves (trialkit.web.trial.read_audit).
    "trialkit.web.trial.read_audit.AuditedReadsMiddleware",
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
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]


def _whole_number(name: str, default: int, least: int) -> int:
    """A whole-number setting from the environment, refused at start-up by name when it is
    not one (a typo must not surface later as a bare ValueError, or as a zero timeout)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < least:
        raise ImproperlyConfigured(f"{name}: expected a whole number of at least {least}, "
                                   f"got {value!r}")
    return int(value)


def _database(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as in SQLAlchemy URLs.
        name = unquote(parsed.path[1:])
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or ":memory:",
                # Writers wait for each other instead of failing with "database is locked".
                "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                            # Several server processes share the file: in WAL mode readers
                            # never wait for the writer. synchronous=FULL keeps every
                            # acknowledged commit through a power cut, not only a crash.
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL"}}
    if parsed.scheme in ("postgres", "postgresql"):
        return {"ENGINE": "django.db.backends.postgresql", "NAME": unquote(parsed.path[1:]),
                "USER": unquote(parsed.username or ""), "PASSWORD": unquote(parsed.password or ""),
                "HOST": parsed.hostname or "", "PORT": str(parsed.port or ""),
                # Each worker keeps its connection between requests: opening one costs a
                # PostgreSQL backend process and its catalogue caches, more than a whole
                # request's queries (docs/deploy.md 'Performance'). Checked before reuse, so
                # a server restart or a dropped connection costs one reconnect, not an error.
                "CONN_MAX_AGE": _whole_number("TRIALKIT_DB_CONN_MAX_AGE", 600, least=0),
                "CONN_HEALTH_CHECKS": True, "ATOMIC_REQUESTS": False}
    raise ValueError(f"DATABASE_URL: unsupported scheme '{parsed.scheme}' "
                     "(expected sqlite:/// or postgresql://)")


DATABASES = {"default": _database(
    os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'trialkit.sqlite3'}"))}
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, as a deployment's is, never Django's default shared-cache
    # memory database: that one hands the live server's threads the test's own connection,
    # and a second connection to it fails at once with "database table is locked" instead of
    # waiting, which broke a browser test and then every later test on its worker (ADR 0020).
    # In RAM where the machine has it; the process id keeps concurrent runs apart (pytest-
    # django adds the xdist worker to the name).
    _RAM = Path("/dev/shm")
    DATABASES["default"]["TEST"] = {"NAME": str(
        (_RAM if _RAM.is_dir() and os.access(_RAM, os.W_OK) else Path(tempfile.gettempdir()))
        / f"trialkit-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Notifications by e-mail (trialkit.web.trial.actions.notifications): printed on the console
# unless a deployment names an SMTP server. Tests use Django's in-memory outbox.
if os.environ.get("TRIALKIT_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["TRIALKIT_SMTP_HOST"]
    EMAIL_PORT = _whole_number("TRIALKIT_SMTP_PORT", 587, least=1)
    EMAIL_HOST_USER = os.environ.get("TRIALKIT_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("TRIALKIT_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("TRIALKIT_SMTP_TLS", "1") == "1"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("TRIALKIT_MAIL_FROM", "trialkit@localhost")


# Analysis computations kept on disk (VAR_DIR/analysis-cache), the most recently used first
# (trialkit.web.trial.analysis_outputs.prune).
TRIALKIT_ANALYSIS_CACHE_KEEP = _whole_number("TRIALKIT_ANALYSIS_CACHE_KEEP", 32, least=1)


def demo_key_path(database: dict[str, object]) -> Path | None:
    """Where the demo keeps its secret key: beside its SQLite file (never for PostgreSQL)."""
    name = str(database["NAME"])
    if database["ENGINE"] != "django.db.backends.sqlite3" or name == ":memory:":
        return None
    return Path(name).with_name(Path(name).name + ".demo-key")


def _secret_key() -> tuple[str, str]:
    """The key and where it came from: ``environment``, ``demo`` or ``test``."""
    configured = os.environ.get(SECRET_KEY_VARIABLE, "").strip()
    if configured:
        return configured, "environment"
    if TESTING:
        return secrets.token_urlsafe(50), "test"
    path = demo_key_path(DATABASES["default"])
    # `trialkit web demo` sets TRIALKIT_DEMO for its own process; every later process on the
    # same database finds the key the demo left and is the demo too.
    if path is not None and (path.exists() or os.environ.get("TRIALKIT_DEMO") == "1"):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip(), "demo"
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        return path.read_text().strip(), "demo"
    raise ImproperlyConfigured(
        f"{SECRET_KEY_VARIABLE} is not set. The server signs sessions and CSRF tokens with a "
        "secret key of its own: set it to 50 or more random characters, e.g. "
        f"export {SECRET_KEY_VARIABLE}=\"$(python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')\" (docs/deploy.md). Only a demo on the local SQLite "
        "database (`trialkit web demo`) runs without it.")


SECRET_KEY, TRIALKIT_SECRET_KEY_SOURCE = _secret_key()
TRIALKIT_DEMO = TRIALKIT_SECRET_KEY_SOURCE == "demo"
# Retired secret keys, separated by spaces, kept after a rotation: what they signed or sealed
# (second-factor seeds, trialkit/web/trial/sealed.py) still opens until written again.
SECRET_KEY_FALLBACKS = os.environ.get("TRIALKIT_SECRET_KEY_FALLBACKS", "").split()

# Django's test client adds "testserver" itself.
ALLOWED_HOSTS = _list("TRIALKIT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _list("TRIALKIT_CSRF_TRUSTED_ORIGINS", "")

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
SESSION_COOKIE_AGE = _whole_number("TRIALKIT_SESSION_SECONDS", 1800, least=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# HTTPS: the demo and the tests are plain HTTP on this machine; everything else is not.
HTTPS = _flag("TRIALKIT_HTTPS", not (TRIALKIT_DEMO or TESTING))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms carry the token, and the API docs page gets it in the
# page itself.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a link into the trial from an e-mail or the hospital's intranet opens the
# page signed in; cross-site posts still carry no cookie, and CSRF tokens guard every form.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Sent only on HTTPS responses (Django's SecurityMiddleware checks request.is_secure()).
SECURE_HSTS_SECONDS = _whole_number("TRIALKIT_HSTS_SECONDS", 31536000, least=0) if HTTPS else 0
# Subdomains of the trial's own host name only (not the hospital's other sites).
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading is the domain owner's decision about a whole registered domain, not the
# application's; Django's deploy check for it is silenced for that reason.
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]
BEHIND_TLS_PROXY = _flag("TRIALKIT_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    # Trust the header only when asked: a client could send it to a server reached directly.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything the pages and the API docs load comes from this server: no inline script or style,
# no other host (trialkit.web.security sends it).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # Swagger UI draws its icons from data: URIs in its stylesheet.
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Lockout: this many consecutive failed sign-ins lock the account for this long.
TRIALKIT_LOCKOUT_FAILURES = 5
TRIALKIT_LOCKOUT_MINUTES = 30
# The key of the randomization list's digest (trialkit.web.trial.list_digest), which blinded
# roles read: empty derives it from SECRET_KEY (and SECRET_KEY_FALLBACKS, for verifying). Set
# it when SECRET_KEY may be rotated without keeping the old one (docs/security.md).
TRIALKIT_LIST_DIGEST_KEY = os.environ.get("TRIALKIT_LIST_DIGEST_KEY", "")

LANGUAGE_CODE = "en"
# The languages of the user interface: English, in which the strings are written, and
# Traditional Chinese as used in Taiwan. Each name is written in its own language, for the picker.
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
# One catalogue for the package: the pages' strings and core's sentences (gate checks, marked
# with gettext_noop there and translated by the web layer).
LOCALE_PATHS = [Path(__file__).resolve().parent.parent / "locale"]
LANGUAGE_COOKIE_NAME = "trialkit_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Served by WhiteNoise from the files `collectstatic` gathered (`trialkit web serve` runs it):
# names carry a hash of the content, so browsers keep them for good; compressed copies beside
# them. The tests read the files where they lie, as development does.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if TESTING else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
WHITENOISE_AUTOREFRESH = TESTING or DEBUG
WHITENOISE_ALLOW_ALL_ORIGINS = False
LOGIN_URL = "/login/"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}}}

# --- Audit chain key and checkpoints (docs/audit-trail.md, ADR 0012) -----------------------------
# The audit chain's links are HMAC-SHA256 under a key held outside the database:
# TRIALKIT_AUDIT_KEY (the key) or TRIALKIT_AUDIT_KEY_FILE (one key a line: current first, then
# retired ones). A deployment (one that sets TRIALKIT_SECRET_KEY) must set one or nothing starts;
# the tests and the demo fall back to a public development key whose id starts with "dev-".
# Checkpoints of the chain's head are appended to TRIALKIT_AUDIT_CHECKPOINTS.
from trialkit.web.trial.audit_keys import audit_keys_from  # noqa: E402

TRIALKIT_AUDIT_KEYS = audit_keys_from(
    os.environ, development=not os.environ.get("TRIALKIT_SECRET_KEY", "").strip())
TRIALKIT_AUDIT_CHECKPOINTS = Path(
    os.environ.get("TRIALKIT_AUDIT_CHECKPOINTS", VAR_DIR / "audit-checkpoints.jsonl"))
# --- end of the audit block -----------------------------------------------------------------------

# --- Accounts and sign-in (docs/security.md, "Accounts and sign-in") --------------------------
# Failed sign-ins from browsers the person never signed in from pause sign-in from such
# browsers (TRIALKIT_LOCKOUT_FAILURES, TRIALKIT_LOCKOUT_MINUTES above); wrong re-entered
# passwords lock the account itself for as long. A client address with this many failures is
# backed off, doubling from one minute up to an hour.
TRIALKIT_SOURCE_FAILURES = _whole_number("TRIALKIT_SOURCE_FAILURES", 20, least=1)
TRIALKIT_SOURCE_MAX_BACKOFF_MINUTES = 60
# A browser that signed in successfully is remembered this long (a signed cookie).
TRIALKIT_TRUSTED_DEVICE_DAYS = 90
# Sessions end after this long whatever the activity (idle expiry: SESSION_COOKIE_AGE).
TRIALKIT_SESSION_MAX_SECONDS = _whole_number("TRIALKIT_SESSION_MAX_SECONDS", 43200, least=60)
# API tokens expire after this many days unless their owner asks for less (or more, up to
# TRIALKIT_TOKEN_MAX_DAYS).
TRIALKIT_TOKEN_DAYS = _whole_number("TRIALKIT_TOKEN_DAYS", 90, least=1)
TRIALKIT_TOKEN_MAX_DAYS = _whole_number("TRIALKIT_TOKEN_MAX_DAYS", 365, least=1)
# The issuer name authenticator apps show beside the account.
TRIALKIT_TOTP_ISSUER = os.environ.get("TRIALKIT_TOTP_ISSUER", "trialkit")
# --- end of the accounts block -----------------------------------------------------------------
