"""Planning: a new run of a scenario, and who takes part in it."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from exercises.forms import ParticipantForm, PlanExerciseForm
from exercises.models import Participant
from exercises.services import ServiceError
from exercises.services import exercises as exercise_services
from exercises.views.live import _refused, participant_required
from exercises.views.scenarios import planner_required


@require_http_methods(["GET", "POST"])
@planner_required
def plan(request):
    form = PlanExerciseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                exercise = exercise_services.plan_exercise(by=request.user, **form.cleaned_data)
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("participants", exercise.pk)
        else:
            status = 400
    return render(request, "exercises/plan.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@participant_required(Participant.Role.FACILITATOR)
def participants(request, participant):
    exercise = participant.exercise
    form = ParticipantForm(request.POST or None, exercise=exercise)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                exercise_services.add_participant(
                    exercise=exercise,
                    user=form.cleaned_data["username"],
                    role=form.cleaned_data["role"],
                    team=form.cleaned_data["team"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("participants", exercise.pk)
        else:
            status = 400
    people = exercise.participants.select_related("user", "team").order_by("role", "team__order", "user__username")
    return render(
        request, "exercises/participants.html", {"exercise": exercise, "form": form, "people": people}, status=status
    )


@require_POST
@participant_required(Participant.Role.FACILITATOR)
def remove(request, participant, participant_id):
    other = get_object_or_404(participant.exercise.participants.select_related("user", "exercise"), pk=participant_id)
    try:
        exercise_services.remove_participant(participant=other, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    return redirect("participants", participant.exercise_id)
