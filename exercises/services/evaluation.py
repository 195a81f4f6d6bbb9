"""Evaluators' and facilitators' records: observations, adjudications of claimed steps, P/S/M/U ratings."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from exercises.evaluation import suggest_rating
from exercises.models import Adjudication, Observation, Participant, Rating
from exercises.services import ServiceError, audit, current_exercise


def _staff(participant: Participant):
    if participant.is_player:
        raise ServiceError(gettext("Only evaluators and facilitators evaluate."))


@transaction.atomic
def record_observation(
    *, participant: Participant, kind: str, text: str, team=None, inject=None, protocol_step=None, objective=None
) -> Observation:
    _staff(participant)
    exercise = current_exercise(participant)
    if team is not None and not exercise.teams.filter(pk=team.pk).exists():
        raise ServiceError(gettext("%(team)s does not take part in this exercise.") % {"team": team.code})
    if (inject is not None and inject.exercise_id != exercise.pk) or (
        objective is not None and objective.exercise_id != exercise.pk
    ):
        raise ServiceError(gettext("That inject or objective belongs to another exercise."))
    now = timezone.now()
    observation = Observation.objects.create(
        exercise=exercise,
        by=participant.user,
        kind=kind,
        text=text,
        team=team,
        inject=inject,
        protocol_step=protocol_step,
        objective=objective,
        recorded_at=now,
        exercise_time=exercise.exercise_time(now),
    )
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="observation.recorded",
        obj=observation,
        at=now,
        payload={
            "kind": kind,
            "team": team and team.code,
            "inject": inject and inject.pk,
            "step": protocol_step and protocol_step.code,
            "objective": objective and objective.code,
            "text": text,
        },
    )
    return observation


@transaction.atomic
def adjudicate(*, participant: Participant, response, protocol_step, verdict: str, note: str = "") -> Adjudication:
    """Decide whether a claimed step was met; a later decision replaces the earlier one (both journaled)."""
    _staff(participant)
    if response.exercise_id != participant.exercise_id:
        raise ServiceError(gettext("That response belongs to another exercise."))
    if not response.protocol_steps.filter(pk=protocol_step.pk).exists():
        raise ServiceError(gettext("The team did not claim %(step)s in that response.") % {"step": protocol_step.code})
    now = timezone.now()
    adjudication, _ = Adjudication.objects.update_or_create(
        response=response,
        protocol_step=protocol_step,
        defaults={"verdict": verdict, "note": note, "by": participant.user, "decided_at": now},
    )
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="step.adjudicated",
        obj=response,
        at=now,
        payload={"team": response.team_id, "step": protocol_step.code, "verdict": verdict, "note": note},
    )
    return adjudication


@transaction.atomic
def rate_team(*, participant: Participant, team, objective, rating: str, explanation: str) -> Rating:
    """Rate a team on an objective; the app's suggestion is stored beside the evaluator's rating."""
    _staff(participant)
    exercise = current_exercise(participant)
    if not exercise.teams.filter(pk=team.pk).exists():
        raise ServiceError(gettext("%(team)s does not take part in this exercise.") % {"team": team.code})
    if objective.exercise_id != exercise.pk:
        raise ServiceError(gettext("That objective belongs to another exercise."))
    if not explanation.strip():
        raise ServiceError(gettext("Explain the rating: HSEEP asks for the reason behind each one."))
    suggestion = suggest_rating(exercise, team.code, objective)
    now = timezone.now()
    saved, _ = Rating.objects.update_or_create(
        team=team,
        objective=objective,
        defaults={
            "exercise": exercise,
            "rating": rating,
            "suggested": suggestion.rating,
            "explanation": explanation,
            "by": participant.user,
            "rated_at": now,
        },
    )
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="team.rated",
        obj=saved,
        at=now,
        payload={
            "team": team.code,
            "objective": objective.code,
            "rating": rating,
            "suggested": suggestion.rating,
            "explanation": explanation,
        },
    )
    return saved
