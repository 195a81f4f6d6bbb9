"""The exercise clock: start, pause, resume, end. Time derives from stored timestamps."""

from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Exercise
from exercises.services import Conflict, audit

ACTIONS = {
    "start": Exercise.Status.RUNNING,
    "pause": Exercise.Status.PAUSED,
    "resume": Exercise.Status.RUNNING,
    "end": Exercise.Status.ENDED,
}


@transaction.atomic
def change_status(*, exercise: Exercise, action: str, by) -> Exercise:
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    target = ACTIONS[action]
    if action == "start" and exercise.status != Exercise.Status.DRAFT:
        raise Conflict("The exercise has already started.")
    if action == "resume" and exercise.status != Exercise.Status.PAUSED:
        raise Conflict("Only a paused exercise can resume.")
    if not exercise.can_transition(target):
        raise Conflict(f"A {exercise.get_status_display().lower()} exercise cannot {action}.")
    now = timezone.now()
    # Freeze the elapsed time before leaving RUNNING; restart the running segment on entering it.
    exercise.elapsed_before_run = exercise.exercise_time(now)
    exercise.running_since = now if target == Exercise.Status.RUNNING else None
    if action == "start":
        exercise.started_at = now
    if target == Exercise.Status.ENDED:
        exercise.ended_at = now
    exercise.status = target
    exercise.save(update_fields=["status", "elapsed_before_run", "running_since", "started_at", "ended_at"])
    audit.record(exercise=exercise, actor=by, kind=f"exercise.{action}", obj=exercise, at=now)
    realtime.send_after_commit(realtime.exercise_groups(exercise), fragments.clock(exercise))
    realtime.send_after_commit([realtime.facilitators_group(exercise.pk)], fragments.clock_controls(exercise))
    return exercise
