"""The audit journal is append-only, and roles are well-formed."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from exercises.models import AuditEvent, Participant, Team


def test_audit_events_cannot_be_changed_or_deleted(personas):
    event = AuditEvent.objects.filter(exercise=personas.exercise).first()
    event.kind = "forged"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).update(kind="forged")
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).kind == "exercise.created"


def test_the_admin_offers_no_way_to_edit_the_journal(personas, admin_client):
    event = AuditEvent.objects.first()
    assert admin_client.get(f"/admin/exercises/auditevent/{event.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/exercises/auditevent/add/").status_code == 403
    page = admin_client.get(f"/admin/exercises/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_a_player_has_exactly_one_team(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(exercise=personas.exercise, user=personas.no_role, role="player", team=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(
            exercise=personas.exercise, user=personas.no_role, role="facilitator", team=Team.objects.get(code="USA")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(exercise=personas.exercise, user=personas.usa_player, role="evaluator")


def test_every_write_in_the_setup_left_a_journal_entry(personas):
    kinds = set(AuditEvent.objects.filter(exercise=personas.exercise).values_list("kind", flat=True))
    assert {"exercise.created", "participant.assigned"} <= kinds


def test_an_exported_archive_verifies_against_the_journal(personas, tmp_path):
    import json

    from django.core.management import CommandError, call_command
    from django.db import connection

    from exercises.services.clock import change_status

    change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    path = tmp_path / "archive.json"
    call_command("export_aar", str(personas.exercise.pk), "--format", "json", "--output", str(path))
    call_command("verify_archive", str(path))

    data = json.loads(path.read_text())
    data["records"]["exercises.auditevent"][0]["fields"]["kind"] = "forged"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_archive", str(path))

    call_command("export_aar", str(personas.exercise.pk), "--format", "json", "--output", str(path))
    event = AuditEvent.objects.filter(exercise=personas.exercise).first()
    with connection.cursor() as cursor:  # tampering behind the application's back
        cursor.execute("UPDATE exercises_auditevent SET kind = %s WHERE id = %s", ["tampered", event.pk])
    from exercises.reports.archive import verify_archive

    problems = verify_archive(json.loads(path.read_text()))
    assert problems == [f"Journal event {event.pk} (exercise.created) differs from this database."]
