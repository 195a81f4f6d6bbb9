"""Releasing injects to teams: the only place an inject gets released.

Exactly once, with any number of daphne processes and clock workers: the conditional
update on `released_at` is the guard on every database, and on PostgreSQL the scheduled
path also takes the exercise row with SKIP LOCKED so one worker at a time releases an
exercise's due injects, in order.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from exercises import conjunction_text, fragments, realtime, selectors
from exercises.models import Exercise, Inject, InjectKind, Release, Response, Trigger
from exercises.services import Conflict, audit, catalogue, debris

logger = logging.getLogger(__name__)


@transaction.atomic
def release_inject(*, inject: Inject, by, scheduled: bool = False) -> list[Release]:
    """Release the inject now to its addressed teams, exactly once.

    A scheduled contingency inject goes only to the teams for which its condition holds;
    released by hand it goes to every addressed team (the facilitator's override).
    """
    exercise = Exercise.objects.get(pk=inject.exercise_id)
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
    inject.exercise = exercise
    exercise_time = exercise.exercise_time(now)
    # The marking has the last word: an inject never reaches a team it is not releasable to.
    rel_to = set(inject.releasable_to.values_list("code", flat=True))
    teams = [team for team in inject.addressed_teams() if inject.permits(team.code, rel_to=rel_to)]
    if scheduled and inject.trigger:
        teams = [team for team in teams if contingency_holds(inject, team.code)]
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
        payload={
            "sequence": inject.sequence,
            "title": inject.title,
            "teams": [team.code for team in teams],
            "scheduled": scheduled,
            "contingency": inject.trigger or None,
        },
    )
    if releases:
        realtime.send_after_commit(
            [realtime.team_group(exercise.pk, team.code) for team in teams],
            partial(fragments.released_inject, releases[0]),
        )
    push_release_to_staff(exercise, inject.pk, exercise_time)
    push_coverage(exercise)
    if inject.drafted_from_id is not None or inject.kind == InjectKind.ASAT:
        debris.push_debris_console(exercise.pk)  # a draft released, or a test whose target breaks up next
    if releases and conjunction_text.is_bindable(inject):
        catalogue.push_planners(exercise, [team.code for team in teams])  # a warning the planner can answer
    if inject.decision_bearing:
        push_coalition(exercise)  # a new row of nations on the console's coalition panel
    return releases


def contingency_holds(inject: Inject, team_code: str) -> bool:
    """Has (or has not) the team claimed the trigger step by the inject's exercise time?"""
    claimed = Response.objects.filter(
        exercise_id=inject.exercise_id,
        team_id=team_code,
        protocol_steps=inject.trigger_step_id,
        exercise_time__lte=inject.offset,
    ).exists()
    return claimed if inject.trigger == Trigger.CLAIMED else not claimed


def release_due_injects(exercise_id: int, *, at=None) -> int:
    """Release every inject of a running exercise that is due, in scheduled order.

    Returns how many were released. Another worker busy with the same exercise makes
    this one skip it (PostgreSQL); on SQLite the conditional update alone keeps it exact.
    """
    released = 0
    with transaction.atomic():
        exercise = lock_running_exercise_for_tick(exercise_id)
        if exercise is None:
            return 0
        for inject in selectors.due_injects(exercise, at or timezone.now()):
            try:
                with transaction.atomic():
                    release_inject(inject=inject, by=None, scheduled=True)
            except Conflict:
                continue  # released meanwhile by hand or by another worker
            released += 1
    return released


def lock_running_exercise_for_tick(exercise_id: int) -> Exercise | None:
    """The running exercise, locked for this transaction; None if it is not running or another worker has it.

    FOR NO KEY UPDATE, not FOR UPDATE: a row that refers to the exercise (a response, a journal event,
    a presence connection's journal entry) takes a key-share lock on it, which FOR UPDATE blocks. With
    FOR UPDATE, four ticks a second held up every such insert behind each tick's queries: after a
    restart, 200 reconnecting sockets' journal entries queued behind the clock (docs/benchmarks.md).
    Ticks of other workers, and the clock's own changes, still wait for it or skip it."""
    return (
        Exercise.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk=exercise_id, status=Exercise.Status.RUNNING)
        .first()
    )


def push_msel_row(exercise_id: int, inject_id: int) -> None:
    """The inject's MSEL row for staff, rendered after commit: the teams' pushes registered before it go
    out first."""
    realtime.render_and_send_after_commit(
        lambda: _msel_rows(exercise_id, selectors.msel_injects(exercise_id).get(pk=inject_id))
    )
    push_timeline(exercise_id)


def _msel_rows(exercise_id: int, inject: Inject) -> list[tuple[list[str], str]]:
    """The inject's MSEL row for facilitators (with its controls) and for evaluators (without)."""
    cards = conjunction_text.cards([inject])
    return [
        (
            [realtime.facilitators_group(exercise_id)],
            fragments.msel_row(inject, can_control=True, conjunction_cards=cards),
        ),
        (
            [realtime.evaluators_group(exercise_id)],
            fragments.msel_row(inject, can_control=False, conjunction_cards=cards),
        ),
    ]


def push_release_to_staff(exercise: Exercise, inject_id: int, exercise_time) -> None:
    """A release as staff see it: the inject's MSEL rows and its new row of the delivery matrix. Read here, in
    the release's transaction, from the rows just written (not queried again after the commit, as push_msel_row
    does for an edit: that competed with the teams' push for the process, docs/benchmarks.md, fan-out);
    rendered at commit in each language, after the teams' push."""
    inject = selectors.msel_injects(exercise.pk).get(pk=inject_id)
    inject.exercise = exercise  # the exercise's time of a conjunction's TCA, without loading it again
    realtime.render_and_send_after_commit(partial(_msel_rows, exercise.pk, inject))
    if inject.releases.all():
        realtime.send_after_commit(
            realtime.staff_groups(exercise.pk),
            partial(fragments.new_delivery_row, inject, list(exercise.teams.all()), exercise_time),
        )
    push_timeline(exercise.pk)


def push_timeline(exercise_id: int) -> None:
    """The staff's MSEL timeline (a mark changed state, or the clock changed), coalesced like the other
    whole-exercise views: a burst of releases renders it a few times, after the commit."""
    realtime.render_and_send_once_after_commit(
        f"timeline.{exercise_id}",
        realtime.staff_groups(exercise_id),
        lambda: fragments.timeline(Exercise.objects.get(pk=exercise_id)),
    )


def push_delivery_row(exercise: Exercise, inject_id: int) -> None:
    """The inject's row of the delivery matrix changed (an acknowledgement, a response): re-rendered for staff
    at most once per COALESCE_SECONDS, however many teams acknowledge or respond meanwhile. Only that row:
    the whole matrix (injects × teams) cost 30 ms to render at 34 injects, once a second while responses
    flowed (docs/benchmarks.md). Cells that turn late with time alone are the console's 20-s refresh."""
    realtime.render_and_send_once_after_commit(
        f"delivery-row.{inject_id}",
        realtime.staff_groups(exercise.pk),
        lambda: fragments.delivery_row(exercise, inject_id),
    )


def push_coverage(exercise: Exercise) -> None:
    """The protocol-step coverage for staff (a release adds expected steps, a response claims some),
    coalesced like the other whole-exercise views."""
    realtime.render_and_send_once_after_commit(
        f"coverage.{exercise.pk}", realtime.staff_groups(exercise.pk), lambda: fragments.coverage(exercise)
    )


def push_coalition(exercise) -> None:
    """The console's coalition panel, whole, to staff: once per transaction (and coalesced inside daphne)."""
    realtime.render_and_send_once_after_commit(
        f"coalition.{exercise.pk}", realtime.staff_groups(exercise.pk), lambda: fragments.coalition(exercise)
    )
