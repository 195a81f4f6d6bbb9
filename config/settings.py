"""Settings for Conjunction, read from the environment.

Every value has a safe default for the embedded setup (SQLite + in-memory channel
layer). A malformed value stops start-up with a message that names the variable.
"""

import os
from pathlib import Path

from config.env import env_bool, env_database, env_email_backend, env_int, env_list, env_redis_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_DEBUG is off (set DJANGO_DEBUG=1 for local use)."
        )
    SECRET_KEY = "insecure-dev-key-only-for-DJANGO_DEBUG=1"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_ratelimit",
    "exercises",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "exercises.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login rate limiting and lockout
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env_database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", default=30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX:
    # Connections come from a psycopg pool of at most DATABASE_POOL_MAX per process (0: none). Without
    # it every request and every socket's trip to the database opened a PostgreSQL connection (a
    # backend forked, authenticated, torn down): under 200 reconnecting pages after a restart the
    # handshakes queued behind those connects past daphne's 5-s handshake timeout, the pages retried,
    # and 200 pages took 37-46 s to come back instead of 8 (docs/benchmarks.md, restart). A request
    # holds one connection (HTTP_CONCURRENCY of them at most), a socket's trip one while it runs
    # (the loop's worker threads), the clock worker one per tick: keep it above HTTP_CONCURRENCY + 8,
    # and the sum over the processes below PostgreSQL's max_connections.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": DATABASE_POOL_MAX,
        "timeout": 30,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so that a live daphne started by the browser tests sees the test data.
    # One file per test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f"test-db-{os.getpid()}.sqlite3")}
    # Writers wait for the lock instead of failing at once when the clock worker and daphne overlap. A
    # transaction takes the write lock when it begins (IMMEDIATE): one that read first could not wait
    # for it later (SQLite's busy timeout does not apply to that upgrade) and failed with "database is
    # locked" under concurrent submissions (docs/benchmarks.md).
    # Write-ahead logging: readers (the pages' sync reports, their states) no longer hold off a writer's
    # commit, nor it them. A release under 200 sockets waited 120-140 ms for its commit in rollback-journal
    # mode (docs/benchmarks.md). synchronous stays FULL: every commit is on disk when it returns.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Each thread keeps its connection: the sockets' database work runs on the event loop's few worker
    # threads, and opening a SQLite connection for every trip was 8 % of daphne's CPU under 200 sockets.
    # (PostgreSQL has its pool instead; Django refuses persistent connections beside a pool.)
    DATABASES["default"]["CONN_MAX_AGE"] = None

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py caps its async pool at 100 connections; a connect storm needs more. Its reads
                # time out after 5 s by default, exactly as long as channels_redis's blocking receive
                # (BZPOPMIN, 5 s) waits: a little lateness then kills the socket's receive loop (4012).
                "hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": 15}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", default="conjunction"),
                "capacity": 1000,
                "expiry": 60,
                # A killed daphne's memberships go after 5 minutes, not a day; live pages re-join
                # their groups with every sync report (every 30 s).
                "group_expiry": 300,
            },
        }
    }
else:
    # Channels' in-memory layer, cleaning up expired messages once a second rather than on every receive
    # (config/channel_layers.py). The default capacity (100 messages per socket) drops a burst's pushes
    # without a word.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "config.channel_layers.EmbeddedChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# Inside daphne, whole-exercise views (delivery and sharing matrices, presence) are rendered at most
# once per this many seconds per exercise, after the commit, on a worker thread (exercises/realtime.py).
COALESCE_SECONDS = 1.0

# A socket refreshes its presence row at the first sync report this long after it last wrote it: every
# other report at the page's 30 s, at most 45 s + one report interval apart (105 s in a background tab
# that the browser lets report once a minute), inside presence.PRESENCE_TIMEOUT (150 s).
PRESENCE_REFRESH_SECONDS = 45.0

# At most this many HTTP requests inside Django at once per daphne process; the others wait their
# turn in the event loop. Django runs each in a thread with a database connection of its own, so
# without a bound 200 concurrent submissions open 200 PostgreSQL connections (docs/benchmarks.md).
# Keep DATABASE_POOL_MAX above it (by 8 or more).
HTTP_CONCURRENCY = env_int("HTTP_CONCURRENCY", default=16)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Invitations and password resets. A new account added to an exercise gets a one-time link to set its own
# password (exercises/invitations.py), valid INVITATION_DAYS; "Forgot your password?" sends a one-time link
# valid PASSWORD_RESET_HOURS. Either stops working once used: setting the password changes what it signs.
INVITATION_TIMEOUT = env_int("INVITATION_DAYS", default=7) * 24 * 3600
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", default=24) * 3600
for _name, _value in (("INVITATION_DAYS", INVITATION_TIMEOUT), ("PASSWORD_RESET_HOURS", PASSWORD_RESET_TIMEOUT)):
    if not _value:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{_name} must be at least 1: a link valid for no time cannot be used.")
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", default="10/h")  # reset emails asked for from one address

# Email (invitations, password resets): printed to the log by the console backend unless EMAIL_BACKEND says
# otherwise (smtp, with EMAIL_HOST and friends).
EMAIL_BACKEND = env_email_backend("EMAIL_BACKEND", default="console")
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="Conjunction <conjunction@localhost>")

# English and French, NATO's two official languages (French is FRA's). Catalogues in locale/, compiled by
# `make run` and `make test` (compilemessages); inject texts stay as their author wrote them.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A player of one of these teams who has not picked a language reads the team's (selectors.user_language).
TEAM_LANGUAGES = {"FRA": "fr"}
# The picker's choice (views.accounts.choose_language), for a year; read by LocaleMiddleware.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Under daphne in development WhiteNoise serves straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches: shared through Redis when there is one (rate limits must hold across daphne processes).
# django-ratelimit lists only memcached and django-redis as "officially supported" (W001); Django's own
# RedisCache increments atomically too, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_pool.SharedClientRedisCache",  # Django's RedisCache, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CHANNEL_LAYER_PREFIX", default="conjunction"),
            "OPTIONS": {"pool_class": "config.redis_pool.SharedConnectionPool"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")  # the embedded setup is one process: its cache is shared

# Security: secure cookies, HSTS and HTTPS redirect in production (behind TLS), a strict CSP.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],  # no inline script anywhere, and htmx runs with allowEval off
        "style-src": ["'self'", "'unsafe-inline'"],  # team colours are inline style attributes
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login lockout (django-axes): 5 failures for a user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Rate limits per user (django-ratelimit): what one player may submit in a minute.
RATELIMIT_VIEW = "exercises.views.live.rate_limited"
SUBMISSION_RATE = env_str("SUBMISSION_RATE", default="30/m")  # also a TAXII client's POSTs, per API token
TAXII_READ_RATE = env_str("TAXII_READ_RATE", default="300/m")  # a TAXII client's GETs, per API token

# Request size limits: a clear 400 instead of memory spent on oversized bodies.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

# The clock worker: seconds between ticks, and whether each daphne process runs one too.
CLOCK_INTERVAL = 0.25
CLOCK_IN_PROCESS = env_bool("CLOCK_IN_PROCESS", default=True)

# Longest response, message or inject text a user may submit.
CONJUNCTION_MAX_TEXT = 4000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"exercises": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")}},
}
