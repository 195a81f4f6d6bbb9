"""The facilitator's controls during an exercise: clock speed and jumps, hold, delay, edit, ad-hoc injects."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exercises import fragments
from exercises.forms import AdhocInjectForm, DelayForm, InjectForm, JumpForm, SpeedForm
from exercises.models import Participant
from exercises.services import ServiceError, clock, injects
from exercises.views.live import STAFF, _refused, participant_required

FACILITATOR = Participant.Role.FACILITATOR


def _done(request, participant):
    """htmx: 204, the console updates over its socket. Plain POST: back to the console."""
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("console", participant.exercise_id)


def _invalid(request, form):
    return _refused(request, ServiceError(form.error_text()))


def _run(request, participant, write):
    try:
        write()
    except ServiceError as error:
        return _refused(request, error)
    return _done(request, participant)


@require_POST
@participant_required(FACILITATOR)
def set_speed(request, participant):
    form = SpeedForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    return _run(
        request,
        participant,
        lambda: clock.set_speed(exercise=participant.exercise, speed=form.cleaned_data["speed"], by=request.user),
    )


@require_POST
@participant_required(FACILITATOR)
def jump(request, participant):
    form = JumpForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    return _run(
        request,
        participant,
        lambda: clock.jump_to(
            exercise=participant.exercise, exercise_time=form.cleaned_data["exercise_time"], by=request.user
        ),
    )


@require_POST
@participant_required(FACILITATOR)
def hold(request, participant, inject_id):
    inject = get_object_or_404(participant.exercise.injects, pk=inject_id)
    held = request.POST.get("held", "1") == "1"
    return _run(request, participant, lambda: injects.set_hold(inject=inject, held=held, by=request.user))


@require_POST
@participant_required(FACILITATOR)
def delay(request, participant, inject_id):
    inject = get_object_or_404(participant.exercise.injects, pk=inject_id)
    form = DelayForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    return _run(
        request,
        participant,
        lambda: injects.delay(inject=inject, minutes=form.cleaned_data["minutes"], by=request.user),
    )


@require_http_methods(["GET", "POST"])
@participant_required(FACILITATOR)
def edit(request, participant, inject_id):
    inject = get_object_or_404(participant.exercise.injects, pk=inject_id)
    form = InjectForm(request.POST or None, instance=inject, exercise=participant.exercise)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                injects.edit(
                    inject=inject,
                    by=request.user,
                    teams=data.pop("teams"),
                    protocol_steps=data.pop("protocol_steps"),
                    techniques=data.pop("techniques"),
                    **data,
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("console", participant.exercise_id)
        else:
            status = 400
    return render(
        request,
        "exercises/edit_inject.html",
        {"form": form, "inject": inject, "exercise": participant.exercise},
        status=status,
    )


@require_POST
@participant_required(FACILITATOR)
def compose(request, participant):
    form = AdhocInjectForm(request.POST, exercise=participant.exercise)
    if not form.is_valid():
        return _invalid(request, form)
    data = form.cleaned_data
    return _run(
        request,
        participant,
        lambda: injects.compose_adhoc(
            exercise=participant.exercise,
            by=request.user,
            kind=data["kind"],
            title=data["title"],
            text=data["text"],
            teams=data["teams"],
            addressed_to_all=data["addressed_to_all"],
        ),
    )


@require_GET
@participant_required(*STAFF)
def delivery(request, participant):
    """The delivery matrix alone: the console refreshes it as time makes injects late."""
    return render(request, "exercises/fragments.html#delivery", fragments.delivery_context(participant.exercise))
