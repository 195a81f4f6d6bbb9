"""The Combined Picture as a STIX 2.1 bundle: download (a team's, or the whole exercise for staff) and import."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from exercises import stix
from exercises.forms import StixImportForm
from exercises.models import Participant
from exercises.services import ServiceError, stix_import
from exercises.views.live import STAFF, participant_required
from exercises.views.sharing import _resolve_source, _sources

PLAYER = Participant.Role.PLAYER


@require_GET
@participant_required(PLAYER, *STAFF)
def export(request, participant):
    """A player: the team's Combined Picture (what the team may see); staff: the whole exercise."""
    exercise = participant.exercise
    team = participant.team_id if participant.is_player else None
    bundle = stix.bundle_for(exercise, team)
    response = HttpResponse(bundle.serialize(pretty=True), content_type="application/stix+json;version=2.1")
    name = f"exercise-{exercise.pk}-{(team or 'control').lower()}-combined-picture.stix.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@participant_required(PLAYER)
def import_bundle(request, participant):
    form = StixImportForm(
        request.POST or None, request.FILES or None, participant=participant, sources=_sources(participant)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            source = _resolve_source(participant, data["source"]) if data["source"] else None
            owners = frozenset({participant.team_id})
            marking = stix.Marking(
                data["classification"],
                data["releasability"],
                owners=owners,
                rel_to=frozenset(team.code for team in data["releasable_to"]),
            )
            try:
                stix_import.import_bundle(
                    exercise=participant.exercise,
                    participant=participant,
                    bundle_text=data["bundle"],
                    marking=marking,
                    recipients=list(data["recipients"]),
                    source=source,
                    downgrade_reason=data["downgrade_reason"],
                    downgrade_removed=data["downgrade_removed"],
                    via="upload",
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("team", participant.exercise_id)
    return render(
        request,
        "exercises/stix_import.html",
        {"form": form, "participant": participant, "exercise": participant.exercise},
        status=status,
    )
