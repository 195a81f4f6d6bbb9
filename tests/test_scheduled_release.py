"""Scheduled release: due injects go out by themselves, in order, exactly once; contingencies fire per team."""

import time
from datetime import timedelta

import pytest

from exercises.clock_worker import tick
from exercises.models import AuditEvent, Exercise, Inject, Participant, ProtocolStep, Release, Team, Trigger
from exercises.services.clock import change_status, jump_to, set_speed
from exercises.services.injects import delay, set_hold
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.live import ClockWorker


def released_sequences(exercise):
    return list(
        Inject.objects.filter(exercise=exercise, released_at__isnull=False)
        .order_by("released_at", "sequence")
        .values_list("sequence", flat=True)
    )


def test_nothing_is_due_before_its_time(running):
    assert tick() == 0
    assert released_sequences(running.exercise) == []


def test_due_injects_go_out_in_order_with_the_audit_event_of_a_scheduled_release(running):
    jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=12), by=running.facilitator)
    assert tick() == 2
    assert released_sequences(running.exercise) == [1, 2]
    event = AuditEvent.objects.filter(kind="inject.released").first()
    assert event.actor is None and event.payload["scheduled"] is True
    assert tick() == 0, "a second tick releases nothing again"


def test_nothing_is_released_while_paused_and_on_resume_the_due_ones_go_out_in_order(running):
    exercise = jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=4), by=running.facilitator)
    exercise = change_status(exercise=exercise, action="pause", by=running.facilitator)
    exercise.elapsed_before_run = timedelta(minutes=20)  # as if paused late in the exercise
    Exercise.objects.filter(pk=exercise.pk).update(elapsed_before_run=timedelta(minutes=20))
    assert tick() == 0
    change_status(exercise=exercise, action="resume", by=running.facilitator)
    assert tick() == 3
    assert released_sequences(running.exercise) == [1, 2, 3]


def test_held_and_on_demand_injects_wait_for_the_facilitator(running):
    set_hold(inject=running.usa_only, held=True, by=running.facilitator)
    Inject.objects.filter(pk=running.gbr_only.pk).update(on_demand=True)
    jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=30), by=running.facilitator)
    tick()
    assert released_sequences(running.exercise) == [3]
    release_inject(inject=running.gbr_only, by=running.facilitator)
    set_hold(inject=running.usa_only, held=False, by=running.facilitator)
    tick()
    assert sorted(released_sequences(running.exercise)) == [1, 2, 3]


def test_a_delayed_inject_goes_out_later(running):
    delay(inject=running.usa_only, minutes=10, by=running.facilitator)
    jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=12), by=running.facilitator)
    tick()
    assert released_sequences(running.exercise) == [2]
    assert AuditEvent.objects.get(kind="inject.delayed").payload["minutes"] == 10


def test_speed_changes_keep_the_exercise_time_continuous(running):
    before = running.exercise.exercise_time()
    exercise = set_speed(exercise=running.exercise, speed=60, by=running.facilitator)
    assert exercise.exercise_time() >= before
    assert exercise.exercise_time(exercise.running_since + timedelta(seconds=10)) - exercise.elapsed_before_run == (
        timedelta(minutes=10)
    )
    with pytest.raises(Exception, match="between 1"):
        set_speed(exercise=exercise, speed=61, by=running.facilitator)


def test_jumping_back_is_refused(running):
    jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=30), by=running.facilitator)
    with pytest.raises(Exception, match="only jump ahead"):
        jump_to(exercise=running.exercise, exercise_time=timedelta(minutes=10), by=running.facilitator)


# Contingency injects ----------------------------------------------------------------------


@pytest.fixture
def contingency(running):
    """Inject 3 becomes: 'if a team has not claimed CONJ-2 by T+15, send it the escalation'."""
    inject = running.to_all
    Inject.objects.filter(pk=inject.pk).update(
        trigger=Trigger.NOT_CLAIMED, trigger_step=ProtocolStep.objects.get(code="CONJ-2")
    )
    release_inject(inject=running.usa_only, by=running.facilitator)
    return running


def claim(personas, team_code, step_code, inject):
    participant = Participant.objects.select_related("exercise").get(exercise=personas.exercise, team_id=team_code)
    submit_response(
        participant=participant,
        inject=inject,
        kind="action",
        text=f"{team_code} did {step_code}",
        protocol_steps=ProtocolStep.objects.filter(code=step_code),
    )


def test_a_not_claimed_contingency_fires_only_for_teams_that_did_not_act(contingency):
    claim(contingency, "USA", "CONJ-2", contingency.usa_only)
    jump_to(exercise=contingency.exercise, exercise_time=timedelta(minutes=15), by=contingency.facilitator)
    tick()
    teams = sorted(Release.objects.filter(inject=contingency.to_all).values_list("team_id", flat=True))
    assert teams == ["CAN", "GBR"]
    tick()
    assert Release.objects.filter(inject=contingency.to_all).count() == 2, "evaluated exactly once"


def test_a_claimed_contingency_fires_only_for_teams_that_acted(contingency):
    Inject.objects.filter(pk=contingency.to_all.pk).update(trigger=Trigger.CLAIMED)
    claim(contingency, "USA", "CONJ-2", contingency.usa_only)
    jump_to(exercise=contingency.exercise, exercise_time=timedelta(minutes=15), by=contingency.facilitator)
    tick()
    assert list(Release.objects.filter(inject=contingency.to_all).values_list("team_id", flat=True)) == ["USA"]


def test_a_claim_after_the_deadline_does_not_count(contingency):
    jump_to(exercise=contingency.exercise, exercise_time=timedelta(minutes=16), by=contingency.facilitator)
    Inject.objects.filter(pk=contingency.to_all.pk).update(held=True)  # evaluated late, after the claim
    claim(contingency, "USA", "CONJ-2", contingency.usa_only)
    Inject.objects.filter(pk=contingency.to_all.pk).update(held=False)
    tick()
    assert "USA" in Release.objects.filter(inject=contingency.to_all).values_list("team_id", flat=True)


# Several workers, and crashes ---------------------------------------------------------------


def many_injects(personas, count):
    """`count` more injects to all teams, one per exercise minute from T+20."""
    exercise = personas.exercise
    for n in range(count):
        inject = Inject.objects.create(
            exercise=exercise,
            sequence=100 + n,
            offset=timedelta(minutes=20 + n),
            kind="debris",
            title=f"Debris track {n}",
            text="Track update.",
        )
        inject.teams.set([])
    return exercise


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_release_each_inject_exactly_once(running):
    exercise = many_injects(running, 40)
    total = Inject.objects.filter(exercise=exercise).count()
    teams = exercise.teams.count()
    workers = [ClockWorker(interval=0.01).start(), ClockWorker(interval=0.01).start()]
    try:
        jump_to(exercise=exercise, exercise_time=timedelta(hours=3), by=running.facilitator)
        assert wait_until(lambda: not Inject.objects.filter(exercise=exercise, released_at__isnull=True).exists())
        time.sleep(0.5)  # let both keep ticking over the released MSEL
    finally:
        output = [worker.stop() for worker in workers]
    assert Release.objects.filter(inject__exercise=exercise).count() == total * teams - 2 * (teams - 1)
    assert AuditEvent.objects.filter(exercise=exercise, kind="inject.released").count() == total
    for inject in Inject.objects.filter(exercise=exercise):
        assert Release.objects.filter(inject=inject).count() == len({r.team_id for r in inject.releases.all()})
    assert released_sequences(exercise) == sorted(released_sequences(exercise), key=lambda s: (s >= 100, s)), output


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_exercise_catches_up_after_restart_and_releases_nothing_twice(running):
    exercise = many_injects(running, 30)
    exercise = set_speed(exercise=exercise, speed=60, by=running.facilitator)
    jump_to(exercise=exercise, exercise_time=timedelta(minutes=19, seconds=58), by=running.facilitator)
    worker = ClockWorker(interval=0.05).start()
    assert wait_until(
        lambda: Inject.objects.filter(exercise=exercise, sequence__gte=100, released_at__isnull=False).count() >= 3
    )
    worker.kill()
    released_before = Inject.objects.filter(exercise=exercise, released_at__isnull=False).count()
    time.sleep(3)  # three more exercise minutes pass with no worker
    assert Inject.objects.filter(exercise=exercise, released_at__isnull=False).count() == released_before
    worker = ClockWorker(interval=0.05).start()
    try:
        assert wait_until(
            lambda: Inject.objects.filter(exercise=exercise, released_at__isnull=False).count() >= released_before + 3
        )
        exercise.refresh_from_db()
        caught_up_to = exercise.exercise_time()  # everything due by now must go out while the worker still runs
        assert wait_until(
            lambda: (
                not Inject.objects.filter(
                    exercise=exercise, offset__lte=caught_up_to, released_at__isnull=True
                ).exists()
            )
        ), "late ones were caught up"
    finally:
        worker.stop()
    for inject in Inject.objects.filter(exercise=exercise, released_at__isnull=False):
        assert AuditEvent.objects.filter(kind="inject.released", object_id=str(inject.pk)).count() == 1
        assert inject.releases.count() == len(set(inject.releases.values_list("team_id", flat=True)))
    assert Team.objects.exists()


def test_a_contingency_that_fires_for_no_team_does_not_stop_the_clock(contingency, django_capture_on_commit_callbacks):
    """Every team claimed the step: the contingency reaches nobody, and later injects still go out."""
    Inject.objects.filter(pk=contingency.to_all.pk).update(trigger=Trigger.CLAIMED)  # nobody claimed: fires for none
    later = Inject.objects.create(
        exercise=contingency.exercise,
        sequence=50,
        offset=timedelta(minutes=16),
        kind="press",
        title="Later press query",
        text="Any comment?",
    )
    jump_to(exercise=contingency.exercise, exercise_time=timedelta(minutes=17), by=contingency.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        tick()
    assert not Release.objects.filter(inject=contingency.to_all).exists()
    assert Inject.objects.get(pk=contingency.to_all.pk).released_at is not None, "evaluated once"
    assert Release.objects.filter(inject=later).count() == 3
    from exercises import fragments, selectors

    row = fragments.msel_row(
        selectors.msel_injects(contingency.exercise.pk).get(pk=contingency.to_all.pk), can_control=True
    )
    assert "no team met its condition" in row


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_tick_holding_the_exercise_does_not_hold_up_rows_that_refer_to_it(running):
    """The tick's lock on the exercise lets responses and journal events (which refer to it) be written
    meanwhile; another worker's tick still skips the exercise."""
    import os
    import threading

    from django.db import connection, transaction

    from exercises.services import audit
    from exercises.services.releases import lock_running_exercise_for_tick

    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs with DATABASE_URL: PostgreSQL must be configured")
        pytest.skip("row locks are PostgreSQL's (SQLite locks the whole database)")
    exercise = running.exercise
    locked, release = threading.Event(), threading.Event()
    seen = {}

    def tick_holding_the_lock():
        try:
            with transaction.atomic():
                seen["tick"] = lock_running_exercise_for_tick(exercise.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    worker = threading.Thread(target=tick_holding_the_lock)
    worker.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # FOR UPDATE made this wait: an error here
            event = audit.record(exercise=exercise, actor=running.usa_player, kind="presence.connected", obj=None)
        assert event.pk
        with transaction.atomic():
            assert lock_running_exercise_for_tick(exercise.pk) is None, "another worker's tick skips it"
    finally:
        release.set()
        worker.join(timeout=30)
    assert seen["tick"] == exercise
