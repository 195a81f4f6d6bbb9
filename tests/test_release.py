"""Releasing an inject: the row, the audit event, exactly once, and the push after commit."""

import pytest

from exercises import realtime
from exercises.models import AuditEvent, Release
from exercises.services import Conflict
from exercises.services.releases import release_inject


def test_release_writes_a_release_per_addressed_team_and_one_audit_event(running, django_capture_on_commit_callbacks):
    inject = running.usa_only
    with django_capture_on_commit_callbacks(execute=True):
        releases = release_inject(inject=inject, by=running.facilitator)
    assert [r.team_id for r in releases] == ["USA"]
    inject.refresh_from_db()
    assert inject.released_at is not None
    event = AuditEvent.objects.get(kind="inject.released")
    assert event.actor == running.facilitator
    assert event.object_id == str(inject.pk)
    assert event.payload["teams"] == ["USA"]


def test_an_inject_to_all_reaches_every_participating_team_and_no_other(running, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=running.to_all, by=running.facilitator)
    assert sorted(Release.objects.filter(inject=running.to_all).values_list("team_id", flat=True)) == [
        "CAN",
        "GBR",
        "USA",
    ]


def test_the_fragment_is_sent_to_the_addressed_team_only_after_commit(
    running, listen, django_capture_on_commit_callbacks
):
    exercise = running.exercise
    usa = listen(realtime.team_group(exercise.pk, "USA"))
    gbr = listen(realtime.team_group(exercise.pk, "GBR"))
    staff = listen(realtime.facilitators_group(exercise.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        release_inject(inject=running.usa_only, by=running.facilitator)
    assert usa.messages(timeout=0.2) == [], "nothing may be sent before the transaction commits"
    for callback in callbacks:
        callback()
    [pushed] = usa.messages()
    assert "Conjunction warning for USA-SAT 12" in pushed["html"]
    assert 'hx-swap-oob="afterbegin:#inject-feed"' in pushed["html"]
    assert gbr.messages(timeout=0.2) == []
    row, delivery_row, coverage = staff.messages()
    assert f'id="inject-row-{running.usa_only.pk}"' in row["html"]
    # The matrix gains the released inject's row (appended: rows are in order of release), not a new matrix.
    assert 'hx-swap-oob="beforeend:#delivery-rows"' in delivery_row["html"]
    assert f'id="delivery-row-{running.usa_only.pk}"' in delivery_row["html"]
    assert delivery_row["html"].count('class="cell delivered"') == 1  # USA; GBR and CAN not delivered
    assert 'id="delivery"' not in delivery_row["html"]
    assert 'id="coverage"' in coverage["html"]


def test_releasing_twice_is_refused_and_writes_nothing_more(running, django_capture_on_commit_callbacks):
    inject = running.usa_only
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=inject, by=running.facilitator)
    with pytest.raises(Conflict, match="already released"):
        release_inject(inject=inject, by=running.facilitator)
    assert Release.objects.filter(inject=inject).count() == 1
    assert AuditEvent.objects.filter(kind="inject.released").count() == 1


def test_nothing_is_released_before_the_exercise_starts(personas):
    with pytest.raises(Conflict, match="Start the exercise"):
        release_inject(inject=personas.usa_only, by=personas.facilitator)
    assert not Release.objects.exists()


def test_the_release_records_the_exercise_time(running, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [release] = release_inject(inject=running.usa_only, by=running.facilitator)
    assert release.exercise_time.total_seconds() >= 0
    assert release.released_at == running.usa_only.__class__.objects.get(pk=running.usa_only.pk).released_at
