"""ASGI entry point: HTTP through Django, websockets through Channels with auth and an Origin check."""

import asyncio
import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from exercises import realtime  # noqa: E402
from exercises.routing import websocket_urlpatterns  # noqa: E402
from exercises.views.lazy import import_deferred  # noqa: E402


class BoundedConcurrency:
    """At most `limit` requests inside `app` at once; the others wait on the event loop, costing nothing.

    Django serves each sync request in a thread of its own with its own database connection: unbounded,
    a crowd of players submitting at once becomes as many threads and connections (docs/benchmarks.md).
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self.slots = None  # made on the first request, on the loop that serves it

    async def __call__(self, scope, receive, send):
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.limit)
        async with self.slots:
            return await self.app(scope, receive, send)


if "twisted.internet.reactor" in sys.modules:
    # Under daphne: whole-exercise views are coalesced on its loop (exercises/realtime.py), and the
    # exercise clock ticks inside this process too (see exercises/clock_worker.py).
    from twisted.internet import reactor

    reactor.callWhenRunning(realtime.use_event_loop)
    if settings.CLOCK_IN_PROCESS:
        from exercises.clock_worker import start_in_process

        reactor.callWhenRunning(start_in_process)

application = ProtocolTypeRouter(
    {
        "http": BoundedConcurrency(django_asgi_app, settings.HTTP_CONCURRENCY)
        if settings.HTTP_CONCURRENCY
        else django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# The server serves every view: the URLconf and the modules its lazy views defer (stix2 and its parsers) are
# imported now, to be frozen with the rest; imported at their first request, after the freeze, they were walked
# by every full collection: 30-90 ms pauses in TAXII pulls (docs/benchmarks.md, TAXII).
import_deferred()

# What is alive once the application is loaded (Django, twisted, the URLconf, the apps' modules) lives as
# long as the process: frozen, the collector never walks it again. Each full collection of a daphne
# under 200 sockets took 80-240 ms, a pause every socket's delivery waited out: fan-out p99 at 200
# sockets 272-281 ms → 172-190 ms, full collections 15-65 ms (docs/benchmarks.md, fan-out).
gc.collect()
gc.freeze()
