"""The app's ASGI application for the benchmarks, with candidate fixes that can be switched on.

    daphne bench.asgi:application      (DJANGO_SETTINGS_MODULE=bench.settings)

With no BENCH_* variable set this is exactly config.asgi.application. The switches let a benchmark
measure a proposed change to the core before anyone makes it there:

- BENCH_HTTP_LIMIT=N: at most N HTTP requests inside Django at once per process; the rest wait in
  the event loop. Django runs each sync request in a thread of its own (ThreadSensitiveContext) with
  its own database connection, so without a bound 200 concurrent submissions open 200 threads and
  up to 200 PostgreSQL connections (max_connections is 100 by default).
- BENCH_DEFER_MATRICES=S: the whole-exercise views re-rendered at commit (the delivery matrix after every
  release, the sharing matrix, and the presence list after every connect and disconnect) are rendered
  S seconds after the commit on a worker thread, once for all the commits of those S seconds, instead
  of in the request (or the connect) itself.
- BENCH_STATE_CACHE=1: the state a team socket is sent on (re)connect rendered once per team and
  version of the exercise instead of once per socket (a restart makes 200 sockets ask for 7 states).
- BENCH_ASYNC_CONSUMERS=1: the team and control sockets as AsyncWebsocketConsumers. The database
  work of connect/disconnect runs in database_sync_to_async as before, but forwarding a fragment is
  a coroutine on the event loop: no hop to the one thread all sync consumers share (and that a
  release's own work competes for) per socket and message.
"""

import asyncio
import os

from config import asgi as app_asgi

application = app_asgi.application

if os.environ.get("BENCH_ASYNC_CONSUMERS") == "1":
    from channels.auth import AuthMiddlewareStack
    from channels.db import database_sync_to_async
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.urls import path

    from exercises import consumers, selectors
    from exercises.services import presence

    class AsyncExerciseSocket(AsyncWebsocketConsumer):
        """exercises.consumers.ExerciseSocket, with the same rules, as an async consumer."""

        rules = consumers.ExerciseSocket

        async def connect(self):
            await self.accept()
            self.groups_joined = []
            exercise_id = self.scope["url_route"]["kwargs"]["exercise_id"]
            participant = await database_sync_to_async(selectors.participation)(self.scope["user"], exercise_id)
            if participant is None or participant.role not in self.rules.roles:
                await self.close(code=consumers.CLOSE_UNAUTHORIZED)
                return
            for group in self.rules.groups_for(None, participant):
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
            await database_sync_to_async(presence.connected)(participant=participant, channel_name=self.channel_name)
            try:
                await self.send(text_data=await database_sync_to_async(self.rules.state)(None, participant))
            except Exception:
                consumers.logger.exception("Could not send state on connect")
                await self.close(code=consumers.CLOSE_TRY_AGAIN)

        async def disconnect(self, code):
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)
            if getattr(self, "groups_joined", None):
                await database_sync_to_async(presence.disconnected)(channel_name=self.channel_name)

        async def receive(self, text_data=None, bytes_data=None):
            """Nothing is accepted from the browser over the socket."""

        async def fragment(self, event):
            await self.send(text_data=event["html"])

    class AsyncTeamSocket(AsyncExerciseSocket):
        rules = consumers.TeamSocket

    class AsyncControlSocket(AsyncExerciseSocket):
        rules = consumers.ControlSocket

    application = ProtocolTypeRouter(
        {
            "http": app_asgi.django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(
                    URLRouter(
                        [
                            path("ws/exercises/<int:exercise_id>/team/", AsyncTeamSocket.as_asgi()),
                            path("ws/exercises/<int:exercise_id>/control/", AsyncControlSocket.as_asgi()),
                        ]
                    )
                )
            ),
        }
    )

_defer = float(os.environ.get("BENCH_DEFER_MATRICES", "0") or 0)
if _defer:
    from channels.db import database_sync_to_async
    from django.db import transaction

    from exercises import realtime

    _loop = None
    _pending = {}  # key → (groups, render): one render per key and delay, the last one asked for

    async def _render_and_send(key):
        groups, render = _pending.pop(key)
        html = await database_sync_to_async(render, thread_sensitive=False)()
        await realtime._send_to_groups(groups, {"type": "fragment", "html": html})

    def _deferred(key, groups, render):
        """realtime.render_and_send_once_after_commit, rendered off the request's critical path: after
        commit, --defer seconds later, on a worker thread, once for all the commits of that interval."""
        groups = list(groups)

        def schedule():
            first = key not in _pending
            _pending[key] = (groups, render)
            if first:
                _loop.call_soon_threadsafe(
                    lambda: _loop.call_later(_defer, lambda: _loop.create_task(_render_and_send(key)))
                )

        transaction.on_commit(schedule, robust=True)

    realtime.render_and_send_once_after_commit = _deferred

    from exercises import fragments as _fragments
    from exercises.services import presence as _presence

    def _push_presence(exercise):
        """presence._push through the same deferred, coalesced path: one render per interval, not per connect."""
        _deferred(f"presence.{exercise.pk}", realtime.staff_groups(exercise.pk), lambda: _fragments.presence(exercise))

    _presence._push = _push_presence
    _before_defer = application

    async def application(scope, receive, send):  # noqa: F811
        global _loop
        _loop = _loop or asyncio.get_running_loop()
        return await _before_defer(scope, receive, send)


if os.environ.get("BENCH_STATE_CACHE") == "1":
    import threading

    from exercises import fragments
    from exercises.models import AuditEvent

    _render_team_state = fragments.team_state
    _states = {}
    _states_lock = threading.Lock()

    def _team_state(participant):
        """fragments.team_state rendered once per team and version of the exercise, not once per socket.

        The version is the newest journal event that is not a presence change: every write a team page
        shows goes through a service that journals it. (A core version must render the clock part fresh:
        here a cached state carries the exercise time of its first render.)"""
        head = (
            AuditEvent.objects.filter(exercise_id=participant.exercise_id)
            .exclude(kind__startswith="presence.")
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        key = (participant.exercise_id, participant.team_id, head)
        with _states_lock:
            html = _states.get(key)
        if html is None:
            html = _render_team_state(participant)
            with _states_lock:
                if len(_states) > 256:
                    _states.clear()
                _states[key] = html
        return html

    fragments.team_state = _team_state


_limit = int(os.environ.get("BENCH_HTTP_LIMIT", "0") or 0)
if _limit:
    _inner = application
    _slots = None

    async def application(scope, receive, send):  # noqa: F811
        global _slots
        if scope["type"] != "http":
            return await _inner(scope, receive, send)
        if _slots is None:
            _slots = asyncio.Semaphore(_limit)  # created on daphne's loop
        async with _slots:
            return await _inner(scope, receive, send)
