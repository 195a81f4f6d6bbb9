"""The report proper is bounded; the record (every response, message, share and journal event) is whole
in the CSV files and the JSON archive, and the archive's rows are exactly what Django's serializer writes."""

import csv
import io
import json
import zipfile

import pytest
from django.core import serializers
from django.urls import reverse

from exercises.models import AuditEvent, Message, Response, SharedAssessment, Team
from exercises.reports import archive
from exercises.reports.data import build_report
from exercises.reports.exports import export
from exercises.services.messages import send_message
from exercises.services.responses import submit_response
from exercises.services.sharing import share_assessment
from tests import test_report

played = test_report.played  # the fixture: a small exercise with known times


def _more_record(played):
    """A downgraded share, a plain share and messages both ways, on top of the played exercise."""
    exercise = played.exercise
    usa = exercise.participants.select_related("exercise", "team").get(team_id="USA")
    control = exercise.participants.select_related("exercise").get(user=played.facilitator)
    response = Response.objects.filter(team_id="USA").order_by("id").first()
    plain = share_assessment(
        participant=usa,
        source=response,
        title="Debris field estimate",
        text="Our estimate of the field.",
        recipients=Team.objects.filter(code__in=["GBR", "CAN"]),
        classification=response.classification,
        releasability=response.releasability,
    )
    send_message(participant=usa, text="USA to control: request CDM update")
    send_message(participant=control, text="Control to all: hold on manoeuvres")
    return plain


def _django(queryset) -> list[dict]:
    return json.loads(serializers.serialize("json", queryset.order_by("pk"), use_natural_foreign_keys=True))


def test_the_archive_rows_are_exactly_what_djangos_serializer_writes(played):
    _more_record(played)
    exercise = played.exercise
    compared = 0
    for model, path in archive.EXERCISE_MODELS:
        queryset = model.objects.filter(**{path: exercise.pk})
        assert archive._serialize(queryset, version=1) == _django(queryset), model._meta.label
        compared += queryset.count()
    for model in archive.REFERENCE_MODELS:
        assert archive._serialize(model.objects.all(), version=1) == _django(model.objects.all()), model._meta.label
    assert compared > 30
    shares = archive._serialize(SharedAssessment.objects.filter(exercise=exercise))
    assert shares[0]["fields"]["recipients"] == ["GBR", "CAN"], "many-to-many in the related model's order"
    assert isinstance(shares[0]["fields"]["author"], list), "users by natural key"


def test_the_document_does_not_list_every_response_but_the_csv_and_archive_hold_all(played, client):
    _more_record(played)
    exercise = played.exercise
    client.force_login(played.facilitator)
    page = client.get(reverse("report", args=[exercise.pk])).content.decode()
    # The document: the conduct of the exercise, not every row of the record.
    assert "USA to control: request CDM update" not in page
    assert "participant.assigned" not in page and "response.submitted" not in page
    assert "Debris field estimate" not in page, "only downgraded shares are listed in the document"
    assert (
        f"<td>Journal (every event, who and when)</td><td>{AuditEvent.objects.filter(exercise=exercise).count()}"
        in page
    )
    assert "No assessment was downgraded." in page
    # The record: the CSV files hold every journal event, response and message.
    with zipfile.ZipFile(io.BytesIO(export(exercise, "csv"))) as files:
        tables = {name: list(csv.DictReader(io.StringIO(files.read(name).decode()))) for name in files.namelist()}
    journal = list(AuditEvent.objects.filter(exercise=exercise).order_by("occurred_at", "id"))
    assert [row["kind"] for row in tables["journal.csv"]] == [event.kind for event in journal]
    assert sorted(int(row["id"]) for row in tables["responses.csv"]) == sorted(
        Response.objects.filter(exercise=exercise).values_list("id", flat=True)
    )
    messages = {row["text"]: (row["from_team"], row["to_team"]) for row in tables["messages.csv"]}
    assert messages == {
        "USA to control: request CDM update": ("USA", "control"),
        "Control to all: hold on manoeuvres": ("control", "all"),
    }
    assert len(tables["messages.csv"]) == Message.objects.filter(exercise=exercise).count()
    by_team = {(row["inject"], row["team"]): row for row in tables["injects_by_team.csv"]}
    usa = by_team[("1", "USA")]
    assert (usa["on_time"], usa["late"], usa["missed"], usa["minutes_to_first_response"]) == ("1", "1", "0", "3.0")
    assert "CONJ-1=Met" in usa["adjudications"]
    # And the JSON archive holds every row.
    data = json.loads(export(exercise, "json"))
    assert len(data["records"]["exercises.auditevent"]) == len(journal)
    assert {row["fields"]["text"] for row in data["records"]["exercises.message"]} == set(messages)
    assert len(data["records"]["exercises.sharedassessment"]) == 1


def test_injects_by_team_is_a_matrix_with_the_worst_step_outcome_per_cell(played):
    report = build_report(played.exercise)
    codes = [team.code for team in report.teams]
    matrix = {inject.sequence: dict(zip(codes, cells, strict=True)) for inject, cells in report.matrix}
    assert matrix[1]["USA"].outcome == "late", "CONJ-1 on time, CONJ-2 late"
    assert matrix[1]["GBR"] is None, "inject 1 never reached GBR"
    assert matrix[3]["CAN"].outcome == "missed"
    medians = {
        team.code: (to_first, answered, received) for team, _, to_first, answered, received in report.team_medians
    }
    assert medians["CAN"][1:] == (0, 1)
    assert medians["USA"][1] == 1
    html = export(played.exercise, "html").decode()
    assert html.count('class="cell cell-late"') == 1 and 'class="cell cell-missed"' in html
    assert "Median minutes to first response" in html


def test_a_downgraded_share_is_listed_in_the_report(played):
    exercise = played.exercise
    gbr = exercise.participants.select_related("exercise", "team").get(team_id="GBR")
    secret = submit_response(
        participant=gbr,
        inject=played.to_all,
        kind="assessment",
        text="Debris estimate with sources",
        protocol_steps=[],
        classification="secret",
        releasability="national",
    )
    _more_record(played)  # and a share that is not downgraded
    share_assessment(
        participant=gbr,
        source=secret,
        title="Sanitised ASAT assessment",
        text="Debris estimate without sources.",
        recipients=Team.objects.filter(code="USA"),
        classification="unclassified",
        releasability="all",
        downgrade_reason="Allies need the estimate now",
        downgrade_removed="Collection sources",
    )
    report = build_report(exercise)
    assert [s.title for s in report.downgraded_shares] == ["Sanitised ASAT assessment"]
    html = export(exercise, "html").decode()
    assert "Sanitised ASAT assessment" in html and "Collection sources" in html
    assert "Debris field estimate" not in html
    assert "2 assessments shared; 1 downgraded" in html


def test_the_timeline_shows_the_conduct_and_a_run_of_clock_jumps_as_one_line(played):
    from datetime import timedelta

    from exercises.services.clock import jump_to

    for minutes in (60, 70, 80):
        jump_to(exercise=played.exercise, exercise_time=timedelta(minutes=minutes), by=played.facilitator)
    timeline = build_report(played.exercise).timeline
    labels = [entry.label for entry in timeline]
    assert labels.count("Clock jumped ahead") == 1
    [jumps] = [entry for entry in timeline if entry.label == "Clock jumped ahead"]
    assert jumps.detail.startswith("3 times, ") and jumps.detail.endswith("→ T+01:20:00")
    assert labels[0] == "STARTEX" and labels.count("Inject released") == 2
    assert "1. " in next(entry.detail for entry in timeline if entry.label == "Inject released")
    assert "Response" not in labels and "Message" not in labels


def test_the_current_version_keeps_every_timestamp_to_the_microsecond_and_version_1_archives_still_verify(played):
    from django.utils.dateparse import parse_datetime

    from exercises.reports.archive import InvalidArchive, export_archive, import_archive, verify_archive

    exercise = played.exercise
    data = export_archive(exercise)
    assert data["version"] == 3
    stored = {e.pk: e.occurred_at for e in AuditEvent.objects.filter(exercise=exercise)}
    archived = {
        row["pk"]: parse_datetime(row["fields"]["occurred_at"]) for row in data["records"]["exercises.auditevent"]
    }
    assert archived == stored, "every timestamp exactly as stored"
    assert any(at.microsecond % 1000 for at in stored.values()), "the fixture has sub-millisecond times"
    assert verify_archive(data) == []
    # A version 1 archive (timestamps to the millisecond) still verifies, and is read (refused here only
    # because the exercise exists).
    old = json.loads(json.dumps(data))
    old["version"] = 1
    old["records"]["exercises.auditevent"] = archive._serialize(AuditEvent.objects.filter(exercise=exercise), 1)
    old["journal_sha256"] = archive.journal_digest(old["records"]["exercises.auditevent"])
    assert verify_archive(old) == []
    with pytest.raises(InvalidArchive, match="already exists"):
        import_archive(old)
    with pytest.raises(InvalidArchive, match="reads archive versions 1, 2 and 3"):
        import_archive({**old, "version": 4})
