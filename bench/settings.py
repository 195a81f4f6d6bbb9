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
# BENCH_PG_POOL=N    PostgreSQL through a psycopg pool of at most N connections (Django ≥ 5.1), so that
#                    daphne's thread-per-request cannot open more connections than the server allows;
# BENCH_SQLITE_IMMEDIATE=1   SQLite transactions take the write lock at BEGIN, so a read-then-write
#                    transaction waits for the lock (timeout) instead of failing with "database is locked".
_pool = int(os.environ.get("BENCH_PG_POOL", "0") or 0)
if _pool and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": _pool, "timeout": 60}  # noqa: F405
if os.environ.get("BENCH_SQLITE_IMMEDIATE") == "1" and DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"  # noqa: F405
# BENCH_REDIS_SOCKET_TIMEOUT=S   redis-py 8 reads time out after 5 s by default, as long as channels_redis's
#                    BZPOPMIN waits (brpop_timeout 5 s): when the event loop is late, the read times out,
#                    the consumer's receive loop dies and the socket is closed with 4012. A longer timeout
#                    removes the race.
_redis_timeout = os.environ.get("BENCH_REDIS_SOCKET_TIMEOUT")
if _redis_timeout and CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):  # noqa: F405
    for _host in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]:  # noqa: F405
        _host["socket_timeout"] = float(_redis_timeout)
