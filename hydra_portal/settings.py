"""Settings for Hydra portal.

Every value comes from a HYDRA_* environment variable through the typed readers of
``hydra_portal.env``. The defaults run embedded: SQLite and media under ``var/``, an
in-memory channel layer and an in-process Dramatiq worker, so a fresh clone runs at once.
"""

from pathlib import Path

from apps.core.csp import websocket_sources
from hydra_portal import api_config
from hydra_portal.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_path,
    env_secret,
    env_str,
    env_url,
    parse_database_url,
)
from hydra_portal.ldap_config import ldap_settings
from hydra_portal.storage_config import storage_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("HYDRA_VAR_DIR", BASE_DIR / "var")

# Off unless asked for: Django's debug pages show settings and code to anyone who hits an error.
DEBUG = env_bool("HYDRA_DEBUG", False)
SECRET_KEY = env_secret("HYDRA_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "HYDRA_SECRET_KEY must be set when HYDRA_DEBUG is off (the default), or HYDRA_SECRET_KEY_FILE "
            "name a file that holds it; "
            "on a development machine set HYDRA_DEBUG=true instead, or run `make demo`"
        )
    SECRET_KEY = "insecure-development-key-set-HYDRA_SECRET_KEY-in-production"

ALLOWED_HOSTS = env_list("HYDRA_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("HYDRA_CSRF_TRUSTED_ORIGINS", [])

# Anonymous visitors may read plots, pages and the read API; writes always need a login.
OPEN_ACCESS = env_bool("HYDRA_OPEN_ACCESS", True)

INSTALLED_APPS = [
    "daphne",
    "apps.accounts.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "apps.core",
    # Sets up the Dramatiq broker in its ready(), before any app below declares an actor.
    "apps.jobs",
    "apps.experiments",
    "apps.labels",
    "apps.plots",
    "apps.accounts",
    "apps.audit",
    "apps.wiki",
    "apps.monitoring",
    "apps.validation",
    "apps.notifications",
    "apps.alerts",
    "apps.operations",
    "apps.briefs",
    "apps.backups",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.DirectoryRecheckMiddleware",
    "apps.audit.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.bad_input.BadParameterMiddleware",
    "apps.core.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "hydra_portal.urls"
ASGI_APPLICATION = "hydra_portal.asgi.application"
# Threads per server process that run the pages and the API (hydra_portal/asgi.py); each keeps one
# database connection. 0: Django's ASGI handler, a thread and a connection per request.
HTTP_THREADS = env_int("HYDRA_HTTP_THREADS", 8, minimum=0, maximum=256)
WSGI_APPLICATION = "hydra_portal.wsgi.application"

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
                "apps.core.context_processors.portal",
                "apps.experiments.context_processors.switcher",
            ],
        },
    },
]

DATABASE_URL = env_url(
    "HYDRA_DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'hydra.sqlite3'}",
    schemes=("sqlite", "mysql", "mariadb"),
    secret=True,
)
DATABASES = {"default": parse_database_url("HYDRA_DATABASE_URL", DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The file's folder is made at start-up (apps.core's ready(), hydra_portal/checks.py), not here.
    # Tests use a file, not a shared-cache in-memory database: worker threads and the live
    # server then wait for locks (WAL, busy timeout) instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(Path(DATABASES["default"]["NAME"]).with_name("test-hydra.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Optional directory login (HYDRA_LDAP_*, read in hydra_portal/ldap_config.py): tried first, local
# accounts keep working. Without HYDRA_LDAP_SERVER_URI every name below keeps its "off" value.
_LDAP = ldap_settings()
AUTH_LDAP_SERVER_URI = _LDAP["AUTH_LDAP_SERVER_URI"]
AUTH_LDAP_BIND_DN = _LDAP["AUTH_LDAP_BIND_DN"]
AUTH_LDAP_BIND_PASSWORD = _LDAP["AUTH_LDAP_BIND_PASSWORD"]
AUTH_LDAP_START_TLS = _LDAP["AUTH_LDAP_START_TLS"]
AUTH_LDAP_USER_ATTR_MAP = _LDAP["AUTH_LDAP_USER_ATTR_MAP"]
AUTH_LDAP_CACHE_TIMEOUT = _LDAP["AUTH_LDAP_CACHE_TIMEOUT"]
AUTH_LDAP_ALWAYS_UPDATE_USER = _LDAP["AUTH_LDAP_ALWAYS_UPDATE_USER"]
AUTH_LDAP_CONNECTION_OPTIONS = _LDAP["AUTH_LDAP_CONNECTION_OPTIONS"]
AUTH_LDAP_USER_DN_TEMPLATE = _LDAP["AUTH_LDAP_USER_DN_TEMPLATE"]
AUTH_LDAP_USER_SEARCH = _LDAP["AUTH_LDAP_USER_SEARCH"]
AUTH_LDAP_GROUP_SEARCH = _LDAP["AUTH_LDAP_GROUP_SEARCH"]
AUTH_LDAP_GROUP_TYPE = _LDAP["AUTH_LDAP_GROUP_TYPE"]
AUTH_LDAP_FIND_GROUP_PERMS = _LDAP["AUTH_LDAP_FIND_GROUP_PERMS"]
AUTH_LDAP_REQUIRE_GROUP = _LDAP["AUTH_LDAP_REQUIRE_GROUP"]
# Checked by apps.accounts (directory.py, ldap_backend.py): how long a directory user's session or
# token is trusted before the directory is asked again, the groups, and directory group → role.
HYDRA_LDAP_RECHECK_SECONDS = _LDAP["HYDRA_LDAP_RECHECK_SECONDS"]
HYDRA_LDAP_REQUIRE_GROUPS = _LDAP["HYDRA_LDAP_REQUIRE_GROUPS"]
HYDRA_LDAP_DENY_GROUPS = _LDAP["HYDRA_LDAP_DENY_GROUPS"]
HYDRA_LDAP_ROLE_MAP = _LDAP["HYDRA_LDAP_ROLE_MAP"]
del _LDAP
if AUTH_LDAP_SERVER_URI:
    AUTHENTICATION_BACKENDS.insert(0, "apps.accounts.ldap_backend.DirectoryBackend")
# Every way in goes through one login throttle; this backend refuses locked names and addresses first.
AUTHENTICATION_BACKENDS.insert(0, "apps.accounts.throttle.LockoutBackend")
LOGIN_MAX_FAILURES = env_int("HYDRA_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("HYDRA_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Mail (password reset links) goes out only through an SMTP server named by HYDRA_EMAIL_HOST; without
# one the password reset page says that mail is off instead of pretending to send.
EMAIL_HOST = env_str("HYDRA_EMAIL_HOST", "")
EMAIL_CONFIGURED = bool(EMAIL_HOST)
EMAIL_PORT = env_int("HYDRA_EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("HYDRA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("HYDRA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HYDRA_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("HYDRA_EMAIL_FROM", "hydra-portal@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_CONFIGURED
    else "django.core.mail.backends.dummy.EmailBackend"
)

# Notifications (apps.notifications, docs/notifications.md): each delivery is tried right after the
# commit that queued it, then every NOTIFY_INTERVAL seconds by the scheduler, waiting RETRY seconds
# doubled per attempt (at most RETRY_MAX), until MAX_ATTEMPTS; TIMEOUT bounds one attempt.
NOTIFY_INTERVAL = env_float("HYDRA_NOTIFY_INTERVAL", 2.0, minimum=0.1)
NOTIFY_MAX_ATTEMPTS = env_int("HYDRA_NOTIFY_MAX_ATTEMPTS", 12, minimum=1, maximum=100)
NOTIFY_RETRY_SECONDS = env_float("HYDRA_NOTIFY_RETRY_SECONDS", 5.0, minimum=0.05)
NOTIFY_RETRY_MAX_SECONDS = env_float("HYDRA_NOTIFY_RETRY_MAX_SECONDS", 900.0, minimum=0.05)
NOTIFY_TIMEOUT = env_float("HYDRA_NOTIFY_TIMEOUT", 10.0, minimum=0.1)
# Activation gate (apps.monitoring.gating): a new model replaces the active one only when its Bad recall
# and accuracy on the same test runs are not lower by more than the tolerance, and never under the floor.
ACTIVATION_TOLERANCE = env_float("HYDRA_ACTIVATION_TOLERANCE", 0.01, minimum=0.0, maximum=1.0)
ACTIVATION_MIN_ACCURACY = env_float("HYDRA_ACTIVATION_MIN_ACCURACY", 0.5, minimum=0.0, maximum=1.0)
# Webhooks are signed (X-Hydra-Signature: sha256=<HMAC of the body>) with the secret of the longest
# matching URL prefix in HYDRA_WEBHOOK_SECRETS (JSON: {"https://chat.lab/hooks/": "secret"}), else this one.
WEBHOOK_SECRET = env_secret("HYDRA_WEBHOOK_SECRET", "")
WEBHOOK_SECRETS = env_secret("HYDRA_WEBHOOK_SECRETS", "")
# The electronic logbook: entries POSTed to HYDRA_LOGBOOK_URL ("{logbook}" in it becomes the target's name).
LOGBOOK_URL = env_str("HYDRA_LOGBOOK_URL", "")
LOGBOOK_TOKEN = env_secret("HYDRA_LOGBOOK_TOKEN", "")
LOGBOOK_FORMAT = env_str("HYDRA_LOGBOOK_FORMAT", "multipart")
LOGBOOK_TITLE = env_str("HYDRA_LOGBOOK_TITLE", "{subject}")
LOGBOOK_BODY = env_str("HYDRA_LOGBOOK_BODY", "{text}")
LOGBOOK_TAGS = env_list("HYDRA_LOGBOOK_TAGS", ["Hydra"])
# Shift briefs (apps.briefs): where they go for an experiment without a schedule (the schedule, in the
# admin, names its own), the portal address put before links in the text, and how much they list.
BRIEF_EMAIL_TO = env_str("HYDRA_BRIEF_EMAIL_TO", "")
BRIEF_LOGBOOK = env_str("HYDRA_BRIEF_LOGBOOK", "default")
BRIEF_BASE_URL = env_str("HYDRA_BRIEF_BASE_URL", "")
BRIEF_THUMBNAILS = env_int("HYDRA_BRIEF_THUMBNAILS", 12, minimum=1, maximum=100)
BRIEF_MIN_STREAK = env_int("HYDRA_BRIEF_MIN_STREAK", 3, minimum=1, maximum=100)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("HYDRA_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# This folder, MEDIA_ROOT, STORAGE_CACHE_DIR and the SQLite file's folder are made at start-up
# (apps.core's ready()); `manage.py check` reports one that cannot be made or written (hydra_portal/checks.py).
STATIC_ROOT = env_path("HYDRA_STATIC_ROOT", VAR_DIR / "static")
# In development whitenoise serves straight from the app and project static folders.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("HYDRA_MEDIA_ROOT", VAR_DIR / "media")
# Media are served by the portal itself unless a web server in front takes them over.
SERVE_MEDIA = env_bool("HYDRA_SERVE_MEDIA", True)

# Where images, thumbnails, heat maps and model files live: the local filesystem under MEDIA_ROOT, or an
# S3-compatible bucket shared by web and worker machines (hydra_portal/storage_config.py, docs/deploy.md).
STORAGE = env_str("HYDRA_STORAGE", "filesystem").lower()
STORAGES = storage_settings(STORAGE)
# Object storage: /media/ answers with a redirect to a short-lived signed URL instead of streaming
# the bytes through the portal (the bucket must then be reachable from the browsers).
MEDIA_REDIRECT = env_bool("HYDRA_MEDIA_REDIRECT", False)
# Local copies of stored files that TensorFlow and the image loaders need as files (object storage only).
STORAGE_CACHE_DIR = env_path("HYDRA_STORAGE_CACHE", VAR_DIR / "cache" / "storage")

# Image limits: anything beyond is rejected at ingest or upload with a message.
MAX_IMAGE_BYTES = env_int("HYDRA_MAX_IMAGE_BYTES", 20 * 1024 * 1024, minimum=1)
MAX_IMAGE_PIXELS = env_int("HYDRA_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
THUMBNAIL_WIDTH = env_int("HYDRA_THUMBNAIL_WIDTH", 320, minimum=16, maximum=2048)
INGEST_WORKERS = env_int("HYDRA_INGEST_WORKERS", 0, minimum=0)
DEFAULT_COLLECT_FRACTION = env_float("HYDRA_DEFAULT_COLLECT_FRACTION", 0.1, minimum=0.0, maximum=1.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_IMAGE_BYTES + 1024 * 1024

# One Redis URL can feed both the channel layer and the broker; each can be set alone too.
# Both may hold a password, so both may come from *_FILE too.
REDIS_URL = env_url("HYDRA_REDIS_URL", schemes=("redis", "rediss"), secret=True)
BROKER_URL = env_url("HYDRA_BROKER_URL", REDIS_URL, schemes=("redis", "rediss", "amqp", "amqps"), secret=True)
# Background jobs: a worker stamps its running job every HEARTBEAT_INTERVAL seconds; a job whose stamp
# is older than HEARTBEAT_TIMEOUT lost its worker and is queued again, up to MAX_ATTEMPTS starts. The
# relay looks for messages still to send (and for such jobs) every RELAY_INTERVAL seconds.
JOB_HEARTBEAT_INTERVAL = env_float("HYDRA_JOB_HEARTBEAT_INTERVAL", 5.0, minimum=0.05)
JOB_HEARTBEAT_TIMEOUT = env_float("HYDRA_JOB_HEARTBEAT_TIMEOUT", 120.0, minimum=0.5)
JOB_MAX_ATTEMPTS = env_int("HYDRA_JOB_MAX_ATTEMPTS", 3, minimum=1)
RELAY_INTERVAL = env_float("HYDRA_RELAY_INTERVAL", 2.0, minimum=0.05)
# Periodic tasks (apps.jobs.scheduler): a thread of the serving process in the embedded set-up (no broker
# URL), else `manage.py scheduler`. The loop ticks every TICK seconds and holds its lease for LEASE seconds.
SCHEDULER_IN_PROCESS = env_bool("HYDRA_SCHEDULER_IN_PROCESS", not BROKER_URL)
SCHEDULER_TICK_SECONDS = env_float("HYDRA_SCHEDULER_TICK", 1.0, minimum=0.05, maximum=60.0)
SCHEDULER_LEASE_SECONDS = env_float("HYDRA_SCHEDULER_LEASE", 15.0, minimum=1.0, maximum=3600.0)
# On SIGTERM a worker finishes its running jobs for up to this many seconds, then queues them again.
WORKER_SHUTDOWN_TIMEOUT = env_float("HYDRA_WORKER_SHUTDOWN_TIMEOUT", 600.0, minimum=0.0)
# /metrics answers admins, and a Prometheus server sending "Authorization: Bearer <this token>";
# empty: admins only.
METRICS_TOKEN = env_secret("HYDRA_METRICS_TOKEN", "")

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Figures every visitor sees alike (dashboard counts, the plot browser's filter choices) are kept
# this many seconds in the cache above: under load they were most of each page's queries.
PAGE_CACHE_SECONDS = env_float("HYDRA_PAGE_CACHE_SECONDS", 5.0, minimum=0.0)

# Run Conditions Database that manage.py sync_conditions reads when an experiment names none.
RCDB_URL = env_secret("HYDRA_RCDB_URL", "")
# How often the scheduler queues a sync of every experiment that names RCDB conditions (0: never).
RCDB_SYNC_SECONDS = env_float("HYDRA_RCDB_SYNC_SECONDS", 900.0, minimum=0.0)

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis waits up to 5 s on BRPOP for each websocket; redis-py 8 gives up on a
                # socket after as long, which closed every idle websocket (1011) every 5 s. The read
                # timeout stays well above the wait; keepalive and health checks find dead sockets.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "health_check_interval": 15,
                    }
                ],
                "prefix": env_str("HYDRA_CHANNEL_PREFIX", "hydra"),
                # Events a slow page has not read yet: 100 (the default) dropped bursts of uploads.
                "capacity": env_int("HYDRA_CHANNEL_CAPACITY", 1000, minimum=10),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Uploads through the API: one request may carry at most this many bytes (bulk form and zip
# archives included); an archive may unpack to at most MAX_ARCHIVE_BYTES in MAX_ARCHIVE_MEMBERS files.
MAX_UPLOAD_BYTES = env_int("HYDRA_MAX_UPLOAD_BYTES", 512 * 1024 * 1024, minimum=1)
MAX_ARCHIVE_BYTES = env_int("HYDRA_MAX_ARCHIVE_BYTES", 2 * 1024 * 1024 * 1024, minimum=1)
MAX_ARCHIVE_MEMBERS = env_int("HYDRA_MAX_ARCHIVE_MEMBERS", 10_000, minimum=1)
# Request bodies, checked as they arrive (hydra_portal/body_limits.py): without valid credentials a
# body may have at most ANONYMOUS_MAX_BODY_BYTES, and a body that stops arriving for BODY_TIMEOUT
# seconds is answered 408.
ANONYMOUS_MAX_BODY_BYTES = env_int("HYDRA_ANONYMOUS_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
BODY_TIMEOUT = env_float("HYDRA_BODY_TIMEOUT", 30.0, minimum=0.1)
# Files in one multipart request (Django's own default is 100); the byte limit above still holds.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("HYDRA_MAX_UPLOAD_FILES", 1000, minimum=1)

# The API: Django REST framework and its OpenAPI schema (fixed values, hydra_portal/api_config.py).
REST_FRAMEWORK = api_config.REST_FRAMEWORK
SPECTACULAR_SETTINGS = api_config.SPECTACULAR_SETTINGS

# Content-Security-Policy (django-csp): scripts only from the portal's own files, never inline or
# eval'd, so that a name that ever slipped out as markup still could not run. Inline style attributes
# stay allowed: templates colour plots and classes with style="--cls: #rrggbb" (colours are validated).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *websocket_sources(ALLOWED_HOSTS)],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "hydra_portal.log_filters.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("HYDRA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own console handler would print every django.* line a second time (through root).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("HYDRA_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("HYDRA_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("HYDRA_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("HYDRA_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
