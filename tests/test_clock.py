"""The exercise clock is derived from stored timestamps."""

from datetime import UTC, datetime, timedelta

import pytest

from exercises.models import AuditEvent, Exercise
from exercises.services import Conflict
from exercises.services.clock import change_status

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_a_running_clock_advances_by_the_speed_factor():
    exercise = Exercise(status="running", running_since=T0, elapsed_before_run=timedelta(minutes=10), speed=4)
    assert exercise.exercise_time(T0 + timedelta(minutes=5)) == timedelta(minutes=30)


def test_a_paused_clock_stands_still():
    exercise = Exercise(status="paused", running_since=None, elapsed_before_run=timedelta(minutes=12))
    assert exercise.exercise_time(T0 + timedelta(hours=3)) == timedelta(minutes=12)


def test_start_pause_resume_end_are_journaled_and_keep_the_elapsed_time(personas):
    exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    assert exercise.status == "running" and exercise.started_at is not None
    exercise = change_status(exercise=exercise, action="pause", by=personas.facilitator)
    frozen = exercise.exercise_time()
    assert exercise.running_since is None and frozen >= timedelta(0)
    exercise = change_status(exercise=exercise, action="resume", by=personas.facilitator)
    assert exercise.exercise_time() >= frozen
    exercise = change_status(exercise=exercise, action="end", by=personas.facilitator)
    assert exercise.status == "ended" and exercise.ended_at is not None
    kinds = list(AuditEvent.objects.filter(exercise=exercise).values_list("kind", flat=True))
    assert kinds[-4:] == ["exercise.start", "exercise.pause", "exercise.resume", "exercise.end"]


def test_a_restart_recomputes_the_same_time_from_the_database(running):
    stored = Exercise.objects.get(pk=running.exercise.pk)
    at = stored.running_since + timedelta(minutes=7)
    assert stored.exercise_time(at) == running.exercise.exercise_time(at) == timedelta(minutes=7)


@pytest.mark.parametrize("action", ["pause", "resume", "end"])
def test_an_ended_exercise_cannot_change(personas, action):
    change_status(exercise=personas.exercise, action="end", by=personas.facilitator)
    with pytest.raises(Conflict):
        change_status(exercise=personas.exercise, action=action, by=personas.facilitator)


def test_start_twice_is_refused(running):
    with pytest.raises(Conflict, match="already started"):
        change_status(exercise=running.exercise, action="start", by=running.facilitator)
