"""The exercise clock: start, pause, resume, end. Time derives from stored timestamps."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Exercise
from exercises.services import Conflict, audit
from exercises.services.releases import push_timeline

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
    _push_clock(exercise)
    return exercise


MIN_SPEED, MAX_SPEED = 1, 60


@transaction.atomic
def set_speed(*, exercise: Exercise, speed: float, by) -> Exercise:
    """Change the speed factor (1× to 60×), also while running: exercise time stays continuous."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise Conflict(f"Speed must be between {MIN_SPEED}× and {MAX_SPEED}×.")
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if exercise.status == Exercise.Status.ENDED:
        raise Conflict("The exercise has ended.")
    now = timezone.now()
    exercise.elapsed_before_run = exercise.exercise_time(now)
    if exercise.status == Exercise.Status.RUNNING:
        exercise.running_since = now
    previous, exercise.speed = exercise.speed, speed
    exercise.save(update_fields=["elapsed_before_run", "running_since", "speed"])
    audit.record(
        exercise=exercise,
        actor=by,
        kind="exercise.speed",
        obj=exercise,
        at=now,
        payload={"from": previous, "to": speed},
    )
    _push_clock(exercise)
    return exercise


@transaction.atomic
def jump_to(*, exercise: Exercise, exercise_time, by) -> Exercise:
    """Jump ahead to an exercise time; injects now due go out in order on the next tick."""
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if not exercise.is_live:
        raise Conflict(
            "Start the exercise before jumping ahead."
            if exercise.status == Exercise.Status.DRAFT
            else "The exercise has ended."
        )
    now = timezone.now()
    current = exercise.exercise_time(now)
    if exercise_time <= current:
        raise Conflict("You can only jump ahead of the current exercise time.")
    exercise.elapsed_before_run = exercise_time
    if exercise.status == Exercise.Status.RUNNING:
        exercise.running_since = now
    exercise.save(update_fields=["elapsed_before_run", "running_since"])
    audit.record(
        exercise=exercise,
        actor=by,
        kind="exercise.jump",
        obj=exercise,
        at=now,
        payload={"from_seconds": current.total_seconds(), "to_seconds": exercise_time.total_seconds()},
    )
    _push_clock(exercise)
    return exercise


def _push_clock(exercise):
    realtime.send_after_commit(realtime.exercise_groups(exercise), partial(fragments.clock, exercise))
    realtime.send_after_commit([realtime.facilitators_group(exercise.pk)], partial(fragments.clock_controls, exercise))
    push_timeline(exercise.pk)
