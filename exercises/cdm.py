"""A screened conjunction's CCSDS Conjunction Data Message (CCSDS 508.0-B-1), as a CSpO partner would receive it.

Built from a screened `Conjunction` (`conjunction_cdm`): a conjunction inject's is its current one's
(`inject_cdm`, a message id per inject and screening), a conjunction's own (route 'conjunction-cdm', a
message id per screening), and a shared assessment's the one its team attached (`shared_cdm`, created at
the share: the message as it was passed on). The header (originator EXERCISE CONTROL), the relative
metadata (TCA, miss distance, relative speed, the miss and the relative velocity in the primary's RTN
frame, the screening window, Foster's Pc), and for each object its
metadata (name, designators, operator, manoeuvrable, object type), its state at TCA and its RTN covariance
(services.catalogue.sigmas_m: stated, or the type's default). Its creation date is the scenario world's
"now" (the orbit epoch plus the exercise time; for a shared CDM, the share's), as the TCA is a moment of
that world.

The screening's states are TEME, which a CDM may not carry: they are given in ITRF
(exercises.orbits.propagation.teme_to_itrf, without Earth-orientation data). The RTN quantities are
computed from the inertial (TEME) states, as the Pc is. The text is written by exercises.orbits.messages
through ccsds-ndm.
"""

from datetime import timedelta

from django.utils import translation

from exercises.models import Conjunction, Exercise, Inject, InjectKind, ObjectType

FORMATS = {"kvn": "text/plain; charset=utf-8", "xml": "application/xml; charset=utf-8"}
ORIGINATOR = "EXERCISE CONTROL"
CATALOGUE_NAME = "EXERCISE"  # the exercise's own catalogue, not the public SATCAT
CDM_OBJECT_TYPES = {
    ObjectType.PAYLOAD.value: "PAYLOAD",
    ObjectType.ROCKET_BODY.value: "ROCKET BODY",
    ObjectType.DEBRIS.value: "DEBRIS",
}


class NoConjunction(LookupError):
    """The inject is not bound to a screened conjunction, so it has no CDM."""


def message_id(exercise: Exercise, inject: Inject, conjunction: Conjunction) -> str:
    """Unique per inject and screening: a new screening makes a new Conjunction row, hence a new id."""
    return f"CONJUNCTION-EX{exercise.pk}-INJ{inject.sequence}-SCR{conjunction.pk}"


def conjunction_message_id(exercise: Exercise, conjunction: Conjunction) -> str:
    """Unique per screening, whichever inject (if any) warned of it."""
    return f"CONJUNCTION-EX{exercise.pk}-SCR{conjunction.pk}"


def filename(exercise: Exercise, inject: Inject, fmt: str) -> str:
    return f"cdm-exercise-{exercise.pk}-inject-{inject.sequence}.{fmt}"


def conjunction_filename(exercise: Exercise, conjunction: Conjunction, fmt: str) -> str:
    return f"cdm-exercise-{exercise.pk}-conjunction-{conjunction.pk}.{fmt}"


def unbound_reason(inject: Inject) -> str:
    if inject.kind != InjectKind.CONJUNCTION:
        return f"Inject {inject.sequence} is not a conjunction inject, so it has no Conjunction Data Message."
    if not inject.primary_object or not inject.secondary_object:
        return (
            f"Inject {inject.sequence} names no primary and secondary object, so it is bound to no screened "
            "conjunction and has no Conjunction Data Message."
        )
    return (
        f"Screening found no current close approach of {inject.primary_object} and {inject.secondary_object}, "
        f"so inject {inject.sequence} has no Conjunction Data Message."
    )


def bound_conjunction(inject: Inject) -> Conjunction:
    """The inject's current screened conjunction, or NoConjunction saying why there is none."""
    from exercises import conjunction_text, selectors

    conjunction = selectors.current_conjunction(inject) if conjunction_text.is_bindable(inject) else None
    if conjunction is None:
        raise NoConjunction(unbound_reason(inject))
    return conjunction


def cdm_data(exercise: Exercise, conjunction: Conjunction, *, message_id: str, created_at: timedelta | None = None):
    """The CDM's content (exercises.orbits.messages.CdmData) for a screened conjunction of the exercise.

    `created_at`: the exercise time the message was made (None: now), given in the scenario's world."""
    from exercises.orbits.messages import CdmData, relative_state_rtn
    from exercises.services.catalogue import SCREENING_HOURS

    p, s = conjunction.primary_state, conjunction.secondary_state
    _, relative_velocity = relative_state_rtn(p["r"], p["v"], s["r"], s["v"])
    start = exercise.orbit_epoch
    return CdmData(
        message_id=message_id,
        originator=ORIGINATOR,
        message_for=conjunction.primary.name,
        creation_date=exercise.orbit_time(exercise.exercise_time() if created_at is None else created_at),
        tca=conjunction.tca,
        miss_distance_m=conjunction.miss_distance_m,
        relative_speed_m_s=conjunction.relative_speed_m_s,
        relative_position_rtn_m=(conjunction.radial_m, conjunction.in_track_m, conjunction.cross_track_m),
        relative_velocity_rtn_m_s=relative_velocity,
        start_screen_period=start,
        stop_screen_period=None if start is None else start + timedelta(hours=SCREENING_HOURS),
        collision_probability=conjunction.probability,
        collision_probability_method="FOSTER-1992",
        object1=cdm_object(conjunction.primary, p, conjunction),
        object2=cdm_object(conjunction.secondary, s, conjunction),
    )


def cdm_object(space_object, state: dict, conjunction: Conjunction):
    """One object's CDM segment: its metadata, its ITRF state at TCA, its RTN covariance (m²)."""
    from exercises.orbits.messages import CdmObject
    from exercises.orbits.propagation import teme_to_itrf
    from exercises.services.catalogue import sigmas_m

    elements = space_object.mean_elements()
    r, v = teme_to_itrf(state["r"], state["v"], conjunction.tca)
    sigmas = sigmas_m(space_object)
    stated = (space_object.sigma_radial_m, space_object.sigma_in_track_m, space_object.sigma_cross_track_m)
    if space_object.owner_id:
        operator = space_object.owner.name
    else:
        operator = space_object.owner_other or None
    return CdmObject(
        object_designator=str(elements.norad_cat_id) if elements.norad_cat_id else "UNKNOWN",
        object_name=space_object.name,
        international_designator=elements.object_id or "UNKNOWN",
        catalog_name=CATALOGUE_NAME,
        object_type=CDM_OBJECT_TYPES.get(space_object.object_type, "UNKNOWN"),
        operator_organization=operator,
        maneuverable="YES" if space_object.manoeuvrable else "NO",
        ephemeris_name="NONE",
        covariance_method="CALCULATED" if any(value is not None for value in stated) else "DEFAULT",
        ref_frame="ITRF",
        position_km=tuple(r),
        velocity_km_s=tuple(v),
        covariance_rtn=[[sigmas[i] ** 2 if i == j else 0.0 for j in range(3)] for i in range(3)],
    )


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def conjunction_cdm(
    exercise: Exercise, conjunction: Conjunction, fmt: str, *, message_id: str | None = None, created_at=None
) -> str:
    """A screened conjunction's CDM in KVN or NDM/XML (`message_id`: the screening's unless given; `created_at`:
    the exercise time it was made, None for now)."""
    from exercises.orbits.messages import cdm_kvn, cdm_xml

    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    data = cdm_data(
        exercise,
        conjunction,
        message_id=message_id or conjunction_message_id(exercise, conjunction),
        created_at=created_at,
    )
    return cdm_kvn(data) if fmt == "kvn" else cdm_xml(data)


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def inject_cdm(inject: Inject, fmt: str) -> str:
    """The inject's CDM in KVN or NDM/XML; NoConjunction when it is bound to none."""
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    conjunction = bound_conjunction(inject)
    exercise = inject.exercise
    return conjunction_cdm(exercise, conjunction, fmt, message_id=message_id(exercise, inject, conjunction))


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def shared_cdm(assessment, fmt: str) -> str | None:
    """The CDM a team attached to a shared assessment, as it was passed on: created at the share (so a STIX
    export of it is the same every time); None when the assessment carries none."""
    if assessment.conjunction_id is None:
        return None
    return conjunction_cdm(assessment.exercise, assessment.conjunction, fmt, created_at=assessment.exercise_time)
