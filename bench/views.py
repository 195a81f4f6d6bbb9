"""The responses benchmark's baseline: a minimal view doing one INSERT and one group_send.

It runs in the same daphne, behind the same middleware (sessions, CSRF, auth, rate limits)
as the real respond view, so the difference between the two is the app's own work.
"""

import time

from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from exercises import realtime

TABLE = "bench_ping"


def create_table() -> None:
    """The baseline's table (not a model: the app's migrations stay untouched)."""
    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id {key}, text varchar(200) NOT NULL, created double precision)"
        )


@require_POST
def insert_and_send(request):
    text = request.POST["text"]
    exercise_id = int(request.POST["exercise"])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (text, created) VALUES (%s, %s)", [text, time.time()])
        realtime.send_after_commit(
            [realtime.facilitators_group(exercise_id)], lambda: f'<div class="bench-ping">{escape(text)}</div>'
        )
    return HttpResponse(status=204)
