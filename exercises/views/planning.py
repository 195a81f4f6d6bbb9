"""Planning: a new run of a scenario (who takes part in it: views/staffing.py)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from exercises.forms import PlanExerciseForm
from exercises.services import ServiceError
from exercises.services import exercises as exercise_services
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
