"""Beffroi's one settings module, driven by environment variables.

Two modes share it: *embedded* (default: SQLite, Huey on SQLite, in-process live broker,
no external service) and *server* (``BEFFROI_MODE=server``: PostgreSQL, Redis, secrets required).
Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from beffroi import __version__
from beffroi.core.env import (
    ConfigurationError,
    email_settings_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_required,
    env_str,
)

VERSION = __version__
PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent

MODE = env_choice("BEFFROI_MODE", "embedded", ("embedded", "server"))
SERVER_MODE = MODE == "server"

DATA_DIR = Path(env_str("BEFFROI_DATA_DIR") or (BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    # The embedded mode keeps a generated key beside its database so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if SERVER_MODE:
    SECRET_KEY = env_required("BEFFROI_SECRET_KEY", "server mode signs sessions and tokens with it")
    ALLOWED_HOSTS = env_list("BEFFROI_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ConfigurationError("BEFFROI_ALLOWED_HOSTS must be set (comma-separated host names served).")
    DEBUG = False
else:
    SECRET_KEY = env_str("BEFFROI_SECRET_KEY") or _embedded_secret_key()
    ALLOWED_HOSTS = env_list("BEFFROI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = env_bool("BEFFROI_DEBUG", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "beffroi.accounts.admin_apps.VerifiedAdminConfig",  # django.contrib.admin behind TOTP
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "template_partials",
    "huey.contrib.djhuey",
    "beffroi.core",
    "beffroi.accounts",
    "beffroi.territory",
    "beffroi.sources",
    "beffroi.crossing",
    "beffroi.monitoring",
    "beffroi.crisis",
    "beffroi.alerts",
    "beffroi.public",
    "beffroi.registry",
    "beffroi.reports",
    "beffroi.api",
    "beffroi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "beffroi.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "beffroi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "beffroi.registry.middleware.RegistryKeyMiddleware",
    "beffroi.web.middleware.UserErrorMiddleware",
    "beffroi.web.middleware.RefusalStatusMiddleware",
]

ROOT_URLCONF = "beffroi.urls"
ASGI_APPLICATION = "beffroi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "beffroi.web.context.beffroi_context",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("BEFFROI_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'beffroi.sqlite3'}"
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
except Exception as exc:  # dj_database_url raises bare ValueError/KeyError on a malformed URL
    raise ConfigurationError(f"BEFFROI_DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock up front,
        # so concurrent writers queue instead of failing on a lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DATABASES = {"default": _db}
DATABASE_VENDOR = "sqlite" if _db["ENGINE"].endswith("sqlite3") else "postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue and live updates ----------------------------------------------------------------
REDIS_URL = env_str("BEFFROI_REDIS_URL")
if SERVER_MODE and not REDIS_URL:
    raise ConfigurationError("BEFFROI_REDIS_URL must be set in server mode (task queue and live updates).")
WORKER_THREADS = env_int("BEFFROI_WORKER_THREADS", 2)
# The embedded server's coroutines run as granian's Rust tasks (half again the citizen page's rate
# under a surge, bench_public; Python 3.11) or as asyncio's own, the way back should a library
# ever need asyncio's Task class itself.
EMBEDDED_TASKS = env_choice("BEFFROI_EMBEDDED_TASKS", "rust", ("rust", "asyncio"))
HUEY = {
    "name": "beffroi",
    "immediate": False,
    "results": False,
    "consumer": {"workers": WORKER_THREADS, "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# The cache holds the public forms' rate-limit counters: per process in embedded mode (one web
# process with its consumer thread), shared through Redis in server mode (several web processes).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "beffroi"}}
RATELIMIT_USE_CACHE = "default"
# Public subscription limits (django-ratelimit rates, "N/s|m|h|d"): per client IP, per e-mail
# address or push endpoint, per phone number. Mobile carriers put many people behind one IP.
SUBSCRIBE_RATE_IP = env_str("BEFFROI_SUBSCRIBE_RATE_IP", "20/h") or "20/h"
SUBSCRIBE_RATE_ADDRESS = env_str("BEFFROI_SUBSCRIBE_RATE_ADDRESS", "3/h") or "3/h"
SUBSCRIBE_RATE_PHONE = env_str("BEFFROI_SUBSCRIBE_RATE_PHONE", "3/d") or "3/d"

# --- Authentication and security -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
# Every view needs a session (Django's LoginRequiredMiddleware) except those marked
# ``login_not_required``: the citizen site, health probe, login, language switch and the
# token-authenticated API (beffroi/urls.py marks them). Static and public files are served by the
# ASGI file handler before Django.

# A crisis cell must never be locked out for long: lock on username+IP, finite cool-off, tiers.
AXES_FAILURE_LIMIT = env_int("BEFFROI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("BEFFROI_LOGIN_COOLOFF_MINUTES", 5))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Reverse proxies in front of Beffroi: the client address is the PROXY_COUNT-th address from the
# right of X-Forwarded-For (0: the socket address). Read by core.request_context.client_ip for the
# audit trail and by axes for the lockout.
PROXY_COUNT = env_int("BEFFROI_PROXY_COUNT", 0)
if PROXY_COUNT < 0:
    raise ConfigurationError(f"BEFFROI_PROXY_COUNT must be 0 or more, got {PROXY_COUNT}.")
AXES_CLIENT_IP_CALLABLE = "beffroi.core.request_context.client_ip"

OTP_TOTP_ISSUER = "Beffroi"
SESSION_COOKIE_AGE = env_int("BEFFROI_SESSION_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if SERVER_MODE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("BEFFROI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if not h.startswith(".")]
    # HSTS preload binds the whole parent domain (often the town's main site) for years: that is
    # the town's decision, not Beffroi's, so the preload check is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# IGN Géoplateforme « Plan IGN » (WMTS in Web Mercator, no key, licence ouverte Etalab 2.0): the
# default background. "off" draws the maps without tiles (communes and local layers only).
PLAN_IGN_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetTile"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&FORMAT=image/png&TILEMATRIXSET=PM"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
PLAN_IGN_ATTRIBUTION = (
    '© <a href="https://www.ign.fr/">IGN</a> – Plan IGN, Géoplateforme '
    '(<a href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/">licence ouverte Etalab 2.0</a>)'
)
_tiles = env_str("BEFFROI_MAP_TILE_URL", "") or ""
MAP_TILE_URL = "" if _tiles.lower() in ("off", "none") else (_tiles or PLAN_IGN_URL)
MAP_TILE_ATTRIBUTION = env_str("BEFFROI_MAP_TILE_ATTRIBUTION", "") or (
    PLAN_IGN_ATTRIBUTION if MAP_TILE_URL == PLAN_IGN_URL else ""
)


def _tile_origin(url: str) -> str:
    # Leaflet's {s} placeholder stands for sub-domains a, b, c: the policy allows them all.
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a"))
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return f"{parts.scheme}://{host}"


# Content-Security-Policy (django-csp): no inline script or style; a nonce is added to the header
# for the rare template that asks for one ({{ CSP_NONCE }}).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:", "blob:"] + ([_tile_origin(MAP_TILE_URL)] if MAP_TILE_URL else []),
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
PUBLIC_ROOT = DATA_DIR / "public"
# The address citizens reach the public site at (every link in SMS, e-mails, feeds and CAP). Unset,
# ``beffroi demo``/``serve`` fill it with the host and port they serve; read it at call time.
PUBLIC_URL_FROM_ENV = bool(env_str("BEFFROI_PUBLIC_URL"))
# CAP <sender> (stable, no space or comma; ``{commune}`` is replaced by the INSEE code) and
# <senderName> (``{name}`` is replaced by the commune names). Default sender: the public host.
CAP_SENDER = env_str("BEFFROI_CAP_SENDER", "") or ""
CAP_SENDER_NAME = env_str("BEFFROI_CAP_SENDER_NAME", "") or "Mairie de {name}"
# Seconds a change waits before the public site is rebuilt: a burst of changes gives one rebuild.
PUBLIC_REBUILD_DELAY = env_int("BEFFROI_PUBLIC_REBUILD_DELAY", 2)
# Days a shelter's register is kept after its crisis closes (then deleted by a daily job).
SHELTER_REGISTER_RETENTION_DAYS = env_int("BEFFROI_SHELTER_REGISTER_RETENTION_DAYS", 30)
MEDIA_ROOT = DATA_DIR / "media"
DATASETS_DIR = DATA_DIR / "data"

# --- Outbound -------------------------------------------------------------------------------
EMAIL_URL = env_str("BEFFROI_EMAIL_URL")
# RFC 3161 timestamp authority for main-courante chain heads (empty: no timestamp token).
CRISIS_TSA_URL = env_str("BEFFROI_CRISIS_TSA_URL", "")
# Embedded mode's key file (created only by `beffroi registry init-key`): keep it apart from the
# database and its backups (docs/deploy.md).
REGISTRY_KEY_FILE = env_str("BEFFROI_REGISTRY_KEY_FILE") or str(DATA_DIR / "registry.keys")
# Disclosure control of registry counts (docs/registry.md).
REGISTRY_CELL_M = env_int("BEFFROI_REGISTRY_CELL_M", 200)
REGISTRY_MIN_AREA_M2 = env_int("BEFFROI_REGISTRY_MIN_AREA_M2", 1_000_000)
REGISTRY_SMALL_COUNT = env_int("BEFFROI_REGISTRY_SMALL_COUNT", 5)
REGISTRY_COUNT_RATE_PER_HOUR = env_int("BEFFROI_REGISTRY_COUNT_RATE_PER_HOUR", 30)
REGISTRY_DIFFERENCING_HOURS = env_int("BEFFROI_REGISTRY_DIFFERENCING_HOURS", 24)
if REGISTRY_SMALL_COUNT < 3:
    raise ConfigurationError(
        f"BEFFROI_REGISTRY_SMALL_COUNT={REGISTRY_SMALL_COUNT}: the small-count threshold cannot be below 3."
    )
if REGISTRY_CELL_M < 200:
    raise ConfigurationError(f"BEFFROI_REGISTRY_CELL_M={REGISTRY_CELL_M}: counting cells are at least 200 m.")
# Country calling codes a citizen's SMS subscription may use (SMS pumping goes abroad).
SMS_COUNTRY_CODES = env_list(
    "BEFFROI_SMS_COUNTRY_CODES", ["33", "262", "269", "508", "590", "594", "596", "681", "687", "689"]
)
# Hosts a browser's push subscription endpoint may have (https only; "*.x" = any subdomain of x).
PUSH_SERVICE_HOSTS = env_list(
    "BEFFROI_PUSH_HOSTS",
    ["fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.apple.com", "*.notify.windows.com"],
)
# Partner webhooks on the town's own network (host or host:port): exempt from the public-address rule.
WEBHOOK_ALLOW_HOSTS = env_list("BEFFROI_WEBHOOK_ALLOW_HOSTS", [])
DEFAULT_FROM_EMAIL = env_str("BEFFROI_EMAIL_FROM", "beffroi@localhost")
if EMAIL_URL:
    globals().update(email_settings_from_url(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")
REGISTRY_KEY = env_str("BEFFROI_REGISTRY_KEY")
REGISTRY_PCS_EXTENSION = env_bool("BEFFROI_REGISTRY_PCS_EXTENSION", False)

# Citizen alerts
DEFAULT_PUBLIC_URL = "http://localhost:8000"
PUBLIC_URL = (env_str("BEFFROI_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
CAP_SIGNING_KEY = env_str("BEFFROI_CAP_SIGNING_KEY")  # PEM file paths; unsigned CAP when unset
CAP_SIGNING_CERT = env_str("BEFFROI_CAP_SIGNING_CERT")
SMS_URL = env_str("BEFFROI_SMS_URL") or ""
SMS_SENDER = env_str("BEFFROI_SMS_SENDER") or "MAIRIE"
# The public form offers SMS subscriptions unless the town has no SMS gateway contract.
SMS_SUBSCRIPTIONS = env_bool("BEFFROI_SMS_SUBSCRIPTIONS", True)
VAPID_PRIVATE_KEY = env_str("BEFFROI_VAPID_PRIVATE_KEY") or ""
VAPID_SUBJECT = env_str("BEFFROI_VAPID_SUBJECT") or "mailto:mairie@beffroi.invalid"
SOCIAL_URLS = env_list("BEFFROI_SOCIAL_URLS", [])
# A worker holds the rows it claimed for this long and renews the lease every third of it while it
# sends them: a killed worker's rows are claimed again by another within this many seconds.
OUTBOX_LEASE_SECONDS = env_int("BEFFROI_OUTBOX_LEASE_SECONDS", 10)
OUTBOX_BATCH = env_int("BEFFROI_OUTBOX_BATCH", 500)  # rows one worker claims at a time
# Per channel and per worker process: messages (requests) in flight at once, and at most `rate`
# requests per second (0 = no limit; set it to the provider's contract divided by the workers).
OUTBOX_CHANNELS = {
    "email": {
        "concurrency": env_int("BEFFROI_EMAIL_CONNECTIONS", 4),
        "rate": env_float("BEFFROI_EMAIL_RATE", 0.0),
        # Messages a connection is handed at a time (on an unlimited lane): one hand-over between
        # the sending loop and a connection's thread for that many messages.
        "batch": env_int("BEFFROI_EMAIL_BATCH", 4),
    },
    "sms": {
        "concurrency": env_int("BEFFROI_SMS_CONCURRENCY", 16),
        "rate": env_float("BEFFROI_SMS_RATE", 0.0),
    },
    "webhook": {
        "concurrency": env_int("BEFFROI_WEBHOOK_CONCURRENCY", 8),
        "rate": env_float("BEFFROI_WEBHOOK_RATE", 0.0),
    },
    "webpush": {
        "concurrency": env_int("BEFFROI_PUSH_CONCURRENCY", 16),
        "rate": env_float("BEFFROI_PUSH_RATE", 0.0),
    },
}

# Public sources and file imports
SOURCES_ALLOW_HOSTS = env_list("BEFFROI_SOURCES_ALLOW_HOSTS", [])
SOURCES_TIMEOUT = env_int("BEFFROI_SOURCES_TIMEOUT", 20)
SOURCES_MAX_MB = env_int("BEFFROI_SOURCES_MAX_MB", 50)
# Another address per source kind: BEFFROI_<KIND>_URL (e.g. BEFFROI_HUBEAU_URL, and
# BEFFROI_DATAGOUV_TABULAR_URL), keyed by the lower-case <KIND>. The variables of the other
# settings above are not source kinds.
_NOT_SOURCE_URLS = {"DATABASE", "REDIS", "EMAIL", "SMS", "PUBLIC", "MAP_TILE", "SOCIAL"}
SOURCE_URLS = {
    name[len("BEFFROI_") : -len("_URL")].lower(): value.strip()
    for name, value in os.environ.items()
    if name.startswith("BEFFROI_")
    and name.endswith("_URL")
    and name[len("BEFFROI_") : -len("_URL")] not in _NOT_SOURCE_URLS
    and value.strip()
}
# Credentials of the sources (docs/sources.md), keyed by their variable name.
SOURCE_CREDENTIAL_VARIABLES = (
    "BEFFROI_METEOFRANCE_API_KEY",
    "BEFFROI_ATMO_USERNAME",
    "BEFFROI_ATMO_PASSWORD",
    "BEFFROI_AIRPARIF_API_KEY",
    "BEFFROI_PRIM_API_KEY",
)
SOURCE_API_KEYS = {name: value for name in SOURCE_CREDENTIAL_VARIABLES if (value := env_str(name))}
IMPORT_MAX_MB = env_int("BEFFROI_IMPORT_MAX_MB", 500)
IMPORT_MAX_UNCOMPRESSED_MB = env_int("BEFFROI_IMPORT_MAX_UNCOMPRESSED_MB", 1000)
IMPORT_MAX_ZIP_RATIO = env_int("BEFFROI_IMPORT_MAX_ZIP_RATIO", 200)
IMPORT_MAX_ZIP_MEMBERS = env_int("BEFFROI_IMPORT_MAX_ZIP_MEMBERS", 1000)
IMPORT_MAX_LINE_KB = env_int("BEFFROI_IMPORT_MAX_LINE_KB", 1024)
IMPORT_MAX_VERTICES = env_int("BEFFROI_IMPORT_MAX_VERTICES", 100_000)

# Default port of ``beffroi serve``
PORT = env_int("PORT", 8000)

# --- Logging --------------------------------------------------------------------------------
# structlog renders every line, ours and the libraries' alike: JSON in server mode (one object a
# line, with the request id, user and commune bound by core.middleware), plain text in embedded mode.
LOG_LEVEL = env_str("BEFFROI_LOG_LEVEL", "INFO") or "INFO"
LOG_JSON = env_bool("BEFFROI_LOG_JSON", SERVER_MODE)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structlog": {"()": "beffroi.core.logging.formatter", "json": LOG_JSON},
    },
    "filters": {"client_errors_on_one_line": {"()": "beffroi.core.logging.ClientErrorsOnOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "structlog",
            "filters": ["client_errors_on_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}
