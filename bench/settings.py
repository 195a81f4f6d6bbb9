"""Settings for the benchmark servers: the production settings, plus the baseline views' URLs.

Only what a plain-HTTP loopback server needs differs: no HTTPS redirect, static files served
from the finders (no collectstatic manifest). Nothing on the measured paths changes.
"""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0

# Candidate fixes, tried by the benchmarks before they are proposed for config/settings.py (off by default):
# BENCH_PG_POOL=N    PostgreSQL through a psycopg pool of at most N connections (Django ≥ 5.1).
# (SQLite's IMMEDIATE transactions and the Redis layer's longer read timeout were candidates here and are
# in config/settings.py since issue #7.)
_pool = int(os.environ.get("BENCH_PG_POOL", "0") or 0)
if _pool and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": _pool, "timeout": 60}  # noqa: F405
