"""Settings. Embedded defaults (SQLite, SQLite-backed Celery broker, SQLite FTS5 search) unless environment
variables point at production services: DATABASE_URL, CELERY_BROKER_URL, SEARCH_BACKEND/ELASTICSEARCH_URL."""

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLATELENS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_networks(name: str, default: str) -> list[str]:
    """Comma-separated addresses or CIDRs, checked at start-up so a typo stops the server, not a request."""
    networks = [n.strip() for n in os.environ.get(name, default).split(",") if n.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {network!r} is not an address or CIDR") from exc
    return networks


def database_from_url(url: str) -> dict:
    """Turn postgres://user:pass@host:port/name or sqlite:///path into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path or str(VAR_DIR / "db.sqlite3")}
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.path.lstrip("/"),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # One psycopg pool per process instead of a persistent connection per thread: a web process
            # holds at most PLATELENS_DB_POOL_SIZE connections however many threads serve requests.
            "CONN_MAX_AGE": 0,
            "OPTIONS": {
                "pool": {"min_size": 1, "max_size": env_int("PLATELENS_DB_POOL_SIZE", 4), "timeout": 30}
            },
        }
    raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (use postgres:// or sqlite://)")


def secret_key() -> str:
    """PLATELENS_SECRET_KEY, or a random key made once and kept in VAR_DIR (never a key known to others).
    Processes on other machines do not share VAR_DIR: production sets PLATELENS_SECRET_KEY everywhere."""
    if os.environ.get("PLATELENS_SECRET_KEY"):
        return os.environ["PLATELENS_SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: concurrent first starts agree on one complete key.
        draft = VAR_DIR / f".secret_key.{os.getpid()}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = secret_key()
# Off unless asked for: a debug page shows settings, SQL and tracebacks to whoever triggers an error.
DEBUG = env_bool("PLATELENS_DEBUG", False)
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("PLATELENS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("PLATELENS_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dam",
    "search",
    "compat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, pages) from the app itself, with DEBUG off and no web server in front.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "platelens.urls"
WSGI_APPLICATION = "platelens.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web server and worker write concurrently: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("PLATELENS_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# whitenoise serves static files from the apps themselves, so the app works with DEBUG off and without a
# `collectstatic` step; in production `collectstatic` fills STATIC_ROOT for the reverse proxy to serve.
WHITENOISE_USE_FINDERS = True
# Uploaded photos are private: there is no public media URL; views check ownership and serve the bytes,
# or hand them to the reverse proxy (PLATELENS_MEDIA_ACCEL: "x-accel-redirect" for nginx, "x-sendfile"
# for Apache/lighttpd) under PLATELENS_MEDIA_ACCEL_PREFIX, an internal-only location of the proxy.
MEDIA_ROOT = Path(os.environ.get("PLATELENS_MEDIA_ROOT", VAR_DIR / "media"))
PLATELENS_MEDIA_ACCEL = os.environ.get("PLATELENS_MEDIA_ACCEL", "").strip().lower()
PLATELENS_MEDIA_ACCEL_PREFIX = os.environ.get("PLATELENS_MEDIA_ACCEL_PREFIX", "/protected-media/")
# S3-compatible storage is a settings change: set PLATELENS_STORAGE_BACKEND=storages.backends.s3.S3Storage
# (django-storages) plus its AWS_* variables.
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("PLATELENS_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- security headers ------------------------------------------------------------------------------------
# Always on, Django's defaults kept: X-Frame-Options DENY, nosniff, Referrer-Policy and COOP same-origin.
# PLATELENS_HTTPS=true (production behind a TLS-terminating proxy that sets X-Forwarded-Proto): secure
# cookies, HTTPS redirect and HSTS; `manage.py check --deploy` is clean with it and a real secret key.
PLATELENS_HTTPS = env_bool("PLATELENS_HTTPS", False)
if PLATELENS_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("PLATELENS_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PLATELENS_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("PLATELENS_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a commitment browsers keep for months: the operator opts in, the check stays quiet.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- uploads and images -------------------------------------------------------------------------------
PLATELENS_MAX_UPLOAD_BYTES = env_int("PLATELENS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
PLATELENS_MAX_MEGAPIXELS = env_int("PLATELENS_MAX_MEGAPIXELS", 50)
# Request bodies may carry base64 (4/3 of the bytes) plus multipart overhead.
DATA_UPLOAD_MAX_MEMORY_SIZE = PLATELENS_MAX_UPLOAD_BYTES * 2
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PLATELENS_STORE_IMAGES = env_bool("PLATELENS_STORE_IMAGES", True)

# --- recognition engine --------------------------------------------------------------------------------
PLATELENS_DEFAULT_REGIONS = [r for r in os.environ.get("PLATELENS_DEFAULT_REGIONS", "").split(",") if r]

# --- REST API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("PLATELENS_RATE_LIMIT", "600/min"),
        "anon": "60/min",
    },
    "EXCEPTION_HANDLER": "platelens.errors.api_exception_handler",
    # JSON with a nesting limit: a 2,000-deep body is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "platelens.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "platelens API",
    "DESCRIPTION": "Self-hosted license-plate recognition, asset metadata and plate search.",
    "VERSION": "0.1.0",
    # Swagger UI from the drf-spectacular-sidecar package: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Schema completeness is not a deployment setting: `check --deploy` reports security, not doc gaps.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "ENUM_NAME_OVERRIDES": {
        "AssetStatusEnum": "dam.models.Asset.Status",
        "ReviewStatusEnum": "dam.models.PlateReading.Review",
    },
}

# Per-user monthly call quota for the recognition APIs (0 = unlimited).
PLATELENS_MONTHLY_QUOTA = env_int("PLATELENS_MONTHLY_QUOTA", 0)

# --- Celery --------------------------------------------------------------------------------------------
# Embedded default: kombu's SQLAlchemy transport on a SQLite file (no daemon). Production: redis://...
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"connect_args": {"timeout": 30}}
    if CELERY_BROKER_URL.startswith("sqla+")
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
)
# Replies of the synchronous APIs' engine requests (dam.engine): a SQLite file by default, the Redis broker
# when there is one. Every other task ignores its result.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
CELERY_DATABASE_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}}
CELERY_RESULT_EXPIRES = 3600
# How often an idle worker looks for messages on the SQLite broker (kombu's default, 1 s, would be added to
# synchronous API calls); platelens/celery.py applies it.
PLATELENS_BROKER_POLL_SECONDS = 0.1
# How long a synchronous API waits for the worker's engine before answering 503.
PLATELENS_ENGINE_TIMEOUT_SECONDS = env_int("PLATELENS_ENGINE_TIMEOUT_SECONDS", 30)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = (
    False  # uploads are recognized by a worker (the compatible APIs answer synchronously)
)
CELERY_TASK_IGNORE_RESULT = True
# Maintenance (the sweep, search indexing, webhook deliveries) has its own queue so a recognition backlog
# never delays it; `serve`'s worker consumes both, production runs a worker for each (see the README).
CELERY_TASK_DEFAULT_QUEUE = "celery"
PLATELENS_MAINTENANCE_QUEUE = "maintenance"
# A worker started without -Q consumes both (nothing is left unconsumed); production splits them with -Q.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)  # one exchange per queue: a message reaches only its queue
    for name in (CELERY_TASK_DEFAULT_QUEUE, PLATELENS_MAINTENANCE_QUEUE)
)
CELERY_TASK_ROUTES = {
    name: {"queue": PLATELENS_MAINTENANCE_QUEUE}
    for name in (
        "dam.tasks.sweep_stuck_assets",
        "search.tasks.*",
        "dam.compat.tasks.*",
    )
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# An asset in "processing" longer than this is considered orphaned by a dead worker and re-queued.
PLATELENS_STUCK_AFTER_SECONDS = env_int("PLATELENS_STUCK_AFTER_SECONDS", 300)
# How often beat runs that sweep, and how many times an asset is tried before it is marked failed.
PLATELENS_SWEEP_INTERVAL_SECONDS = env_int("PLATELENS_SWEEP_INTERVAL_SECONDS", 60)
PLATELENS_MAX_ATTEMPTS = env_int("PLATELENS_MAX_ATTEMPTS", 3)
# Every periodic task of every app, declared here once (beat reads it through platelens.celery).
CELERY_BEAT_SCHEDULE = {
    "dam-sweep-stuck-assets": {
        "task": "dam.tasks.sweep_stuck_assets",
        "schedule": float(PLATELENS_SWEEP_INTERVAL_SECONDS),
    },
    "search-index-pending": {"task": "search.tasks.index_pending", "schedule": 30.0},  # retries the outbox
    "compat-requeue-stale-webhook-deliveries": {
        # the task keeps the name it had when compat lived in dam/ (queued messages still run)
        "task": "dam.compat.tasks.requeue_stale_deliveries",
        "schedule": 300.0,
    },
}

# --- search --------------------------------------------------------------------------------------------
# "embedded" (SQLite FTS5 trigram / PostgreSQL pg_trgm in the project database) or "elasticsearch".
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "embedded")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
ELASTICSEARCH_INDEX = os.environ.get("ELASTICSEARCH_INDEX", "platelens-plates")
ELASTICSEARCH_API_KEY = os.environ.get("ELASTICSEARCH_API_KEY", "")
ELASTICSEARCH_VERIFY_CERTS = env_bool("ELASTICSEARCH_VERIFY_CERTS", True)
ELASTICSEARCH_NODE_CLASS = os.environ.get("ELASTICSEARCH_NODE_CLASS", "")  # tests point this at an adapter

# --- webhooks ------------------------------------------------------------------------------------------
# Hosts (or CIDRs) that webhook targets and URL inputs may resolve to besides public addresses.
PLATELENS_WEBHOOK_ALLOWED_HOSTS = [
    h for h in os.environ.get("PLATELENS_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h
]
PLATELENS_URL_INPUT_ALLOWED_HOSTS = [
    h for h in os.environ.get("PLATELENS_URL_INPUT_ALLOWED_HOSTS", "").split(",") if h
]
PLATELENS_WEBHOOK_MAX_ATTEMPTS = env_int("PLATELENS_WEBHOOK_MAX_ATTEMPTS", 5)  # per delivery
PLATELENS_WEBHOOK_DISABLE_AFTER = env_int(
    "PLATELENS_WEBHOOK_DISABLE_AFTER", 5
)  # consecutive failed deliveries
PLATELENS_WEBHOOK_BACKOFF_SECONDS = env_int("PLATELENS_WEBHOOK_BACKOFF_SECONDS", 10)  # doubles per retry
PLATELENS_WEBHOOK_STALE_SECONDS = env_int("PLATELENS_WEBHOOK_STALE_SECONDS", 600)  # lost task -> re-queued
# Loopback targets (this machine's own services) only when the operator turns it on or lists the host.
PLATELENS_WEBHOOK_ALLOW_LOOPBACK = env_bool("PLATELENS_WEBHOOK_ALLOW_LOOPBACK", False)
# Plate Recognizer SDK mode: their on-prem SDK answers tokenless requests from its network. When on, such
# requests from these networks (CIDRs) on /v1/plate-reader/, /alpr and /info/ are served as PLATELENS_SDK_USER.
PLATELENS_SDK_MODE = env_bool("PLATELENS_SDK_MODE", False)
PLATELENS_SDK_ALLOWED_NETWORKS = env_networks("PLATELENS_SDK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
PLATELENS_SDK_USER = os.environ.get("PLATELENS_SDK_USER", "sdk")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PLATELENS_LOG_LEVEL", "INFO")},
}
