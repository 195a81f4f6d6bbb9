"""Messages between exercise control and the teams."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Exercise, Message, Participant
from exercises.services import Conflict, ServiceError, audit, current_exercise


@transaction.atomic
def send_message(*, participant: Participant, text: str, to_team=None) -> Message:
    """A facilitator writes to one team or (to_team None) to all; a player writes to control."""
    exercise = current_exercise(participant)
    if exercise.status == Exercise.Status.ENDED:
        raise Conflict("The exercise has ended.")
    if participant.is_player:
        from_team, to_team = participant.team, None
    elif participant.is_facilitator:
        from_team = None
        if to_team is not None and not exercise.teams.filter(pk=to_team.pk).exists():
            raise ServiceError(f"{to_team.code} does not take part in this exercise.")
    else:
        raise ServiceError("Evaluators observe; they do not send messages.")
    now = timezone.now()
    message = Message.objects.create(
        exercise=exercise,
        author=participant.user,
        from_team=from_team,
        to_team=to_team,
        text=text,
        sent_at=now,
        exercise_time=exercise.exercise_time(now),
    )
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="message.sent",
        obj=message,
        at=now,
        payload={
            "from": from_team.code if from_team else "control",
            "to": to_team.code if to_team else ("control" if from_team else "all"),
            "text": text,
        },
    )
    if from_team is not None:
        groups = [realtime.team_group(exercise.pk, from_team.code)]
    elif to_team is not None:
        groups = [realtime.team_group(exercise.pk, to_team.code)]
    else:
        groups = [realtime.team_group(exercise.pk, code) for code in exercise.team_codes()]
    realtime.send_after_commit(groups + realtime.staff_groups(exercise.pk), partial(fragments.new_message, message))
    return message
