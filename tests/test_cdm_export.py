"""A conjunction inject's CCSDS Conjunction Data Message (CCSDS 508.0-B-1): downloaded by whoever may see the
inject, in KVN and NDM/XML, and written by `manage.py export_cdm`; read back, its numbers are the screening's."""

from datetime import timedelta

import numpy as np
import pytest
from ccsds_ndm.ndm_kvn_io import NdmKvnIo
from ccsds_ndm.ndm_xml_io import NdmXmlIo
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from exercises import selectors
from exercises.models import Exercise, Inject
from exercises.orbits.elements import state_at
from exercises.orbits.messages import parse_cdm
from exercises.orbits.propagation import teme_to_ecef
from exercises.services.catalogue import screen_exercise, sigmas_m
from exercises.services.releases import release_inject
from tests.conjunctions import plant_conjunction

FORMATS = ["kvn", "xml"]


@pytest.fixture
def bound(running):
    """Exercise Alpha running; its USA-only conjunction inject (1) bound to a screened conjunction, not released."""
    plant_conjunction(running.exercise, running.usa_only)
    running.exercise = Exercise.objects.get(pk=running.exercise.pk)
    return running


def download(user, inject, fmt):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("inject-cdm", args=[inject.exercise_id, inject.pk, fmt]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_staff_download_the_cdm_of_an_unreleased_inject_and_players_do_not(bound, fmt):
    inject = bound.usa_only
    for staff in (bound.facilitator, bound.evaluator):
        reply = download(staff, inject, fmt)
        assert reply.status_code == 200
        assert reply["Content-Disposition"] == f'attachment; filename="cdm-exercise-{bound.exercise.pk}-inject-1.{fmt}"'
        assert parse_cdm(reply.content.decode()).object1.object_name == "ALLIED-SAT 7"
    for outsider in (bound.usa_player, bound.gbr_player, bound.other_facilitator, bound.other_player, bound.no_role):
        assert download(outsider, inject, fmt).status_code == 404
    assert download(None, inject, fmt).status_code == 302  # to the login page


@pytest.mark.parametrize("fmt", FORMATS)
def test_once_released_the_team_it_reached_downloads_it_and_no_other_team(bound, fmt):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    reply = download(bound.usa_player, bound.usa_only, fmt)
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("text/plain" if fmt == "kvn" else "application/xml")
    assert download(bound.gbr_player, bound.usa_only, fmt).status_code == 404
    assert download(bound.other_player, bound.usa_only, fmt).status_code == 404


def test_an_unbound_inject_has_no_cdm_and_says_why(running):
    for inject, reason in (
        (running.usa_only, "names no primary and secondary object"),
        (running.to_all, "is not a conjunction inject"),
    ):
        reply = download(running.facilitator, inject, "kvn")
        assert reply.status_code == 404
        assert reason in reply.content.decode()


def test_an_inject_whose_pair_screening_did_not_find_has_no_cdm(bound):
    Inject.objects.filter(pk=bound.usa_only.pk).update(secondary_object="KEA-1")
    reply = download(bound.facilitator, bound.usa_only, "xml")
    assert reply.status_code == 404
    assert "Screening found no current close approach of ALLIED-SAT 7 and KEA-1" in reply.content.decode()


def test_a_format_other_than_kvn_or_xml_is_not_found(bound):
    assert download(bound.facilitator, bound.usa_only, "json").status_code == 404


def read_back(text: str, fmt: str):
    """The CDM as our reader gives it, after checking that ccsds-ndm's own reader takes it too."""
    model = (NdmKvnIo() if fmt == "kvn" else NdmXmlIo()).from_string(text)
    assert type(model).__name__ == "Cdm"
    assert model.body.relative_metadata_data.miss_distance.value == pytest.approx(
        parse_cdm(text).miss_distance_m, abs=1e-9
    )
    return parse_cdm(text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cdm_carries_the_screened_numbers(bound, fmt):
    inject = bound.usa_only
    conjunction = selectors.current_conjunction(inject)
    cdm = read_back(download(bound.facilitator, inject, fmt).content.decode(), fmt)

    assert cdm.originator == "EXERCISE CONTROL"
    assert cdm.message_id == f"CONJUNCTION-EX{bound.exercise.pk}-INJ1-SCR{conjunction.pk}"
    assert abs((cdm.tca - conjunction.tca).total_seconds()) < 1e-6
    assert cdm.miss_distance_m == pytest.approx(conjunction.miss_distance_m, abs=1e-6)
    assert cdm.relative_speed_m_s == pytest.approx(conjunction.relative_speed_m_s, abs=1e-6)
    assert cdm.relative_position_rtn_m == pytest.approx(
        (conjunction.radial_m, conjunction.in_track_m, conjunction.cross_track_m), abs=1e-6
    )
    assert cdm.collision_probability == pytest.approx(conjunction.probability, rel=1e-9)
    assert cdm.start_screen_period == bound.exercise.orbit_epoch
    assert cdm.stop_screen_period == bound.exercise.orbit_epoch + timedelta(hours=72)

    one, two = cdm.object1, cdm.object2
    assert (one.object_name, one.object_designator, one.international_designator) == (
        "ALLIED-SAT 7",
        "99007",
        "2029-014A",
    )
    assert (one.operator_organization, one.maneuverable, one.object_type) == ("United States", "YES", "PAYLOAD")
    assert (two.object_name, two.object_designator, two.international_designator) == (
        "OBJECT 58213",
        "58213",
        "2031-002C",
    )
    assert (two.operator_organization, two.maneuverable, two.object_type) == ("KARSLAND", "NO", "DEBRIS")
    assert one.ref_frame == two.ref_frame == "ITRF"

    # The states: each object's own SGP4 position at TCA, turned Earth-fixed, and they are the screening's miss
    primary = bound.exercise.catalogue.get(name="ALLIED-SAT 7")
    secondary = bound.exercise.catalogue.get(name="OBJECT 58213")
    for obj, space_object in ((one, primary), (two, secondary)):
        r_teme, _ = state_at(space_object.mean_elements(), conjunction.tca)
        assert np.allclose(obj.position_km, teme_to_ecef(r_teme[None, :], [conjunction.tca])[0], atol=1e-6)
    miss_m = np.linalg.norm(np.subtract(two.position_km, one.position_km)) * 1000
    assert miss_m == pytest.approx(conjunction.miss_distance_m, abs=1e-3)
    relative_speed = np.linalg.norm(np.subtract(two.velocity_km_s, one.velocity_km_s)) * 1000
    # Earth-fixed velocities lose omega x r, nearly the same for both: omega x miss is under a cm/s
    assert relative_speed == pytest.approx(conjunction.relative_speed_m_s, abs=0.01)

    # The covariances: each object's stated 1-sigma (the primary) or its type's default (the debris), in RTN
    assert np.allclose(np.diag(one.covariance_rtn), np.square(sigmas_m(primary)))
    assert np.allclose(np.diag(two.covariance_rtn), np.square(sigmas_m(secondary)))
    assert np.diag(two.covariance_rtn) == pytest.approx(np.square([200.0, 1200.0, 150.0]))
    assert one.covariance_method == "CALCULATED" and two.covariance_method == "DEFAULT"


def test_kvn_and_xml_say_the_same(bound):
    kvn = read_back(download(bound.facilitator, bound.usa_only, "kvn").content.decode(), "kvn")
    xml = read_back(download(bound.facilitator, bound.usa_only, "xml").content.decode(), "xml")
    assert kvn.message_id == xml.message_id and kvn.tca == xml.tca
    assert kvn.object1.position_km == pytest.approx(xml.object1.position_km, abs=1e-9)
    assert kvn.object2.covariance_6x6() == pytest.approx(xml.object2.covariance_6x6())


def test_a_new_screening_gives_a_new_message_id(bound):
    first = parse_cdm(download(bound.facilitator, bound.usa_only, "kvn").content.decode())
    screen_exercise(exercise=bound.exercise, reason="again")
    second = parse_cdm(download(bound.facilitator, bound.usa_only, "kvn").content.decode())
    assert first.message_id != second.message_id
    assert second.miss_distance_m == pytest.approx(first.miss_distance_m, abs=1e-6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_cdm_writes_the_same_message_as_the_download(bound, fmt, tmp_path):
    output = tmp_path / f"cdm.{fmt}"
    call_command("export_cdm", "Exercise Alpha", "1", "--format", fmt, "--output", str(output))
    written = read_back(output.read_text(), fmt)
    downloaded = read_back(download(bound.facilitator, bound.usa_only, fmt).content.decode(), fmt)
    assert written.message_id == downloaded.message_id
    assert written.miss_distance_m == downloaded.miss_distance_m
    assert written.object2.position_km == downloaded.object2.position_km
    call_command("export_cdm", str(bound.exercise.pk), "1", "--format", fmt, "--output", str(output))  # by id
    assert read_back(output.read_text(), fmt).message_id == downloaded.message_id


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["No such exercise", "1"], "No single exercise matches 'No such exercise'."),
        (["Exercise Alpha", "99"], "Exercise 'Exercise Alpha' has no inject 99."),
        (["Exercise Alpha", "3"], "Inject 3 is not a conjunction inject"),
    ],
)
def test_export_cdm_refuses_what_it_cannot_write_naming_it(bound, tmp_path, arguments, message):
    output = tmp_path / "cdm.kvn"
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call_command("export_cdm", *arguments, "--output", str(output))
    assert not output.exists()


def test_export_cdm_of_an_unbound_inject_says_why(running, tmp_path):
    with pytest.raises(CommandError, match="names no primary and secondary object"):
        call_command("export_cdm", "Exercise Alpha", "1", "--output", str(tmp_path / "cdm.kvn"))


def test_export_cdm_refuses_a_place_it_cannot_write(bound, tmp_path):
    with pytest.raises(CommandError, match="--output: cannot write"):
        call_command("export_cdm", "Exercise Alpha", "1", "--output", str(tmp_path / "missing" / "cdm.kvn"))
