"""An exercise's space catalogue: copied from its scenario, screened for conjunctions, changed by
the exercise (a committed burn, an ASAT test's debris). Services call exercises.orbits; views never do.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from exercises import conjunction_text, fragments, realtime, selectors
from exercises.models import CatalogueObject, Conjunction, Exercise, InjectKind, Participant, Release, SpaceObject
from exercises.services import audit

SCREENING_HOURS = 72.0  # the default window after the orbit epoch (issue 14)
SCREENING_THRESHOLD_KM = 5.0

COPIED_OBJECT_FIELDS = [
    field.name for field in CatalogueObject._meta.get_fields() if field.name not in {"id"} and field.concrete
]


def copy_catalogue(*, scenario, exercise: Exercise) -> list[SpaceObject]:
    """The exercise's own copy of the scenario's catalogue (inside the exercise's creation)."""
    exercise.orbit_epoch = scenario.orbit_epoch
    exercise.save(update_fields=["orbit_epoch"])
    copies = [
        SpaceObject(exercise=exercise, **{name: getattr(source, name) for name in COPIED_OBJECT_FIELDS})
        for source in scenario.catalogue.all()
    ]
    return SpaceObject.objects.bulk_create(copies)


def sigmas_m(space_object) -> tuple[float, float, float]:
    """The object's 1-sigma radial, in-track and cross-track uncertainty: stated, or its type's default."""
    from exercises.orbits import collision

    default = collision.DEFAULT_COVARIANCE_RTN_M[space_object.object_type]
    stated = (space_object.sigma_radial_m, space_object.sigma_in_track_m, space_object.sigma_cross_track_m)
    return tuple(value if value is not None else fallback for value, fallback in zip(stated, default, strict=True))


def screen_catalogue(objects, start, hours: float = SCREENING_HOURS, threshold_km: float = SCREENING_THRESHOLD_KM):
    """Screen allied objects against every object (a scenario's or an exercise's catalogue, not yet destroyed).

    Returns (encounter, primary object, secondary object, probability) tuples in order of TCA.
    """
    from exercises.orbits import assessment, screening

    objects = [obj for obj in objects if getattr(obj, "destroyed_at", None) is None]
    by_name = {obj.name: obj for obj in objects}
    primaries = [obj.mean_elements() for obj in objects if obj.is_allied]
    everything = [obj.mean_elements() for obj in objects]
    if not primaries or not everything or start is None:
        return []
    results = []
    for encounter in screening.screen(primaries, everything, start, hours=hours, threshold_km=threshold_km):
        primary, secondary = by_name[encounter.primary], by_name[encounter.secondary]
        probability = assessment.probability_of_collision(
            encounter, sigmas_m(primary), sigmas_m(secondary), primary.hard_body_radius_m + secondary.hard_body_radius_m
        )
        results.append((encounter, primary, secondary, probability))
    return results


@transaction.atomic
def screen_exercise(
    *, exercise: Exercise, by=None, reason: str = "screening", start=None, journal: bool = True
) -> list[Conjunction]:
    """Screen the exercise's catalogue and store what it finds; the rows it replaces are superseded.

    The window starts at the exercise's orbit epoch (or `start`, e.g. the moment of a burn) and runs
    SCREENING_HOURS after the epoch. Journaled as `catalogue.screened`, unless `journal=False`: a service
    whose own event records the screening with the rest of its write (a committed manoeuvre).
    """
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if exercise.orbit_epoch is None or not exercise.catalogue.exists():
        return []
    start = start or exercise.orbit_epoch
    stop = exercise.orbit_epoch + timedelta(hours=SCREENING_HOURS)
    hours = max((stop - start).total_seconds() / 3600.0, 0.0)
    now = timezone.now()
    stale = Conjunction.objects.filter(exercise=exercise, superseded_at__isnull=True, tca__gte=start)
    superseded = stale.update(superseded_at=now)
    found = screen_catalogue(exercise.catalogue.select_related("owner"), start, hours=hours)
    rows = Conjunction.objects.bulk_create(
        [
            Conjunction(
                exercise=exercise,
                primary=primary,
                secondary=secondary,
                tca=encounter.tca,
                miss_distance_m=encounter.miss_distance_m,
                radial_m=encounter.radial_m,
                in_track_m=encounter.in_track_m,
                cross_track_m=encounter.cross_track_m,
                relative_speed_m_s=encounter.relative_speed_m_s,
                probability=probability,
                primary_state={"r": list(encounter.primary_position_km), "v": list(encounter.primary_velocity_km_s)},
                secondary_state={
                    "r": list(encounter.secondary_position_km),
                    "v": list(encounter.secondary_velocity_km_s),
                },
                screened_at=now,
            )
            for encounter, primary, secondary, probability in found
        ]
    )
    if journal:
        audit.record(
            exercise=exercise,
            actor=by,
            kind="catalogue.screened",
            obj=exercise,
            payload={"reason": reason, "start": start.isoformat(), "found": len(rows), "superseded": superseded},
        )
    if superseded or rows:
        # After a burn the committing player's planner answers the commit itself (views/manoeuvres.py), and a
        # teammate's stale form is refused with the current planner: only the cards are pushed then.
        push_conjunction_cards(exercise, planners=reason != "manoeuvre")
    return rows


def push_conjunction_cards(exercise: Exercise, *, planners: bool = True) -> None:
    """After a screening commits: every released conjunction inject's card replaces itself on its teams' pages
    with the pair as screened now (or the warning's numbers, marked no longer current), and staff get its MSEL
    row again; with `planners`, each team's manoeuvre planner too. Rendered once per team after commit, from the
    rows as committed."""
    realtime.render_and_send_after_commit(lambda: _conjunction_card_pushes(exercise, planners=planners))


def _conjunction_card_pushes(exercise: Exercise, *, planners: bool) -> list[tuple[list[str], str]]:
    releases = list(
        Release.objects.filter(inject__exercise=exercise, inject__kind=InjectKind.CONJUNCTION)
        .exclude(inject__primary_object="")
        .exclude(inject__secondary_object="")
        .select_related("inject")
        .prefetch_related("inject__techniques")
        .order_by("team_id", "released_at")
    )
    if not releases:
        return []
    injects = list({release.inject_id: release.inject for release in releases}.values())
    cards = conjunction_text.cards(injects, exercise)
    pushes = []
    for team_id in dict.fromkeys(release.team_id for release in releases):
        team_releases = [release for release in releases if release.team_id == team_id]
        acks = selectors.acknowledged(exercise.pk, team_id)
        pushes.append(
            (
                [realtime.team_group(exercise.pk, team_id)],
                fragments.replaced_conjunction_cards(team_releases, cards, acks),
            )
        )
    if planners:
        pushes += _planner_pushes(exercise, list(dict.fromkeys(release.team_id for release in releases)))
    for inject in selectors.msel_injects(exercise.pk).filter(pk__in=[inject.pk for inject in injects]):
        pushes.append(
            (
                [realtime.facilitators_group(exercise.pk)],
                fragments.msel_row(inject, can_control=True, conjunction_cards=cards),
            )
        )
        pushes.append(
            (
                [realtime.evaluators_group(exercise.pk)],
                fragments.msel_row(inject, can_control=False, conjunction_cards=cards),
            )
        )
    return pushes


def push_planners(exercise: Exercise, team_ids) -> None:
    """After commit: the manoeuvre planner of each team replaces itself with the conjunctions it was warned of."""
    team_ids = list(team_ids)
    realtime.render_and_send_after_commit(lambda: _planner_pushes(exercise, team_ids))


def _planner_pushes(exercise: Exercise, team_ids) -> list[tuple[list[str], str]]:
    """The planner is the team's, not one player's: rendered once per team, for any of its players."""
    if exercise.orbit_epoch is None:
        return []
    players = {}
    for player in Participant.objects.filter(
        exercise=exercise, team_id__in=team_ids, role=Participant.Role.PLAYER
    ).select_related("exercise", "team", "user"):
        players.setdefault(player.team_id, player)
    return [
        ([realtime.team_group(exercise.pk, team_id)], fragments.manoeuvre_planner(player))
        for team_id, player in players.items()
    ]
