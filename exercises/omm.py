"""A catalogue object's CCSDS Orbit Mean-elements Message (CCSDS 502.0-B-3), as a space-surveillance
partner publishes one: the object's current SGP4 mean elements in the exercise (a committed manoeuvre
replaced them, so the OMM after a burn is the new orbit), originator EXERCISE CONTROL, one element set
per orbit the object has flown (1, then one more per committed burn), written by exercises.orbits.messages
through ccsds-ndm. Its creation date is the scenario world's "now" (the orbit epoch plus the exercise time).
"""

from django.utils import translation

from exercises.cdm import ORIGINATOR
from exercises.models import Exercise, SpaceObject

FORMATS = {"kvn": "text/plain; charset=utf-8", "xml": "application/xml; charset=utf-8"}


def element_set_number(space_object: SpaceObject) -> int:
    """1 for the scenario's orbit, then one more for each burn committed since (ELEMENT_SET_NO)."""
    return 1 + space_object.manoeuvres.count()


def message_id(exercise: Exercise, space_object: SpaceObject, element_set: int) -> str:
    return f"OMM-EX{exercise.pk}-OBJ{space_object.pk}-ES{element_set}"


def filename(exercise: Exercise, space_object: SpaceObject, fmt: str) -> str:
    name = "".join(c if c.isalnum() else "-" for c in space_object.name.lower()).strip("-")
    return f"omm-exercise-{exercise.pk}-{name or space_object.pk}.{fmt}"


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def object_omm(exercise: Exercise, space_object: SpaceObject, fmt: str) -> str:
    """The object's current mean elements as an OMM in KVN or NDM/XML."""
    from exercises.orbits.messages import omm_kvn, omm_xml

    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    element_set = element_set_number(space_object)
    write = omm_kvn if fmt == "kvn" else omm_xml
    return write(
        space_object.mean_elements(),
        ORIGINATOR,
        creation_date=exercise.orbit_time(exercise.exercise_time()),
        message_id=message_id(exercise, space_object, element_set),
        element_set_no=element_set,
    )
