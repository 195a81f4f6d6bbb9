"""The bundled scenarios' catalogues: every satellite their texts name, on the orbits the texts state, and
the conjunctions the scripts describe planted so that screening finds them when the script says.

What the texts state is quoted in the tables below; each quotation is checked to be in the scenario, and
the numbers are read from the quotation, so a table cannot drift from the texts.
"""

import re
from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.test import override_settings

from exercises import selectors
from exercises.models import Exercise, Scenario, Team
from exercises.orbits.elements import EARTH_RADIUS_KM, state_at
from exercises.orbits.screening import brute_force
from exercises.scenario_time import parse_scenario_time
from exercises.services.catalogue import screen_catalogue
from exercises.services.exercises import create_exercise
from tests.test_scenario_library import bundled

FILES = ["default.json", "training.json"]
TEAM_CODES = "USA|GBR|CAN|AUS|NZL|DEU|FRA"
PLACEHOLDERS = [
    "primary",
    "secondary",
    "tca",
    "miss_distance",
    "radial",
    "in_track",
    "cross_track",
    "relative_speed",
    "pc",
]

# Satellite names as the texts write them: NAME-1, NAME 7, and "object 58213" for catalogue numbers.
SATELLITE_NAME = re.compile(r"\b[A-Z][A-Z]+(?:-[A-Z]+)*(?:-| )\d+\b")
NOT_SATELLITES = re.compile(r"^(LEO \d+|OBJ-\d+|SHA-256)$")  # an orbit, an objective code, a hash
CATALOGUE_NUMBER = re.compile(r"\b(?:[Oo]bject|[Ff]ragment)s? (\d{5})\b")
# Fragments of the PELICAN-4 collision at T+00:23:10 (inject 6): they do not exist at STARTEX, so they are
# not in the scenario's catalogue (the break-up makes an exercise's fragments).
BORN_IN_THE_EXERCISE = {"default.json": {"58391", "58402"}, "training.json": set()}

# (object, what a text says about its orbit): the altitude in km, and the inclination when stated.
STATED_ORBITS = {
    "default.json": [
        ("ALLIED-SAT 7", "ALLIED-SAT 7 (USA, weather and ISR, LEO 548 km, 53.0°)"),
        ("ALLIED-SAT 7", "Primary: {primary} (USA), 548 km, 53.0°"),
        ("BOREAL-1", "BOREAL-1 (CAN, space-surveillance microsatellite, LEO 780 km)"),
        ("WATTLE-2", "WATTLE-2 (AUS, Earth observation, LEO 530 km)"),
        ("KEA-1", "KEA-1 (NZL, research smallsat without propulsion, LEO 520 km)"),
        ("ADLER-5", "ADLER-5 (DEU, radar imaging, LEO 512 km, 97.4°)"),
        ("ADLER-5", "ADLER-5 (radar imaging, 512 km, 97.4°)"),
        ("MISTRAL-2", "MISTRAL-2 (FRA, optical imaging, LEO 495 km)"),
        ("KRS-METEO 2", "KRS-METEO 2 (505 km, 82.5°)"),
        ("PELICAN-4", "(object 27741, launching state KARSLAND) at 561 km, 97.6° inclination"),
    ],
    "training.json": [("BOREAL-1", "Primary: {primary} (CAN), 780 km, 98.6°")],
}
ALTITUDE_KM = re.compile(r"(\d+) km(?:, (\d+\.\d)°)?")
GEOSTATIONARY = {"default.json": ["ALBION-3", "KRS-INSPECTOR 4"], "training.json": []}

# (object, quotation, what it says: owner (a team code) or owner_other, object type, manoeuvrable)
STATED_OWNERS = {
    "default.json": [
        (
            "PELICAN-4",
            "PELICAN-4 (licensed and registered by the United Kingdom, non-manoeuvrable",
            "GBR",
            "payload",
            False,
        ),
        ("KEA-1", "KEA-1 (NZL, research smallsat without propulsion", "NZL", "payload", False),
        ("ALLIED-SAT 7", "The ALLIED-SAT 7 operator proposes a 0.12 m/s radial burn", "USA", "payload", True),
        ("OBJECT 58213", "a fragment of a 2009 rocket-body break-up, not manoeuvrable", None, "debris", False),
        (
            "OBJECT 27741",
            "a spent upper stage (object 27741, launching state KARSLAND)",
            "KARSLAND",
            "rocket_body",
            False,
        ),
        ("KRS-METEO 2", "KARSLAND's own defunct satellite KRS-METEO 2", "KARSLAND", "payload", False),
        (
            "KRS-INSPECTOR 4",
            "KARSLAND's satellite KRS-INSPECTOR 4 made an unannounced drift manoeuvre",
            "KARSLAND",
            "payload",
            True,
        ),
    ],
    "training.json": [
        ("BOREAL-1", "If BOREAL-1 will manoeuvre", "CAN", "payload", True),
        ("OBJECT 39115", "a spent upper stage launched in 2013, not manoeuvrable", None, "rocket_body", False),
    ],
}

# The conjunctions each script describes, and the injects that say when they happen.
PLANTED = {
    "default.json": [("PELICAN-4", "OBJECT 27741"), ("ALLIED-SAT 7", "OBJECT 58213"), ("ALBION-3", "KRS-INSPECTOR 4")],
    "training.json": [("BOREAL-1", "OBJECT 39115")],
}


def scenario_of(filename):
    return Scenario.objects.get(name=bundled(filename)["name"])


def texts(filename) -> list[str]:
    data = bundled(filename)
    return [data["description"]] + [
        inject.get(key, "") for inject in data["injects"] for key in ("title", "text", "expected_action", "notes")
    ]


def inject_text(filename, sequence) -> str:
    return next(i["text"] for i in bundled(filename)["injects"] if i["sequence"] == sequence)


def exercise_time(text: str, pattern: str) -> timedelta:
    """The exercise time a text gives after `pattern` (e.g. 'decision by '), e.g. T+00:20 -> 20 minutes."""
    match = re.search(re.escape(pattern) + r"(T\+\d\d:\d\d(?::\d\d)?)", text)
    assert match, f"{pattern!r} followed by an exercise time is not in {text!r}"
    return parse_scenario_time(match[1])


def mean_altitude_km(elements) -> float:
    return elements.semi_major_axis_km - EARTH_RADIUS_KM


@pytest.fixture
def screened(library):
    """Each bundled scenario's screening over the default window (computed once per test)."""

    def screen(filename):
        scenario = scenario_of(filename)
        found = screen_catalogue(scenario.catalogue.select_related("owner"), scenario.orbit_epoch)
        return scenario, {(p.name, s.name): (encounter, probability) for encounter, p, s, probability in found}

    return screen


@pytest.mark.parametrize("filename", FILES)
def test_every_satellite_the_texts_name_is_in_the_catalogue(library, filename):
    names = set()
    numbers = set()
    for text in texts(filename):
        names |= {name for name in SATELLITE_NAME.findall(text) if not NOT_SATELLITES.match(name)}
        numbers |= set(CATALOGUE_NUMBER.findall(text))
    numbers -= BORN_IN_THE_EXERCISE[filename]
    catalogue = {obj.name: obj for obj in scenario_of(filename).catalogue.all()}
    assert names, "the texts name satellites"
    assert names <= set(catalogue), names - set(catalogue)
    for number in numbers:
        assert f"OBJECT {number}" in catalogue, number
        assert catalogue[f"OBJECT {number}"].mean_elements().norad_cat_id == int(number)


@pytest.mark.parametrize("filename", FILES)
def test_the_orbits_are_at_the_altitudes_and_inclinations_the_texts_state(library, filename):
    catalogue = {obj.name: obj.mean_elements() for obj in scenario_of(filename).catalogue.all()}
    all_text = "\n".join(texts(filename))
    for name, quotation in STATED_ORBITS[filename]:
        assert quotation in all_text, quotation
        altitude, inclination = ALTITUDE_KM.search(quotation).groups()
        elements = catalogue[name]
        assert mean_altitude_km(elements) == pytest.approx(float(altitude), abs=2.0), name
        assert elements.perigee_km > float(altitude) - 6 and elements.apogee_km < float(altitude) + 6, name
        if inclination:
            assert elements.inclination == pytest.approx(float(inclination), abs=0.05), name
    for name in GEOSTATIONARY[filename]:
        assert "in geostationary orbit" in all_text or "(GBR, military SATCOM, geostationary)" in all_text
        elements = catalogue[name]
        assert elements.period_minutes == pytest.approx(1436.07, abs=1.0) and elements.inclination < 0.1, name


@pytest.mark.parametrize("filename", FILES)
def test_owners_types_and_propulsion_are_what_the_texts_say(library, filename):
    catalogue = {obj.name: obj for obj in scenario_of(filename).catalogue.all()}
    all_text = "\n".join(texts(filename))
    owned = re.findall(rf"([A-Z][A-Z0-9 -]*[A-Z0-9]) \(({TEAM_CODES})\b", all_text)  # "KEA-1 (NZL, ..."
    owned = [(name, code) for name, code in owned if SATELLITE_NAME.fullmatch(name)]
    assert owned or filename != "default.json"
    for name, code in owned:
        assert catalogue[name].owner_id == code, name
    for name, quotation, owner, object_type, manoeuvrable in STATED_OWNERS[filename]:
        assert quotation in all_text, quotation
        obj = catalogue[name]
        assert (obj.owner_id or obj.owner_other or None) == owner, name
        assert obj.is_allied == (owner in TEAM_CODES.split("|")), name
        assert (obj.object_type, obj.manoeuvrable) == (object_type, manoeuvrable), name
    for obj in catalogue.values():
        if obj.is_allied and obj.manoeuvrable:
            assert obj.delta_v_budget_m_s > 0, obj.name
    if "ALLIED-SAT 7" in catalogue:
        assert catalogue["ALLIED-SAT 7"].delta_v_budget_m_s >= 0.12  # the burn its operator proposes (inject 4)


@pytest.mark.parametrize("filename", FILES)
def test_screening_finds_the_planted_conjunctions_and_no_others(screened, filename):
    _scenario, found = screened(filename)
    assert sorted(found) == sorted(PLANTED[filename])


@pytest.mark.parametrize("filename", FILES)
def test_the_planted_conjunctions_agree_with_dense_sampling_to_a_second_and_a_metre(screened, filename):
    scenario, found = screened(filename)
    catalogue = {obj.name: obj.mean_elements() for obj in scenario.catalogue.all()}
    for pair, (encounter, _probability) in found.items():
        # the reference: sampled every 0.1 s for 4 minutes around the time the screening found, then every
        # 0.1 ms around the smallest samples (no interpolation, no root finding)
        start = encounter.tca - timedelta(minutes=2)
        slow = encounter.relative_speed_m_s < 100  # the geostationary pair drifts at centimetres a second
        [(tca, miss_m)] = brute_force(
            catalogue[pair[0]],
            catalogue[pair[1]],
            start,
            hours=(240 if slow else 4) / 60,
            step_seconds=10.0 if slow else 0.1,
            threshold_km=5.0,
            fine_step_seconds=1e-2 if slow else 1e-4,
        )
        assert abs((tca - encounter.tca).total_seconds()) < 1.0, pair
        assert miss_m == pytest.approx(encounter.miss_distance_m, abs=1.0), pair


def test_the_default_scripts_conjunction_comes_after_the_manoeuvre_decision_with_a_pc_worth_deciding(screened):
    scenario, found = screened("default.json")
    encounter, probability = found[("ALLIED-SAT 7", "OBJECT 58213")]
    tca = encounter.tca - scenario.orbit_epoch
    decision_point = scenario.injects.get(sequence=4)
    assert decision_point.offset < exercise_time(decision_point.text, "decision by ") < tca
    assert exercise_time(decision_point.text, "radial burn at ") < tca  # the burn the operator proposes
    assert tca < exercise_time(decision_point.notes, "tell USA at ")  # post-event tracking comes after TCA
    assert 100 < encounter.miss_distance_m < 1000
    assert 1e-4 < probability < 1e-3  # "Pc is above the common 1E-4 threshold" (inject 2's notes)


def test_the_default_scripts_collision_happens_when_and_where_inject_5_says(screened):
    scenario, found = screened("default.json")
    encounter, _probability = found[("PELICAN-4", "OBJECT 27741")]
    text = inject_text("default.json", 5)
    assert abs((encounter.tca - scenario.orbit_epoch - exercise_time(text, "At ")).total_seconds()) < 1
    radii = {obj.name: obj.hard_body_radius_m for obj in scenario.catalogue.all()}
    assert encounter.miss_distance_m < radii["PELICAN-4"] + radii["OBJECT 27741"]  # a collision
    altitude = np.linalg.norm(encounter.primary_position_km) - EARTH_RADIUS_KM
    assert altitude == pytest.approx(561, abs=8)


def test_the_inspector_is_11_km_from_albion_3_closing_at_0_3_m_s_when_inject_11_says(screened):
    scenario, found = screened("default.json")
    catalogue = {obj.name: obj.mean_elements() for obj in scenario.catalogue.all()}
    inject = scenario.injects.get(sequence=11)
    assert "is now 11 km from ALBION-3 in geostationary orbit, closing at 0.3 m/s" in inject.text
    at = scenario.orbit_epoch + inject.offset
    ra, va = state_at(catalogue["ALBION-3"], at)
    ri, vi = state_at(catalogue["KRS-INSPECTOR 4"], at)
    separation = ri - ra
    assert np.linalg.norm(separation) == pytest.approx(11.0, abs=0.2)
    assert separation @ (vi - va) / np.linalg.norm(separation) * 1000 == pytest.approx(-0.3, abs=0.02)
    encounter, _ = found[("ALBION-3", "KRS-INSPECTOR 4")]
    assert encounter.tca > at  # the closest approach is still ahead


def test_no_catalogued_object_comes_within_50_km_of_adler_5_when_it_fails(library):
    scenario = scenario_of("default.json")
    text = inject_text("default.json", 16)
    assert "no catalogued object came within 50 km at T+01:21" in text
    at = scenario.orbit_epoch + exercise_time(text, "came within 50 km at ")
    catalogue = {obj.name: obj.mean_elements() for obj in scenario.catalogue.all()}
    adler = catalogue.pop("ADLER-5")
    for offset in range(60):  # every second from T+01:21:00 to T+01:21:59
        moment = at + timedelta(seconds=offset)
        adler_position, _ = state_at(adler, moment)
        for name, elements in catalogue.items():
            assert np.linalg.norm(state_at(elements, moment)[0] - adler_position) > 50, name


def test_the_training_scripts_conjunction_is_at_the_time_inject_6_reports(screened):
    scenario, found = screened("training.json")
    encounter, probability = found[("BOREAL-1", "OBJECT 39115")]
    tca = encounter.tca - scenario.orbit_epoch
    assert abs((tca - exercise_time(inject_text("training.json", 6), "TCA passed at ")).total_seconds()) < 1
    assert exercise_time(inject_text("training.json", 4), "decision by ") < tca
    assert 100 < encounter.miss_distance_m < 1000
    assert 1e-4 < probability < 5e-4  # "Pc is just above the common 1E-4 threshold" (inject 2's notes)


@pytest.mark.parametrize("filename", FILES)
def test_the_bound_injects_use_only_the_placeholders_and_find_their_conjunction_in_an_exercise(library, filename):
    scenario = scenario_of(filename)
    exercise = create_exercise(scenario=scenario, name=f"Run of {filename}", teams=Team.objects.all())
    bound = exercise.injects.exclude(primary_object="").exclude(secondary_object="").order_by("sequence")
    assert bound.exists()
    for inject in bound:
        conjunction = selectors.current_conjunction(inject)
        assert conjunction is not None, inject.sequence
        assert (conjunction.primary.name, conjunction.secondary.name) == (
            inject.primary_object,
            inject.secondary_object,
        )
        inject.text.format(**dict.fromkeys(PLACEHOLDERS, "x"))  # no other placeholder, no stray brace
        if inject.kind == "conjunction":
            assert "{miss_distance}" in inject.text and "{tca}" in inject.text, inject.sequence
    for inject in exercise.injects.filter(kind="conjunction"):
        assert inject.primary_object and inject.secondary_object, inject.sequence


def test_the_asat_test_names_its_target(library):
    scenario = scenario_of("default.json")
    asat = scenario.injects.get(kind="asat")
    assert asat.primary_object == "KRS-METEO 2" and "KRS-METEO 2 (505 km, 82.5°) broke up" in asat.text
    assert scenario.catalogue.get(name="KRS-METEO 2").owner_other == "KARSLAND"


@override_settings(DEBUG=True)
def test_the_demo_exercise_shows_its_conjunction_injects_with_current_conjunctions(library):
    call_command("demo", stdout=StringIO())
    exercise = Exercise.objects.get(name="Demo exercise")
    for sequence in (2, 3, 4, 5):
        conjunction = selectors.current_conjunction(exercise.injects.get(sequence=sequence))
        assert conjunction is not None and conjunction.is_current, sequence
    tca = selectors.current_conjunction(exercise.injects.get(sequence=2)).tca
    assert abs((exercise.exercise_time_of(tca) - timedelta(minutes=28)).total_seconds()) < 1
