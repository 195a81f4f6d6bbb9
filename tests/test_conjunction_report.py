"""The after-action report's conjunctions: the screened numbers, both pictures, each team's decision and when,
the manoeuvre's miss distance and Pc before → after, and the debris cloud's follow-on events, in HTML, PDF,
DOCX and conjunctions.csv."""

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from pypdf import PdfReader

from exercises import selectors
from exercises.models import (
    Conjunction,
    Inject,
    Manoeuvre,
    ScenarioSpaceObject,
    SpaceObject,
    Team,
    format_exercise_time,
)
from exercises.orbits.elements import circular
from exercises.orbits.manoeuvre import apply_burn
from exercises.orbits.planning import plant_encounter
from exercises.reports import documents
from exercises.reports.data import build_report
from exercises.reports.exports import export
from exercises.services.catalogue import screen_exercise
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.conftest import make_user, small_scenario

EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
TCA = EPOCH + timedelta(minutes=28)
BURN = TCA - timedelta(minutes=20)
DELTA_V = (0.0, 0.4, 0.0)


@pytest.fixture
def flown(library):
    """A run whose conjunction inject reached USA, who answered it and burned ALLIED-SAT 7; an ASAT test broke up
    MISTRAL-2 into fragments and a follow-on inject was drafted from it."""
    scenario = small_scenario("Conjunction scenario")
    scenario.orbit_epoch = EPOCH
    scenario.save()
    allied = circular("ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10)
    debris = plant_encounter(allied, "OBJECT 58213", TCA, (18.0, 0.0, 110.0), inclination=71.0, epoch=EPOCH)
    usa = Team.objects.get(code="USA")
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="ALLIED-SAT 7",
        owner=usa,
        manoeuvrable=True,
        delta_v_budget_m_s=12.0,
        elements=allied.as_dict(),
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario, name="OBJECT 58213", object_type="debris", hard_body_radius_m=0.5, elements=debris.as_dict()
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="MISTRAL-2",
        owner=Team.objects.get(code="FRA"),
        elements=circular("MISTRAL-2", EPOCH, 1100, 98.0).as_dict(),
    )
    scenario.injects.filter(sequence=1).update(primary_object="ALLIED-SAT 7", secondary_object="OBJECT 58213")
    scenario.injects.filter(sequence=3).update(primary_object="MISTRAL-2")
    exercise = create_exercise(scenario=scenario, name="Run 1", teams=Team.objects.filter(code__in=["USA", "GBR"]))
    facilitator = make_user("facilitator")
    add_participant(exercise=exercise, user=facilitator, role="facilitator")
    player = make_user("usa_player")
    participant = add_participant(exercise=exercise, user=player, role="player", team=usa)
    exercise = change_status(exercise=exercise, action="start", by=facilitator)
    warning, asat = exercise.injects.get(sequence=1), exercise.injects.get(sequence=3)
    release_inject(inject=warning, by=facilitator)
    release_inject(inject=asat, by=facilitator)
    participant = type(participant).objects.select_related("exercise", "team").get(pk=participant.pk)
    response = submit_response(
        participant=participant,
        inject=warning,
        kind="decision",
        text="Manoeuvre ALLIED-SAT 7 at T+00:08.",
        protocol_steps=warning.protocol_steps.all(),
    )

    before = selectors.current_conjunction(warning)  # the planted encounter, the pair's first (they meet again)
    assert before.tca == pytest.approx(TCA, abs=timedelta(seconds=1))
    satellite = exercise.catalogue.get(name="ALLIED-SAT 7")
    after = apply_burn(allied, BURN, DELTA_V)
    Manoeuvre.objects.create(
        exercise=exercise,
        space_object=satellite,
        team=usa,
        by=player,
        inject=warning,
        conjunction=before,
        response=response,
        burn_at=BURN,
        radial_m_s=DELTA_V[0],
        in_track_m_s=DELTA_V[1],
        cross_track_m_s=DELTA_V[2],
        delta_v_m_s=0.4,
        miss_distance_before_m=before.miss_distance_m,
        probability_before=before.probability,
        elements_before=allied.as_dict(),
        elements_after=after.as_dict(),
        exercise_time=exercise.exercise_time(),
    )
    satellite.elements = after.as_dict()
    satellite.save(update_fields=["elements"])
    screen_exercise(exercise=exercise, reason="manoeuvre", start=BURN)
    after = Conjunction.objects.get(
        exercise=exercise,
        superseded_at__isnull=True,
        primary=satellite,
        secondary__name="OBJECT 58213",
        tca__range=(TCA - timedelta(minutes=15), TCA + timedelta(minutes=15)),
    )
    assert after.miss_distance_m > 2 * before.miss_distance_m  # the burn opened the miss
    Manoeuvre.objects.filter(exercise=exercise).update(
        miss_distance_after_m=after.miss_distance_m, probability_after=after.probability
    )

    mistral = exercise.catalogue.get(name="MISTRAL-2")
    mistral.destroyed_at = EPOCH + timedelta(minutes=15)
    mistral.save(update_fields=["destroyed_at"])
    for number, altitude in enumerate((1060, 1090, 1130)):
        SpaceObject.objects.create(
            exercise=exercise,
            name=f"MISTRAL-2 DEB {number}",
            object_type="debris",
            parent=mistral,
            created_by=asat,
            elements=circular(f"MISTRAL-2 DEB {number}", EPOCH, altitude, 98.0).as_dict(),
        )
    Inject.objects.create(
        exercise=exercise,
        sequence=4,
        offset=timedelta(minutes=40),
        kind="conjunction",
        title="Follow-on: MISTRAL-2 debris near KEA-1",
        text="Drafted from the ASAT test's debris.",
        drafted_from=asat,
    )
    return exercise, before, after, response


def facts(flown):
    exercise, before, after, response = flown
    return {
        "heading": "ALLIED-SAT 7 × OBJECT 58213",
        "tca": format_exercise_time(exercise.exercise_time_of(before.tca)),
        "miss": f"{before.miss_distance_m:.0f} m",
        "speed": f"{before.relative_speed_m_s:.0f} m/s",
        "pc": f"{before.probability:.1e}",
        "burn": format_exercise_time(exercise.exercise_time_of(BURN)),
        "before_after": f"{before.miss_distance_m:.0f} m → {after.miss_distance_m:.0f} m",
        "pc_before_after": f"{before.probability:.1e} → {after.probability:.1e}",
        "now": f"now {after.miss_distance_m:.0f} m at TCA {format_exercise_time(exercise.exercise_time_of(after.tca))}",
        "decided": format_exercise_time(response.exercise_time),
    }


def test_the_html_report_has_a_section_per_conjunction_with_its_numbers_pictures_decisions_and_manoeuvre(flown):
    exercise, before, _, response = flown
    html = documents.html(build_report(exercise))
    section = html[html.index('<section id="conjunctions">') : html.index('<section id="improvement-plan">')]
    expected = facts(flown)
    assert f"{expected['heading']} — TCA {expected['tca']}" in section
    assert f"{expected['miss']} (radial {before.radial_m:.0f} m, in-track {before.in_track_m:.0f} m" in section
    for key in ("speed", "pc", "burn", "before_after", "pc_before_after", "now"):
        assert expected[key] in section, key
    assert "Encounter plane of ALLIED-SAT 7 and OBJECT 58213</title>" in section
    assert "Miss distance of ALLIED-SAT 7 and OBJECT 58213 around TCA</title>" in section
    steps = ", ".join(step.code for step in response.protocol_steps.all())
    assert (
        f'<td>USA</td><td>1</td><td>decision</td><td class="time">{expected["decided"]}</td><td>{steps}</td>' in section
    )
    # the screening before the burn is kept, superseded, and the one after it is current
    assert f'<td>1</td><td class="time">{expected["tca"]}</td><td>{expected["miss"]}</td>' in section
    assert "<td>superseded</td>" in section and "<td>current</td>" in section
    # the debris cloud: its fragments and the follow-on inject drafted from the ASAT test
    assert (
        '<td>MISTRAL-2</td><td class="time">T+00:15:00</td><td>3. Direct-ascent ASAT test detected</td><td>3</td>'
        in section
    )
    assert "4. Follow-on: MISTRAL-2 debris near KEA-1 (not released)" in section
    assert "Gabbard diagram of the debris of MISTRAL-2</title>" in section
    assert "Fragments of MISTRAL-2 by altitude</title>" in section


def test_in_french_the_conjunctions_words_and_pictures_are_translated_and_names_numbers_and_codes_kept(flown):
    from django.utils import translation

    exercise, before, after, _ = flown
    with translation.override("fr"):
        html = documents.html(build_report(exercise))
    section = html[html.index('<section id="conjunctions">') : html.index('<section id="improvement-plan">')]
    expected = facts(flown)
    assert "<h2>8. Conjonctions</h2>" in section and "8. Conjunctions" not in section
    assert f"{expected['heading']} — TCA {expected['tca']}" in section
    radial, in_track = f"{before.radial_m:.0f}", f"{before.in_track_m:.0f}"
    assert f"{expected['miss']} (radiale {radial} m, le long de la trajectoire {in_track} m" in section
    for key in ("speed", "pc", "burn", "before_after", "pc_before_after"):
        assert expected[key] in section, key
    assert f"désormais {after.miss_distance_m:.0f} m au TCA" in section
    assert "<td>remplacé</td>" in section and "<td>actuel</td>" in section
    assert "<td>USA</td><td>1</td><td>décision</td>" in section
    # the pictures: their titles, axes and legends in French, the objects' names as they are
    assert "Plan de rencontre de ALLIED-SAT 7 et OBJECT 58213</title>" in section
    assert "Distance de passage de ALLIED-SAT 7 et OBJECT 58213 autour du TCA</title>" in section
    assert f"Minutes par rapport au TCA ({expected['tca']})" in section
    assert "Diagramme de Gabbard des débris de MISTRAL-2</title>" in section
    assert "Période orbitale (minutes)" in section and "Orbital period" not in section
    assert "4. Follow-on: MISTRAL-2 debris near KEA-1 (non diffusé)" in section  # the inject's title as written


def test_the_pdf_carries_the_conjunctions_numbers(flown):
    exercise = flown[0]
    reader = PdfReader(io.BytesIO(export(exercise, "pdf")))
    text = " ".join(page.extract_text() for page in reader.pages)
    expected = facts(flown)
    for key in ("heading", "tca", "miss", "pc", "before_after", "pc_before_after"):
        assert expected[key] in text, key
    assert "8. Conjunctions" in text and "MISTRAL-2 DEB" not in text  # fragments are counted, not listed


def test_the_docx_carries_the_conjunctions_numbers_and_pictures(flown):
    exercise = flown[0]
    document = Document(io.BytesIO(export(exercise, "docx")))
    cells = " | ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    expected = facts(flown)
    assert "8. Conjunctions" in headings and f"{expected['heading']} — TCA {expected['tca']}" in headings
    for key in ("miss", "pc", "speed", "burn", "before_after", "pc_before_after", "decided", "now"):
        assert expected[key] in cells, key
    assert "superseded" in cells
    assert "4. Follow-on: MISTRAL-2 debris near KEA-1 (not released)" in cells
    # the report's four charts, the coalition section's three, the conjunction's two pictures and the debris cloud's two
    assert len(document.inline_shapes) == 4 + 3 + 2 + 2


def test_conjunctions_csv_lists_every_screening_current_and_superseded(flown):
    exercise, before, _, _ = flown
    with zipfile.ZipFile(io.BytesIO(export(exercise, "csv"))) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("conjunctions.csv").decode())))
    assert len(rows) == Conjunction.objects.filter(exercise=exercise).count()
    [first] = [row for row in rows if row["id"] == str(before.pk)]
    assert first["superseded_at"] and float(first["miss_distance_m"]) == pytest.approx(before.miss_distance_m, abs=0.1)
    assert first["tca"] == facts(flown)["tca"] and first["pc"] == f"{before.probability:.3e}"


def test_a_burn_committed_with_the_planner_shows_its_miss_and_pc_before_and_after(
    library, django_capture_on_commit_callbacks
):
    from exercises.services.manoeuvres import commit_burn
    from tests.test_manoeuvre_planner import orbiting_exercise

    with django_capture_on_commit_callbacks(execute=True):
        planner = orbiting_exercise("Reported planner")
    before = planner.conjunction
    with django_capture_on_commit_callbacks(execute=True):
        manoeuvre = commit_burn(
            participant=planner.usa,
            space_object=planner.satellite,
            conjunction=before,
            burn_at="T+00:10:00",
            radial_m_s=0.5,
            in_track_m_s=0.0,
            cross_track_m_s=0.0,
        )
    html = documents.html(build_report(planner.exercise))
    section = html[html.index('<section id="conjunctions">') : html.index('<section id="improvement-plan">')]
    tca = format_exercise_time(planner.exercise.exercise_time_of(before.tca))
    assert f"ALLIED-SAT 7 × OBJECT 58213 — TCA {tca}" in section
    assert f"{manoeuvre.miss_distance_before_m:.0f} m → {manoeuvre.miss_distance_after_m:.0f} m" in section
    assert f"{manoeuvre.probability_before:.1e} → {manoeuvre.probability_after:.1e}" in section
    assert '<td class="time">T+00:10:00</td><td>0.50, 0.00, 0.00 m/s</td><td>0.50 m/s</td>' in section
    # the burn is USA's response to the warning: an action, at its exercise time
    response = manoeuvre.response
    assert f'<td>USA</td><td>1</td><td>action</td><td class="time">{format_exercise_time(response.exercise_time)}' in (
        section
    )


def test_an_asat_tests_debris_cloud_and_its_drafted_follow_ons_are_in_the_report(library):
    from exercises import clock_worker
    from tests.test_debris import RELEASE, debris_scenario, paused_at, run_of

    world = run_of(debris_scenario("Reported debris scenario"))
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    clock_worker.tick()
    target = world.target
    fragments = SpaceObject.objects.filter(exercise=world.exercise, parent=target).count()
    drafts = list(world.drafts())
    assert fragments and drafts and target.destroyed_at

    report = build_report(world.exercise)
    [cloud] = report.conjunctions.debris
    assert cloud.parent == target and cloud.fragments == fragments and cloud.created_by == world.asat
    assert [inject.pk for inject in cloud.drafted] == [draft.pk for draft in drafts]
    html = documents.html(report)
    section = html[html.index('<section id="conjunctions">') : html.index('<section id="improvement-plan">')]
    broken_at = format_exercise_time(world.exercise.exercise_time_of(target.destroyed_at))
    assert (
        f'<td>KRS-METEO 2</td><td class="time">{broken_at}</td><td>3. {world.asat.title}</td><td>{fragments}</td>'
        in section
    )
    for draft in drafts:
        assert f"{draft.sequence}. {draft.title} (not released)" in section
        # each draft is bound to its follow-on conjunction, which gets a part of its own
        conjunction = selectors.current_conjunction(draft)
        tca = format_exercise_time(world.exercise.exercise_time_of(conjunction.tca))
        assert f"{conjunction.primary.name} × {conjunction.secondary.name} — TCA {tca}" in section
    assert f"Gabbard diagram: {fragments} fragments of KRS-METEO 2" in section
    assert f"{fragments} fragments of KRS-METEO 2 in 25-km altitude bins" in section


def test_the_pdf_carries_every_picture_as_an_image_with_the_svgs_text_and_the_html_keeps_inline_svg(flown):
    """The HTML's pictures are inline SVG with their <title> and <desc>; the PDF's are <img> of PNG (WeasyPrint
    lays those out in a fraction of the time) whose alt text is that same title and description."""
    import re
    from html import unescape

    exercise = flown[0]
    report = build_report(exercise)
    page = documents.html(report)
    for_pdf = documents.html(report, for_pdf=True)
    figures = page.count('<figure class="chart">')
    # 4 report charts, 3 coalition charts, 2 per conjunction section, 2 for the debris cloud
    assert figures >= 4 + 2 + 2 and figures == for_pdf.count('<figure class="chart">')
    assert page.count("<svg") == figures and "<img" not in page
    assert "<svg" not in for_pdf and for_pdf.count('<img src="data:image/png;base64,') == figures
    alts = [unescape(alt) for alt in re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)"', for_pdf)]
    pictures = re.findall(r'<title id="[^"]+">([^<]+)</title><desc id="[^"]+">([^<]+)</desc>', page)
    assert len(pictures) >= 4  # the conjunction's two pictures and the debris cloud's two
    for title, desc in pictures:
        assert f"{unescape(title)}. {unescape(desc)}" in alts
    assert "Injects and responses per team" in alts and "Who shared with whom" in alts

    reader = PdfReader(io.BytesIO(export(exercise, "pdf")))
    # WeasyPrint lists the document's images in every page's resources: one of each
    images = {image.name: image for pdf_page in reader.pages for image in pdf_page.images}
    assert len(images) == figures
    assert all(image.image.width > 300 and image.image.height > 150 for image in images.values())
