"""The hot wash: each player's participant feedback form once the exercise has ended."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from exercises.models import Exercise, Feedback, Participant
from exercises.services import Conflict, ServiceError, audit, current_exercise


def submit_feedback(
    *, participant: Participant, strengths: str, improvements: str, corrective_actions: list, ratings: dict
) -> Feedback:
    if not participant.is_player:
        raise ServiceError(gettext("The participant feedback form is for players."))
    exercise = current_exercise(participant)
    if exercise.status != Exercise.Status.ENDED:
        raise Conflict(gettext("The feedback form opens when the exercise ends."))
    now = timezone.now()
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                exercise=exercise,
                user=participant.user,
                team_id=participant.team_id,
                strengths=strengths,
                improvements=improvements,
                corrective_actions=corrective_actions,
                ratings=ratings,
                submitted_at=now,
            )
            audit.record(
                exercise=exercise,
                actor=participant.user,
                kind="feedback.submitted",
                obj=feedback,
                at=now,
                payload={"team": participant.team_id, "ratings": ratings, "corrective_actions": corrective_actions},
            )
    except IntegrityError as error:
        raise Conflict(gettext("You have already sent your feedback for this exercise.")) from error
    return feedback
