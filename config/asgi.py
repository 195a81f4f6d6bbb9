"""ASGI entry point: HTTP through Django, websockets through Channels with auth and an Origin check."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from exercises.routing import websocket_urlpatterns  # noqa: E402

if settings.CLOCK_IN_PROCESS and "twisted.internet.reactor" in sys.modules:
    # Under daphne: tick the exercise clock inside this process too (see exercises/clock_worker.py).
    from twisted.internet import reactor

    from exercises.clock_worker import start_in_process

    reactor.callWhenRunning(start_in_process)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
