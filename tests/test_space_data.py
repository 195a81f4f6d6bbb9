"""Space data out: each catalogue object's OMM and each screened conjunction's CDM, downloaded by whoever may
see them; an inject card attaches them; a team shares a CDM with allies under an assessment's marking, and the
allies it reached download it and find it in their STIX bundle."""

import base64
import json

import pytest
import stix2
from django.test import Client
from django.urls import reverse

from exercises import realtime, selectors, stix
from exercises.models import AuditEvent, Conjunction, Exercise, Inject, Participant, SharedAssessment, SpaceObject, Team
from exercises.orbits.elements import circular
from exercises.orbits.messages import parse_cdm, parse_omm
from exercises.services import ServiceError
from exercises.services.catalogue import screen_exercise
from exercises.services.exercises import add_participant
from exercises.services.manoeuvres import commit_burn
from exercises.services.releases import release_inject
from exercises.services.sharing import share_assessment
from tests.conftest import make_user
from tests.conjunctions import EPOCH, plant_conjunction

FORMATS = ["kvn", "xml"]


@pytest.fixture
def space(running):
    """Exercise Alpha (USA, GBR, CAN) running: ALLIED-SAT 7 (USA) and KARSLAND's OBJECT 58213 planted to meet,
    screened, and bound to inject 1 (a conjunction warning to USA only, not yet released); a CAN player."""
    plant_conjunction(running.exercise, running.usa_only)
    running.exercise = Exercise.objects.get(pk=running.exercise.pk)
    running.can_player = make_user("can_player")
    add_participant(
        exercise=running.exercise, user=running.can_player, role="player", team=Team.objects.get(code="CAN")
    )
    return running


def get(user, name, *args):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name, args=args))


def omm(user, space_object, fmt="kvn"):
    return get(user, "object-omm", space_object.exercise_id, space_object.pk, fmt)


def cdm(user, conjunction, fmt="kvn"):
    return get(user, "conjunction-cdm", conjunction.exercise_id, conjunction.pk, fmt)


def participant(user, exercise):
    return Participant.objects.select_related("exercise", "team").get(user=user, exercise=exercise)


def objects(exercise):
    return exercise.catalogue.get(name="ALLIED-SAT 7"), exercise.catalogue.get(name="OBJECT 58213")


# OMMs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_objects_omm_parses_back_to_its_elements(space, fmt):
    exercise = space.exercise
    for space_object in objects(exercise):
        reply = omm(space.facilitator, space_object, fmt)
        assert reply.status_code == 200
        assert reply["Content-Type"].startswith("text/plain" if fmt == "kvn" else "application/xml")
        slug = space_object.name.lower().replace(" ", "-")
        assert reply["Content-Disposition"] == f'attachment; filename="omm-exercise-{exercise.pk}-{slug}.{fmt}"'
        text = reply.content.decode()
        assert parse_omm(text) == space_object.mean_elements()
        assert "EXERCISE CONTROL" in text and f"OMM-EX{exercise.pk}-OBJ{space_object.pk}-ES1" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_after_a_burn_the_omm_carries_the_new_orbit(space, fmt, django_capture_on_commit_callbacks):
    release_inject(inject=space.usa_only, by=space.facilitator)
    satellite, _ = objects(space.exercise)
    before = satellite.mean_elements()
    with django_capture_on_commit_callbacks(execute=True):
        commit_burn(
            participant=participant(space.usa_player, space.exercise),
            space_object=satellite,
            conjunction=selectors.current_conjunction(space.usa_only),
            burn_at="T+00:10:00",
            radial_m_s=0.5,
            in_track_m_s=0.0,
            cross_track_m_s=0.0,
        )
    satellite.refresh_from_db()
    text = omm(space.usa_player, satellite, fmt).content.decode()
    assert parse_omm(text) == satellite.mean_elements() != before
    assert parse_omm(text).epoch == EPOCH.replace(minute=10)  # the elements of the orbit after the burn
    assert f"OBJ{satellite.pk}-ES2" in text  # a second element set


def test_a_team_downloads_the_omms_of_allied_objects_and_of_those_its_injects_name(space):
    exercise = space.exercise
    satellite, debris = objects(exercise)
    for player in (space.usa_player, space.gbr_player, space.can_player):
        assert omm(player, satellite).status_code == 200  # an ally's satellite: every team
        assert omm(player, debris).status_code == 404  # KARSLAND's debris: named by no inject they received
    release_inject(inject=space.usa_only, by=space.facilitator)
    assert omm(space.usa_player, debris, "xml").status_code == 200
    for player in (space.gbr_player, space.can_player):
        assert omm(player, debris, "xml").status_code == 404
    for outsider in (space.other_player, space.other_facilitator, space.no_role):
        assert omm(outsider, satellite).status_code == 404
    assert omm(space.evaluator, debris).status_code == 200
    assert omm(None, satellite).status_code == 302  # to the login page
    assert omm(space.facilitator, satellite, "json").status_code == 404


def test_the_fragments_an_inject_made_reach_the_teams_it_was_released_to(space):
    fragment = SpaceObject.objects.create(
        exercise=space.exercise,
        name="OBJECT 58213 DEB 1",
        owner_other="KARSLAND",
        object_type="debris",
        created_by=space.gbr_only,
        elements=circular("OBJECT 58213 DEB 1", EPOCH, 600, 71.0).as_dict(),
    )
    assert omm(space.gbr_player, fragment).status_code == 404
    release_inject(inject=space.gbr_only, by=space.facilitator)
    assert omm(space.gbr_player, fragment).status_code == 200
    assert omm(space.usa_player, fragment).status_code == 404


def test_the_catalogue_panel_lists_what_each_audience_may_download(space):
    exercise = space.exercise
    satellite, debris = objects(exercise)
    conjunction = selectors.current_conjunction(space.usa_only)
    omm_url = reverse("object-omm", args=[exercise.pk, debris.pk, "kvn"])
    cdm_url = reverse("conjunction-cdm", args=[exercise.pk, conjunction.pk, "xml"])

    staff = get(space.evaluator, "exercise-catalogue", exercise.pk).content.decode()
    assert omm_url in staff and cdm_url in staff and "ALLIED-SAT 7 × OBJECT 58213" in staff
    gbr = get(space.gbr_player, "exercise-catalogue", exercise.pk).content.decode()
    assert reverse("object-omm", args=[exercise.pk, satellite.pk, "kvn"]) in gbr
    assert omm_url not in gbr and cdm_url not in gbr
    release_inject(inject=space.usa_only, by=space.facilitator)
    usa = Client()
    usa.force_login(space.usa_player)
    panel = usa.get(reverse("exercise-catalogue", args=[exercise.pk]), headers={"HX-Request": "true"})
    assert panel.content.decode().lstrip().startswith('<div id="catalogue-panel">')  # the panel alone, for htmx
    assert omm_url in panel.content.decode() and cdm_url in panel.content.decode()
    team_page = usa.get(reverse("team", args=[exercise.pk])).content.decode()
    assert reverse("exercise-catalogue", args=[exercise.pk]) in team_page  # the page fetches the panel


# CDMs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_conjunctions_cdm_parses_back_with_the_stored_numbers(space, fmt):
    conjunction = selectors.current_conjunction(space.usa_only)
    reply = cdm(space.facilitator, conjunction, fmt)
    assert reply.status_code == 200
    assert reply["Content-Disposition"] == (
        f'attachment; filename="cdm-exercise-{space.exercise.pk}-conjunction-{conjunction.pk}.{fmt}"'
    )
    message = parse_cdm(reply.content.decode())
    assert message.message_id == f"CONJUNCTION-EX{space.exercise.pk}-SCR{conjunction.pk}"
    assert abs((message.tca - conjunction.tca).total_seconds()) < 1e-6
    assert message.miss_distance_m == pytest.approx(conjunction.miss_distance_m, abs=1e-6)
    assert message.relative_speed_m_s == pytest.approx(conjunction.relative_speed_m_s, abs=1e-6)
    assert message.relative_position_rtn_m == pytest.approx(
        (conjunction.radial_m, conjunction.in_track_m, conjunction.cross_track_m), abs=1e-6
    )
    assert message.collision_probability == pytest.approx(conjunction.probability, rel=1e-9)
    assert (message.object1.object_name, message.object2.object_name) == ("ALLIED-SAT 7", "OBJECT 58213")

    # The inject's CDM is built by the same code from the same conjunction: only its message id differs.
    by_inject = get(space.facilitator, "inject-cdm", space.exercise.pk, space.usa_only.pk, fmt)
    by_inject = parse_cdm(by_inject.content.decode())
    assert by_inject.message_id == f"CONJUNCTION-EX{space.exercise.pk}-INJ1-SCR{conjunction.pk}"
    assert (by_inject.tca, by_inject.miss_distance_m, by_inject.object1, by_inject.object2) == (
        message.tca,
        message.miss_distance_m,
        message.object1,
        message.object2,
    )


def test_a_team_downloads_a_conjunctions_cdm_once_an_inject_warned_it(space):
    conjunction = selectors.current_conjunction(space.usa_only)
    for player in (space.usa_player, space.gbr_player):
        assert cdm(player, conjunction).status_code == 404
    release_inject(inject=space.usa_only, by=space.facilitator)
    assert cdm(space.usa_player, conjunction, "xml").status_code == 200
    assert cdm(space.gbr_player, conjunction).status_code == 404
    assert cdm(space.other_player, conjunction).status_code == 404

    screen_exercise(exercise=space.exercise, reason="test")  # a new screening supersedes it
    assert Conjunction.objects.get(pk=conjunction.pk).superseded_at is not None
    assert cdm(space.usa_player, conjunction).status_code == 404  # the warning binds the new one now
    assert cdm(space.usa_player, selectors.current_conjunction(space.usa_only)).status_code == 200
    assert cdm(space.evaluator, conjunction).status_code == 200  # staff: every screening's


def test_an_inject_card_attaches_the_omms_and_the_cdm_of_what_it_names(
    space, listen, django_capture_on_commit_callbacks
):
    exercise = space.exercise
    satellite, debris = objects(exercise)
    conjunction = selectors.current_conjunction(space.usa_only)
    Inject.objects.filter(pk=space.to_all.pk).update(
        kind="collision", primary_object="ALLIED-SAT 7", secondary_object="OBJECT 58213"
    )
    gbr = listen(realtime.team_group(exercise.pk, "GBR"))
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=Inject.objects.get(pk=space.to_all.pk), by=space.facilitator)
    pushed = "".join(message["html"] for message in gbr.messages())
    for space_object in (satellite, debris):
        for fmt in FORMATS:
            assert reverse("object-omm", args=[exercise.pk, space_object.pk, fmt]) in pushed
    assert reverse("conjunction-cdm", args=[exercise.pk, conjunction.pk, "kvn"]) in pushed
    assert omm(space.gbr_player, debris).status_code == 200  # the links work for the team the card reached
    assert cdm(space.gbr_player, conjunction).status_code == 200

    release_inject(inject=space.usa_only, by=space.facilitator)  # a conjunction warning: its card has the CDM
    page = get(space.usa_player, "team", exercise.pk).content.decode()
    card = page[page.index(f'id="inject-{space.usa_only.pk}"') :]
    card = card[: card.index("</article>")]
    assert reverse("object-omm", args=[exercise.pk, debris.pk, "xml"]) in card
    assert reverse("inject-cdm", args=[exercise.pk, space.usa_only.pk, "kvn"]) in card
    assert reverse("conjunction-cdm", args=[exercise.pk, conjunction.pk, "kvn"]) not in card  # once, not twice


# A CDM shared with allies under a marking ---------------------------------------------------------------


def share_cdm(space, **extra):
    """USA shares an assessment of inject 1 with GBR, EXERCISE SECRET // REL TO USA, GBR, with its CDM."""
    return share_assessment(
        participant=participant(space.usa_player, space.exercise),
        source=space.usa_only,
        title="ALLIED-SAT 7 at risk",
        text="We plan to manoeuvre; the CDM is attached.",
        recipients=Team.objects.filter(code="GBR"),
        classification="secret",
        releasability="rel_to",
        releasable_to=Team.objects.filter(code__in=["USA", "GBR"]),
        **extra,
    )


@pytest.fixture
def shared(space, django_capture_on_commit_callbacks):
    release_inject(inject=space.usa_only, by=space.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        space.assessment = share_cdm(space, attach_cdm=True)
    space.conjunction = selectors.current_conjunction(space.usa_only)
    return space


def test_the_share_page_offers_the_cdm_only_for_a_source_bound_to_a_conjunction(space):
    release_inject(inject=space.usa_only, by=space.facilitator)
    release_inject(inject=space.gbr_only, by=space.facilitator)
    usa = Client()
    usa.force_login(space.usa_player)
    page = usa.get(reverse("share-assessment", args=[space.exercise.pk]), {"inject": space.usa_only.pk})
    assert "Attach the CDM of ALLIED-SAT 7 × OBJECT 58213" in page.content.decode()
    gbr = Client()
    gbr.force_login(space.gbr_player)
    page = gbr.get(reverse("share-assessment", args=[space.exercise.pk]), {"inject": space.gbr_only.pk})
    assert page.status_code == 200 and "Attach the CDM" not in page.content.decode()

    reply = usa.post(
        reverse("share-assessment", args=[space.exercise.pk]),
        {
            "source": f"inject:{space.usa_only.pk}",
            "title": "Shared with its CDM",
            "text": "See the attached CDM.",
            "recipients": ["GBR"],
            "classification": "unclassified",
            "releasability": "all",
            "attach_cdm": "on",
        },
    )
    assert reply.status_code == 302
    assessment = SharedAssessment.objects.get(title="Shared with its CDM")
    assert assessment.conjunction == selectors.current_conjunction(space.usa_only)


def test_the_cdm_shared_rel_to_usa_gbr_reaches_gbr_and_not_can(shared):
    assert shared.assessment.conjunction == shared.conjunction
    assert shared.assessment.banner == "EXERCISE SECRET // REL TO GBR, USA"
    for fmt in FORMATS:
        reply = cdm(shared.gbr_player, shared.conjunction, fmt)
        assert reply.status_code == 200  # GBR was never warned of it: the share authorizes it
        assert parse_cdm(reply.content.decode()).miss_distance_m == pytest.approx(shared.conjunction.miss_distance_m)
        assert cdm(shared.can_player, shared.conjunction, fmt).status_code == 404
    gbr_page = get(shared.gbr_player, "team", shared.exercise.pk).content.decode()
    assert "Download the shared CDM (KVN)" in gbr_page
    assert reverse("conjunction-cdm", args=[shared.exercise.pk, shared.conjunction.pk, "xml"]) in gbr_page
    assert "ALLIED-SAT 7 at risk" not in get(shared.can_player, "team", shared.exercise.pk).content.decode()
    [event] = AuditEvent.objects.filter(kind="assessment.shared", object_id=str(shared.assessment.pk))
    assert event.payload["cdm"] == {
        "conjunction": shared.conjunction.pk,
        "message_id": f"CONJUNCTION-EX{shared.exercise.pk}-SCR{shared.conjunction.pk}",
    }


def test_the_shared_cdm_stays_downloadable_after_a_new_screening(shared):
    screen_exercise(exercise=shared.exercise, reason="test")
    assert Conjunction.objects.get(pk=shared.conjunction.pk).superseded_at is not None
    assert cdm(shared.gbr_player, shared.conjunction).status_code == 200  # what was shared, as screened then
    assert cdm(shared.usa_player, shared.conjunction).status_code == 200  # its own share
    assert cdm(shared.can_player, shared.conjunction).status_code == 404


def test_attaching_a_cdm_to_a_source_without_one_is_refused_and_stores_nothing(space):
    release_inject(inject=space.to_all, by=space.facilitator)
    before = SharedAssessment.objects.count()
    with pytest.raises(ServiceError) as refused:
        share_assessment(
            participant=participant(space.gbr_player, space.exercise),
            source=space.to_all,
            title="No CDM here",
            text="x",
            recipients=Team.objects.filter(code="USA"),
            classification="unclassified",
            releasability="all",
            attach_cdm=True,
        )
    assert refused.value.message.startswith("attach_cdm:")
    assert SharedAssessment.objects.count() == before


def artifacts(bundle) -> list:
    return [obj for obj in bundle.objects if obj.type == "artifact"]


def test_the_shared_cdm_is_an_artifact_of_the_assessments_report_in_gbrs_stix_bundle(shared):
    bundle = stix.bundle_for(shared.exercise, "GBR")
    parsed = stix2.parse(bundle.serialize(), allow_custom=False)
    [artifact] = artifacts(parsed)
    assert artifact.mime_type == "application/xml"
    xml = base64.b64decode(artifact.payload_bin).decode("utf-8")
    message = parse_cdm(xml)
    assert message.miss_distance_m == pytest.approx(shared.conjunction.miss_distance_m, abs=1e-6)
    assert message.message_id == f"CONJUNCTION-EX{shared.exercise.pk}-SCR{shared.conjunction.pk}"
    as_shared = shared.exercise.orbit_time(shared.assessment.exercise_time)
    assert abs((message.creation_date - as_shared).total_seconds()) < 0.001  # the message as it was shared
    [report] = [obj for obj in parsed.objects if obj.type == "report" and obj.name == "ALLIED-SAT 7 at risk"]
    assert artifact.id in report.object_refs
    assert artifact.object_marking_refs == report.object_marking_refs
    definitions = {obj.id: obj for obj in parsed.objects if obj.type == "marking-definition"}
    statements = [
        definitions[ref].definition.statement
        for ref in artifact.object_marking_refs
        if getattr(definitions[ref], "definition_type", None) == "statement"
    ]
    assert statements == ["EXERCISE SECRET // REL TO GBR, USA"]
    assert artifacts(stix.bundle_for(shared.exercise, "CAN")) == []
    assert artifacts(stix.bundle_for(shared.exercise, None))[0].id == artifact.id  # staff: the same object
    assert stix.bundle_for(shared.exercise, "GBR").serialize() == bundle.serialize()  # the same every export

    reply = get(shared.gbr_player, "stix-export", shared.exercise.pk)  # the team page's download
    downloaded = json.loads(reply.content)
    assert artifact.id in [obj["id"] for obj in downloaded["objects"]]


# A CDM carried in an imported STIX bundle -----------------------------------------------------------------


def cdm_bundle(space, payload: str, mime_type: str) -> str:
    """USA's assessment of inject 1 as a STIX bundle, EXERCISE SECRET // REL TO USA, GBR, its Report naming an
    Artifact that carries `payload`."""
    statement = stix2.MarkingDefinition(
        definition_type="statement", definition=stix2.StatementMarking(statement="EXERCISE SECRET // REL TO USA, GBR")
    )
    artifact = stix2.Artifact(
        mime_type=mime_type, payload_bin=base64.b64encode(payload.encode()).decode(), object_marking_refs=[statement.id]
    )
    report = stix2.Report(
        name="CDM from our own system",
        published="2031-03-14T07:00:00Z",
        object_refs=[stix.inject_report_id(space.usa_only), artifact.id],
        object_marking_refs=[statement.id],
    )
    return stix2.Bundle(statement, artifact, report).serialize()


@pytest.mark.parametrize("fmt, mime_type", [("xml", "application/xml"), ("kvn", "text/plain")])
def test_a_cdm_artifact_in_an_imported_bundle_becomes_the_shared_cdm_attachment(space, fmt, mime_type):
    from exercises import cdm as cdms
    from exercises.services.stix_import import import_bundle

    release_inject(inject=space.usa_only, by=space.facilitator)
    conjunction = selectors.current_conjunction(space.usa_only)
    assert cdm(space.gbr_player, conjunction).status_code == 404  # GBR was never warned of it
    message = cdms.conjunction_cdm(space.exercise, conjunction, fmt)
    imported = import_bundle(
        exercise=space.exercise,
        participant=participant(space.usa_player, space.exercise),
        bundle_text=cdm_bundle(space, message, mime_type),
    )
    assert imported.assessment.conjunction == conjunction
    assert imported.assessment.banner == "EXERCISE SECRET // REL TO GBR, USA"
    assert cdm(space.gbr_player, conjunction).status_code == 200  # the share authorizes it, as in the browser
    assert cdm(space.can_player, conjunction).status_code == 404
    [event] = AuditEvent.objects.filter(kind="assessment.shared", object_id=str(imported.assessment.pk))
    assert event.payload["cdm"]["conjunction"] == conjunction.pk
    assert "Download the shared CDM (KVN)" in get(space.gbr_player, "team", space.exercise.pk).content.decode()
    [artifact] = artifacts(stix.bundle_for(space.exercise, "GBR"))  # exported again as the Artifact of its Report
    assert parse_cdm(base64.b64decode(artifact.payload_bin).decode()).message_id == cdms.conjunction_message_id(
        space.exercise, conjunction
    )


def test_a_cdm_artifact_of_another_conjunction_or_not_a_cdm_is_refused_and_stores_nothing(space):
    from exercises import cdm as cdms
    from exercises.services.stix_import import BundleError, import_bundle

    release_inject(inject=space.usa_only, by=space.facilitator)
    conjunction = selectors.current_conjunction(space.usa_only)
    other = cdms.conjunction_cdm(space.exercise, conjunction, "kvn", message_id="SOMEONE-ELSES-CDM")
    for payload, mime_type, reason in (
        (other, "text/plain", "MESSAGE_ID SOMEONE-ELSES-CDM"),
        ("CCSDS_CDM_VERS = 1.0\nnot a CDM", "text/plain", "not a CCSDS CDM"),
        ("%PDF-1.4", "application/pdf", "mime_type"),
    ):
        with pytest.raises(BundleError) as refused:
            import_bundle(
                exercise=space.exercise,
                participant=participant(space.usa_player, space.exercise),
                bundle_text=cdm_bundle(space, payload, mime_type),
            )
        assert refused.value.message.startswith("artifact--") and reason in refused.value.message
    assert not SharedAssessment.objects.exists()
    assert not AuditEvent.objects.filter(kind="assessment.shared").exists()
