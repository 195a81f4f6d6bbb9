"""Reads, with the permission filters every view, consumer and export uses.

One place decides who sees what: a player sees only what was released to their team
and their own team's responses; facilitators and evaluators see the whole exercise.
"""

from django.db.models import Prefetch

from exercises.models import Exercise, Inject, Participant, Release, Response


def participation(user, exercise_id) -> Participant | None:
    """The user's role in the exercise, or None when they have none."""
    if not user.is_authenticated:
        return None
    return Participant.objects.select_related("exercise", "team").filter(user=user, exercise_id=exercise_id).first()


def participations(user) -> list[Participant]:
    if not user.is_authenticated:
        return []
    return list(
        Participant.objects.select_related("exercise", "team").filter(user=user).order_by("-exercise__created_at")
    )


def msel_injects(exercise_id: int):
    """The exercise's injects in scheduled order, with their teams, steps and releases."""
    return (
        Inject.objects.filter(exercise_id=exercise_id)
        .prefetch_related(
            "teams", "protocol_steps", Prefetch("releases", queryset=Release.objects.select_related("team").order_by("team__order"))
        )
        .order_by("offset", "sequence")
    )


def msel(exercise: Exercise) -> list[Inject]:
    return list(msel_injects(exercise.pk))


def releases_for_team(exercise_id: int, team_code: str):
    """What a team has been sent, newest first."""
    return (
        Release.objects.filter(inject__exercise_id=exercise_id, team_id=team_code)
        .select_related("inject")
        .prefetch_related("inject__protocol_steps")
        .order_by("-released_at", "-id")
    )


def released_inject_for_team(exercise_id: int, team_code: str, inject_id) -> Inject | None:
    """The inject, only if it was released to the team; None otherwise (never another team's)."""
    return (
        Inject.objects.filter(exercise_id=exercise_id, pk=inject_id, releases__team_id=team_code)
        .prefetch_related("protocol_steps")
        .first()
    )


def _responses():
    return Response.objects.select_related("team", "author", "inject").prefetch_related("protocol_steps")


def responses_for_team(exercise_id: int, team_code: str):
    return _responses().filter(exercise_id=exercise_id, team_id=team_code)


def responses_for_exercise(exercise_id: int):
    return _responses().filter(exercise_id=exercise_id)


def can_author_scenarios(user) -> bool:
    """Planners (facilitators in the planners group) author scenarios; players and evaluators do not."""
    return user.is_authenticated and user.has_perm("exercises.change_scenario")
