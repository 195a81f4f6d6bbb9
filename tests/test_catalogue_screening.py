"""An exercise's space catalogue: copied from its scenario at creation and screened for conjunctions."""

from datetime import UTC, datetime, timedelta

import pytest

from exercises import selectors
from exercises.models import AuditEvent, Conjunction, ScenarioSpaceObject, SpaceObject, Team
from exercises.orbits.elements import circular
from exercises.orbits.planning import plant_encounter
from exercises.orbits.screening import brute_force
from exercises.services.catalogue import screen_exercise, sigmas_m
from exercises.services.exercises import create_exercise
from tests.conftest import small_scenario

EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
TCA = EPOCH + timedelta(minutes=28)


@pytest.fixture
def scenario_with_catalogue(library):
    scenario = small_scenario("Catalogue scenario")
    scenario.orbit_epoch = EPOCH
    scenario.save()
    allied = circular("ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10)
    debris = plant_encounter(allied, "OBJECT 58213", TCA, (18.0, 0.0, 110.0), inclination=71.0, epoch=EPOCH)
    far = circular("KEA-1", EPOCH, 1200, 10.0)
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="ALLIED-SAT 7",
        owner=Team.objects.get(code="USA"),
        manoeuvrable=True,
        delta_v_budget_m_s=12.0,
        elements=allied.as_dict(),
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario, name="OBJECT 58213", object_type="debris", hard_body_radius_m=0.5, elements=debris.as_dict()
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario, name="KEA-1", owner=Team.objects.get(code="NZL"), elements=far.as_dict()
    )
    scenario.injects.filter(sequence=1).update(primary_object="ALLIED-SAT 7", secondary_object="OBJECT 58213")
    return scenario, allied, debris


def test_an_exercise_gets_its_own_copy_of_the_scenarios_catalogue(scenario_with_catalogue):
    scenario, allied, _ = scenario_with_catalogue
    exercise = create_exercise(scenario=scenario, name="Run 1", teams=Team.objects.filter(code__in=["USA", "NZL"]))
    assert exercise.orbit_epoch == EPOCH
    copies = {obj.name: obj for obj in exercise.catalogue.all()}
    assert set(copies) == {"ALLIED-SAT 7", "OBJECT 58213", "KEA-1"}
    assert copies["ALLIED-SAT 7"].owner_id == "USA" and copies["ALLIED-SAT 7"].delta_v_budget_m_s == 12.0
    assert copies["ALLIED-SAT 7"].mean_elements() == allied
    ScenarioSpaceObject.objects.filter(scenario=scenario, name="KEA-1").delete()
    assert SpaceObject.objects.filter(exercise=exercise, name="KEA-1").exists()  # the run keeps its copy


def test_screening_at_creation_finds_the_planted_conjunction_with_its_probability(scenario_with_catalogue):
    scenario, allied, debris = scenario_with_catalogue
    exercise = create_exercise(scenario=scenario, name="Run 1", teams=Team.objects.filter(code__in=["USA", "NZL"]))
    conjunction = selectors.current_conjunction(exercise.injects.get(sequence=1))
    assert conjunction is not None
    [(reference_tca, reference_miss)] = [
        found for found in brute_force(allied, debris, EPOCH, 1.0, step_seconds=0.5) if found[1] < 5000
    ]
    assert abs((conjunction.tca - reference_tca).total_seconds()) < 1.0
    assert abs(conjunction.miss_distance_m - reference_miss) < 1.0
    assert exercise.exercise_time_of(conjunction.tca) == pytest.approx(timedelta(minutes=28), abs=timedelta(seconds=1))
    assert 0 < conjunction.probability < 1
    assert conjunction.relative_speed_m_s > 1000  # a crossing orbit
    # KEA-1 at 1,200 km is nowhere near: nothing screened for it
    assert not Conjunction.objects.filter(exercise=exercise, primary__name="KEA-1").exists()
    event = AuditEvent.objects.get(exercise=exercise, kind="catalogue.screened")
    assert event.payload["found"] == Conjunction.objects.filter(exercise=exercise).count()


def test_screening_again_supersedes_the_rows_it_recomputes_and_keeps_them(scenario_with_catalogue):
    scenario, _, _ = scenario_with_catalogue
    exercise = create_exercise(scenario=scenario, name="Run 1", teams=Team.objects.filter(code__in=["USA", "NZL"]))
    first = list(Conjunction.objects.filter(exercise=exercise))
    screen_exercise(exercise=exercise, reason="test")
    assert Conjunction.objects.filter(exercise=exercise, superseded_at__isnull=False).count() == len(first)
    assert Conjunction.objects.filter(exercise=exercise, superseded_at__isnull=True).count() == len(first)


def test_an_objects_uncertainty_is_its_own_or_its_types_default(scenario_with_catalogue):
    scenario, _, _ = scenario_with_catalogue
    exercise = create_exercise(scenario=scenario, name="Run 1", teams=Team.objects.filter(code="USA"))
    debris = exercise.catalogue.get(name="OBJECT 58213")
    assert sigmas_m(debris) == (200.0, 1200.0, 150.0)
    debris.sigma_in_track_m = 90.0
    assert sigmas_m(debris) == (200.0, 90.0, 150.0)


def test_a_scenario_without_a_catalogue_makes_an_exercise_without_one(library):
    exercise = create_exercise(scenario=small_scenario(), name="Plain", teams=Team.objects.filter(code="USA"))
    assert not exercise.catalogue.exists() and not exercise.conjunctions.exists()
