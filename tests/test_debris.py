"""An ASAT test's debris: the target broken up once at the test's release, its fragments in the exercise's
catalogue, the follow-on conjunctions drafted as contingency injects for the owner team, and the facilitator's
release, edit and discard of the drafts.

The scenario plants the target's orbit across ALLIED-SAT 7's (exercises.orbits.planning): the two would pass
18 minutes after the ASAT test, so the cloud the test makes sweeps through ALLIED-SAT 7's path. The model's
own distributions are tested in tests/test_orbits_breakup.py; here, that the catalogued fragments are the
model's fragments.
"""

import logging
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.urls import reverse

from exercises import clock_worker, conjunction_text, realtime, selectors
from exercises.models import AuditEvent, Conjunction, Inject, Participant, ScenarioSpaceObject, SpaceObject, Team
from exercises.orbits.breakup import area_from_length, breakup, count_law
from exercises.orbits.elements import MeanElements, circular, from_state, state_at
from exercises.orbits.planning import plant_encounter
from exercises.services import Conflict, ServiceError, debris
from exercises.services.clock import change_status, jump_to
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.releases import release_inject
from tests.conftest import make_user, small_scenario
from tests.live import ROOT, server_environment

EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
RELEASE = timedelta(minutes=15)  # the ASAT test's (inject 3's) time in the small scenario
CROSSING = RELEASE + timedelta(minutes=18)  # when the target would have passed ALLIED-SAT 7
TARGET_MASS_KG = 300.0
HX = {"HX-Request": "true"}


def debris_scenario(name="Debris scenario"):
    """The small scenario with a catalogue: ALLIED-SAT 7 (USA) and KRS-METEO 2 (KARSLAND), inject 3 the ASAT
    test against KRS-METEO 2."""
    scenario = small_scenario(name)
    scenario.orbit_epoch = EPOCH
    scenario.save()
    allied = circular("ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10)
    target = plant_encounter(allied, "KRS-METEO 2", EPOCH + CROSSING, (300.0, 0.0, 0.0), inclination=82.0, epoch=EPOCH)
    ScenarioSpaceObject.objects.create(
        scenario=scenario,
        name="ALLIED-SAT 7",
        owner=Team.objects.get(code="USA"),
        manoeuvrable=True,
        delta_v_budget_m_s=12.0,
        elements=allied.as_dict(),
    )
    ScenarioSpaceObject.objects.create(
        scenario=scenario, name="KRS-METEO 2", owner_other="KARSLAND", mass_kg=TARGET_MASS_KG, elements=target.as_dict()
    )
    scenario.injects.filter(sequence=3).update(primary_object="KRS-METEO 2")
    return scenario


class World:
    def __init__(self, exercise, facilitator, evaluator, usa_player, gbr_player):
        self.exercise = exercise
        self.facilitator = facilitator
        self.evaluator = evaluator
        self.usa_player = usa_player
        self.gbr_player = gbr_player

    @property
    def asat(self) -> Inject:
        return self.exercise.injects.get(sequence=3)

    @property
    def target(self) -> SpaceObject:
        return self.exercise.catalogue.get(name="KRS-METEO 2")

    def drafts(self):
        return Inject.objects.filter(exercise=self.exercise, drafted_from__isnull=False).order_by("sequence")


def run_of(scenario, name="Debris run") -> World:
    exercise = create_exercise(scenario=scenario, name=name, teams=Team.objects.filter(code__in=["USA", "GBR", "CAN"]))
    people = [make_user(f"{who}-{exercise.pk}") for who in ("facilitator", "evaluator", "usa", "gbr")]
    Role = Participant.Role
    add_participant(exercise=exercise, user=people[0], role=Role.FACILITATOR)
    add_participant(exercise=exercise, user=people[1], role=Role.EVALUATOR)
    add_participant(exercise=exercise, user=people[2], role=Role.PLAYER, team=Team.objects.get(code="USA"))
    add_participant(exercise=exercise, user=people[3], role=Role.PLAYER, team=Team.objects.get(code="GBR"))
    return World(exercise, *people)


def paused_at(world: World, exercise_time: timedelta) -> None:
    """Started, paused and moved to exactly `exercise_time`: a release now happens at that exercise time."""
    exercise = change_status(exercise=world.exercise, action="start", by=world.facilitator)
    exercise = change_status(exercise=exercise, action="pause", by=world.facilitator)
    world.exercise = jump_to(exercise=exercise, exercise_time=exercise_time, by=world.facilitator)


@pytest.fixture
def world(library) -> World:
    return run_of(debris_scenario())


@pytest.fixture
def broken_up(world) -> World:
    """The ASAT test released by hand at T+00:15:00 and its target broken up by the clock worker's next tick."""
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    clock_worker.tick()
    return world


def fragments_of(world: World):
    return SpaceObject.objects.filter(exercise=world.exercise, parent__isnull=False).order_by("name")


# Exactly once, by hand and by the clock --------------------------------------------------------------------


def test_releasing_the_asat_test_by_hand_breaks_up_its_target_once(world):
    paused_at(world, RELEASE)
    assert not selectors.pending_breakups().exists()
    release_inject(inject=world.asat, by=world.facilitator)
    assert list(selectors.pending_breakups()) == [world.asat]
    assert debris.break_up_released_targets() == 1
    target = world.target
    assert target.destroyed_at == EPOCH + RELEASE  # the orbit time of the release
    catalogued = fragments_of(world).count()
    assert catalogued > 0
    # Nothing is pending any more: the worker again, the service itself, a whole tick change nothing.
    assert not selectors.pending_breakups().exists()
    assert debris.break_up_released_targets() == 0
    assert debris.break_up(inject=world.asat) is None
    clock_worker.tick()
    assert fragments_of(world).count() == catalogued
    [event] = AuditEvent.objects.filter(exercise=world.exercise, kind="catalogue.breakup")
    assert event.actor == world.facilitator  # who released the test
    assert event.object_id == str(target.pk)
    assert event.payload["catalogued"] == catalogued and event.payload["target"] == "KRS-METEO 2"
    screenings = AuditEvent.objects.filter(exercise=world.exercise, kind="catalogue.screened")
    assert screenings.filter(payload__reason="breakup").count() == 1


def test_the_clock_releases_the_asat_test_and_the_same_tick_breaks_up_its_target(world):
    exercise = change_status(exercise=world.exercise, action="start", by=world.facilitator)
    jump_to(exercise=exercise, exercise_time=RELEASE, by=world.facilitator)
    assert clock_worker.tick() >= 1
    asat = world.asat
    assert asat.is_released
    released = AuditEvent.objects.get(kind="inject.released", object_type="inject", object_id=str(asat.pk))
    target = world.target
    assert target.destroyed_at == world.exercise.orbit_time(released.exercise_time)
    assert abs(target.destroyed_at - (EPOCH + RELEASE)) < timedelta(seconds=5)
    catalogued = fragments_of(world).count()
    clock_worker.tick()
    assert fragments_of(world).count() == catalogued
    [event] = AuditEvent.objects.filter(exercise=world.exercise, kind="catalogue.breakup")
    assert event.actor is None  # the clock released it


def test_an_asat_test_naming_no_catalogue_object_breaks_nothing_up(world):
    world.exercise.injects.filter(sequence=3).update(primary_object="NO SUCH OBJECT")
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    assert not selectors.pending_breakups().exists()
    assert debris.break_up(inject=world.asat) is None
    assert world.target.destroyed_at is None and not fragments_of(world).exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_after_the_release_breaks_up_the_target_released_before_it(library):
    """The release committed and no worker broke the target up (none running, or one killed): the next worker
    to start, a process of its own, finds it in the rows and does it, once."""
    world = run_of(debris_scenario())
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    for _ in range(2):  # two workers, one after the other
        finished = subprocess.run(
            [sys.executable, "manage.py", "run_clock", "--once"],
            cwd=ROOT,
            env=server_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
    assert world.target.destroyed_at == EPOCH + RELEASE
    assert fragments_of(world).exists()
    assert AuditEvent.objects.filter(exercise=world.exercise, kind="catalogue.breakup").count() == 1


def test_a_failing_break_up_is_logged_and_holds_up_no_other(library, caplog):
    broken, whole = run_of(debris_scenario("Broken scenario")), run_of(debris_scenario("Whole scenario"))
    broken.exercise.catalogue.filter(name="KRS-METEO 2").update(mass_kg=-1.0)  # a row the model cannot use
    for world in (broken, whole):
        paused_at(world, RELEASE)
        release_inject(inject=world.asat, by=world.facilitator)
    with caplog.at_level(logging.ERROR, logger="exercises.services.debris"):
        assert debris.break_up_released_targets() == 1
    assert fragments_of(whole).exists() and not fragments_of(broken).exists()
    assert broken.target.destroyed_at is None, "nothing of the failed break-up was written"
    assert [record.getMessage() for record in caplog.records] == [
        f"Break-up for inject {broken.asat.pk} failed; trying again in {debris.RETRY_SECONDS:.0f} s"
    ]
    caplog.clear()
    assert debris.break_up_released_targets() == 0
    assert not caplog.records, "not tried again at every tick"
    assert list(selectors.pending_breakups()) == [broken.asat]  # still to do, after RETRY_SECONDS
    broken.exercise.catalogue.filter(name="KRS-METEO 2").update(mass_kg=TARGET_MASS_KG)
    assert debris.break_up(inject=broken.asat)
    assert not selectors.pending_breakups().exists()


# The fragments -----------------------------------------------------------------------------------------------


def test_fragments_join_the_catalogue_as_debris_of_the_target_made_by_the_inject(broken_up):
    target, asat = broken_up.target, broken_up.asat
    fragments = list(fragments_of(broken_up))
    names = [fragment.name for fragment in fragments]
    assert names == [f"KRS-METEO 2 DEB {number:03d}" for number in range(1, len(fragments) + 1)]
    for fragment in fragments:
        assert fragment.parent_id == target.pk and fragment.created_by_id == asat.pk
        assert fragment.object_type == "debris" and not fragment.manoeuvrable
        assert fragment.owner_id is None and fragment.owner_other == "KARSLAND"
        assert fragment.destroyed_at is None
        elements = fragment.mean_elements()
        assert elements.epoch == target.destroyed_at and elements.object_name == fragment.name
    # a whole object no longer: screening leaves the target out from its break-up on
    assert not Conjunction.objects.filter(
        exercise=broken_up.exercise, secondary=target, superseded_at__isnull=True, tca__gte=target.destroyed_at
    ).exists()


def test_the_catalogued_fragments_are_the_models_fragments_of_10_cm_and_larger(broken_up):
    """The count follows N(>Lc) = 0.1 M^0.75 Lc^-1.71 [Johnson et al. 2001, eq. 4] for both masses; each
    catalogued fragment is one of the model's (same seed), with its size, mass and delta-v; the others have
    no orbit or re-enter at once."""
    target = broken_up.target
    [event] = AuditEvent.objects.filter(exercise=broken_up.exercise, kind="catalogue.breakup")
    payload = event.payload
    law = {
        "kind": "collision",
        "mass_kg": TARGET_MASS_KG,
        "projectile_mass_kg": debris.KILL_VEHICLE_MASS_KG,
        "impact_speed_km_s": debris.IMPACT_SPEED_KM_S,
    }
    coefficient, exponent = count_law(**law)
    assert coefficient == pytest.approx(0.1 * (TARGET_MASS_KG + debris.KILL_VEHICLE_MASS_KG) ** 0.75)  # catastrophic
    assert payload["fragments"] == round(coefficient * (0.1**-exponent - 1.0**-exponent))
    assert payload["estimated_above_1cm"] == round(coefficient * (0.01**-exponent - 1.0**-exponent))
    parent = MeanElements.from_dict({**target.elements, "object_name": target.name})
    r, v = state_at(parent, target.destroyed_at)
    model = breakup(r, v, **law, min_length_m=0.1, max_length_m=1.0, seed=payload["seed"])
    assert len(model) == payload["fragments"]
    fragments = list(fragments_of(broken_up))
    assert len(fragments) == payload["catalogued"] < len(model)
    matched = iter(fragments)
    fragment = next(matched)
    for piece in model:  # the catalogue keeps the model's order (largest first), skipping what it leaves out
        if fragment is not None and math.isclose(2 * fragment.hard_body_radius_m, piece.characteristic_length_m):
            assert fragment.mass_kg == pytest.approx(piece.mass_kg)
            r_fit, v_fit = state_at(fragment.mean_elements(), target.destroyed_at)
            assert np.linalg.norm(r_fit - piece.position_km) < 1e-3  # 1 m
            assert np.linalg.norm(v_fit - piece.velocity_km_s) < 1e-6  # 1 mm/s: the model's delta-v
            assert fragment.mean_elements().perigee_km >= debris.REENTRY_PERIGEE_KM
            fragment = next(matched, None)
        else:  # left out: no orbit for its state, or a perigee under the re-entry altitude
            try:
                fitted = from_state("X", target.destroyed_at, piece.position_km, piece.velocity_km_s)
            except ValueError:
                continue
            assert fitted.perigee_km < debris.REENTRY_PERIGEE_KM
    assert fragment is None, "every catalogued fragment is one of the model's"
    lengths = np.array([2 * f.hard_body_radius_m for f in fragments])
    assert lengths.min() >= 0.1 and lengths.max() <= 1.0
    # drag from the size: BSTAR = Cd/2 (A/M) rho0, A/M from the model's area and mass
    largest = fragments[0]
    area = float(area_from_length(2 * largest.hard_body_radius_m))
    assert largest.mean_elements().bstar == pytest.approx(
        0.5 * debris.DRAG_COEFFICIENT * area / largest.mass_kg * debris.REFERENCE_DENSITY_KG_M2_ER, rel=1e-6
    )


def test_two_exercises_of_one_scenario_get_identical_fragments(library):
    scenario = debris_scenario()
    runs = [run_of(scenario, name) for name in ("Run 1", "Run 2")]
    for run in runs:
        paused_at(run, RELEASE)
        release_inject(inject=run.asat, by=run.facilitator)
    assert debris.break_up_released_targets() == 2
    first, second = ([(f.name, f.elements, f.mass_kg, f.hard_body_radius_m) for f in fragments_of(run)] for run in runs)
    assert first and first == second
    drafts = [[(d.title, d.primary_object, d.secondary_object) for d in run.drafts()] for run in runs]
    assert drafts[0] == drafts[1]


# The follow-on conjunctions and their drafts ----------------------------------------------------------------------


def test_follow_on_conjunctions_become_drafts_for_the_owner_team(broken_up):
    exercise, asat, target = broken_up.exercise, broken_up.asat, broken_up.target
    follow_on = Conjunction.objects.filter(
        exercise=exercise, superseded_at__isnull=True, secondary__parent=target
    ).select_related("primary", "secondary")
    assert follow_on.exists(), "the cloud sweeps through ALLIED-SAT 7's path"
    assert all(row.tca >= target.destroyed_at and row.primary.name == "ALLIED-SAT 7" for row in follow_on)
    first = {}
    for row in follow_on.order_by("tca"):
        first.setdefault(row.secondary.name, row)
    worth = {name: row for name, row in first.items() if debris.worth_a_draft(row)}
    drafts = list(broken_up.drafts())
    assert drafts and {draft.secondary_object for draft in drafts} == set(worth)
    for draft in drafts:
        assert draft.drafted_from_id == asat.pk and draft.kind == "conjunction"
        assert not draft.is_released and draft.on_demand and not draft.held
        assert not draft.addressed_to_all and [team.code for team in draft.teams.all()] == ["USA"]
        assert draft.primary_object == "ALLIED-SAT 7"
        for placeholder in ("{primary}", "{secondary}", "{tca}", "{miss_distance}", "{pc}"):
            assert placeholder in draft.text
        assert selectors.current_conjunction(draft) == worth[draft.secondary_object]  # bound for its card and CDM
        assert draft.offset == RELEASE
    assert AuditEvent.objects.filter(exercise=exercise, kind="inject.drafted").count() == len(drafts)


def test_drafts_wait_for_the_facilitator_the_clock_does_not_release_them(broken_up):
    exercise = change_status(exercise=broken_up.exercise, action="resume", by=broken_up.facilitator)
    jump_to(exercise=exercise, exercise_time=timedelta(hours=2), by=broken_up.facilitator)
    clock_worker.tick()
    assert broken_up.drafts().exists()
    assert not broken_up.drafts().filter(released_at__isnull=False).exists()


def test_the_console_shows_the_cloud_and_its_drafts(client, broken_up):
    drafts = list(broken_up.drafts())
    [cloud] = selectors.debris_clouds(broken_up.exercise)
    client.force_login(broken_up.facilitator)
    page = client.get(reverse("console", args=[broken_up.exercise.pk])).content.decode()
    assert 'id="debris-console"' in page
    assert f'<strong class="fragment-count">{cloud.fragment_count}</strong>' in page
    assert f'<strong class="catalogued-count">{fragments_of(broken_up).count()}</strong>' in page
    for draft in drafts:
        assert reverse("discard-draft", args=[broken_up.exercise.pk, draft.pk]) in page
        assert reverse("edit-inject", args=[broken_up.exercise.pk, draft.pk]) in page
    for picture in ("gabbard", "altitudes"):  # the cloud's pictures, and they draw
        url = reverse("debris-picture", args=[broken_up.exercise.pk, cloud.target.pk, picture])
        assert url in page
        answer = client.get(url)
        assert answer.status_code == 200 and answer["Content-Type"].startswith("image/svg+xml")
    client.force_login(broken_up.evaluator)
    page = client.get(reverse("console", args=[broken_up.exercise.pk])).content.decode()
    assert drafts[0].title in page and "discard" not in page.lower()


@pytest.mark.django_db(transaction=True)
def test_after_the_break_up_the_console_gets_the_cloud_and_the_drafts(library, listen):
    world = run_of(debris_scenario())
    facilitators = listen(realtime.facilitators_group(world.exercise.pk))
    evaluators = listen(realtime.evaluators_group(world.exercise.pk))
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    facilitators.messages(timeout=0.3)
    evaluators.messages(timeout=0.3)  # the release's own pushes
    debris.break_up_released_targets()
    pushed, msel = facilitators.messages()
    drafts = list(world.drafts())
    assert 'id="debris-console" hx-swap-oob="outerHTML"' in pushed["html"]
    assert msel["html"].lstrip().startswith('<tbody id="msel-body" hx-swap-oob="innerHTML">')
    for draft in drafts:
        assert f'id="draft-{draft.pk}"' in pushed["html"] and f'id="inject-row-{draft.pk}"' in msel["html"]
    assert reverse("discard-draft", args=[world.exercise.pk, drafts[0].pk]) in pushed["html"]
    seen, _ = evaluators.messages()
    assert f'id="draft-{drafts[0].pk}"' in seen["html"] and "discard" not in seen["html"].lower()


# Release, edit, discard -----------------------------------------------------------------------------------------


def test_releasing_a_draft_reaches_the_owner_team_only(client, broken_up):
    draft = broken_up.drafts().first()
    client.force_login(broken_up.facilitator)
    reply = client.post(reverse("release-inject", args=[broken_up.exercise.pk, draft.pk]), headers=HX)
    assert reply.status_code == 204
    assert [release.team_id for release in draft.releases.all()] == ["USA"]
    client.force_login(broken_up.usa_player)
    page = client.get(reverse("team", args=[broken_up.exercise.pk])).content.decode()
    assert draft.title in page
    # its card shows the screened fragment's numbers, filled in where the drafted text had placeholders
    values = conjunction_text.placeholder_values(selectors.current_conjunction(draft), broken_up.exercise)
    assert f"Secondary: {draft.secondary_object}, a fragment of KRS-METEO 2" in page
    assert f"Miss distance {values['miss_distance']} m" in page and "{miss_distance}" not in page
    # and its CDM, as USA would receive it from the CSpO, names the fragment
    cdm = client.get(reverse("inject-cdm", args=[broken_up.exercise.pk, draft.pk, "kvn"]))
    assert cdm.status_code == 200 and draft.secondary_object in cdm.content.decode()
    client.force_login(broken_up.gbr_player)
    assert draft.title not in client.get(reverse("team", args=[broken_up.exercise.pk])).content.decode()
    assert client.get(reverse("inject-cdm", args=[broken_up.exercise.pk, draft.pk, "kvn"])).status_code == 404


def test_editing_a_draft_keeps_it_bound_to_its_conjunction(client, broken_up):
    draft = broken_up.drafts().first()
    client.force_login(broken_up.facilitator)
    reply = client.post(
        reverse("edit-inject", args=[broken_up.exercise.pk, draft.pk]),
        {
            "kind": "conjunction",
            "title": "Debris warning for ALLIED-SAT 7",
            "text": "{primary} passes {secondary} at {tca}: {miss_distance} m, Pc {pc}.",
            "offset": "T+00:20",
            "teams": ["USA"],
            "originator": draft.originator,
            "delivery_method": draft.delivery_method,
            "expected_action": "Decide.",
        },
    )
    assert reply.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Debris warning for ALLIED-SAT 7" and draft.offset == timedelta(minutes=20)
    assert draft.drafted_from_id == broken_up.asat.pk and not draft.is_released
    assert selectors.current_conjunction(draft) is not None


def test_discarding_a_draft_removes_it_and_journals_what_it_was(client, broken_up):
    draft = broken_up.drafts().first()
    client.force_login(broken_up.facilitator)
    reply = client.post(reverse("discard-draft", args=[broken_up.exercise.pk, draft.pk]), headers=HX)
    assert reply.status_code == 204
    assert not Inject.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(kind="inject.discarded", object_id=str(draft.pk))
    assert event.actor == broken_up.facilitator
    assert event.payload["title"] == draft.title and event.payload["secondary_object"] == draft.secondary_object
    assert event.payload["teams"] == ["USA"]
    # its conjunction is still in the catalogue's screening: only the inject is gone
    assert Conjunction.objects.filter(secondary__name=draft.secondary_object, superseded_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_discard_removes_the_drafts_row_from_the_console(library, listen):
    world = run_of(debris_scenario())
    paused_at(world, RELEASE)
    release_inject(inject=world.asat, by=world.facilitator)
    debris.break_up_released_targets()
    draft = world.drafts().first()
    staff = listen(realtime.facilitators_group(world.exercise.pk))
    debris.discard_draft(inject=draft, by=world.facilitator)
    removed, console = staff.messages()
    assert f'<tr id="inject-row-{draft.pk}" hx-swap-oob="delete"></tr>' in removed["html"]
    assert 'id="debris-console"' in console["html"] and f'id="draft-{draft.pk}"' not in console["html"]


def test_a_released_draft_cannot_be_discarded(client, broken_up):
    draft = broken_up.drafts().first()
    release_inject(inject=draft, by=broken_up.facilitator)
    client.force_login(broken_up.facilitator)
    reply = client.post(reverse("discard-draft", args=[broken_up.exercise.pk, draft.pk]), headers=HX)
    assert reply.status_code == 409 and b"already released" in reply.content
    assert Inject.objects.filter(pk=draft.pk).exists()
    assert not AuditEvent.objects.filter(kind="inject.discarded").exists()
    with pytest.raises(Conflict):
        debris.discard_draft(inject=draft, by=broken_up.facilitator)


def test_only_drafts_can_be_discarded(client, broken_up):
    scheduled = broken_up.exercise.injects.get(sequence=2)
    client.force_login(broken_up.facilitator)
    reply = client.post(reverse("discard-draft", args=[broken_up.exercise.pk, scheduled.pk]), headers=HX)
    assert reply.status_code == 400 and b"only drafts can be discarded" in reply.content
    assert Inject.objects.filter(pk=scheduled.pk).exists()
    with pytest.raises(ServiceError):
        debris.discard_draft(inject=scheduled, by=broken_up.facilitator)


def test_players_and_evaluators_cannot_discard_a_draft(client, broken_up):
    draft = broken_up.drafts().first()
    for user in (broken_up.usa_player, broken_up.gbr_player, broken_up.evaluator):
        client.force_login(user)
        reply = client.post(reverse("discard-draft", args=[broken_up.exercise.pk, draft.pk]), headers=HX)
        assert reply.status_code == 403
    assert Inject.objects.filter(pk=draft.pk).exists()
