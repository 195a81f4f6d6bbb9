"""The after-action report in the browser, its downloads, and the improvement plan editor."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exercises.forms import ImprovementItemForm
from exercises.reports import documents
from exercises.reports.data import build_report
from exercises.reports.exports import FORMATS, export, filename
from exercises.services import ServiceError, improvement_plan
from exercises.views.live import STAFF, _refused, participant_required


@require_GET
@participant_required(*STAFF)
def report(request, participant):
    html = documents.html(build_report(participant.exercise), can_edit_plan=True)
    return HttpResponse(html)


@require_GET
@participant_required(*STAFF)
def download(request, participant, fmt):
    if fmt not in FORMATS:
        raise Http404("No such format.")
    content_type, _ = FORMATS[fmt]
    response = HttpResponse(export(participant.exercise, fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(participant.exercise, fmt)}"'
    return response


@require_http_methods(["GET", "POST"])
@participant_required(*STAFF)
def plan(request, participant):
    exercise = participant.exercise
    form = ImprovementItemForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                improvement_plan.add_item(participant=participant, **form.cleaned_data)
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("improvement-plan", exercise.pk)
        else:
            status = 400
    items = exercise.improvement_plan.select_related("core_capability")
    return render(
        request,
        "exercises/improvement_plan.html",
        {"exercise": exercise, "form": form, "items": items, "participant": participant},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@participant_required(*STAFF)
def edit_item(request, participant, item_id):
    item = get_object_or_404(participant.exercise.improvement_plan, pk=item_id)
    form = ImprovementItemForm(request.POST or None, instance=item)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            improvement_plan.change_item(participant=participant, item=item, **form.cleaned_data)
            return redirect("improvement-plan", participant.exercise_id)
        status = 400
    return render(
        request,
        "exercises/improvement_item.html",
        {"exercise": participant.exercise, "form": form, "item": item},
        status=status,
    )


@require_POST
@participant_required(*STAFF)
def delete_item(request, participant, item_id):
    item = get_object_or_404(participant.exercise.improvement_plan, pk=item_id)
    try:
        improvement_plan.delete_item(participant=participant, item=item)
    except ServiceError as error:
        return _refused(request, error)
    return redirect("improvement-plan", participant.exercise_id)
