"""Evaluation: observations, adjudication of claimed steps, P/S/M/U ratings; the hot wash."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exercises import selectors
from exercises import timeline as msel_timeline
from exercises.evaluation import suggest_rating
from exercises.forms import AdjudicationForm, FeedbackForm, ObservationForm, RatingForm
from exercises.models import Adjudication, Feedback, Observation, Participant, Rating
from exercises.services import ServiceError, evaluation, feedback
from exercises.views.live import STAFF, _refused, participant_required


def _evaluation_context(participant, **extra):
    exercise = participant.exercise
    teams = list(exercise.teams.all())
    objectives = list(exercise.objectives.select_related("core_capability"))
    ratings = {(r.team_id, r.objective_id): r for r in Rating.objects.filter(exercise=exercise)}
    grid = [
        (
            objective,
            [
                (team, suggest_rating(exercise, team.code, objective), ratings.get((team.code, objective.pk)))
                for team in teams
            ],
        )
        for objective in objectives
    ]
    verdicts = {
        (a.response_id, a.protocol_step_id): a for a in Adjudication.objects.filter(response__exercise=exercise)
    }
    claims = [
        (response, [(step, verdicts.get((response.pk, step.code))) for step in response.protocol_steps.all()])
        for response in selectors.responses(participant).order_by("exercise_time")
        if response.protocol_steps.all()
    ]
    return {
        "exercise": exercise,
        "participant": participant,
        "teams": teams,
        "grid": grid,
        "claims": claims,
        "observations": Observation.objects.filter(exercise=exercise).select_related(
            "team", "inject", "protocol_step", "objective", "by"
        ),
        "observation_form": ObservationForm(exercise=exercise),
        "scale": Rating.Scale.choices,
        "verdicts": Adjudication.Verdict.choices,
        "timeline": msel_timeline.timeline(exercise),
        **_coalition_context(exercise),
        **extra,
    }


def _coalition_context(exercise) -> dict:
    """The coalition analytics and their charts (templates/reports/_coalition.html), as the report shows them."""
    from exercises.coalition import coalition_report
    from exercises.reports.documents import coalition_svgs

    coalition = coalition_report(exercise)
    return {"coalition": coalition, "coalition_charts": coalition_svgs(coalition)}


@require_GET
@participant_required(*STAFF)
def evaluation_page(request, participant):
    return render(request, "exercises/evaluation.html", _evaluation_context(participant))


def _post(request, participant, form, write):
    if not form.is_valid():
        return _refused(request, ServiceError(form.error_text()))
    try:
        write(form.cleaned_data)
    except ServiceError as error:
        return _refused(request, error)
    return redirect("evaluation", participant.exercise_id)


@require_POST
@participant_required(*STAFF)
def observe(request, participant):
    return _post(
        request,
        participant,
        ObservationForm(request.POST, exercise=participant.exercise),
        lambda data: evaluation.record_observation(participant=participant, **data),
    )


@require_POST
@participant_required(*STAFF)
def adjudicate(request, participant):
    return _post(
        request,
        participant,
        AdjudicationForm(request.POST, exercise=participant.exercise),
        lambda data: evaluation.adjudicate(participant=participant, **data),
    )


@require_POST
@participant_required(*STAFF)
def rate(request, participant):
    return _post(
        request,
        participant,
        RatingForm(request.POST, exercise=participant.exercise),
        lambda data: evaluation.rate_team(participant=participant, **data),
    )


@require_http_methods(["GET", "POST"])
@participant_required(Participant.Role.PLAYER)
def feedback_form(request, participant):
    exercise = participant.exercise
    already = Feedback.objects.filter(exercise=exercise, user=request.user).exists()
    form = FeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                feedback.submit_feedback(
                    participant=participant,
                    strengths=form.cleaned_data["strengths"],
                    improvements=form.cleaned_data["improvements"],
                    corrective_actions=form.corrective_actions(),
                    ratings=form.ratings(),
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("feedback", exercise.pk)
        else:
            status = 400
    return render(
        request,
        "exercises/feedback.html",
        {"form": form, "exercise": exercise, "participant": participant, "already": already},
        status=status,
    )


@require_GET
@participant_required(*STAFF)
def hot_wash(request, participant):
    return render(
        request,
        "exercises/hot_wash.html",
        {"exercise": participant.exercise, "hot_wash": selectors.hot_wash(participant.exercise)},
    )
