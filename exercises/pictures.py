"""The orbit pictures: who may see each one, and the plain data each one shows.

Reads only (selectors of pictures): rows from the database, orbits computed by exercises.orbits
(propagation, the miss-distance series), drawn by exercises.reports.orbit_charts. Views and the report
call these; neither propagates anything itself.

Who sees what: facilitators and evaluators see every picture of their exercise. A player sees a
conjunction's pictures once an inject naming its two objects (its primary_object and secondary_object,
the binding of selectors.current_conjunction) was released to their team, and a debris cloud's once the
inject that made the fragments (the ASAT test) or a follow-on inject drafted from it was. The allied
catalogue's altitudes are the console's: staff only.
"""

from datetime import timedelta

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext

from exercises.models import Conjunction, Exercise, Inject, Manoeuvre, SpaceObject, format_exercise_time
from exercises.orbits.elements import MeanElements
from exercises.reports import orbit_charts
from exercises.services.catalogue import SCREENING_HOURS, sigmas_m

CONJUNCTION_PICTURES = ("encounter-plane", "miss-distance")
DEBRIS_PICTURES = ("gabbard", "altitudes")
MISS_DISTANCE_MINUTES = 10.0  # the series spans TCA ± 5 minutes
MISS_DISTANCE_STEP_S = 2.0
CATALOGUE_SAMPLES = 400  # altitude samples per object over the exercise
MINIMUM_SPAN = timedelta(hours=1)


# ---------------------------------------------------------------------------------------------------------------
# Who may see


def visible_conjunction(participant, conjunction_id) -> Conjunction | None:
    """The conjunction if the participant may see its pictures, else None."""
    conjunction = (
        Conjunction.objects.filter(exercise_id=participant.exercise_id, pk=conjunction_id)
        .select_related("primary", "secondary")
        .first()
    )
    if conjunction is None:
        return None
    conjunction.exercise = participant.exercise
    if not participant.is_player:
        return conjunction
    a, b = conjunction.primary.name, conjunction.secondary.name
    released = Inject.objects.filter(exercise_id=participant.exercise_id, releases__team_id=participant.team_id).filter(
        Q(primary_object=a, secondary_object=b) | Q(primary_object=b, secondary_object=a)
    )
    return conjunction if released.exists() else None


def visible_debris_parent(participant, object_id) -> SpaceObject | None:
    """The broken-up object if the participant may see its debris cloud's pictures, else None."""
    parent = SpaceObject.objects.filter(exercise_id=participant.exercise_id, pk=object_id).first()
    if parent is None:
        return None
    creators = set(parent.fragments.values_list("created_by_id", flat=True)) - {None}
    if parent.destroyed_at is None and not creators and not parent.fragments.exists():
        return None  # not a debris cloud
    if not participant.is_player:
        return parent
    released = Inject.objects.filter(exercise_id=participant.exercise_id, releases__team_id=participant.team_id).filter(
        Q(pk__in=creators) | Q(drafted_from_id__in=creators)
    )
    return parent if released.exists() else None


# ---------------------------------------------------------------------------------------------------------------
# Conjunctions


def elements_at_screening(space_object, screened_at, manoeuvres) -> MeanElements:
    """The object's orbit as it was when a conjunction was screened: its first manoeuvre committed after
    that moment kept the orbit before it (a superseded conjunction's pictures show the encounter it was)."""
    later = [m for m in manoeuvres if m.space_object_id == space_object.pk and m.committed_at > screened_at]
    if later:
        first = min(later, key=lambda m: m.committed_at)
        return MeanElements.from_dict({**first.elements_before, "object_name": space_object.name})
    return space_object.mean_elements()


def encounter_geometry(conjunction) -> orbit_charts.EncounterGeometry:
    return orbit_charts.encounter_geometry(
        conjunction.primary_state,
        conjunction.secondary_state,
        sigmas_m(conjunction.primary),
        sigmas_m(conjunction.secondary),
        conjunction.primary.hard_body_radius_m + conjunction.secondary.hard_body_radius_m,
    )


def tca_label(conjunction) -> str:
    return format_exercise_time(conjunction.exercise.exercise_time_of(conjunction.tca))


def miss_distance_data(conjunction, manoeuvres=None):
    """(times, distances in m) over TCA ± MISS_DISTANCE_MINUTES / 2, on the orbits as they were screened."""
    from exercises.orbits import screening

    if manoeuvres is None:
        manoeuvres = list(Manoeuvre.objects.filter(space_object__in=[conjunction.primary_id, conjunction.secondary_id]))
    primary = elements_at_screening(conjunction.primary, conjunction.screened_at, manoeuvres)
    secondary = elements_at_screening(conjunction.secondary, conjunction.screened_at, manoeuvres)
    return screening.miss_distance_series(
        primary, secondary, conjunction.tca, minutes=MISS_DISTANCE_MINUTES, step_seconds=MISS_DISTANCE_STEP_S
    )


def conjunction_picture(conjunction, picture: str, fmt: str = "svg", manoeuvres=None):
    """`conjunction` with its primary, secondary and exercise loaded; `manoeuvres` of its objects, if at hand."""
    names = {"primary": conjunction.primary.name, "secondary": conjunction.secondary.name}
    if picture == "encounter-plane":
        return orbit_charts.encounter_plane(
            encounter_geometry(conjunction), probability=conjunction.probability, fmt=fmt, **names
        )
    if picture == "miss-distance":
        times, distances = miss_distance_data(conjunction, manoeuvres)
        return orbit_charts.miss_distance_series(
            times, distances, conjunction.tca, tca_label=tca_label(conjunction), fmt=fmt, **names
        )
    raise ValueError(f"Unknown conjunction picture {picture!r}; use {' or '.join(CONJUNCTION_PICTURES)}.")


# ---------------------------------------------------------------------------------------------------------------
# Debris clouds


def debris_picture(parent, picture: str, fmt: str = "svg", fragments=None):
    """The debris cloud of `parent` (its fragments are the SpaceObjects whose parent it is)."""
    if fragments is None:
        fragments = list(SpaceObject.objects.filter(parent=parent))
    orbits = [fragment.mean_elements() for fragment in fragments]
    if picture == "gabbard":
        parent_orbit = parent.mean_elements()
        return orbit_charts.gabbard(
            [e.period_minutes for e in orbits],
            [e.apogee_km for e in orbits],
            [e.perigee_km for e in orbits],
            parent=parent.name,
            parent_point=(parent_orbit.period_minutes, parent_orbit.apogee_km, parent_orbit.perigee_km),
            fmt=fmt,
        )
    if picture == "altitudes":
        return orbit_charts.altitude_histogram(
            [(e.apogee_km + e.perigee_km) / 2 for e in orbits], parent=parent.name, fmt=fmt
        )
    raise ValueError(f"Unknown debris picture {picture!r}; use {' or '.join(DEBRIS_PICTURES)}.")


# ---------------------------------------------------------------------------------------------------------------
# The allied catalogue over the exercise


def catalogue_events(exercise: Exercise, allied_ids) -> list[orbit_charts.Event]:
    """The injects' due times and the current conjunctions' TCAs of allied objects, in exercise time."""
    events = [
        orbit_charts.Event(
            offset.total_seconds() / 60.0,
            gettext("Inject %(sequence)s") % {"sequence": sequence},
            "inject",
            str(sequence),
        )
        for sequence, offset in exercise.injects.order_by("offset", "sequence").values_list("sequence", "offset")
    ]
    conjunctions = Conjunction.objects.filter(
        exercise=exercise, superseded_at__isnull=True, primary_id__in=allied_ids
    ).values_list("tca", "primary__name", "secondary__name")
    for tca, primary, secondary in conjunctions:
        events.append(
            orbit_charts.Event(
                exercise.exercise_time_of(tca).total_seconds() / 60.0, f"TCA {primary} × {secondary}", "conjunction"
            )
        )
    return events


def catalogue_tracks(exercise: Exercise, allied: list, manoeuvres: list, end: timedelta):
    """Each allied object's geodetic altitude from STARTEX to `end`, on the orbit it had at each moment
    (before a committed burn, the orbit the burn replaced); NaN after its break-up."""
    from exercises.orbits import propagation

    step = max(end.total_seconds() / CATALOGUE_SAMPLES, 1.0)
    start, stop = exercise.orbit_epoch, exercise.orbit_epoch + end
    tracks = []
    for space_object in allied:
        burns = sorted((m for m in manoeuvres if m.space_object_id == space_object.pk), key=lambda m: m.burn_at)
        versions = [(m.burn_at, m.elements_before) for m in burns] + [(None, None)]
        times, altitudes = None, None
        for until, elements in versions:
            orbit = (
                MeanElements.from_dict({**elements, "object_name": space_object.name})
                if elements is not None
                else space_object.mean_elements()
            )
            times, _, _, alt = propagation.ground_track(orbit, start, stop, step)
            if altitudes is None:
                altitudes = np.full(len(times), np.nan)
            mask = np.isnan(altitudes) & np.array([until is None or t < until for t in times])
            altitudes[mask] = alt[mask]
        if space_object.destroyed_at is not None:
            altitudes[np.array([t >= space_object.destroyed_at for t in times])] = np.nan
        minutes = np.array([(t - start).total_seconds() / 60.0 for t in times])
        tracks.append(orbit_charts.AltitudeTrack(space_object.name, minutes, altitudes))
    return tracks


def catalogue_picture(exercise: Exercise, fmt: str = "svg"):
    """The allied objects' altitude over the exercise (STARTEX to after its last event), its events marked."""
    allied = list(
        SpaceObject.objects.filter(exercise=exercise, owner__isnull=False, parent__isnull=True).order_by("name")
    )
    events = catalogue_events(exercise, [obj.pk for obj in allied])
    last = max([e.minutes for e in events] + [exercise.exercise_time().total_seconds() / 60.0], default=0.0)
    end = min(max(timedelta(minutes=last * 1.1), MINIMUM_SPAN), timedelta(hours=SCREENING_HOURS))
    manoeuvres = list(Manoeuvre.objects.filter(exercise=exercise))
    tracks = catalogue_tracks(exercise, allied, manoeuvres, end)
    return orbit_charts.catalogue_altitudes(tracks, events, fmt=fmt)
