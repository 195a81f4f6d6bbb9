"""The benchmarks' baseline views, in the same daphne behind the same middleware (sessions, CSRF, auth,
rate limits) as the real views, so the difference between the two is the app's own work.

- insert_and_send (responses): one INSERT and one group_send.
- propagate_one (manoeuvre preview): one space object read and one SGP4 state at a given time.
- rows_json (TAXII): 100 rows of one table as JSON, a page at a time.
"""

import time
from datetime import datetime

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
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


@require_POST
def propagate_one(request, object_id):
    """One propagated state: the object's elements read, SGP4 at the posted UTC time, position and velocity."""
    from exercises.models import SpaceObject
    from exercises.orbits.elements import state_at

    space_object = SpaceObject.objects.get(pk=object_id)
    r, v = state_at(space_object.mean_elements(), datetime.fromisoformat(request.POST["at"]))
    return JsonResponse({"r_km": r.tolist(), "v_km_s": v.tolist()})


def rows_json(request):
    """100 rows of one table (the journal's events, ordered by id) from ?after=<id>, as JSON."""
    from exercises.models import AuditEvent

    after = int(request.GET.get("after", 0))
    rows = list(
        AuditEvent.objects.filter(pk__gt=after).order_by("pk").values("pk", "kind", "occurred_at", "payload")[:100]
    )
    return JsonResponse({"objects": rows, "more": len(rows) == 100})
