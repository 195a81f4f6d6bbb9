"""Thin views: authorize by role and team, call a selector or a service, render."""

import logging
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from exercises import fragments, selectors
from exercises.forms import MessageForm
from exercises.forms_assessments import StructuredResponseForm
from exercises.models import Participant
from exercises.services import ServiceError, acknowledgements, clock, messages, releases, responses

logger = logging.getLogger(__name__)

STAFF = {Participant.Role.FACILITATOR, Participant.Role.EVALUATOR}


def participant_required(*roles):
    """Resolve the user's participation in the URL's exercise; 404 if none, 403 if the wrong role."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, exercise_id, *args, **kwargs):
            participant = selectors.participation(request.user, exercise_id)
            if participant is None:
                raise Http404("No such exercise.")
            if participant.role not in roles:
                raise PermissionDenied(gettext("Your role in this exercise does not allow that."))
            return view(request, participant, *args, **kwargs)

        return wrapped

    return decorator


def rate_limited(request, exception):
    """django-ratelimit's answer when one user submits too fast (RATELIMIT_VIEW)."""
    return _refused(
        request, TooFast(gettext("You are sending too fast; wait a moment, then send again. Nothing was lost."))
    )


class TooFast(ServiceError):
    status = 429


def submission_rate(group, request) -> str:
    """How many responses or messages one user may send (settings.SUBMISSION_RATE, read per request)."""
    return settings.SUBMISSION_RATE


DATABASE_DOWN = _("The exercise database did not answer, so this was not saved. Your text is kept: send it again.")


def _refused(request, error: ServiceError):
    template = "exercises/fragments.html#notice" if request.htmx else "exercises/refused.html"
    return render(request, template, {"message": error.message}, status=error.status)


@require_GET
@login_required
def home(request):
    """Send each user where their role puts them; with several exercises, list them."""
    mine = selectors.participations(request.user)
    if not mine:
        if selectors.can_author_scenarios(request.user):
            return redirect("plan-exercise")
        raise PermissionDenied(gettext("You have no role in any exercise. Ask your facilitator to add you."))
    if len(mine) == 1:
        return redirect(landing_url(mine[0]))
    return render(request, "exercises/home.html", {"participations": [(p, landing_url(p)) for p in mine]})


def landing_url(participant: Participant) -> str:
    if participant.is_player:
        return reverse("team", args=[participant.exercise_id])
    return reverse("console", args=[participant.exercise_id])


@require_GET
@participant_required(*STAFF)
def console(request, participant):
    return render(request, "exercises/console.html", fragments.console_context(participant))


@require_GET
@participant_required(Participant.Role.PLAYER)
def team(request, participant):
    return render(
        request,
        "exercises/team.html",
        {**fragments.team_context(participant), **fragments.planner_context(participant)},
    )


@require_POST
@participant_required(Participant.Role.FACILITATOR)
def release_inject(request, participant, inject_id):
    inject = get_object_or_404(participant.exercise.injects, pk=inject_id)
    try:
        releases.release_inject(inject=inject, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    if request.htmx:
        return HttpResponse(status=204)  # the console's row updates over the websocket
    return redirect("console", participant.exercise_id)


@require_POST
@participant_required(Participant.Role.FACILITATOR)
def change_clock(request, participant, action):
    if action not in clock.ACTIONS:
        raise Http404("No such clock action.")
    try:
        clock.change_status(exercise=participant.exercise, action=action, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("console", participant.exercise_id)


def _submit(participant, inject, form, amends=None):
    """A valid response form, handed to the service (a first version, or an amendment)."""
    data = form.cleaned_data
    return responses.submit_response(
        participant=participant,
        inject=inject,
        kind=data["kind"],
        text=data["text"],
        protocol_steps=data["protocol_steps"],
        classification=data["classification"],
        releasability=data["releasability"],
        releasable_to=data.get("releasable_to") or [],
        amends=amends,
        assessment=form.assessment(),
    )


@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate=submission_rate, method="POST", block=True)
@participant_required(Participant.Role.PLAYER)
def respond(request, participant, inject_id):
    """GET: the response form (an inject card fetches it when the player opens "Respond"); POST: submit."""
    inject = selectors.visible_inject(participant, inject_id, related=["protocol_steps"])
    if inject is None:
        raise Http404("No such inject for your team.")
    teams = list(participant.exercise.teams.all())  # the REL TO choices: validated and rendered back
    status = 200
    if request.method == "GET":
        form = StructuredResponseForm(inject=inject, teams=teams)
    elif (form := StructuredResponseForm(request.POST, inject=inject, teams=teams)).is_valid():
        try:
            _submit(participant, inject, form)
        except ServiceError as error:
            form.add_error(None, error.message)
            status = error.status
        except DatabaseError:
            logger.exception("Response not saved: database error")
            form.add_error(None, DATABASE_DOWN)
            status = 503
        else:
            if not request.htmx:
                return redirect("team", participant.exercise_id)
            return render(
                request,
                "exercises/fragments.html#response-form",
                {
                    "inject": inject,
                    "form": StructuredResponseForm(inject=inject, teams=teams),
                    "exercise_teams": teams,
                    "recorded": True,
                },
            )
    else:
        status = 400
    # The blank form, or what the player typed with the errors beside the fields.
    template = "exercises/fragments.html#response-form" if request.htmx else "exercises/respond.html"
    context = {"inject": inject, "form": form, "participant": participant, "exercise_teams": teams}
    return render(request, template, context, status=status)


@require_POST
@participant_required(Participant.Role.PLAYER)
def acknowledge(request, participant, inject_id):
    inject = selectors.visible_inject(participant, inject_id)
    if inject is None:
        raise Http404("No such inject for your team.")
    try:
        ack = acknowledgements.acknowledge(participant=participant, inject=inject, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    if not request.htmx:
        return redirect("team", participant.exercise_id)
    return render(request, "exercises/fragments.html#acknowledgement", {"inject": inject, "ack": ack})


@require_POST
@ratelimit(key="user_or_ip", rate=submission_rate, method="POST", block=True)
@participant_required(Participant.Role.PLAYER, Participant.Role.FACILITATOR)
def send_message(request, participant):
    form = MessageForm(request.POST, exercise=participant.exercise)
    context = {"exercise": participant.exercise, "participant": participant}
    if not form.is_valid():
        context.update(text=request.POST.get("text", ""), to=request.POST.get("to", ""), error=form.error_text())
        return render(request, "exercises/fragments.html#message-form", context, status=400)
    try:
        messages.send_message(
            participant=participant, text=form.cleaned_data["text"], to_team=form.cleaned_data.get("to")
        )
    except ServiceError as error:
        context.update(text=form.cleaned_data["text"], error=error.message)
        return render(request, "exercises/fragments.html#message-form", context, status=error.status)
    except DatabaseError:
        logger.exception("Message not saved: database error")
        context.update(text=form.cleaned_data["text"], error=DATABASE_DOWN)
        return render(request, "exercises/fragments.html#message-form", context, status=503)
    if not request.htmx:
        return redirect(landing_url(participant))
    return render(request, "exercises/fragments.html#message-form", {**context, "sent": True})


@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate=submission_rate, method="POST", block=True)
@participant_required(Participant.Role.PLAYER)
def amend(request, participant, response_id):
    """A new version of one of the team's responses; the submitted one stays as it was."""
    original = selectors.responses(participant).filter(pk=response_id).first()
    if original is None:
        raise Http404("No such response of your team.")
    inject = original.inject
    initial = {
        "kind": original.kind,
        "text": original.text,
        "classification": original.classification,
        "releasability": original.releasability,
        "protocol_steps": [step.code for step in original.protocol_steps.all()],
        "releasable_to": [team.code for team in original.releasable_to.all()],
        **{name: getattr(original, name) for name in responses.ASSESSMENT_FIELDS},
    }
    form = StructuredResponseForm(request.POST or None, inject=inject, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _submit(participant, inject, form, amends=original)
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            except DatabaseError:
                logger.exception("Amendment not saved: database error")
                form.add_error(None, DATABASE_DOWN)
                status = 503
            else:
                return redirect("team", participant.exercise_id)
        else:
            status = 400
    return render(
        request,
        "exercises/amend.html",
        {"form": form, "original": original, "participant": participant, "exercise": participant.exercise},
        status=status,
    )
