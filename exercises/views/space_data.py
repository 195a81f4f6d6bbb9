"""Space data out: the catalogue's OMMs ('object-omm'), a screened conjunction's CDM ('conjunction-cdm') and
the catalogue panel that lists them ('exercise-catalogue').

Thin: who may download what is the selectors' (visible_objects, cdm_conjunction, cdm_conjunctions): staff
any object and conjunction of the exercise; a team the objects it may see and the conjunctions it was warned
of or that a shared assessment it may see carries. Anything else is 404, as if it did not exist.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exercises import cdm, omm, selectors
from exercises.models import Participant
from exercises.views.live import participant_required

EVERY_ROLE = (Participant.Role.FACILITATOR, Participant.Role.EVALUATOR, Participant.Role.PLAYER)
PANEL = "exercises/_space_data.html#catalogue-panel"


def _download(text: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@participant_required(*EVERY_ROLE)
def object_omm(request, participant, object_id, fmt):
    """A catalogue object's OMM (its current elements): staff any object; a team the objects it may see."""
    if fmt not in omm.FORMATS:
        raise Http404("No such format: an OMM comes as kvn or xml.")
    space_object = selectors.visible_object(participant, object_id)
    if space_object is None:
        raise Http404("No such object in your catalogue.")
    exercise = participant.exercise
    return _download(
        omm.object_omm(exercise, space_object, fmt), omm.FORMATS[fmt], omm.filename(exercise, space_object, fmt)
    )


@require_GET
@participant_required(*EVERY_ROLE)
def conjunction_cdm(request, participant, conjunction_id, fmt):
    """A screened conjunction's CDM: staff any of the exercise's; a team one an inject released to it warned
    it of, or one it shared or an ally shared with it."""
    if fmt not in cdm.FORMATS:
        raise Http404("No such format: a CDM comes as kvn or xml.")
    conjunction = selectors.cdm_conjunction(participant, conjunction_id)
    if conjunction is None:
        raise Http404("No such conjunction for you.")
    exercise = participant.exercise
    return _download(
        cdm.conjunction_cdm(exercise, conjunction, fmt),
        cdm.FORMATS[fmt],
        cdm.conjunction_filename(exercise, conjunction, fmt),
    )


@require_GET
@participant_required(*EVERY_ROLE)
def catalogue(request, participant):
    """The objects and conjunctions the participant may download the OMMs and CDMs of: the console's and the
    team page's panel (htmx), or a page of its own."""
    exercise = participant.exercise
    context = {
        "exercise": exercise,
        "participant": participant,
        "space_objects": [(obj, obj.mean_elements()) for obj in selectors.visible_objects(participant)],
        "conjunctions": [
            (conjunction, exercise.exercise_time_of(conjunction.tca))
            for conjunction in selectors.cdm_conjunctions(participant)
        ],
    }
    return render(request, PANEL if request.htmx else "exercises/catalogue.html", context)
