"""Beffroi's one settings module, driven by environment variables.

Two modes share it: *embedded* (default: SQLite, Huey on SQLite, in-process live broker,
no external service) and *server* (``BEFFROI_MODE=server``: PostgreSQL, Redis, secrets required).
Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url

from beffroi import __version__
from beffroi.core.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_required,
    env_str,
)

VERSION = __version__
PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
TESTING = "pytest" in sys.modules

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
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
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
    "beffroi.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "beffroi.core.middleware.LoginRequiredMiddleware",
    "beffroi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "beffroi.registry.middleware.RegistryKeyMiddleware",
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
                "beffroi.web.context.beffroi_context",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("BEFFROI_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'beffroi.sqlite3'}"
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0 if TESTING else 60)
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
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")} if env_bool("BEFFROI_TEST_DB_FILE", False) else {}
DATABASES = {"default": _db}
DATABASE_VENDOR = "sqlite" if _db["ENGINE"].endswith("sqlite3") else "postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue and live updates ----------------------------------------------------------------
REDIS_URL = env_str("BEFFROI_REDIS_URL")
if SERVER_MODE and not REDIS_URL:
    raise ConfigurationError("BEFFROI_REDIS_URL must be set in server mode (task queue and live updates).")
HUEY = {
    "name": "beffroi",
    "immediate": TESTING,
    "results": False,
    "consumer": {"workers": env_int("BEFFROI_WORKER_THREADS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

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
# Paths reachable without a session: the citizen site, health probe, login, static files and the
# token-authenticated API (the API checks its own credentials).
PUBLIC_PATH_PREFIXES = (
    "/public/",
    "/healthz",
    "/accounts/login/",
    "/static/",
    "/api/",
    "/i18n/",
    "/favicon.ico",
)

# A crisis cell must never be locked out for long: lock on username+IP, finite cool-off, tiers.
AXES_FAILURE_LIMIT = env_int("BEFFROI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("BEFFROI_LOGIN_COOLOFF_MINUTES", 5))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("BEFFROI_PROXY_COUNT", 0) or None

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

MAP_TILE_URL = env_str("BEFFROI_MAP_TILE_URL", "") or ""
MAP_TILE_ATTRIBUTION = env_str("BEFFROI_MAP_TILE_ATTRIBUTION", "") or ""

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
MEDIA_ROOT = DATA_DIR / "media"
DATASETS_DIR = DATA_DIR / "data"

# --- Outbound -------------------------------------------------------------------------------
EMAIL_URL = env_str("BEFFROI_EMAIL_URL")
SMS_URL = env_str("BEFFROI_SMS_URL")
SOURCES_ALLOW_HOSTS = env_list("BEFFROI_SOURCES_ALLOW_HOSTS", [])
# RFC 3161 timestamp authority for main-courante chain heads (empty: no timestamp token).
CRISIS_TSA_URL = env_str("BEFFROI_CRISIS_TSA_URL", "")
REGISTRY_KEY = env_str("BEFFROI_REGISTRY_KEY")
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
DEFAULT_FROM_EMAIL = env_str("BEFFROI_EMAIL_FROM", "beffroi@localhost")
if EMAIL_URL:
    from beffroi.core.mailurl import email_settings_from_url

    globals().update(email_settings_from_url(EMAIL_URL))
elif TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "beffroi.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if SERVER_MODE else "plain"}
    },
    "root": {"handlers": ["console"], "level": env_str("BEFFROI_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
