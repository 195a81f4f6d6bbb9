"""The app's ASGI application for the benchmarks, with candidate fixes that can be switched on.

    daphne bench.asgi:application      (DJANGO_SETTINGS_MODULE=bench.settings)

With no BENCH_* variable set this is exactly config.asgi.application. The switches let a benchmark
measure a proposed change to the core before anyone makes it there:

- BENCH_STATE_CACHE=1: the state a team socket is sent on (re)connect rendered once per team and
  version of the exercise instead of once per socket (a restart makes 200 sockets ask for 7 states).
(Bounded HTTP concurrency, async consumers and coalesced whole-exercise views were candidates here
and are in the core since issue #7: config/asgi.py, exercises/consumers.py, exercises/realtime.py.)
"""

import os

from config import asgi as app_asgi

application = app_asgi.application

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
