"""The MSEL timeline alone: the console and the evaluation page fetch it again as time passes."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from exercises import timeline as msel_timeline
from exercises.views.live import STAFF, participant_required


@require_GET
@participant_required(*STAFF)
def timeline(request, participant):
    return render(request, "exercises/_timeline.html", {"timeline": msel_timeline.timeline(participant.exercise)})
