"""Allied information sharing: share an assessment, acknowledge and comment on the Combined Picture."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from exercises import conjunction_text, selectors
from exercises.forms import ShareForm
from exercises.models import Participant, Response, SharedAssessment
from exercises.services import ServiceError, sharing
from exercises.views.live import _refused, participant_required

PLAYER = Participant.Role.PLAYER


def _sources(participant):
    """What the team may share from: injects it received and its own responses (via the one visibility rule)."""
    choices = [
        (
            f"inject:{release.inject_id}",
            gettext("Inject %(sequence)s: %(title)s")
            % {"sequence": release.inject.sequence, "title": release.inject.title},
        )
        for release in selectors.releases(participant)
    ]
    choices += [
        (
            f"response:{response.pk}",
            gettext("Our response at %(time)s: %(text)s")
            % {"time": response.exercise_time, "text": response.text[:60]},
        )
        for response in selectors.responses(participant)
    ]
    return choices


def _resolve_source(participant, value: str):
    kind, _, pk = value.partition(":")
    if kind == "inject":
        return selectors.visible_inject(participant, pk)
    if kind == "response":
        return selectors.visible_to(participant, Response.objects.filter(pk=pk)).first()
    return None


@require_http_methods(["GET", "POST"])
@participant_required(PLAYER)
def share(request, participant):
    sources = _sources(participant)
    initial = {}
    if "inject" in request.GET:
        initial["source"] = f"inject:{request.GET['inject']}"
    if "response" in request.GET:
        initial["source"] = f"response:{request.GET['response']}"
    source = _resolve_source(participant, request.POST.get("source") or initial.get("source", ""))
    if initial.get("source") and source is None:
        raise Http404("No such item for your team.")
    conjunction = selectors.source_conjunction(source) if source is not None else None
    form = ShareForm(
        request.POST or None, participant=participant, sources=sources, initial=initial, conjunction=conjunction
    )
    if source is not None and request.method == "GET":
        form.initial.update(
            classification=source.classification,
            releasability=source.releasability,
            releasable_to=list(source.releasable_to.values_list("code", flat=True)),
        )
    status = 200
    if request.method == "POST":
        if form.is_valid() and source is not None:
            data = form.cleaned_data
            try:
                sharing.share_assessment(
                    participant=participant,
                    source=source,
                    title=data["title"],
                    text=data["text"],
                    recipients=data["recipients"],
                    classification=data["classification"],
                    releasability=data["releasability"],
                    releasable_to=data["releasable_to"],
                    downgrade_reason=data["downgrade_reason"],
                    downgrade_removed=data["downgrade_removed"],
                    attach_cdm=data.get("attach_cdm", False),
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("team", participant.exercise_id)
        else:
            status = 400
    return render(
        request,
        "exercises/share.html",
        {
            "form": form,
            "source": source,
            "source_text": conjunction_text.text_of(source) if source is not None else "",
            "participant": participant,
            "exercise": participant.exercise,
        },
        status=status,
    )


def _assessment(participant, assessment_id):
    assessment = selectors.visible_to(participant, SharedAssessment.objects.filter(pk=assessment_id)).first()
    if assessment is None:
        raise Http404("No such assessment for your team.")
    return assessment


@require_POST
@participant_required(PLAYER)
def acknowledge(request, participant, assessment_id):
    assessment = _assessment(participant, assessment_id)
    try:
        sharing.acknowledge_assessment(participant=participant, assessment=assessment)
    except ServiceError as error:
        return _refused(request, error)
    return HttpResponse(status=204) if request.htmx else redirect("team", participant.exercise_id)


@require_POST
@participant_required(PLAYER)
def comment(request, participant, assessment_id):
    assessment = _assessment(participant, assessment_id)
    text = request.POST.get("text", "").strip()
    if not text or len(text) > 4000:
        return _refused(request, ServiceError(gettext("Write a comment of up to 4000 characters.")))
    try:
        sharing.comment_on_assessment(participant=participant, assessment=assessment, text=text)
    except ServiceError as error:
        return _refused(request, error)
    return HttpResponse(status=204) if request.htmx else redirect("team", participant.exercise_id)
