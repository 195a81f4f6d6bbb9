"""The manoeuvre planner: a team previews a burn of its satellite against a conjunction it was warned of,
then commits it as part of its response; the orbit changes for the rest of the run and screening follows."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from exercises import realtime, selectors
from exercises.models import (
    AuditEvent,
    Conjunction,
    Exercise,
    Manoeuvre,
    Participant,
    ProtocolStep,
    Response,
    ScenarioSpaceObject,
    SpaceObject,
    Team,
)
from exercises.orbits import collision
from exercises.orbits.assessment import probability_of_collision
from exercises.orbits.elements import circular
from exercises.orbits.manoeuvre import apply_burn
from exercises.orbits.planning import closest_approach, plant_encounter
from exercises.services import Conflict
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.manoeuvres import ManoeuvreError, commit_burn, preview_burn
from exercises.services.releases import release_inject
from tests.conftest import make_user, small_scenario

EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
TCA = EPOCH + timedelta(minutes=30)  # ALLIED-SAT 7 meets OBJECT 58213 at T+00:30 (their first approach)
BUDGET = 20.0
# A burn the in-track way at T+00:10 that puts ALLIED-SAT 7 on OBJECT 99999's path at T+05:00.
NEW_ENCOUNTER_BURN = (0.0, 4.0, 0.0)
NEW_ENCOUNTER_AT = EPOCH + timedelta(hours=5)
BURN_AT = EPOCH + timedelta(minutes=10)


@dataclass
class Planner:
    exercise: Exercise
    facilitator: object
    usa: Participant
    gbr: Participant
    allied: object  # the orbits' MeanElements of ALLIED-SAT 7 and OBJECT 58213, as the scenario states them
    debris: object

    @property
    def warning(self):
        """Inject 1, to USA: the conjunction of ALLIED-SAT 7 with OBJECT 58213."""
        return self.exercise.injects.get(sequence=1)

    @property
    def conjunction(self) -> Conjunction:
        return selectors.current_conjunction(self.warning)

    @property
    def satellite(self) -> SpaceObject:
        return self.exercise.catalogue.get(name="ALLIED-SAT 7")


def orbiting_exercise(name="Planner exercise") -> Planner:
    """An exercise (USA, GBR, CAN) whose catalogue has ALLIED-SAT 7 (USA, manoeuvrable, 20 m/s) on a planted
    encounter with OBJECT 58213 at T+00:30, bound to inject 1 (to USA; CONJ-1 and CONJ-2), and USA-SAT 12 (USA,
    not manoeuvrable) on one with OBJECT 58214 at T+03:00, bound to inject 3 (to all teams). Started, with
    both injects released; a facilitator, a USA player and a GBR player."""
    scenario = small_scenario(f"{name} scenario")
    scenario.orbit_epoch = EPOCH
    scenario.save()
    allied = circular("ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10)
    debris = plant_encounter(allied, "OBJECT 58213", TCA, (18.0, 0.0, 110.0), inclination=71.0, epoch=EPOCH)
    usa_sat = circular("USA-SAT 12", EPOCH, 700, 98.0, ra_of_asc_node=120)
    other = plant_encounter(
        usa_sat, "OBJECT 58214", EPOCH + timedelta(hours=3), (40.0, 0.0, 60.0), inclination=80.0, epoch=EPOCH
    )
    burned = apply_burn(allied, BURN_AT, NEW_ENCOUNTER_BURN)
    future = plant_encounter(burned, "OBJECT 99999", NEW_ENCOUNTER_AT, (30.0, 0.0, 80.0), inclination=85.0, epoch=EPOCH)
    usa, gbr = Team.objects.get(code="USA"), Team.objects.get(code="GBR")
    objects = [
        ("ALLIED-SAT 7", allied, {"owner": usa, "manoeuvrable": True, "delta_v_budget_m_s": BUDGET}),
        ("OBJECT 58213", debris, {"object_type": "debris", "hard_body_radius_m": 0.5}),
        ("USA-SAT 12", usa_sat, {"owner": usa}),
        ("OBJECT 58214", other, {"object_type": "debris", "hard_body_radius_m": 0.5}),
        ("OBJECT 99999", future, {"object_type": "debris", "hard_body_radius_m": 0.5}),
        ("ALBION-3", circular("ALBION-3", EPOCH, 1400, 30.0), {"owner": gbr, "manoeuvrable": True}),
    ]
    for object_name, elements, fields in objects:
        ScenarioSpaceObject.objects.create(scenario=scenario, name=object_name, elements=elements.as_dict(), **fields)
    scenario.injects.filter(sequence=1).update(primary_object="ALLIED-SAT 7", secondary_object="OBJECT 58213")
    scenario.injects.filter(sequence=3).update(primary_object="USA-SAT 12", secondary_object="OBJECT 58214")
    exercise = create_exercise(scenario=scenario, name=name, teams=Team.objects.filter(code__in=["USA", "GBR", "CAN"]))
    facilitator = make_user(f"{name.split()[0].lower()}_facilitator")
    add_participant(exercise=exercise, user=facilitator, role=Participant.Role.FACILITATOR)
    players = {}
    for code in ("USA", "GBR"):
        user = make_user(f"{name.split()[0].lower()}_{code.lower()}_player")
        add_participant(exercise=exercise, user=user, role=Participant.Role.PLAYER, team=Team.objects.get(code=code))
        players[code] = user
    exercise = change_status(exercise=exercise, action="start", by=facilitator)
    for sequence in (1, 3):
        release_inject(inject=exercise.injects.get(sequence=sequence), by=facilitator)

    def participant(user):
        return Participant.objects.select_related("exercise", "team", "user").get(exercise=exercise, user=user)

    return Planner(exercise, facilitator, participant(players["USA"]), participant(players["GBR"]), allied, debris)


@pytest.fixture
def planner(library, django_capture_on_commit_callbacks) -> Planner:
    with django_capture_on_commit_callbacks(execute=True):
        return orbiting_exercise()


def burn(planner, burn_at="T+00:10:00", delta_v=(0.5, 0.0, 0.0), who=None, **extra):
    return {
        "participant": who or planner.usa,
        "space_object": planner.satellite,
        "conjunction": planner.conjunction,
        "burn_at": burn_at,
        "radial_m_s": delta_v[0],
        "in_track_m_s": delta_v[1],
        "cross_track_m_s": delta_v[2],
        **extra,
    }


def state(exercise):
    """Everything a burn writes, to show that a refused one wrote nothing."""
    return {
        "responses": Response.objects.filter(exercise=exercise).count(),
        "manoeuvres": Manoeuvre.objects.filter(exercise=exercise).count(),
        "journal": AuditEvent.objects.filter(exercise=exercise).count(),
        "current": sorted(Conjunction.objects.filter(exercise=exercise, superseded_at__isnull=True).values_list("pk")),
        "catalogue": sorted(
            SpaceObject.objects.filter(exercise=exercise).values_list("name", "delta_v_budget_m_s", "elements")
        ),
    }


def test_the_preview_is_what_the_orbits_package_computes_and_writes_nothing(planner):
    conjunction = planner.conjunction
    before = state(planner.exercise)
    outcome = preview_burn(**burn(planner, delta_v=(0.5, 0.1, -0.2)))
    assert state(planner.exercise) == before

    # The same burn, computed here from the scenario's elements through exercises.orbits alone.
    burned = apply_burn(planner.allied, BURN_AT, (0.5, 0.1, -0.2))
    encounter = closest_approach(burned, planner.debris, conjunction.tca)
    sigmas = collision.DEFAULT_COVARIANCE_RTN_M
    pc = probability_of_collision(encounter, sigmas["payload"], sigmas["debris"], 5.0 + 0.5)
    assert outcome.miss_distance_after_m == pytest.approx(encounter.miss_distance_m, abs=1e-6)
    assert outcome.tca_after == encounter.tca
    assert outcome.probability_after == pytest.approx(pc, rel=1e-9)
    assert outcome.delta_v_m_s == pytest.approx((0.5**2 + 0.1**2 + 0.2**2) ** 0.5)
    assert outcome.budget_after_m_s == pytest.approx(BUDGET - outcome.delta_v_m_s)
    assert (outcome.miss_distance_before_m, outcome.probability_before) == (
        conjunction.miss_distance_m,
        conjunction.probability,
    )
    assert outcome.elements_after == burned.as_dict()
    assert outcome.burn_at == BURN_AT and outcome.burn_time == "T+00:10:00"
    assert outcome.miss_distance_after_m > outcome.miss_distance_before_m + 200  # the burn opens the miss
    assert outcome.probability_after < outcome.probability_before
    # An orbit time is as good as an exercise time.
    same = preview_burn(**burn(planner, burn_at=BURN_AT, delta_v=(0.5, 0.1, -0.2)))
    assert same.miss_distance_after_m == outcome.miss_distance_after_m


def test_a_commit_records_the_response_the_manoeuvre_the_new_orbit_and_screens_again(
    planner, django_capture_on_commit_callbacks
):
    old = planner.conjunction
    outcome = preview_burn(**burn(planner))
    steps = ProtocolStep.objects.filter(code__in=["CONJ-2"])
    with django_capture_on_commit_callbacks(execute=True):
        manoeuvre = commit_burn(**burn(planner), protocol_steps=steps)

    response = manoeuvre.response
    assert (response.team_id, response.inject, response.kind) == ("USA", planner.warning, Response.Kind.ACTION)
    assert [step.code for step in response.protocol_steps.all()] == ["CONJ-2"]
    assert "ALLIED-SAT 7" in response.text and "T+00:10:00" in response.text

    assert (manoeuvre.team_id, manoeuvre.space_object, manoeuvre.conjunction) == ("USA", planner.satellite, old)
    assert manoeuvre.burn_at == BURN_AT
    assert (manoeuvre.radial_m_s, manoeuvre.in_track_m_s, manoeuvre.cross_track_m_s) == (0.5, 0.0, 0.0)
    assert manoeuvre.delta_v_m_s == pytest.approx(0.5)
    assert manoeuvre.miss_distance_before_m == old.miss_distance_m
    assert manoeuvre.miss_distance_after_m == pytest.approx(outcome.miss_distance_after_m)
    assert manoeuvre.probability_after == pytest.approx(outcome.probability_after)
    assert manoeuvre.elements_before == planner.allied.as_dict()
    assert manoeuvre.exercise_time <= planner.exercise.exercise_time()

    satellite = planner.satellite
    assert satellite.elements == outcome.elements_after
    assert satellite.delta_v_budget_m_s == pytest.approx(BUDGET - 0.5)

    # The rescreening superseded the old conjunction; the inject is now bound to the new numbers.
    old.refresh_from_db()
    assert old.superseded_at is not None
    new = planner.conjunction
    assert new is not None and new.pk != old.pk
    assert new.miss_distance_m == pytest.approx(outcome.miss_distance_after_m, abs=1.0)
    assert new.probability == pytest.approx(outcome.probability_after, rel=0.05)
    # Conjunctions before the burn are not touched; USA-SAT 12's (after it) is screened again, unchanged.
    usa_sat = selectors.current_conjunction(planner.exercise.injects.get(sequence=3))
    assert usa_sat.screened_at >= new.screened_at

    kinds = list(
        AuditEvent.objects.filter(exercise=planner.exercise, occurred_at__gte=manoeuvre.committed_at)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    # One write, one event: the response and the rescreening it caused are recorded in it.
    assert kinds == ["manoeuvre.committed"]
    event = AuditEvent.objects.get(kind="manoeuvre.committed")
    assert event.payload["object"] == "ALLIED-SAT 7" and event.payload["delta_v_m_s"] == pytest.approx(0.5)
    assert event.payload["response"]["id"] == manoeuvre.response_id
    assert event.payload["response"]["kind"] == "action" and event.payload["response"]["team"] == "USA"
    assert event.payload["response"]["text"] == manoeuvre.response.text
    assert (
        event.payload["conjunctions_after"]
        == Conjunction.objects.filter(
            exercise=planner.exercise, superseded_at__isnull=True, tca__gte=manoeuvre.burn_at
        ).count()
    )
    assert event.object_id == str(manoeuvre.pk)


def test_a_burn_can_make_a_new_conjunction(planner, django_capture_on_commit_callbacks):
    exercise = planner.exercise
    around = {"tca__gte": NEW_ENCOUNTER_AT - timedelta(hours=1), "tca__lte": NEW_ENCOUNTER_AT + timedelta(hours=1)}
    near = Conjunction.objects.filter(exercise=exercise, secondary__name="OBJECT 99999", **around)
    assert not near.exists()  # the orbit as it is passes OBJECT 99999 far away at T+05:00
    with django_capture_on_commit_callbacks(execute=True):
        commit_burn(**burn(planner, delta_v=NEW_ENCOUNTER_BURN))
    [new] = near.filter(superseded_at__isnull=True)
    assert new.primary.name == "ALLIED-SAT 7"
    assert abs((new.tca - NEW_ENCOUNTER_AT).total_seconds()) < 1.0
    assert new.miss_distance_m < 200


def test_the_commit_reaches_the_team_and_control_after_commit_and_not_other_teams(
    planner, listen, django_capture_on_commit_callbacks
):
    exercise = planner.exercise
    usa = listen(realtime.team_group(exercise.pk, "USA"))
    gbr = listen(realtime.team_group(exercise.pk, "GBR"))
    staff = listen(realtime.facilitators_group(exercise.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        manoeuvre = commit_burn(**burn(planner))
    assert usa.messages(timeout=0.1) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    for listener in (usa, staff):
        html = "".join(message["html"] for message in listener.messages())
        assert f'id="manoeuvre-{manoeuvre.pk}"' in html and "ALLIED-SAT 7" in html
        assert f"{manoeuvre.miss_distance_after_m:.0f} m" in html
    assert not any("manoeuvre-" in message["html"] for message in gbr.messages())


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"burn_at": "T+00:45:00"}, "burn_time", "not before the time of closest approach"),
        ({"burn_at": "T+00:00:00"}, "burn_time", "has passed"),
        ({"burn_at": "half past one"}, "burn_time", "not a scenario time"),
        ({"delta_v": (0.0, 25.0, 0.0)}, "delta_v", "over the remaining budget of 20.00 m/s"),
        ({"delta_v": ("fast", 0.0, 0.0)}, "radial_m_s", "must be a number"),
        ({"delta_v": (0.0, float("nan"), 0.0)}, "in_track_m_s", "finite"),
        ({"delta_v": (0.0, 0.0, None)}, "cross_track_m_s", "must be a number"),
        ({"delta_v": (0.0, 0.0, 0.0)}, "delta_v", "all three components are zero"),
        ({"protocol_steps": ["ASAT-1"]}, "protocol_steps", "claim only steps of inject 1"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(planner, change, field, message):
    before = state(planner.exercise)
    steps = change.pop("protocol_steps", [])
    with pytest.raises(ManoeuvreError) as raised:
        commit_burn(**burn(planner, **change), protocol_steps=steps)
    assert raised.value.field == field and message in raised.value.message
    if not steps:
        with pytest.raises(ManoeuvreError):
            preview_burn(**burn(planner, **change))
    assert state(planner.exercise) == before


def test_a_satellite_that_cannot_manoeuvre_is_refused(planner):
    before = state(planner.exercise)
    usa_sat = selectors.current_conjunction(planner.exercise.injects.get(sequence=3))
    with pytest.raises(ManoeuvreError) as raised:
        commit_burn(**burn(planner, space_object=usa_sat.primary, conjunction=usa_sat))
    assert raised.value.field == "space_object" and "cannot manoeuvre" in raised.value.message
    assert state(planner.exercise) == before


def test_another_teams_satellite_is_refused(planner):
    before = state(planner.exercise)
    with pytest.raises(ManoeuvreError) as raised:
        commit_burn(**burn(planner, who=planner.gbr))
    assert raised.value.field == "space_object" and raised.value.status == 403
    assert "belongs to USA" in raised.value.message
    with pytest.raises(ManoeuvreError):
        preview_burn(**burn(planner, who=planner.gbr))
    assert state(planner.exercise) == before


def test_a_satellite_is_not_burned_against_a_conjunction_that_is_not_its_own(planner):
    """ALLIED-SAT 7 with USA-SAT 12's conjunction: the satellite of the conjunction is another."""
    usa_sat = selectors.current_conjunction(planner.exercise.injects.get(sequence=3))
    with pytest.raises(ManoeuvreError) as raised:
        preview_burn(**burn(planner, conjunction=usa_sat))
    assert raised.value.field == "space_object"


def test_a_conjunction_the_team_was_not_warned_of_is_refused(planner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        commit_burn(**burn(planner, delta_v=NEW_ENCOUNTER_BURN))
    unwarned = Conjunction.objects.filter(
        exercise=planner.exercise, secondary__name="OBJECT 99999", superseded_at__isnull=True
    ).first()  # no inject names this pair
    before = state(planner.exercise)
    with pytest.raises(ManoeuvreError) as raised:
        commit_burn(**burn(planner, conjunction=unwarned))
    assert raised.value.field == "conjunction"
    assert state(planner.exercise) == before


def test_committing_twice_against_one_conjunction_is_refused(planner, django_capture_on_commit_callbacks):
    stale = burn(planner)
    with django_capture_on_commit_callbacks(execute=True):
        commit_burn(**stale)
    before = state(planner.exercise)
    with pytest.raises(ManoeuvreError) as raised:
        commit_burn(**{**stale, "space_object": planner.satellite})
    assert raised.value.field == "conjunction"
    assert state(planner.exercise) == before


def test_no_commit_once_the_exercise_has_ended(planner):
    change_status(exercise=planner.exercise, action="end", by=planner.facilitator)
    before = state(planner.exercise)
    with pytest.raises(Conflict):
        commit_burn(**burn(planner))
    assert state(planner.exercise) == before


# The planner on the team page ---------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(burn_time="T+00:10:00", radial="0.5", in_track="0", cross_track="0", steps=("CONJ-1",)):
    return {
        "burn_time": burn_time,
        "radial_m_s": radial,
        "in_track_m_s": in_track,
        "cross_track_m_s": cross_track,
        "protocol_steps": list(steps),
    }


def test_the_team_page_offers_the_planner_for_its_own_satellite_only(planner):
    page = client_for(planner.usa.user).get(reverse("team", args=[planner.exercise.pk])).content.decode()
    assert "Manoeuvre planner" in page
    assert "ALLIED-SAT 7 × OBJECT 58213" in page
    assert reverse("plan-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk]) in page
    assert "USA-SAT 12 cannot manoeuvre" in page
    gbr = client_for(planner.gbr.user).get(reverse("team", args=[planner.exercise.pk])).content.decode()
    assert "ALLIED-SAT 7" not in gbr  # inject 1 went to USA only
    assert "USA-SAT 12 × OBJECT 58214" not in gbr  # warned of it (inject 3), but not its satellite


def test_planning_in_the_page_shows_the_outcome_and_writes_nothing(planner):
    before = state(planner.exercise)
    url = reverse("plan-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk])
    reply = client_for(planner.usa.user).post(url, form_data(), HTTP_HX_REQUEST="true")
    assert reply.status_code == 200
    outcome = preview_burn(**burn(planner))
    html = reply.content.decode()
    assert f"{outcome.miss_distance_after_m:.0f} m" in html
    assert f"{outcome.probability_after:.1e}" in html
    assert f"{outcome.budget_after_m_s:.2f} m/s" in html
    assert state(planner.exercise) == before
    # Without JavaScript the same outcome comes as a page of its own.
    page = client_for(planner.usa.user).post(url, form_data())
    assert page.status_code == 200 and f"{outcome.miss_distance_after_m:.0f} m" in page.content.decode()
    assert "Back to the team page" in page.content.decode()


def test_a_preview_checks_visibility_once(planner, django_assert_num_queries):
    """Issue #18: 7 queries — the session, the user, the participation, the team's conjunction injects with
    their steps and current conjunctions (the view's authorization, once: the service reuses the pair and
    its satellite), the exercise as stored now. A second visibility check or satellite read fails this."""
    client = client_for(planner.usa.user)
    url = reverse("plan-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk])
    outcome = preview_burn(**burn(planner))
    with django_assert_num_queries(7) as queries:
        reply = client.post(url, form_data(), HTTP_HX_REQUEST="true")
    assert reply.status_code == 200 and f"{outcome.miss_distance_after_m:.0f} m" in reply.content.decode()
    assert sum('FROM "exercises_conjunction"' in query["sql"] for query in queries.captured_queries) == 1


def test_a_checked_pair_handed_to_the_preview_keeps_the_ownership_checks(planner):
    """The view's checked pair spares the service its lookups, not its rules: GBR handed USA's pair is still
    refused (not its satellite), and a pair of another conjunction is not taken for this one."""
    seen = selectors.visible_conjunction(planner.usa, planner.conjunction.pk)
    with pytest.raises(ManoeuvreError) as refused:
        preview_burn(**burn(planner, who=planner.gbr), seen=seen)
    assert refused.value.status == 403 and "belongs to USA" in refused.value.message
    other = selectors.visible_conjunction(planner.usa, selectors.current_conjunction(planner.warning).pk)
    usa_sat = selectors.current_conjunction(planner.exercise.injects.get(sequence=3))
    with pytest.raises(ManoeuvreError) as mismatched:
        preview_burn(**burn(planner, space_object=usa_sat.primary, conjunction=usa_sat), seen=other)
    assert "cannot manoeuvre" in mismatched.value.message  # USA-SAT 12's own conjunction, checked afresh
    assert preview_burn(**burn(planner), seen=seen) == preview_burn(**burn(planner))


@pytest.mark.parametrize(
    "data, message",
    [
        (form_data(burn_time="T+00:45:00"), "not before the time of closest approach"),
        (form_data(burn_time="soon"), "Burn time:"),
        (form_data(burn_time=""), "Burn time: give the exercise time"),
        (form_data(radial="fast"), "Radial delta-v must be a number in m/s."),
        (form_data(in_track="25"), "over the remaining budget"),
        (form_data(steps=["ASAT-1"]), "claim only steps of inject 1"),
    ],
)
def test_bad_input_in_the_page_is_refused_beside_its_field(planner, data, message):
    before = state(planner.exercise)
    client = client_for(planner.usa.user)
    for name in ("plan-manoeuvre", "commit-manoeuvre"):
        reply = client.post(
            reverse(name, args=[planner.exercise.pk, planner.conjunction.pk]), data, HTTP_HX_REQUEST="true"
        )
        assert reply.status_code == 400, name
        assert message in reply.content.decode(), name
    assert state(planner.exercise) == before


def test_committing_in_the_page_records_it_and_returns_the_planner(planner, django_capture_on_commit_callbacks):
    url = reverse("commit-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk])
    old = planner.conjunction
    with django_capture_on_commit_callbacks(execute=True):
        reply = client_for(planner.usa.user).post(url, form_data(), HTTP_HX_REQUEST="true")
    assert reply.status_code == 200
    manoeuvre = Manoeuvre.objects.get(exercise=planner.exercise)
    html = reply.content.decode()
    assert "Manoeuvre of ALLIED-SAT 7 committed" in html and f'id="manoeuvre-{manoeuvre.pk}"' in html
    assert [step.code for step in manoeuvre.response.protocol_steps.all()] == ["CONJ-1"]
    # The form of the new conjunction replaces the old one's.
    assert f'id="plan-{planner.conjunction.pk}"' in html and f'id="plan-{old.pk}"' not in html
    # A second click on the old form: the planner as it is now, saying why.
    before = state(planner.exercise)
    again = client_for(planner.usa.user).post(url, form_data(), HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "screened again" in again.content.decode()
    assert again["HX-Retarget"] == "#manoeuvre-planner"
    assert state(planner.exercise) == before
    # The console lists it.
    console = client_for(planner.facilitator).get(reverse("console", args=[planner.exercise.pk])).content.decode()
    assert f'id="manoeuvre-{manoeuvre.pk}"' in console and "ALLIED-SAT 7" in console


def test_committing_without_javascript_goes_back_to_the_team_page(planner, django_capture_on_commit_callbacks):
    url = reverse("commit-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk])
    with django_capture_on_commit_callbacks(execute=True):
        reply = client_for(planner.usa.user).post(url, form_data())
    assert reply.status_code == 302 and reply["Location"] == reverse("team", args=[planner.exercise.pk])
    assert Manoeuvre.objects.filter(exercise=planner.exercise).count() == 1


def test_another_team_posting_for_a_satellite_it_does_not_own_is_refused(planner):
    """GBR was warned of USA-SAT 12's conjunction (inject 3 to all teams) but does not own the satellite;
    ALLIED-SAT 7's it never saw."""
    before = state(planner.exercise)
    client = client_for(planner.gbr.user)
    usa_sat = selectors.current_conjunction(planner.exercise.injects.get(sequence=3))
    reply = client.post(
        reverse("commit-manoeuvre", args=[planner.exercise.pk, usa_sat.pk]), form_data(steps=()), HTTP_HX_REQUEST="true"
    )
    assert reply.status_code == 403 and "belongs to USA" in reply.content.decode()
    unseen = client.post(reverse("plan-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk]), form_data())
    assert unseen.status_code == 404
    assert state(planner.exercise) == before


def test_the_states_sent_on_reconnect_carry_the_manoeuvres(planner, django_capture_on_commit_callbacks):
    from exercises import fragments

    with django_capture_on_commit_callbacks(execute=True):
        manoeuvre = commit_burn(**burn(planner))
    facilitator = Participant.objects.select_related("exercise", "team").get(user=planner.facilitator)
    for participant, has_it in ((planner.usa, True), (planner.gbr, False), (facilitator, True)):
        html = fragments.team_state(participant) if participant.is_player else fragments.control_state(participant)
        assert 'id="manoeuvre-feed"' in html
        assert (f'id="manoeuvre-{manoeuvre.pk}"' in html) is has_it, participant


def test_a_french_players_burn_over_budget_is_refused_in_french(planner, settings):
    """The budget check is exercises/orbits/manoeuvre.py's, which imports nothing of Django."""
    client = client_for(planner.usa.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    reply = client.post(
        reverse("plan-manoeuvre", args=[planner.exercise.pk, planner.conjunction.pk]),
        form_data(in_track="25"),
        HTTP_HX_REQUEST="true",
    )
    assert reply.status_code == 400
    assert "dépassent le budget restant de 20.00 m/s" in reply.content.decode()
