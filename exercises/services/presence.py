"""Who is connected now: one row per open websocket, journaled when it opens and closes.

A socket closes its row when it disconnects. A daphne process that is killed never gets to, so
every row also says when its page was last heard from (the sync report each page sends every
30 s, consumers.ExerciseSocket.resync), and the clock worker expires rows not heard from for
PRESENCE_TIMEOUT: the console never lists the players of a dead process as connected for long.
"""

import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Connection, Exercise, Participant
from exercises.services import audit

# Longer than two sync reports (30 s), and than a browser's throttling of timers in a background tab (60 s).
PRESENCE_TIMEOUT = timedelta(seconds=150)


@transaction.atomic
def connected(*, participant: Participant, channel_name: str) -> None:
    Connection.objects.create(participant=participant, channel_name=channel_name)
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="presence.connected",
        payload={"team": participant.team_id, "role": participant.role},
    )
    _push(participant.exercise)


def seen_if_due(*, participant: Participant, channel_name: str, written_at: float) -> float:
    """`seen`, if settings.PRESENCE_REFRESH_SECONDS have passed since the socket last wrote its row
    (`written_at`, time.monotonic()); returns when the row was last written."""
    if time.monotonic() - written_at < settings.PRESENCE_REFRESH_SECONDS:
        return written_at
    seen(participant=participant, channel_name=channel_name)
    return time.monotonic()


def seen(*, participant: Participant, channel_name: str) -> None:
    """The page of this socket reported in: keep its row. A row expired meanwhile (a stalled process)
    is recorded again as a connection. Refreshing `last_seen` changes nothing in the exercise and is
    not journaled (it happens every 30 s for every page)."""
    if not Connection.objects.filter(channel_name=channel_name).update(last_seen=timezone.now()):
        connected(participant=participant, channel_name=channel_name)


@transaction.atomic
def disconnected(*, channel_name: str) -> None:
    connection = (
        Connection.objects.select_related("participant__exercise", "participant__user")
        .filter(channel_name=channel_name)
        .first()
    )
    if connection is None:
        return
    participant = connection.participant
    connection.delete()
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="presence.disconnected",
        payload={"team": participant.team_id, "role": participant.role},
    )
    _push(participant.exercise)


@transaction.atomic
def expire_stale(*, now=None) -> int:
    """Remove the rows of sockets not heard from for PRESENCE_TIMEOUT (their process died); one journal
    event per exercise names whose connections expired. Returns how many rows went."""
    cutoff = (now or timezone.now()) - PRESENCE_TIMEOUT
    stale = list(
        Connection.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("participant__exercise", "participant__user")
        .filter(last_seen__lt=cutoff)
    )
    by_exercise = defaultdict(list)
    for connection in stale:
        by_exercise[connection.participant.exercise_id].append(connection)
    for connections in by_exercise.values():
        exercise = connections[0].participant.exercise
        Connection.objects.filter(pk__in=[connection.pk for connection in connections]).delete()
        audit.record(
            exercise=exercise,
            actor=None,
            kind="presence.expired",
            payload={
                "connections": len(connections),
                "users": sorted({connection.participant.user.get_username() for connection in connections}),
            },
        )
        _push(exercise)
    return len(stale)


def _push(exercise: Exercise) -> None:
    """The presence list for staff: coalesced, so that a storm of connects renders it a few times, not once each."""
    realtime.render_and_send_once_after_commit(
        f"presence.{exercise.pk}", realtime.staff_groups(exercise.pk), lambda: fragments.presence(exercise)
    )
