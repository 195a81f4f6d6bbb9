"""The orbit pictures as SVG images: a conjunction's, a debris cloud's, the allied catalogue's.

Thin: authorize (exercises/pictures.py decides who may see which picture), let it compute and draw, serve.
"""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from exercises import pictures
from exercises.models import Participant
from exercises.views.live import STAFF, participant_required

EVERY_ROLE = (Participant.Role.FACILITATOR, Participant.Role.EVALUATOR, Participant.Role.PLAYER)
CACHE_SECONDS = 60  # a picture changes only when the catalogue is screened again


def _svg(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return response


@require_GET
@participant_required(*EVERY_ROLE)
def conjunction_picture(request, participant, conjunction_id, picture):
    if picture not in pictures.CONJUNCTION_PICTURES:
        raise Http404("No such picture.")
    conjunction = pictures.visible_conjunction(participant, conjunction_id)
    if conjunction is None:
        raise Http404("No such conjunction.")
    return _svg(pictures.conjunction_picture(conjunction, picture))


@require_GET
@participant_required(*EVERY_ROLE)
def debris_picture(request, participant, object_id, picture):
    if picture not in pictures.DEBRIS_PICTURES:
        raise Http404("No such picture.")
    parent = pictures.visible_debris_parent(participant, object_id)
    if parent is None:
        raise Http404("No such debris cloud.")
    return _svg(pictures.debris_picture(parent, picture))


@require_GET
@participant_required(*STAFF)
def catalogue_picture(request, participant):
    if participant.exercise.orbit_epoch is None:
        raise Http404("This exercise has no space catalogue.")
    return _svg(pictures.catalogue_picture(participant.exercise))
