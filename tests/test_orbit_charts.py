"""The orbit pictures (exercises/reports/orbit_charts.py): valid SVG with its title, description and labels
from the data, the covariance ellipse drawn as the covariance says, and PNG for the DOCX."""

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from matplotlib.patches import Ellipse

from exercises.orbits.elements import circular, state_at
from exercises.orbits.planning import plant_encounter
from exercises.orbits.screening import miss_distance_series as range_series
from exercises.reports import orbit_charts

SVG = "{http://www.w3.org/2000/svg}"
EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
TCA = EPOCH + timedelta(minutes=28)
PAYLOAD_SIGMAS = (50.0, 300.0, 40.0)
DEBRIS_SIGMAS = (200.0, 1200.0, 150.0)


@pytest.fixture(scope="module")
def encounter():
    allied = circular("ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10)
    debris = plant_encounter(allied, "OBJECT 58213", TCA, (18.0, 0.0, 110.0), inclination=71.0, epoch=EPOCH)
    rp, vp = state_at(allied, TCA)
    rs, vs = state_at(debris, TCA)
    return allied, debris, {"r": list(rp), "v": list(vp)}, {"r": list(rs), "v": list(vs)}


def parse(svg: str) -> ET.Element:
    assert isinstance(svg, str)
    return ET.fromstring(svg.encode())


def all_text(root: ET.Element) -> str:
    return " ".join(t for element in root.iter() for t in (element.text or "",))


def rtn_rows(state):
    """Radial, in-track, cross-track unit vectors of a state, computed here from their definitions."""
    r, v = np.asarray(state["r"]), np.asarray(state["v"])
    radial = r / np.linalg.norm(r)
    normal = np.cross(r, v) / np.linalg.norm(np.cross(r, v))
    return np.vstack([radial, np.cross(normal, radial), normal])


def test_the_encounter_plane_svg_names_the_objects_and_states_the_miss_and_the_ellipse(encounter):
    _, _, primary, secondary = encounter
    geometry = orbit_charts.encounter_geometry(primary, secondary, PAYLOAD_SIGMAS, DEBRIS_SIGMAS, 5.5)
    svg = orbit_charts.encounter_plane(geometry, primary="ALLIED-SAT 7", secondary="OBJECT 58213", probability=3.4e-5)
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Encounter plane of ALLIED-SAT 7 and OBJECT 58213"
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    miss = float(np.linalg.norm(np.subtract(secondary["r"], primary["r"])) * 1000)
    assert f"{miss:,.0f} m" in desc.text  # the miss lies in the encounter plane at TCA
    major, minor, _ = geometry.principal_axes
    assert f"1σ uncertainty ellipse {major:,.0f} m × {minor:,.0f} m" in desc.text
    assert "hard-body radius 5.5 m" in desc.text and "probability of collision 3.4e-05" in desc.text
    text = all_text(root)
    for label in ("Encounter plane, along the miss (m)", "Combined 1σ uncertainty", "Combined 3σ uncertainty"):
        assert label in text
    assert "ALLIED-SAT 7" in text and "OBJECT 58213" in text
    assert root.find(f".//{SVG}g[@id='sigma-1']") is not None and root.find(f".//{SVG}g[@id='hard-body']") is not None


def test_the_drawn_ellipse_follows_the_projected_combined_covariance(encounter):
    _, _, primary, secondary = encounter
    # Independently: each object's RTN covariance rotated to TEME, summed, projected on the encounter plane's axes.
    combined = sum(
        rtn_rows(state).T @ np.diag(np.square(sigmas)) @ rtn_rows(state)
        for state, sigmas in ((primary, PAYLOAD_SIGMAS), (secondary, DEBRIS_SIGMAS))
    )
    miss = np.subtract(secondary["r"], primary["r"]) * 1000
    relative_velocity = np.subtract(secondary["v"], primary["v"])
    z = relative_velocity / np.linalg.norm(relative_velocity)
    x = miss - miss @ z * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    sigma_x, sigma_y = math.sqrt(x @ combined @ x), math.sqrt(y @ combined @ y)

    geometry = orbit_charts.encounter_geometry(primary, secondary, PAYLOAD_SIGMAS, DEBRIS_SIGMAS, 5.5)
    figure = orbit_charts.encounter_plane_figure(geometry, primary="A", secondary="B")
    ellipses = {patch.get_gid(): patch for patch in figure.axes[0].patches if isinstance(patch, Ellipse)}
    for k in (1, 3):
        drawn = ellipses[f"sigma-{k}"]
        a, b, theta = drawn.width / 2, drawn.height / 2, math.radians(drawn.angle)
        # An ellipse's half-extent along x and y: what the covariance's 1σ along each axis is, times k
        assert math.hypot(a * math.cos(theta), b * math.sin(theta)) == pytest.approx(k * sigma_x, rel=1e-6)
        assert math.hypot(a * math.sin(theta), b * math.cos(theta)) == pytest.approx(k * sigma_y, rel=1e-6)
        assert drawn.center == pytest.approx((np.linalg.norm(miss - miss @ z * z), 0.0), abs=1e-3)
    assert sigma_x < 1200 * 3  # sanity of the independent projection: bounded by the sigmas
    [hard_body] = [p for p in figure.axes[0].patches if p.get_gid() == "hard-body"]
    assert hard_body.radius == 5.5 and tuple(hard_body.center) == (0, 0)


def test_the_miss_distance_series_states_its_least_distance_and_tca(encounter):
    allied, debris, _, _ = encounter
    times, distances = range_series(allied, debris, TCA, minutes=10, step_seconds=2)
    svg = orbit_charts.miss_distance_series(
        times, distances, TCA, primary="ALLIED-SAT 7", secondary="OBJECT 58213", tca_label="T+00:28:00"
    )
    root = parse(svg)
    desc = root.find(f"{SVG}desc").text
    least = float(np.min(distances))
    assert f"least {least:,.0f} m" in desc and "T+00:28:00" in desc and "over 10 minutes" in desc
    assert f"{distances[0] / 1000:,.1f} km at the start" in desc
    assert "Minutes from TCA (T+00:28:00)" in all_text(root)


def test_the_gabbard_diagram_and_the_altitude_histogram_count_the_fragments():
    rng = np.random.default_rng(7)
    perigees = rng.uniform(400, 560, 40)
    apogees = perigees + rng.uniform(0, 300, 40)
    periods = 90 + (apogees + perigees) / 2 / 50
    root = parse(orbit_charts.gabbard(periods, apogees, perigees, parent="MISTRAL-2", parent_point=(95.6, 560, 555)))
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("40 fragments of MISTRAL-2")
    assert f"apogees up to {apogees.max():,.0f} km" in desc and f"perigees down to {perigees.min():,.0f} km" in desc
    assert "Gabbard diagram: 40 fragments of MISTRAL-2" in all_text(root)
    assert "Orbital period (minutes)" in all_text(root)

    altitudes = (apogees + perigees) / 2
    root = parse(orbit_charts.altitude_histogram(altitudes, parent="MISTRAL-2", bin_km=25))
    desc = root.find(f"{SVG}desc").text
    counts, edges = np.histogram(altitudes, bins=np.arange(400, 725, 25.0))
    peak = int(np.argmax(counts))
    assert f"the most, {counts[peak]}, between {edges[peak]:,.0f} and {edges[peak + 1]:,.0f} km" in desc
    assert "Fragments" in all_text(root)


def test_the_catalogue_altitudes_mark_the_events():
    minutes = np.linspace(0, 120, 50)
    tracks = [
        orbit_charts.AltitudeTrack("ALLIED-SAT 7", minutes, 550 + 8 * np.sin(minutes / 15)),
        orbit_charts.AltitudeTrack("KEA-1", minutes, np.where(minutes < 60, 1200.0, np.nan)),
    ]
    events = [
        orbit_charts.Event(5, "Inject 1", "inject"),
        orbit_charts.Event(28.2, "TCA ALLIED-SAT 7 × OBJECT 58213", "conjunction"),
    ]
    root = parse(orbit_charts.catalogue_altitudes(tracks, events))
    desc = root.find(f"{SVG}desc").text
    assert "2 allied objects over 120 minutes" in desc and "ALLIED-SAT 7 542–558 km" in desc
    assert "KEA-1 1,200–1,200 km" in desc
    assert "Inject 1 at 5 min" in desc and "TCA ALLIED-SAT 7 × OBJECT 58213 at 28 min" in desc
    text = all_text(root)
    assert "Inject due" in text and "Conjunction TCA" in text and "Exercise time (minutes after STARTEX)" in text


def test_a_geostationary_satellite_gets_a_panel_of_its_own_so_the_low_orbits_stay_readable():
    minutes = np.linspace(0, 60, 20)
    low = orbit_charts.AltitudeTrack("ALLIED-SAT 7", minutes, np.full(20, 550.0))
    geo = orbit_charts.AltitudeTrack("ALBION-3", minutes, np.full(20, 35786.0))
    root = parse(orbit_charts.catalogue_altitudes([low, geo], []))
    assert all_text(root).count("Altitude (km)") == 2
    assert "ALBION-3 35,786–35,786 km" in root.find(f"{SVG}desc").text
    root = parse(orbit_charts.catalogue_altitudes([low], []))
    assert all_text(root).count("Altitude (km)") == 1


def test_every_picture_renders_as_png_for_the_docx(encounter):
    _, _, primary, secondary = encounter
    geometry = orbit_charts.encounter_geometry(primary, secondary, PAYLOAD_SIGMAS, DEBRIS_SIGMAS, 5.5)
    png = orbit_charts.encounter_plane(geometry, primary="A", secondary="B", fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    png = orbit_charts.altitude_histogram([500, 510, 530], parent="X", fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="Unknown picture format 'gif'"):
        orbit_charts.altitude_histogram([500], parent="X", fmt="gif")


# ---------------------------------------------------------------------------------------------------------------
# The pictures of an exercise's rows (exercises/pictures.py), on the page and in the partials

from django.template.loader import render_to_string  # noqa: E402
from django.test import Client  # noqa: E402

from exercises import pictures  # noqa: E402
from exercises.models import Manoeuvre  # noqa: E402
from exercises.orbits.elements import MeanElements  # noqa: E402
from exercises.orbits.propagation import ground_track  # noqa: E402
from tests.test_conjunction_report import BURN, flown  # noqa: E402, F401


def test_a_superseded_conjunctions_miss_distance_picture_shows_the_encounter_before_the_burn(flown):  # noqa: F811
    exercise, before, after, _ = flown
    before.exercise = after.exercise = exercise
    for row in (before, after):
        desc = parse(pictures.conjunction_picture(row, "miss-distance")).find(f"{SVG}desc").text
        # sampled every 2 s from TCA itself: the least distance is the screened miss distance
        assert f"least {row.miss_distance_m:,.0f} m +0 s from TCA" in desc, desc
    geometry = pictures.encounter_geometry(before)
    assert geometry.miss_distance_m == pytest.approx(before.miss_distance_m, abs=0.5)
    assert geometry.hard_body_radius_m == before.primary.hard_body_radius_m + before.secondary.hard_body_radius_m


def test_the_catalogue_picture_marks_the_injects_and_tcas_and_follows_the_orbit_each_burn_left(flown):  # noqa: F811
    exercise, _, after, _ = flown
    root = parse(pictures.catalogue_picture(exercise))
    desc = root.find(f"{SVG}desc").text
    for inject in exercise.injects.all():
        assert f"Inject {inject.sequence} at {inject.offset.total_seconds() / 60:.0f} min" in desc
    tca_minutes = exercise.exercise_time_of(after.tca).total_seconds() / 60
    assert f"TCA ALLIED-SAT 7 × OBJECT 58213 at {tca_minutes:.0f} min" in desc
    assert "MISTRAL-2" in desc  # FRA's satellite, broken up at T+00:15: its line stops there

    satellite = exercise.catalogue.get(name="ALLIED-SAT 7")
    manoeuvre = Manoeuvre.objects.get(space_object=satellite)
    [track] = pictures.catalogue_tracks(exercise, [satellite], [manoeuvre], timedelta(hours=1))
    start, stop = exercise.orbit_epoch, exercise.orbit_epoch + timedelta(hours=1)
    step = (track.minutes[1] - track.minutes[0]) * 60
    _, _, _, old = ground_track(MeanElements.from_dict(manoeuvre.elements_before), start, stop, step)
    _, _, _, new = ground_track(satellite.mean_elements(), start, stop, step)
    burned = track.minutes >= (BURN - start).total_seconds() / 60
    assert np.allclose(track.altitudes_km[~burned], old[~burned]) and np.allclose(
        track.altitudes_km[burned], new[burned]
    )
    [mistral] = pictures.catalogue_tracks(exercise, [exercise.catalogue.get(name="MISTRAL-2")], [], timedelta(hours=1))
    assert np.isnan(mistral.altitudes_km[mistral.minutes >= 15]).all()
    assert np.isfinite(mistral.altitudes_km[mistral.minutes < 15]).all()


def test_the_debris_pictures_count_the_fragments_of_the_broken_up_object(flown):  # noqa: F811
    exercise, _, _, _ = flown
    parent = exercise.catalogue.get(name="MISTRAL-2")
    fragments = [f.mean_elements() for f in parent.fragments.all()]
    desc = parse(pictures.debris_picture(parent, "gabbard")).find(f"{SVG}desc").text
    assert desc.startswith(f"{len(fragments)} fragments of MISTRAL-2")
    assert f"apogees up to {max(e.apogee_km for e in fragments):,.0f} km" in desc
    desc = parse(pictures.debris_picture(parent, "altitudes")).find(f"{SVG}desc").text
    assert f"{len(fragments)} fragments of MISTRAL-2 in 25-km altitude bins" in desc


def test_the_conjunction_partial_and_the_console_show_the_pictures_with_alt_text(flown):  # noqa: F811
    exercise, before, _, _ = flown
    html = render_to_string("exercises/_conjunction_pictures.html", {"conjunction": before, "exercise": exercise})
    assert f"/exercises/{exercise.pk}/conjunctions/{before.pk}/encounter-plane.svg" in html
    assert f"/exercises/{exercise.pk}/conjunctions/{before.pk}/miss-distance.svg" in html
    assert f"miss distance {before.miss_distance_m:.0f} m at {before.relative_speed_m_s:.0f} m/s" in html
    assert f"probability of collision {before.probability:.1e}" in html
    tca = format_tca(exercise, before)
    assert f"time of closest approach {tca}, least {before.miss_distance_m:.0f} m" in html

    client = Client()
    client.force_login(exercise.participants.get(role="facilitator").user)
    page = client.get(f"/exercises/{exercise.pk}/").content.decode()
    assert f'<img src="/exercises/{exercise.pk}/catalogue/altitudes.svg"' in page
    assert 'alt="Altitude of the allied satellites over exercise time' in page


def format_tca(exercise, conjunction):
    from exercises.models import format_exercise_time

    return format_exercise_time(exercise.exercise_time_of(conjunction.tca))


def test_the_miss_distance_axis_labels_each_power_of_ten_and_grids_at_2_and_5_between(encounter):
    """Its log axis as the default draws it (10⁻¹, 10⁰, 10¹ …), written as text rather than parsed as mathtext,
    with unlabelled minor gridlines at 2 and 5 × each power only (each tick costs a layout at every draw)."""
    allied, debris, _, _ = encounter
    times, distances = range_series(allied, debris, TCA, minutes=10, step_seconds=2)
    figure = orbit_charts.miss_distance_figure(
        times, distances, TCA, primary="ALLIED-SAT 7", secondary="OBJECT 58213", tca_label="T+00:28:00"
    )
    figure.canvas.draw()
    axis = figure.axes[0].yaxis
    low, high = figure.axes[0].get_ylim()
    majors = [t for t in axis.get_majorticklocs() if low <= t <= high]
    labels = [label.get_text() for label in axis.get_ticklabels() if low <= label.get_position()[1] <= high]
    exponents = [round(np.log10(t)) for t in majors]
    assert len(majors) >= 2 and labels == [orbit_charts._power_of_ten(10.0**e) for e in exponents]
    assert "10⁰" in labels or "10¹" in labels or "10²" in labels
    assert not any("$" in label for label in labels)
    minors = [t for t in axis.get_minorticklocs() if low <= t <= high]
    assert minors and {round(t / 10.0 ** np.floor(np.log10(t) + 1e-9)) for t in minors} <= {2, 5}
    assert not any(label.get_text() for label in axis.get_ticklabels(minor=True))
    assert [orbit_charts._power_of_ten(v) for v in (1e-3, 1.0, 1e4, 3e2, 0)] == ["10⁻³", "10⁰", "10⁴", "", ""]
