"""A conjunction inject's CCSDS Conjunction Data Message, for whoever may see the inject."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exercises import cdm, selectors
from exercises.models import Participant
from exercises.views.live import participant_required


@require_GET
@participant_required(Participant.Role.FACILITATOR, Participant.Role.EVALUATOR, Participant.Role.PLAYER)
def inject_cdm(request, participant, inject_id, fmt):
    """Staff: any inject of the exercise; a player: only an inject released to their team."""
    if fmt not in cdm.FORMATS:
        raise Http404("No such format: a CDM comes as kvn or xml.")
    inject = selectors.visible_inject(participant, inject_id, related=())
    if inject is None:
        raise Http404("No such inject.")
    try:
        text = cdm.inject_cdm(inject, fmt)
    except cdm.NoConjunction as error:
        return render(request, "exercises/refused.html", {"message": str(error)}, status=404)
    response = HttpResponse(text, content_type=cdm.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{cdm.filename(participant.exercise, inject, fmt)}"'
    return response
