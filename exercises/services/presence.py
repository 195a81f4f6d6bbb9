"""Who is connected now: one row per open websocket, journaled when it opens and closes."""

from django.db import transaction

from exercises import fragments, realtime
from exercises.models import Connection, Participant
from exercises.services import audit


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


def _push(exercise):
    realtime.send_after_commit(realtime.staff_groups(exercise.pk), fragments.presence(exercise))
