"""The facilitator's answer to an ASAT test's drafted injects: discard one (release and edit are the MSEL's own)."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from exercises.models import Participant
from exercises.services import debris
from exercises.views.control import _run
from exercises.views.live import participant_required


@require_POST
@participant_required(Participant.Role.FACILITATOR)
def discard_draft(request, participant, inject_id):
    inject = get_object_or_404(participant.exercise.injects, pk=inject_id)
    return _run(request, participant, lambda: debris.discard_draft(inject=inject, by=request.user))
