"""A screened conjunction for the card and CDM tests: a catalogue with a planted encounter, screened by
the real service, and a conjunction inject bound to it (its text using the placeholders)."""

from datetime import UTC, datetime, timedelta

from exercises.models import Inject, SpaceObject, Team
from exercises.orbits.elements import circular
from exercises.orbits.planning import plant_encounter
from exercises.services.catalogue import screen_exercise

EPOCH = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)
TCA_AFTER = timedelta(minutes=28)
PLACEHOLDER_TEXT = (
    "CSpOC screening: {primary} and {secondary} pass within {miss_distance} m at {tca} "
    "(R {radial} / T {in_track} / N {cross_track} m, {relative_speed} m/s, Pc {pc}). "
    "Reply with {your decision} by {deadline}."
)


def plant_conjunction(exercise, inject: Inject, *, text: str = PLACEHOLDER_TEXT) -> None:
    """ALLIED-SAT 7 (USA, manoeuvrable, its own covariance) and KARSLAND debris OBJECT 58213 (the type's
    default covariance) meet 28 minutes after STARTEX; the inject names them and uses the placeholders."""
    exercise.orbit_epoch = EPOCH
    exercise.save(update_fields=["orbit_epoch"])
    allied = circular(
        "ALLIED-SAT 7", EPOCH, 548, 53.0, ra_of_asc_node=40, mean_anomaly=10, norad_cat_id=99007, object_id="2029-014A"
    )
    debris = plant_encounter(
        allied,
        "OBJECT 58213",
        EPOCH + TCA_AFTER,
        (18.0, 0.0, 110.0),
        inclination=71.0,
        epoch=EPOCH,
        norad_cat_id=58213,
        object_id="2031-002C",
    )
    SpaceObject.objects.create(
        exercise=exercise,
        name="ALLIED-SAT 7",
        owner=Team.objects.get(code="USA"),
        manoeuvrable=True,
        delta_v_budget_m_s=12.0,
        sigma_radial_m=30.0,
        sigma_in_track_m=250.0,
        sigma_cross_track_m=20.0,
        elements=allied.as_dict(),
    )
    SpaceObject.objects.create(
        exercise=exercise,
        name="OBJECT 58213",
        owner_other="KARSLAND",
        object_type="debris",
        hard_body_radius_m=0.5,
        elements=debris.as_dict(),
    )
    Inject.objects.filter(pk=inject.pk).update(
        primary_object="ALLIED-SAT 7", secondary_object="OBJECT 58213", text=text
    )
    screen_exercise(exercise=exercise, reason="test")
