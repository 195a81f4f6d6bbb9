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

# Probes (off unless set; BENCH_GC_FREEZE, which froze the start-up objects, is config/asgi.py's since issue #7):
# BENCH_GC_LOG=1      log every collection of the oldest generation that takes ≥ 5 ms (WARNING, with
#                     its duration and how many objects it freed), to see collector pauses in the tails.
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

if os.environ.get("BENCH_GC_LOG"):
    _gc_log = logging.getLogger("bench.gc")
    _gc_started = {}

    def _time_collections(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            _gc_started["at"] = time.perf_counter()
        elif "at" in _gc_started:
            took = (time.perf_counter() - _gc_started.pop("at")) * 1000
            if took >= 5:
                _gc_log.warning("GC gen2 %.1f ms, collected %d", took, info["collected"])

    gc.callbacks.append(_time_collections)
