"""A scenario's space catalogue in the editor and in the scenario JSON."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from exercises.models import AuditEvent, ScenarioSpaceObject, Team
from exercises.orbits.elements import circular
from exercises.services import scenarios
from exercises.services.scenarios import InvalidScenario
from tests.conftest import grant_scenario_authoring, make_user, small_scenario

EPOCH = datetime(2031, 3, 14, 6, tzinfo=UTC)
ISS_TLE = (
    "ISS (ZARYA)\n"
    "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\n"
    "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
)


@pytest.fixture
def planner(library):
    user = make_user("planner")
    grant_scenario_authoring(user)
    client = Client()
    client.force_login(user)
    return user, client


def test_a_planner_adds_an_object_by_pasting_a_tle(planner):
    user, client = planner
    scenario = small_scenario()
    reply = client.post(
        f"/scenarios/{scenario.pk}/catalogue/new/",
        {
            "name": "ZARYA",
            "owner": "USA",
            "object_type": "payload",
            "hard_body_radius_m": "10",
            "orbit_source": "tle",
            "tle": ISS_TLE,
        },
    )
    assert reply.status_code == 302
    obj = scenario.catalogue.get(name="ZARYA")
    assert obj.owner_id == "USA" and obj.elements["norad_cat_id"] == 25544
    assert abs(obj.mean_elements().inclination - 51.6416) < 1e-9
    assert AuditEvent.objects.filter(kind="scenario.object_added").count() == 1
    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert "ZARYA" in page and "51.64°" in page


def test_a_bad_tle_is_refused_naming_the_field_and_nothing_is_written(planner):
    _user, client = planner
    scenario = small_scenario()
    bad = ISS_TLE.replace("2927", "2928")  # the checksum of line 1 no longer matches
    reply = client.post(
        f"/scenarios/{scenario.pk}/catalogue/new/",
        {"name": "ZARYA", "object_type": "payload", "hard_body_radius_m": "10", "orbit_source": "tle", "tle": bad},
    )
    assert reply.status_code == 400
    assert "TLE line 1: checksum does not match" in reply.content.decode()
    assert not scenario.catalogue.exists()


def test_a_mean_element_error_is_shown_beside_its_field(planner):
    _user, client = planner
    scenario = small_scenario()
    fields = {k: v for k, v in circular("X", EPOCH, 550, 53).as_dict().items() if k != "object_name"}
    fields["mean_motion"] = "40"
    reply = client.post(
        f"/scenarios/{scenario.pk}/catalogue/new/",
        {"name": "X", "object_type": "payload", "hard_body_radius_m": "5", "orbit_source": "fields", **fields},
    )
    assert reply.status_code == 400
    assert 'id="new-object-mean_motion_error"' in reply.content.decode()
    assert not scenario.catalogue.exists()


def test_the_scenario_json_round_trips_the_catalogue_and_the_objects_of_injects(library):
    scenario = small_scenario()
    scenario.orbit_epoch = EPOCH
    scenario.save()
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="USA-SAT 12",
        owner=Team.objects.get(code="USA"),
        manoeuvrable=True,
        delta_v_budget_m_s=8.0,
        elements=circular("USA-SAT 12", EPOCH, 548, 53).as_dict(),
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="58213",
        owner_other="KARSLAND",
        object_type="debris",
        elements=circular("58213", EPOCH, 548, 70).as_dict(),
    )
    scenario.injects.filter(sequence=1).update(primary_object="USA-SAT 12", secondary_object="58213")
    data = scenarios.export_scenario(scenario)
    assert data["orbit_epoch"] == "2031-03-14T06:00:00Z" and len(data["catalogue"]) == 2
    copy = scenarios.import_scenario({**data, "name": "Copy"})
    assert scenarios.export_scenario(copy) == {**data, "name": "Copy"}


def test_import_refuses_unknown_owners_bad_elements_and_unknown_objects(library):
    scenario = small_scenario()
    data = scenarios.export_scenario(scenario)
    elements = circular("A", EPOCH, 548, 53).as_dict()
    data["orbit_epoch"] = "2031-03-14T06:00:00Z"
    data["catalogue"] = [
        {"name": "A", "owner": "ZZZ", "elements": elements},
        {"name": "B", "elements": {**elements, "eccentricity": 1.5}},
    ]
    data["injects"][0]["primary_object"] = "NOPE"
    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario({**data, "name": "Bad"})
    problems = {(p.where, p.field) for p in refused.value.problems}
    assert ("catalogue object 1 (A)", "owner") in problems
    assert ("catalogue object 2 (B)", "elements.ECCENTRICITY") in problems
    assert ("inject 1", "primary_object") in problems


def test_an_old_file_without_a_catalogue_still_imports(library):
    data = scenarios.export_scenario(small_scenario())
    del data["catalogue"], data["orbit_epoch"]
    copy = scenarios.import_scenario({**data, "name": "Old"})
    assert copy.injects.count() == 3 and not copy.catalogue.exists()


@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", ["TLE line 1 : la somme de contrôle ne correspond pas", "tours/jour n’est pas une orbite terrestre"]),
        ("en-gb", ["TLE line 1: checksum does not match", "40.0 rev/day is not an Earth orbit (0.05 to 20)"]),
    ],
)
def test_the_orbit_problems_read_in_the_planners_language(planner, settings, language, expected):
    """exercises/orbits/ imports nothing of Django; its messages are translated where the editor shows them."""
    _user, client = planner
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    scenario = small_scenario()
    bad_tle = client.post(
        f"/scenarios/{scenario.pk}/catalogue/new/",
        {
            "name": "ZARYA",
            "object_type": "payload",
            "hard_body_radius_m": "10",
            "orbit_source": "tle",
            "tle": ISS_TLE.replace("2927", "2928"),
        },
    )
    fields = {k: v for k, v in circular("X", EPOCH, 550, 53).as_dict().items() if k != "object_name"}
    fields["mean_motion"] = "40"
    bad_fields = client.post(
        f"/scenarios/{scenario.pk}/catalogue/new/",
        {"name": "X", "object_type": "payload", "hard_body_radius_m": "5", "orbit_source": "fields", **fields},
    )
    assert bad_tle.status_code == bad_fields.status_code == 400
    assert expected[0] in bad_tle.content.decode()
    assert expected[1] in bad_fields.content.decode()
    assert not scenario.catalogue.exists()
