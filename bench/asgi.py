"""The app's ASGI application for the benchmarks: exactly config.asgi.application.

    daphne bench.asgi:application      (DJANGO_SETTINGS_MODULE=bench.settings)

The candidate fixes once switched on here (BENCH_HTTP_LIMIT, BENCH_ASYNC_CONSUMERS,
BENCH_DEFER_MATRICES, BENCH_STATE_CACHE) are in the core since issue #7: bounded HTTP
concurrency in config/asgi.py, async consumers in exercises/consumers.py, coalesced
whole-exercise views in exercises/realtime.py, the team state once per team and version in
exercises/fragments.py. A new candidate goes here again, behind a BENCH_* variable, until it
is measured.
"""

from config import asgi as app_asgi

application = app_asgi.application
