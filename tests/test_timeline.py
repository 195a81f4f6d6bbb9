"""The MSEL timeline: each inject's mark, its state and place, the current time, the next due inject and the
countdown to it, all computed from the stored injects, releases and clock; and the timeline pushed to staff."""

from datetime import timedelta

from django.urls import reverse

from exercises import fragments, realtime
from exercises.models import Inject, ProtocolStep, Trigger
from exercises.services.clock import change_status, jump_to
from exercises.services.injects import set_hold
from exercises.services.releases import release_inject
from exercises.timeline import LATE_AFTER, MIN_SPAN, SPAN_STEP, timeline


def minutes(n):
    return timedelta(minutes=n)


def marks_by_sequence(line):
    return {mark.sequence: mark for mark in line.marks}


def paused_at(personas, exercise_time):
    """The personas' exercise started, paused and jumped to `exercise_time`: its time no longer moves."""
    exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    exercise = change_status(exercise=exercise, action="pause", by=personas.facilitator)
    return jump_to(exercise=exercise, exercise_time=exercise_time, by=personas.facilitator)


def test_before_startex_every_inject_is_scheduled_at_its_place_and_the_first_is_next(personas):
    line = timeline(personas.exercise)

    assert line.now == timedelta(0) and line.now_percent == 0
    assert line.span == MIN_SPAN
    marks = marks_by_sequence(line)
    assert [mark.state for mark in line.marks] == ["scheduled", "scheduled", "scheduled"]
    for sequence, inject in ((1, personas.usa_only), (2, personas.gbr_only), (3, personas.to_all)):
        assert marks[sequence].at == inject.offset
        assert marks[sequence].percent == round(100 * (inject.offset / MIN_SPAN), 3)
    assert line.next_due.sequence == 1
    assert line.countdown == personas.usa_only.offset


def test_the_current_time_and_the_countdown_come_from_the_stored_clock(personas):
    exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    started = exercise.running_since

    line = timeline(exercise, at=started + timedelta(minutes=3, seconds=30))

    assert line.now == timedelta(minutes=3, seconds=30)
    assert line.now_percent == round(100 * (line.now / line.span), 3)
    assert line.next_due.sequence == 1
    assert line.countdown == personas.usa_only.offset - line.now
    assert line.status == "running" and line.speed == exercise.speed


def test_the_clock_speed_scales_the_time_the_timeline_shows(personas):
    exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    exercise.speed = 10
    exercise.save(update_fields=["speed"])

    line = timeline(exercise, at=exercise.running_since + timedelta(seconds=30))

    assert line.now == minutes(5)
    assert line.countdown == timedelta(0)  # inject 1 is due at T+00:05


def test_a_due_inject_not_yet_out_turns_late_once_its_time_is_past_by_more_than_a_minute(personas):
    exercise = paused_at(personas, personas.usa_only.offset + LATE_AFTER)
    assert marks_by_sequence(timeline(exercise))[1].state == "scheduled"  # exactly a minute: not yet

    exercise = jump_to(
        exercise=exercise, exercise_time=exercise.elapsed_before_run + minutes(1), by=personas.facilitator
    )
    line = timeline(exercise)

    marks = marks_by_sequence(line)
    assert marks[1].state == "late" and marks[1].label == "Late" and not marks[1].released
    assert marks[2].state == "scheduled"
    assert line.next_due.sequence == 1 and line.countdown == timedelta(0)


def test_a_held_inject_is_marked_held_and_is_not_the_next_due(personas):
    set_hold(inject=personas.usa_only, held=True, by=personas.facilitator)

    line = timeline(personas.exercise)

    assert marks_by_sequence(line)[1].state == "held"
    assert line.next_due.sequence == 2
    assert line.countdown == personas.gbr_only.offset


def test_a_contingency_inject_is_marked_as_such_until_its_time(personas):
    Inject.objects.filter(pk=personas.gbr_only.pk).update(
        trigger=Trigger.NOT_CLAIMED, trigger_step=ProtocolStep.objects.get(code="INFO-1")
    )

    assert marks_by_sequence(timeline(personas.exercise))[2].state == "contingency"
    exercise = paused_at(personas, personas.gbr_only.offset + minutes(5))
    assert marks_by_sequence(timeline(exercise))[2].state == "late"  # its time passed and it was not evaluated


def test_a_released_inject_sits_at_its_release_time_and_is_late_if_it_went_out_after_its_time(personas):
    exercise = paused_at(personas, minutes(2))
    release_inject(inject=personas.to_all, by=personas.facilitator)  # early, by hand (due T+00:15)
    exercise = jump_to(exercise=exercise, exercise_time=minutes(9), by=personas.facilitator)
    release_inject(inject=personas.usa_only, by=personas.facilitator)  # due T+00:05: four minutes late

    line = timeline(exercise)

    marks = marks_by_sequence(line)
    assert marks[3].state == "released" and marks[3].released
    assert marks[3].at == personas.to_all.releases.get(team_id="USA").exercise_time == minutes(2)
    assert marks[3].percent == round(100 * (minutes(2) / line.span), 3)
    assert marks[1].state == "late" and marks[1].label == "Released late" and marks[1].at == minutes(9)
    assert line.next_due.sequence == 2
    assert line.countdown == personas.gbr_only.offset - minutes(9)


def test_an_on_demand_inject_has_no_mark_until_it_is_released(personas):
    Inject.objects.filter(pk=personas.gbr_only.pk).update(on_demand=True)

    assert sorted(marks_by_sequence(timeline(personas.exercise))) == [1, 3]

    exercise = paused_at(personas, minutes(40))
    release_inject(inject=personas.gbr_only, by=personas.facilitator)
    mark = marks_by_sequence(timeline(exercise))[2]
    assert mark.state == "released" and mark.at == minutes(40)  # on demand is never late


def test_nothing_waiting_means_no_next_due_inject(personas):
    exercise = paused_at(personas, minutes(1))
    for inject in (personas.usa_only, personas.gbr_only, personas.to_all):
        release_inject(inject=inject, by=personas.facilitator)

    line = timeline(exercise)

    assert line.next_due is None and line.countdown is None
    assert "No inject is waiting to go out." in fragments.timeline(exercise)


def test_the_line_grows_in_whole_steps_past_the_current_time_and_the_latest_inject(personas):
    exercise = paused_at(personas, minutes(50))

    line = timeline(exercise)

    assert line.span == 4 * SPAN_STEP  # T+00:50 lies in the fourth quarter-hour
    assert line.now_percent == round(100 * 50 / 60, 3)
    assert [tick.label for tick in line.ticks] == ["T+00:00", "T+00:15", "T+00:30", "T+00:45", "T+01:00"]
    assert marks_by_sequence(line)[1].percent == round(100 * 5 / 60, 3)


def started(personas, capture):
    """The personas' exercise started, its pushes sent (as its commit would)."""
    with capture(execute=True):
        personas.exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    return personas


def test_the_staff_see_a_release_change_its_mark_at_once(personas, listen, django_capture_on_commit_callbacks):
    running = started(personas, django_capture_on_commit_callbacks)
    facilitators = listen(realtime.facilitators_group(running.exercise.pk))
    evaluators = listen(realtime.evaluators_group(running.exercise.pk))
    team = listen(realtime.team_group(running.exercise.pk, "USA"))
    mark = f'id="timeline-mark-{running.usa_only.pk}"'

    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=running.usa_only, by=running.facilitator)

    for listener in (facilitators, evaluators):
        pushed = [m["html"] for m in listener.messages() if 'id="timeline"' in m["html"]]
        assert len(pushed) == 1
        assert 'hx-swap-oob="outerHTML"' in pushed[0]
        assert f'{mark} class="mark state-released is-released"' in pushed[0]
    assert not [m for m in team.messages() if 'id="timeline"' in m["html"]]  # players have no timeline


def test_a_hold_and_a_clock_change_push_the_timeline_to_staff(personas, listen, django_capture_on_commit_callbacks):
    running = started(personas, django_capture_on_commit_callbacks)
    facilitators = listen(realtime.facilitators_group(running.exercise.pk))

    with django_capture_on_commit_callbacks(execute=True):
        set_hold(inject=running.gbr_only, held=True, by=running.facilitator)
    held = [m["html"] for m in facilitators.messages() if 'id="timeline"' in m["html"]]
    assert len(held) == 1 and f'id="timeline-mark-{running.gbr_only.pk}" class="mark state-held"' in held[0]

    with django_capture_on_commit_callbacks(execute=True):
        change_status(exercise=running.exercise, action="pause", by=running.facilitator)
    paused = [m["html"] for m in facilitators.messages() if 'id="timeline"' in m["html"]]
    assert len(paused) == 1 and 'data-status="paused"' in paused[0]


def test_the_console_state_on_reconnect_replaces_the_whole_msel_table_and_the_timeline(running):
    participant = running.exercise.participants.get(user=running.facilitator)

    state = fragments.control_state(participant)

    assert '<table id="msel-table" hx-swap-oob="outerHTML">' in state
    assert '<tbody id="msel-body" hx-swap-oob' not in state  # a bare tbody after a div is dropped by the parser
    assert '<section id="timeline"' in state and 'hx-swap-oob="outerHTML"' in state.split('<section id="timeline"')[1]


def test_the_evaluator_fetches_the_timeline_and_it_numbers_in_plain_digits(client, running):
    client.force_login(running.evaluator)
    exercise = running.exercise

    reply = client.get(reverse("timeline", args=[exercise.pk]), headers={"HX-Request": "true"})

    assert reply.status_code == 200
    html = reply.content.decode()
    assert html.count('class="mark ') == 3
    assert "hx-swap-oob" not in html  # fetched and swapped in place
    assert f'data-span="{int(MIN_SPAN.total_seconds())}"' in html
    assert 'style="--at: 16.667%"' in html  # inject 1 at T+00:05 of 30 minutes
    assert "<script" not in html  # the page loaded timeline.js already
    page = client.get(reverse("evaluation", args=[exercise.pk])).content.decode()
    assert '<section id="timeline"' in page and "js/timeline.js" in page
