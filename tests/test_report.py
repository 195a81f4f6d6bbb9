"""The after-action report: metrics against hand-computed values, every format read back, constant queries."""

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exercises.models import (
    AuditEvent,
    Conjunction,
    CoreCapability,
    Exercise,
    Feedback,
    Inject,
    Manoeuvre,
    Objective,
    ProtocolStep,
    Release,
    Response,
    Scenario,
    SpaceObject,
    Team,
)
from exercises.reports import documents
from exercises.reports.archive import export_archive
from exercises.reports.data import build_report
from exercises.reports.exports import export
from exercises.services.acknowledgements import acknowledge
from exercises.services.catalogue import copy_catalogue, screen_exercise
from exercises.services.clock import change_status
from exercises.services.evaluation import adjudicate, rate_team, record_observation
from exercises.services.feedback import submit_feedback
from exercises.services.improvement_plan import add_item
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.test_access import PERSONAS, check, login_as
from tests.test_scenario_library import bundled

ROOT = Path(__file__).resolve().parent.parent


def at(release_time, minutes):
    return release_time + timedelta(minutes=minutes)


@pytest.fixture
def played(running):
    """A small exercise with known times.

    Inject 1 (USA; CONJ-1 expected E1 min, CONJ-2 expected E2 min) is released; USA acknowledges
    2 min after release, responds at +3 min claiming CONJ-1 (on time), and at E2+5 min claiming
    CONJ-2 (late). Inject 3 (to all) reaches USA, GBR, CAN; only GBR responds, claiming nothing.
    """
    exercise = running.exercise
    objective = Objective.objects.create(
        exercise=exercise,
        code="OBJ-1",
        text="Assess and notify",
        core_capability=CoreCapability.objects.get(code="situational-assessment"),
    )
    running.usa_only.objectives.set([objective])
    release_inject(inject=running.usa_only, by=running.facilitator)
    release_inject(inject=running.to_all, by=running.facilitator)
    usa = exercise.participants.select_related("exercise").get(team_id="USA")
    gbr = exercise.participants.select_related("exercise").get(team_id="GBR")
    base = Release.objects.get(inject=running.usa_only, team_id="USA").exercise_time
    ack = acknowledge(participant=usa, inject=running.usa_only, by=running.usa_player)
    type(ack).objects.filter(pk=ack.pk).update(exercise_time=at(base, 2))
    first = submit_response(
        participant=usa,
        inject=running.usa_only,
        kind="action",
        text="Assessed the CDM",
        protocol_steps=ProtocolStep.objects.filter(code="CONJ-1"),
    )
    e2 = ProtocolStep.objects.get(code="CONJ-2").expected_minutes
    second = submit_response(
        participant=usa,
        inject=running.usa_only,
        kind="action",
        text="Notified allies",
        protocol_steps=ProtocolStep.objects.filter(code="CONJ-2"),
    )
    Response.objects.filter(pk=first.pk).update(exercise_time=at(base, 3))
    Response.objects.filter(pk=second.pk).update(exercise_time=at(base, e2 + 5))
    submit_response(
        participant=gbr,
        inject=running.to_all,
        kind="assessment",
        text="ASAT debris <script>x</script>",
        protocol_steps=[],
    )
    staff = exercise.participants.select_related("exercise").get(user=running.evaluator)
    adjudicate(participant=staff, response=first, protocol_step=ProtocolStep.objects.get(code="CONJ-1"), verdict="met")
    record_observation(
        participant=staff,
        kind="strength",
        text="USA assessed the CDM within minutes.",
        team=usa.team,
        inject=running.usa_only,
        objective=objective,
    )
    rate_team(participant=staff, team=usa.team, objective=objective, rating="S", explanation="Notified late.")
    add_item(
        participant=staff,
        issue="Slow allied notification",
        corrective_action="Pre-agreed CSPOC message",
        capability_element="planning",
        responsible="USSPACECOM",
        point_of_contact="J3",
    )
    running.base, running.e2, running.objective = base, e2, objective
    return running


def test_metrics_match_hand_computed_values(played):
    report = build_report(played.exercise)
    rows = {(row.inject.sequence, row.team.code): row for row in report.inject_rows}
    usa = rows[(1, "USA")]
    assert usa.to_acknowledge == timedelta(minutes=2)
    assert usa.to_first_response == timedelta(minutes=3)
    assert {s.step.code: s.status for s in usa.steps} == {"CONJ-1": "on time", "CONJ-2": "late"}
    assert [s.verdict for s in usa.steps if s.step.code == "CONJ-1"] == ["Met"]
    assert rows[(3, "CAN")].to_first_response is None
    assert {s.status for s in rows[(3, "CAN")].steps} == {"missed"}
    assert (1, "GBR") not in rows, "inject 1 never reached GBR"
    coverage = {c.team.code: c for c in report.coverage}
    steps_3 = Inject.objects.get(pk=played.to_all.pk).protocol_steps.count()
    assert (coverage["USA"].expected, coverage["USA"].on_time, coverage["USA"].late, coverage["USA"].missed) == (
        2 + steps_3,
        1,
        1,
        steps_3,
    )
    [analysis] = report.analysis
    usa_rating = next(r for team, r, s in analysis.ratings if team.code == "USA")
    usa_suggestion = next(s for team, r, s in analysis.ratings if team.code == "USA")
    assert (usa_rating.rating, usa_suggestion.coverage, usa_suggestion.timeliness) == ("S", 1.0, 0.5)
    assert [o.text for o in analysis.strengths] == ["USA assessed the CDM within minutes."]


def test_the_html_report_has_every_section_and_escapes_what_teams_wrote(played, client):
    # The responses are in the record, not the document (test_report_records.py); what teams wrote that the
    # document shows is their hot-wash corrective actions.
    change_status(exercise=played.exercise, action="end", by=played.facilitator)
    submit_feedback(
        participant=played.exercise.participants.select_related("exercise").get(team_id="GBR"),
        strengths="Sharing",
        improvements="Timeliness",
        corrective_actions=[{"action": "Drill ASAT debris <script>x</script>", "priority": "high", "owner": "J3"}],
        ratings={key: 4 for key, _ in Feedback.QUESTIONS},
    )
    client.force_login(played.facilitator)
    page = client.get(reverse("report", args=[played.exercise.pk])).content.decode()
    for heading in (
        "1. Exercise overview",
        "2. Analysis of capabilities",
        "3. Timeline",
        "4. Injects by team",
        "5. Protocol coverage",
        "6. Information sharing",
        "7. Hot wash",
        "Appendix A: Improvement plan",
        "Appendix B: Participants",
        "Appendix C: Journal",
    ):
        assert heading in page
    # The four charts and the coalition's sharing latencies (this exercise has no decision-bearing inject).
    assert page.count("<svg") == 5
    assert "Coalition: common picture and coordinated response" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "Pre-agreed CSPOC message" in page


def test_the_pdf_holds_the_sections_page_numbers_and_the_marking(played):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(export(played.exercise, "pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in (
        "Exercise overview",
        "Analysis of capabilities",
        "Timeline",
        "Protocol coverage",
        "Information sharing",
        "Improvement plan",
        "Journal",
    ):
        assert heading in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert reader.pages[-1].extract_text().count("EXERCISE UNCLASSIFIED // EXERCISE CONTROL AND EVALUATORS") >= 1


def test_the_docx_opens_in_python_docx(played):
    from docx import Document

    document = Document(io.BytesIO(export(played.exercise, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "1. Exercise overview" in headings and "Appendix A: Improvement plan" in headings
    assert len(document.inline_shapes) == 4 + 3, "the four charts and the three of the coalition"
    assert "Coalition: common picture and coordinated response" in headings
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Pre-agreed CSPOC message" in cells


def test_the_csv_zip_parses_and_neutralises_formulas(played):
    gbr = played.exercise.participants.select_related("exercise").get(team_id="GBR")
    submit_response(
        participant=gbr, inject=played.to_all, kind="action", text='=HYPERLINK("http://x")', protocol_steps=[]
    )
    with zipfile.ZipFile(io.BytesIO(export(played.exercise, "csv"))) as archive:
        assert sorted(archive.namelist()) == [
            "coalition_assessments.csv",
            "coalition_consensus.csv",
            "coalition_divergence.csv",
            "coalition_manoeuvre_conflicts.csv",
            "coalition_sharing_barriers.csv",
            "coalition_sharing_by_classification.csv",
            "conjunctions.csv",
            "injects_by_team.csv",
            "journal.csv",
            "messages.csv",
            "observations.csv",
            "ratings.csv",
            "releases.csv",
            "responses.csv",
            "shares.csv",
        ]
        responses = list(csv.DictReader(io.StringIO(archive.read("responses.csv").decode())))
        ratings = list(csv.DictReader(io.StringIO(archive.read("ratings.csv").decode())))
    assert len(responses) == 4
    assert '\'=HYPERLINK("http://x")' in [r["text"] for r in responses]
    assert ratings[0]["rating"] == "S" and ratings[0]["suggested"] == "P" or ratings[0]["suggested"] in "PSMU"


def test_the_json_archive_round_trips_through_import_exercise_into_a_fresh_database(played, tmp_path):
    archive_path = tmp_path / "archive.json"
    call_command("export_aar", str(played.exercise.pk), "--format", "json", "--output", str(archive_path))
    original = json.loads(archive_path.read_text())
    assert original["format"] == "conjunction-exercise-archive"
    assert len(original["records"]["exercises.response"]) == 3
    fresh = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": f"sqlite:///{fresh}"}
    env.pop("REDIS_URL", None)

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    manage("migrate", "--noinput")
    assert "Imported exercise" in manage("import_exercise", str(archive_path))
    again_path = tmp_path / "again.json"
    manage("export_aar", str(played.exercise.pk), "--format", "json", "--output", str(again_path))
    again = json.loads(again_path.read_text())
    original.pop("exported_at")
    again.pop("exported_at")
    assert again == original


@pytest.fixture
def orbiting(played):
    """The played exercise with the default scenario's catalogue, screened twice (the first screening
    superseded), a fragment of KRS-METEO 2 made by an ASAT inject, a drafted follow-on inject and a burn."""
    exercise = played.exercise
    default = Scenario.objects.get(name=bundled("default.json")["name"])
    copy_catalogue(scenario=default, exercise=exercise)
    first = screen_exercise(exercise=exercise, reason="exercise created")
    asat = Inject.objects.create(
        exercise=exercise,
        sequence=9,
        offset=timedelta(minutes=51),
        kind="asat",
        title="ASAT test",
        text="FLASH.",
        primary_object="KRS-METEO 2",
    )
    target = exercise.catalogue.get(name="KRS-METEO 2")
    target.destroyed_at = exercise.orbit_time(timedelta(minutes=49, seconds=30))
    target.save()
    SpaceObject.objects.create(
        exercise=exercise,
        name="KRS-METEO 2 DEB 1",
        owner_other="KARSLAND",
        object_type="debris",
        hard_body_radius_m=0.1,
        mass_kg=0.5,
        parent=target,
        created_by=asat,
        destroyed_at=None,
        elements={**target.elements, "mean_anomaly": 81.0, "object_name": "KRS-METEO 2 DEB 1"},
    )
    Inject.objects.create(
        exercise=exercise,
        sequence=23,
        offset=timedelta(minutes=60),
        kind="debris",
        title="Follow-on",
        text="Fragment KRS-METEO 2 DEB 1 approaches a satellite.",
        drafted_from=asat,
        on_demand=True,
    )
    allied = exercise.catalogue.get(name="ALLIED-SAT 7")
    conjunction = next(c for c in first if c.primary_id == allied.pk)
    screen_exercise(exercise=exercise, reason="burn", start=exercise.orbit_epoch)
    Manoeuvre.objects.create(
        exercise=exercise,
        space_object=allied,
        team=allied.owner,
        by=played.usa_player,
        inject=played.usa_only,
        conjunction=conjunction,
        burn_at=exercise.orbit_time(timedelta(minutes=22)),
        radial_m_s=0.12,
        in_track_m_s=0.0,
        cross_track_m_s=0.0,
        delta_v_m_s=0.12,
        miss_distance_before_m=conjunction.miss_distance_m,
        probability_before=conjunction.probability,
        miss_distance_after_m=1500.0,
        probability_after=1e-7,
        elements_before=allied.elements,
        elements_after={**allied.elements, "mean_anomaly": 1.0},
        exercise_time=timedelta(minutes=16),
    )
    return played


def test_the_archive_carries_the_catalogue_its_conjunctions_the_burns_and_drafted_injects(orbiting, tmp_path):
    exercise = orbiting.exercise
    archive_path = tmp_path / "archive.json"
    call_command("export_aar", str(exercise.pk), "--format", "json", "--output", str(archive_path))
    original = json.loads(archive_path.read_text())
    records = original["records"]
    assert original["version"] == 3
    assert records["exercises.exercise"][0]["fields"]["orbit_epoch"] == exercise.orbit_epoch.isoformat()
    objects = {row["fields"]["name"]: row for row in records["exercises.spaceobject"]}
    assert len(objects) == exercise.catalogue.count() == 13
    fragment = objects["KRS-METEO 2 DEB 1"]["fields"]
    assert fragment["parent"] == objects["KRS-METEO 2"]["pk"]
    assert fragment["created_by"] == Inject.objects.get(exercise=exercise, sequence=9).pk
    assert objects["KRS-METEO 2"]["fields"]["destroyed_at"] is not None
    conjunctions = records["exercises.conjunction"]
    assert len(conjunctions) == Conjunction.objects.filter(exercise=exercise).count()
    assert {row["fields"]["superseded_at"] is None for row in conjunctions} == {True, False}
    [burn] = records["exercises.manoeuvre"]
    assert burn["fields"]["by"] == [orbiting.usa_player.username] and burn["fields"]["radial_m_s"] == 0.12
    drafted = next(row for row in records["exercises.inject"] if row["fields"]["sequence"] == 23)
    assert drafted["fields"]["drafted_from"] == Inject.objects.get(exercise=exercise, sequence=9).pk

    manage = fresh_database(tmp_path)
    assert "Imported exercise" in manage("import_exercise", str(archive_path))
    again_path = tmp_path / "again.json"
    manage("export_aar", str(exercise.pk), "--format", "json", "--output", str(again_path))
    screened = json.loads(manage("screen", str(exercise.pk), "--json"))
    again = json.loads(again_path.read_text())
    original.pop("exported_at")
    again.pop("exported_at")
    assert again == original
    # the imported catalogue screens as the original does (the destroyed target left out)
    pairs = {(row["primary"], row["secondary"]) for row in screened}
    assert ("ALLIED-SAT 7", "OBJECT 58213") in pairs and not any("KRS-METEO 2" == s for _p, s in pairs)


def fresh_database(tmp_path):
    """`manage.py` on a fresh, migrated SQLite database of its own."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    env.pop("REDIS_URL", None)

    def manage(*args, fails=False):
        """Standard output; with `fails`, the command must fail and its standard error is returned."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if fails:
            assert result.returncode != 0, result.stdout
            return result.stderr
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    manage("migrate", "--noinput")
    return manage


def test_a_version_2_archive_without_a_catalogue_is_still_imported(played, tmp_path):
    data = export_archive(played.exercise)
    data["version"] = 2
    for label in ("exercises.spaceobject", "exercises.conjunction", "exercises.manoeuvre"):
        assert data["records"].pop(label) == []
    path = tmp_path / "version2.json"
    path.write_text(json.dumps(data, cls=DjangoJSONEncoder))
    manage = fresh_database(tmp_path)
    assert "Imported exercise" in manage("import_exercise", str(path))
    assert "has no space catalogue" in manage("screen", str(played.exercise.pk), fails=True)


def test_an_archive_cannot_overwrite_an_existing_exercise(played):
    from exercises.reports.archive import InvalidArchive, import_archive

    with pytest.raises(InvalidArchive, match="already exists"):
        import_archive(export_archive(played.exercise))
    with pytest.raises(InvalidArchive, match="not a Conjunction exercise archive"):
        import_archive({"format": "something else"})


def grow(personas, extra_injects, extra_responses):
    """Add injects to all teams and responses, to measure queries at another size."""
    exercise = personas.exercise
    for n in range(extra_injects):
        inject = Inject.objects.create(
            exercise=exercise,
            sequence=200 + n,
            offset=timedelta(minutes=30 + n),
            kind="debris",
            title=f"Track {n}",
            text="Track update.",
        )
        inject.protocol_steps.set(ProtocolStep.objects.filter(code__in=["DEBRIS-1", "DEBRIS-2"]))
        release_inject(inject=inject, by=personas.facilitator)
        for participant in exercise.participants.select_related("exercise").filter(role="player"):
            for _ in range(extra_responses):
                submit_response(
                    participant=participant,
                    inject=inject,
                    kind="action",
                    text="Tracked",
                    protocol_steps=ProtocolStep.objects.filter(code="DEBRIS-1"),
                )


def count_queries(exercise, *, with_records=True) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = build_report(exercise, with_records=with_records)
        if with_records:
            documents.csv_tables(report)
        from django.template.loader import render_to_string

        render_to_string("reports/aar.html", {"report": report, "charts": {}})
    return len(queries)


def test_the_report_does_not_run_a_query_per_row(played):
    small = count_queries(played.exercise)
    small_document = count_queries(played.exercise, with_records=False)
    grow(played, extra_injects=6, extra_responses=3)
    Team.objects.filter(code="AUS")  # noqa: B018 - nothing
    played.exercise.teams.add(Team.objects.get(code="AUS"))
    large = count_queries(Exercise.objects.get(pk=played.exercise.pk))
    large_document = count_queries(Exercise.objects.get(pk=played.exercise.pk), with_records=False)
    assert Response.objects.filter(exercise=played.exercise).count() > 30
    assert large == small, f"{small} queries for the small exercise, {large} for the large one"
    assert large_document == small_document, f"the document alone: {small_document} then {large_document}"


REPORT_ACCESS = {
    "facilitator": 200,
    "evaluator": 200,
    "usa_player": 403,
    "gbr_player": 403,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("fmt", ["html", "csv", "json"])
def test_players_cannot_export(client, running, who, fmt):
    login_as(client, running, who)
    check(client.get(reverse("report-export", args=[running.exercise.pk, fmt])), REPORT_ACCESS[who])


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("name", ["report", "improvement-plan"])
def test_report_pages_by_persona(client, running, who, name):
    login_as(client, running, who)
    check(client.get(reverse(name, args=[running.exercise.pk])), REPORT_ACCESS[who])


def test_the_improvement_plan_is_edited_in_the_app_and_journaled(played, client):
    client.force_login(played.evaluator)
    item = played.exercise.improvement_plan.get()
    reply = client.post(
        reverse("improvement-item", args=[played.exercise.pk, item.pk]),
        {
            "issue": "Slow allied notification",
            "corrective_action": "Standing CSPOC notification template",
            "capability_element": "training",
            "responsible": "USSPACECOM",
            "point_of_contact": "J3",
            "start_date": "2027-01-10",
            "completion_date": "2027-01-01",
        },
    )
    assert reply.status_code == 400 and "cannot be before the start date" in reply.content.decode()
    reply = client.post(
        reverse("improvement-item", args=[played.exercise.pk, item.pk]),
        {
            "issue": "Slow allied notification",
            "corrective_action": "Standing CSPOC notification template",
            "capability_element": "training",
            "responsible": "USSPACECOM",
            "point_of_contact": "J3",
            "start_date": "2027-01-10",
            "completion_date": "2027-03-01",
        },
    )
    assert reply.status_code == 302
    item.refresh_from_db()
    assert item.corrective_action == "Standing CSPOC notification template"
    assert AuditEvent.objects.get(kind="improvement.changed").payload["before"]["corrective_action"] == (
        "Pre-agreed CSPOC message"
    )
    client.post(reverse("improvement-item-delete", args=[played.exercise.pk, item.pk]))
    assert not played.exercise.improvement_plan.exists()


def test_export_aar_command_writes_every_format(played, tmp_path):
    for fmt in ("html", "pdf", "docx", "csv", "json"):
        path = tmp_path / f"report.{fmt}"
        call_command("export_aar", str(played.exercise.pk), "--format", fmt, "--output", str(path))
        assert path.stat().st_size > 1000, fmt


def test_an_ended_exercise_reports_its_dates(played):
    change_status(exercise=played.exercise, action="end", by=played.facilitator)
    page = documents.html(build_report(played.exercise))
    assert "Ended" in page


def _assess_to_all(played, player, cause):
    """A structured assessment of inject 3 (to USA, GBR and CAN), made decision-bearing."""
    inject = played.to_all
    inject.decision_bearing, inject.course_of_action_options = True, ["Condemn", "Wait"]
    inject.save()
    participant = played.exercise.participants.select_related("exercise").get(user=player)
    submit_response(
        participant=participant,
        inject=inject,
        kind="assessment",
        text="Our assessment.",
        protocol_steps=[],
        assessment={"assessed_cause": cause, "confidence": "likely", "course_of_action": "Condemn"},
    )


def test_the_report_in_french_translates_its_fixed_text_not_the_markings_codes_or_what_people_wrote(played, client):
    from django.utils import translation
    from docx import Document
    from pypdf import PdfReader

    _assess_to_all(played, played.usa_player, "hostile_act")
    _assess_to_all(played, played.gbr_player, "hostile_act")
    report = build_report(played.exercise)
    banner = report.classification_banner
    client.force_login(played.facilitator)
    english = client.get(reverse("report", args=[played.exercise.pk])).content.decode()
    client.cookies["django_language"] = "fr"  # the language the user picked
    page = client.get(reverse("report", args=[played.exercise.pk])).content.decode()
    assert '<html lang="fr">' in page and '<html lang="en">' in english
    for heading in (
        "1. Présentation de l’exercice",
        "2. Analyse des capacités",
        "4. Injects par équipe",
        "7. Débriefing à chaud",
        "Annexe A\u00a0: plan d’amélioration",
        "Coalition\u00a0: situation commune et réponse coordonnée",
        "P — réalisé sans difficulté",  # the HSEEP legend, in the glossary's words
    ):
        assert heading in page and heading not in english
    for english_only in ("1. Exercise overview", "Appendix A: Improvement plan", "Areas for improvement"):
        assert english_only in english and english_only not in page
    # The narrative sentence, worded whole in French, the codes and the option's words as they are.
    assert "USA and GBR agreed on a hostile act and “Condemn”" not in page  # CAN never answered: no consensus
    assert "Pas de consensus\u00a0: USA et GBR ont conclu à un acte hostile\u00a0; CAN n’a jamais répondu." in page
    assert "No consensus: USA and GBR assessed a hostile act; CAN never answered." in english
    # The charts' words follow the reader.
    assert "Temps d’exercice (minutes après STARTEX)" in page and "Exercise time (minutes after STARTEX)" in english
    # Markings, codes and what people wrote stay as they are.
    for kept in (banner, "OBJ-1", "Pre-agreed CSPOC message", "USA assessed the CDM within minutes.", "T+00:"):
        assert kept in page
    assert page.count(banner) == english.count(banner) >= 2

    with translation.override("fr"):
        pdf = PdfReader(io.BytesIO(export(played.exercise, "pdf")))
        docx = Document(io.BytesIO(export(played.exercise, "docx")))
        french_csv = zipfile.ZipFile(io.BytesIO(export(played.exercise, "csv")))
        french_json = json.loads(export(played.exercise, "json"))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Analyse des capacités" in text and "Exercise overview" not in text
    assert f"Page 1 sur {len(pdf.pages)}" in text
    assert banner in pdf.pages[-1].extract_text()
    headings = [p.text for p in docx.paragraphs if p.style.name.startswith("Heading")]
    assert "1. Présentation de l’exercice" in headings and "Annexe A\u00a0: plan d’amélioration" in headings
    assert banner in [p.text for p in docx.paragraphs]
    cells = [cell.text for table in docx.tables for row in table.rows for cell in row.cells]
    assert "Pas de consensus\u00a0: USA et GBR ont conclu à un acte hostile\u00a0; CAN n’a jamais répondu." in cells
    # The files programs read stay English whatever the reader's language.
    english_csv = zipfile.ZipFile(io.BytesIO(export(played.exercise, "csv")))
    assert french_csv.namelist() == english_csv.namelist()
    for name in english_csv.namelist():
        assert french_csv.read(name) == english_csv.read(name), name
    english_json = json.loads(export(played.exercise, "json"))
    french_json.pop("exported_at"), english_json.pop("exported_at")
    assert french_json == english_json


def test_the_narrative_sentence_is_worded_whole_in_the_readers_language_with_its_list_join():
    from django.utils import translation

    from exercises import coalition
    from tests.test_coalition_metrics import ASAT, WORKED, a

    result = coalition.consensus(ASAT, WORKED)
    sentence = coalition.narrative(ASAT, WORKED, result)
    assert sentence.sentence == (
        "USA and GBR agreed on a hostile act and “Joint public condemnation” at T+00:15:00; "
        "CAN held “unknown” until T+00:20:00."
    )
    alone = [a("USA", 12)]
    single = coalition.DecisionInject(1, 1, "Jamming", "jamming", ASAT.released_at, ("USA",), ASAT.options)
    with translation.override("fr"):
        assert sentence.sentence == (
            "USA et GBR se sont accordés sur un acte hostile et sur «\u00a0Joint public condemnation\u00a0» à "
            "T+00:15:00\u00a0; CAN s’en est tenu à «\u00a0cause inconnue\u00a0» jusqu’à T+00:20:00."
        )
        assert coalition.join_and(["USA", "GBR", "CAN"]) == "USA, GBR et CAN"
        lone = coalition.narrative(single, alone, coalition.consensus(single, alone))
        assert lone.sentence == (
            "USA a conclu à un acte hostile et recommandé «\u00a0Joint public condemnation\u00a0» à T+00:12:00."
        )
    # The data stays English: the journal, the CSV files and the rehearsal's texts read it.
    assert sentence.cause == "hostile act" and sentence.holdouts[0][1] == "unknown"
    assert coalition.join_and(["USA", "GBR", "CAN"]) == "USA, GBR and CAN"
