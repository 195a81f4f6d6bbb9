"""Releasing injects to teams: the only place an inject gets released."""

from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime, selectors
from exercises.models import Exercise, Inject, Release
from exercises.services import Conflict, audit


@transaction.atomic
def release_inject(*, inject: Inject, by) -> list[Release]:
    """Release the inject now to its addressed teams, exactly once."""
    exercise = inject.exercise
    if not exercise.is_live:
        raise Conflict(
            "Start the exercise before releasing injects."
            if exercise.status == Exercise.Status.DRAFT
            else "The exercise has ended; nothing more can be released."
        )
    now = timezone.now()
    # The conditional update is the guard: on SQLite and PostgreSQL alike only one caller wins.
    if not Inject.objects.filter(pk=inject.pk, released_at__isnull=True).update(released_at=now):
        raise Conflict(f"Inject {inject.sequence} was already released.")
    inject.released_at = now
    exercise_time = exercise.exercise_time(now)
    teams = list(inject.addressed_teams())
    releases = Release.objects.bulk_create(
        [
            Release(inject=inject, team=team, released_at=now, exercise_time=exercise_time, released_by=by)
            for team in teams
        ]
    )
    audit.record(
        exercise=exercise,
        actor=by,
        kind="inject.released",
        obj=inject,
        at=now,
        payload={"sequence": inject.sequence, "title": inject.title, "teams": [team.code for team in teams]},
    )
    if releases:
        realtime.send_after_commit(
            [realtime.team_group(exercise.pk, team.code) for team in teams], fragments.released_inject(releases[0])
        )
    _push_msel_row(exercise.pk, inject.pk)
    return releases


def _push_msel_row(exercise_id: int, inject_id: int) -> None:
    inject = selectors.msel_injects(exercise_id).get(pk=inject_id)
    realtime.send_after_commit([realtime.facilitators_group(exercise_id)], fragments.msel_row(inject, can_control=True))
    realtime.send_after_commit([realtime.evaluators_group(exercise_id)], fragments.msel_row(inject, can_control=False))
