"""A team acknowledging receipt of an inject."""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Acknowledgement, Participant
from exercises.services import Conflict, ServiceError, audit, current_exercise
from exercises.services.releases import push_delivery_row


def acknowledge(*, participant: Participant, inject, by) -> Acknowledgement:
    """`inject` must be one released to the participant's team (see selectors)."""
    if not participant.is_player:
        raise ServiceError("Only players acknowledge injects for their team.")
    exercise = current_exercise(participant)
    if not exercise.is_live:
        raise Conflict("Injects can be acknowledged while the exercise runs.")
    now = timezone.now()
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                inject=inject,
                team_id=participant.team_id,
                by=by,
                acknowledged_at=now,
                exercise_time=exercise.exercise_time(now),
            )
            audit.record(
                exercise=exercise,
                actor=by,
                kind="inject.acknowledged",
                obj=inject,
                at=now,
                payload={"team": participant.team_id, "sequence": inject.sequence},
            )
            realtime.send_after_commit(
                [realtime.team_group(exercise.pk, participant.team_id)], partial(fragments.acknowledgement, inject, ack)
            )
            push_delivery_row(exercise, inject.pk)
    except IntegrityError as error:
        raise Conflict("Your team has already acknowledged this inject.") from error
    return ack
