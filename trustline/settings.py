"""Trustline settings: one module, everything from the environment.

Defaults give a working development instance on the embedded SQLite database
(``var/trustline.sqlite3``). Production sets ``DEBUG=0``, a real
``SECRET_KEY`` and usually ``DATABASE_URL=postgres://...``. There is no
production-only settings file: what runs in CI is what runs in production.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str = "") -> str:
    """Read a string; ``<NAME>_FILE`` wins so secrets can come from mounted files."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused below when DEBUG=0
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default; "
        "set SECRET_KEY (or SECRET_KEY_FILE) before running with DEBUG=0."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "trustline.core",
    "trustline.audit",
    "trustline.accounts",
    "trustline.partners",
    "trustline.taxonomy",
    "trustline.cases",
    "trustline.intake",
    "trustline.notifications",
    "trustline.triage",
    "trustline.routing",
    "trustline.platforms",
    "trustline.review",
    "trustline.appeals",
    "trustline.policy",
    "trustline.oncall",
    "trustline.crisis",
    "trustline.protection",
    "trustline.signals",
    "trustline.metrics",
    "trustline.transparency",
    "trustline.trends",
    "trustline.lawenforcement",
    "trustline.console",
    "trustline.demo",
    # Two-factor sign-in (TOTP), used by trustline.console's sign-in and enrolment pages.
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip for clients that ask, not files (static ones come compressed from WhiteNoise above).
    "trustline.core.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (trustline.console two-factor)
    "trustline.console.middleware.SecondFactorMiddleware",  # sessions from before a 2FA policy stop at the code
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "trustline.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "trustline.urls"
WSGI_APPLICATION = "trustline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trustline.accounts.context_processors.actor",
                "trustline.core.drafts.drafts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers and one writer work at
# once across processes; IMMEDIATE transactions take the write lock up front
# so two processes never deadlock upgrading a read lock; synchronous=FULL
# makes every acknowledged (committed) report survive a crash or power cut.
DATA_DIR = Path(env_str("TRUSTLINE_DATA_DIR", str(PROJECT_DIR / "var")))
_default_db_url = f"sqlite:///{DATA_DIR / 'trustline.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_db_url)
_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0 if DEBUG else 600
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
    _db["TEST"] = {"NAME": env_str("TEST_SQLITE_NAME", "") or None}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # The statements every report runs are prepared once per connection (trustline.core.prepared); Django's own
    # cursors bind on the client and are never prepared. 0 = at their first run; None (behind a transaction-pooling
    # PgBouncer older than 1.21, which cannot keep prepared statements) switches it off.
    _db.setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", 0 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "intake:report_list"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and uploaded files ---------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project-wide assets (app.css, app.js, vendor/)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    # Evidence goes through Django's storage API; point EVIDENCE_STORAGE_BACKEND
    # at an S3-compatible backend (e.g. django-storages) to move it off disk.
    "default": {
        "BACKEND": env_str("EVIDENCE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Request limits ---------------------------------------------------------
# A 500-item JSON report with long URLs and a 20,000-character explanation
# fits comfortably in 5 MB; anything larger is refused with a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

TRUSTLINE: dict[str, Any] = {
    "MAX_ITEMS_PER_REPORT": 500,
    "MAX_EXPLANATION_CHARS": 20_000,
    "MAX_EVIDENCE_BYTES": env_int("TRUSTLINE_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024),
    "MAX_EVIDENCE_PER_REPORT": 20,
    "MAX_BULK_ROWS": 10_000,
    "MAX_BULK_BYTES": env_int("TRUSTLINE_MAX_BULK_BYTES", 20 * 1024 * 1024),
    "URL_RULES_FILE": env_str("TRUSTLINE_URL_RULES_FILE", ""),
    "API_KEY_TOUCH_SECONDS": 60,
    # `audit_verify` reports audit entries the sealer has not chained after this long (sealer or worker down).
    "AUDIT_SEAL_GRACE_SECONDS": env_int("TRUSTLINE_AUDIT_SEAL_GRACE_SECONDS", 300),
    # Evidence files are deleted this many days after the last case they back closed (legal holds and
    # contests keep them longer; 0 keeps them for ever). See intake/retention.py and docs/operations.md.
    "EVIDENCE_RETENTION_DAYS": env_int("TRUSTLINE_EVIDENCE_RETENTION_DAYS", 365),
    # Content snapshots (platforms/snapshots.py): taken at triage, then every this many hours while the case is
    # open and imminent harm or of this tier or more severe (0 hours: only at triage and when a reviewer asks).
    "SNAPSHOT_REFRESH_HOURS": env_int("TRUSTLINE_SNAPSHOT_REFRESH_HOURS", 6),
    "SNAPSHOT_REFRESH_MAX_TIER": env_int("TRUSTLINE_SNAPSHOT_REFRESH_MAX_TIER", 2),
    # A partner is marked for a programme manager's look (DSA Art. 22(6)) under this precision, over at
    # least this many decided items in the period (transparency/flaggers.py).
    "ART22_MIN_DECIDED": env_int("TRUSTLINE_ART22_MIN_DECIDED", 50),
    "ART22_PRECISION_BELOW_PCT": env_int("TRUSTLINE_ART22_PRECISION_BELOW_PCT", 50),
}

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    ("django.core.mail.backends.console.EmailBackend" if DEBUG
     else "django.core.mail.backends.smtp.EmailBackend"),
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "trustline@localhost")
# Seconds before an SMTP connection attempt or reply is given up (then retried by the outbox).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Background tasks -------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Periodic jobs are enqueued by `trustline scheduler` (run it beside `trustline db_worker`).

# Notification outbox (trustline.notifications): a claimed message is leased for
# OUTBOX_LEASE_SECONDS (then another worker may take it over), retried with
# exponential backoff and given up after OUTBOX_MAX_ATTEMPTS attempts. Webhooks
# to loopback/private addresses are refused unless allowed (default: only with DEBUG).
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
OUTBOX_WEBHOOK_TIMEOUT_SECONDS = env_int("OUTBOX_WEBHOOK_TIMEOUT_SECONDS", 10)
OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", DEBUG)

# --- Routing (trustline.routing) ---------------------------------------------
# A case first waits for a reviewer who reads its exact language (with dialect);
# LANGUAGE_WAIT_MINUTES after triage, readers of the same language in any dialect
# may take it; REGIONAL_WAIT_MINUTES later, reviewers covering its country or
# region; TRANSLATION_WAIT_MINUTES later, anyone qualified for its category.
# Imminent harm waits IMMINENT_WAIT_MINUTES at each step. A claim is a lease of
# LEASE_MINUTES, renewed by activity; a lead's reassignment lasts
# REASSIGN_LEASE_MINUTES. DETECT_LANGUAGES (ISO 639-1) bounds language detection
# to the languages the programme covers: fewer is faster and more accurate.
ROUTING: dict[str, Any] = {
    "LANGUAGE_WAIT_MINUTES": env_int("ROUTING_LANGUAGE_WAIT_MINUTES", 30),
    "REGIONAL_WAIT_MINUTES": env_int("ROUTING_REGIONAL_WAIT_MINUTES", 30),
    "TRANSLATION_WAIT_MINUTES": env_int("ROUTING_TRANSLATION_WAIT_MINUTES", 30),
    "IMMINENT_WAIT_MINUTES": env_int("ROUTING_IMMINENT_WAIT_MINUTES", 2),
    "LEASE_MINUTES": env_int("ROUTING_LEASE_MINUTES", 20),
    "REASSIGN_LEASE_MINUTES": env_int("ROUTING_REASSIGN_LEASE_MINUTES", 240),
    "MAX_HELD": env_int("ROUTING_MAX_HELD", 1),
    "DETECT_LANGUAGES": env_list(
        "ROUTING_DETECT_LANGUAGES", "ar,en,fr,es,pt,ur,hi,bn,fa,tr,ru,uk,sw,so,id,ms,tl,zh,de,it,ka,hy,az"
    ),
}

# --- Platform connector (trustline.platforms) -----------------------------------
# How Trustline describes reported content and carries out enforcement on the
# platform. PLATFORM_CONNECTOR: "demo" (the built-in demo platform Kite),
# "manual" (reviewers act in the platform's own tools and confirm), "webhook"
# (signed HTTP calls, retried through the outbox) or the dotted path of your own
# PlatformConnector subclass. Default: demo with DEBUG, manual without.
_PLATFORM_CONNECTORS = {
    "demo": "trustline.platforms.connectors.DemoPlatformConnector",
    "manual": "trustline.platforms.connectors.ManualConnector",
    "webhook": "trustline.platforms.connectors.WebhookConnector",
}
_platform_connector = env_str("PLATFORM_CONNECTOR", "demo" if DEBUG else "manual")
PLATFORM_CONNECTOR: dict[str, Any] = {
    "BACKEND": _PLATFORM_CONNECTORS.get(_platform_connector, _platform_connector),
    "OPTIONS": (
        {
            "URL": env_str("PLATFORM_WEBHOOK_URL", ""),
            "SECRET": env_str("PLATFORM_WEBHOOK_SECRET", ""),  # whsec_...; or PLATFORM_WEBHOOK_SECRET_FILE
            "DESCRIBE_URL": env_str("PLATFORM_DESCRIBE_URL", ""),
            "DESCRIBE_TIMEOUT_SECONDS": env_int("PLATFORM_DESCRIBE_TIMEOUT_SECONDS", 3),
            "ORGANISATION": env_str("PLATFORM_ORGANISATION", ""),  # slug of the platform team's organisation
        }
        if _platform_connector == "webhook"
        else {}
    ),
}

# A failed enforcement action is retried by the `enforcement_retry_sweep` job after
# each wait of BACKOFF_SECONDS in turn (the last one repeats), MAX_ATTEMPTS connector
# calls in all; then it stays failed and the escalation leads are told. A record
# left in "requested" longer than REQUESTED_GRACE_SECONDS is driven again.
ENFORCEMENT_RETRY: dict[str, Any] = {
    "BACKOFF_SECONDS": [int(s) for s in env_list("ENFORCEMENT_RETRY_BACKOFF_SECONDS", "60,300,1800,7200,43200")],
    "MAX_ATTEMPTS": env_int("ENFORCEMENT_RETRY_MAX_ATTEMPTS", 6),
    "REQUESTED_GRACE_SECONDS": env_int("ENFORCEMENT_RETRY_REQUESTED_GRACE_SECONDS", 300),
}

# --- On-call and the emergency lane (trustline.oncall) -------------------------
# Pages go to PagerDuty (or anything speaking Events API v2) at ONCALL_PAGERDUTY_URL
# and to an SMS/voice gateway at ONCALL_SMS_WEBHOOK_URL (empty: SMS and voice
# contacts are skipped), with ONCALL_SMS_WEBHOOK_TOKEN as a Bearer token. An
# acknowledge link works for ONCALL_ACK_LINK_MINUTES; the watchdog calls a step
# late ONCALL_STEP_LATE_SECONDS after it was due. ONCALL_LAW_ENFORCEMENT_CHAIN
# names the chain that pages emergency law-enforcement requests (empty: the
# default chain). Read through trustline/oncall/conf.py.
ONCALL_PAGERDUTY_URL = env_str("ONCALL_PAGERDUTY_URL", "https://events.pagerduty.com/v2/enqueue")
ONCALL_SMS_WEBHOOK_URL = env_str("ONCALL_SMS_WEBHOOK_URL", "")
ONCALL_SMS_WEBHOOK_TOKEN = env_str("ONCALL_SMS_WEBHOOK_TOKEN", "")  # or ONCALL_SMS_WEBHOOK_TOKEN_FILE
ONCALL_ACK_LINK_MINUTES = env_int("ONCALL_ACK_LINK_MINUTES", 240)
ONCALL_STEP_LATE_SECONDS = env_int("ONCALL_STEP_LATE_SECONDS", 60)
ONCALL_LAW_ENFORCEMENT_CHAIN = env_str("ONCALL_LAW_ENFORCEMENT_CHAIN", "")

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- API ----------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500  # a partner listing its reports never pulls an unbounded page
