"""Settings for the benchmark servers: the production settings, plus the baseline views' URLs.

Only what a plain-HTTP loopback server needs differs: no HTTPS redirect, static files served
from the finders (no collectstatic manifest). Nothing on the measured paths changes.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0

# Candidate fixes are tried here behind BENCH_* variables before they are proposed for config/settings.py;
# none is open now (the psycopg pool BENCH_PG_POOL tried is DATABASE_POOL_MAX since issue #7).
