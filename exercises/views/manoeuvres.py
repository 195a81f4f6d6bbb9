"""The team's manoeuvre planner: preview a burn ('plan-manoeuvre'), then commit it ('commit-manoeuvre').

Thin: the player's team comes from their participation; the conjunction must be one an inject released
to the team warned of (selectors.visible_conjunction), else 409 (superseded) or 404; services/manoeuvres.py
checks the burn. The preview hands the service the pair it checked, so visibility is checked once a request.
"""

import logging

from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import retarget
from django_ratelimit.decorators import ratelimit

from exercises import selectors
from exercises.forms_manoeuvres import ManoeuvreForm
from exercises.fragments import planner_context, planner_entry
from exercises.models import Participant
from exercises.services import ServiceError, manoeuvres
from exercises.views.live import DATABASE_DOWN, participant_required, submission_rate

logger = logging.getLogger(__name__)

PLANNER = "exercises/_manoeuvre_planner.html"


def _burn(participant, conjunction, form) -> dict:
    data = form.cleaned_data
    return {
        "participant": participant,
        "space_object": conjunction.primary,
        "conjunction": conjunction,
        "burn_at": data["burn_time"],
        "radial_m_s": data["radial_m_s"],
        "in_track_m_s": data["in_track_m_s"],
        "cross_track_m_s": data["cross_track_m_s"],
    }


def _refuse(form, error: ServiceError) -> None:
    """The service's refusal beside the field it names (the delta-v as a whole beside its three fields)."""
    field = getattr(error, "field", None)
    if field == "delta_v":
        form.delta_v_errors.append(error.message)
    else:
        form.add_error(field if field in form.fields else None, error.message)


SCREENED_AGAIN = _(
    "That conjunction was screened again after a burn, so its numbers have changed: plan against the current one."
)


def _visible(request, participant, conjunction_id):
    """(the conjunction, the inject that warned the team of it), or the refusal to send back instead: the
    planner as it is now (409) for one of the team's conjunctions that a screening superseded, else 404.
    A current conjunction is never superseded, so the superseded check runs only when this one fails."""
    seen = selectors.visible_conjunction(participant, conjunction_id)
    if seen is not None:
        return seen, None
    if (stale := _screened_again(request, participant, conjunction_id)) is not None:
        return None, stale
    raise Http404("No such conjunction for your team.")


def _screened_again(request, participant, conjunction_id):
    """The planner as it is now, for a form of one of the team's conjunctions that a screening superseded
    (another player's burn, a second click); None when the id is no such conjunction (then 404)."""
    if not selectors.superseded_team_conjunction(participant, conjunction_id):
        return None
    if not request.htmx:
        return render(request, "exercises/refused.html", {"message": SCREENED_AGAIN}, status=409)
    context = {**planner_context(participant), "planner_error": SCREENED_AGAIN}
    return retarget(render(request, f"{PLANNER}#planner", context, status=409), "#manoeuvre-planner")


@require_POST
@participant_required(Participant.Role.PLAYER)
def plan(request, participant, conjunction_id):
    """The outcome of the burn typed in the form (or the errors beside the fields); nothing is written."""
    seen, stale = _visible(request, participant, conjunction_id)
    if stale is not None:
        return stale
    conjunction, inject = seen
    form = ManoeuvreForm(request.POST, inject=inject)
    outcome, status = None, 200
    if form.is_valid():
        try:
            # The pair the view just checked: the service does not look it up again (one visibility check).
            outcome = manoeuvres.preview_burn(**_burn(participant, conjunction, form), seen=seen)
        except ServiceError as error:
            _refuse(form, error)
            status = error.status
    else:
        status = 400
    entry = planner_entry(participant.exercise, conjunction, inject, form, outcome)
    template = f"{PLANNER}#planner-form" if request.htmx else "exercises/manoeuvre.html"
    context = {"exercise": participant.exercise, "participant": participant, "entry": entry}
    return render(request, template, context, status=status)


@require_POST
@ratelimit(key="user_or_ip", rate=submission_rate, method="POST", block=True)
@participant_required(Participant.Role.PLAYER)
def commit(request, participant, conjunction_id):
    """Commit the burn; the planner comes back with the current conjunctions (the burn screened them again)."""
    seen, stale = _visible(request, participant, conjunction_id)
    if stale is not None:
        return stale
    conjunction, inject = seen
    form = ManoeuvreForm(request.POST, inject=inject)
    status = 400
    if form.is_valid():
        try:
            committed = manoeuvres.commit_burn(
                **_burn(participant, conjunction, form), protocol_steps=form.cleaned_data["protocol_steps"]
            )
        except ServiceError as error:
            _refuse(form, error)
            status = error.status
        except DatabaseError:
            logger.exception("Manoeuvre not committed: database error")
            form.add_error(None, DATABASE_DOWN)
            status = 503
        else:
            if not request.htmx:
                return redirect("team", participant.exercise_id)
            return render(request, f"{PLANNER}#planner", {**planner_context(participant), "committed": committed})
    entry = planner_entry(participant.exercise, conjunction, inject, form)
    if not request.htmx:
        context = {"exercise": participant.exercise, "participant": participant, "entry": entry}
        return render(request, "exercises/manoeuvre.html", context, status=status)
    context = planner_context(participant, replace={conjunction.pk: entry})
    if conjunction.pk not in {item["conjunction"].pk for item in context["planner"]}:
        context["planner_error"] = " ".join(form.non_field_errors()) or SCREENED_AGAIN  # not the team's own satellite
    return render(request, f"{PLANNER}#planner", context, status=status)
