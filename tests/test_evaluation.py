"""Evaluation: observations, adjudication, P/S/M/U ratings with suggestions; the hot wash."""

from datetime import timedelta

import pytest
from django.urls import reverse

from exercises.evaluation import rate, suggest_rating
from exercises.models import Adjudication, AuditEvent, Feedback, Observation, ProtocolStep, Rating, Response
from exercises.services import Conflict, ServiceError
from exercises.services.clock import change_status
from exercises.services.evaluation import adjudicate, rate_team, record_observation
from exercises.services.feedback import submit_feedback
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.test_access import PERSONAS, check, login_as


@pytest.mark.parametrize(
    "coverage, timeliness, expected",
    [
        (1.0, 1.0, "P"),
        (0.9, 0.8, "P"),
        (0.95, 0.7, "S"),
        (0.7, 0.5, "S"),
        (0.69, 1.0, "M"),
        (0.4, 0.0, "M"),
        (0.39, 1.0, "U"),
        (0.0, 0.0, "U"),
    ],
)
def test_the_rating_rules(coverage, timeliness, expected):
    assert rate(coverage, timeliness) == expected


@pytest.fixture
def objective_run(running):
    """Inject 1 (USA; steps CONJ-1 and CONJ-2) serves objective OBJ-1; USA responds."""
    exercise = running.exercise
    from exercises.models import CoreCapability, Objective

    objective = Objective.objects.create(
        exercise=exercise, code="OBJ-1", text="Assess and notify", core_capability=CoreCapability.objects.first()
    )
    running.usa_only.objectives.set([objective])
    release_inject(inject=running.usa_only, by=running.facilitator)
    running.objective = objective
    running.usa = exercise.participants.select_related("exercise").get(team_id="USA")
    return running


def claim(run, codes, minutes_after_release):
    response = submit_response(
        participant=run.usa,
        inject=run.usa_only,
        kind="action",
        text="Done",
        protocol_steps=ProtocolStep.objects.filter(code__in=codes),
    )
    release = run.usa_only.releases.get(team_id="USA")
    Response.objects.filter(pk=response.pk).update(
        exercise_time=release.exercise_time + timedelta(minutes=minutes_after_release)
    )
    return response


def test_no_expected_step_means_no_suggestion(objective_run):
    assert suggest_rating(objective_run.exercise, "GBR", objective_run.objective).rating == ""


def test_full_coverage_on_time_suggests_p(objective_run):
    claim(objective_run, ["CONJ-1", "CONJ-2"], minutes_after_release=1)
    suggestion = suggest_rating(objective_run.exercise, "USA", objective_run.objective)
    assert (suggestion.rating, suggestion.coverage, suggestion.timeliness, suggestion.expected) == ("P", 1.0, 1.0, 2)


def test_late_claims_lower_the_suggestion(objective_run):
    late = max(ProtocolStep.objects.filter(code__in=["CONJ-1", "CONJ-2"]).values_list("expected_minutes", flat=True))
    claim(objective_run, ["CONJ-1", "CONJ-2"], minutes_after_release=late + 5)
    suggestion = suggest_rating(objective_run.exercise, "USA", objective_run.objective)
    assert (suggestion.coverage, suggestion.timeliness, suggestion.rating) == (1.0, 0.0, "M")


def test_adjudication_counts_not_met_as_nothing_and_partial_as_half(objective_run):
    response = claim(objective_run, ["CONJ-1", "CONJ-2"], minutes_after_release=1)
    facilitator = objective_run.exercise.participants.get(user=objective_run.facilitator)
    adjudicate(
        participant=facilitator,
        response=response,
        protocol_step=ProtocolStep.objects.get(code="CONJ-1"),
        verdict="not_met",
        note="No data was actually assessed",
    )
    adjudicate(
        participant=facilitator,
        response=response,
        protocol_step=ProtocolStep.objects.get(code="CONJ-2"),
        verdict="partial",
    )
    suggestion = suggest_rating(objective_run.exercise, "USA", objective_run.objective)
    assert suggestion.coverage == 0.25 and suggestion.rating == "U"
    adjudicate(
        participant=facilitator, response=response, protocol_step=ProtocolStep.objects.get(code="CONJ-1"), verdict="met"
    )
    assert Adjudication.objects.count() == 2, "a later verdict replaces the earlier one"
    assert AuditEvent.objects.filter(kind="step.adjudicated").count() == 3, "every verdict is journaled"


def test_a_step_that_was_not_claimed_cannot_be_adjudicated(objective_run):
    response = claim(objective_run, ["CONJ-1"], minutes_after_release=1)
    evaluator = objective_run.exercise.participants.get(user=objective_run.evaluator)
    with pytest.raises(ServiceError, match="did not claim CONJ-2"):
        adjudicate(
            participant=evaluator,
            response=response,
            protocol_step=ProtocolStep.objects.get(code="CONJ-2"),
            verdict="met",
        )


def test_the_evaluators_rating_and_the_suggestion_are_both_kept(objective_run):
    claim(objective_run, ["CONJ-1", "CONJ-2"], minutes_after_release=1)
    evaluator = objective_run.exercise.participants.get(user=objective_run.evaluator)
    rating = rate_team(
        participant=evaluator,
        team=objective_run.usa.team,
        objective=objective_run.objective,
        rating="S",
        explanation="Notified late by voice, not through the CSPOC.",
    )
    assert (rating.rating, rating.suggested, rating.overridden) == ("S", "P", True)
    rate_team(
        participant=evaluator,
        team=objective_run.usa.team,
        objective=objective_run.objective,
        rating="P",
        explanation="On review, fine.",
    )
    assert Rating.objects.count() == 1 and Rating.objects.get().rating == "P"
    with pytest.raises(ServiceError, match="Explain the rating"):
        rate_team(
            participant=evaluator,
            team=objective_run.usa.team,
            objective=objective_run.objective,
            rating="P",
            explanation=" ",
        )


def test_observations_are_tied_to_what_they_are_about(objective_run, client):
    client.force_login(objective_run.evaluator)
    reply = client.post(
        reverse("observe", args=[objective_run.exercise.pk]),
        {
            "kind": "improvement",
            "text": "USA did not share the CDM with allies.",
            "team": "USA",
            "inject": objective_run.usa_only.pk,
            "protocol_step": "CONJ-2",
            "objective": objective_run.objective.pk,
        },
    )
    assert reply.status_code == 302
    observation = Observation.objects.get()
    assert (observation.team_id, observation.protocol_step_id, observation.objective) == (
        "USA",
        "CONJ-2",
        objective_run.objective,
    )
    page = client.get(reverse("evaluation", args=[objective_run.exercise.pk])).content.decode()
    assert "USA did not share the CDM" in page


def test_players_cannot_evaluate(objective_run):
    with pytest.raises(ServiceError):
        record_observation(participant=objective_run.usa, kind="strength", text="We were great")


STAFF_PAGE = {
    "facilitator": 200,
    "evaluator": 200,
    "usa_player": 403,
    "gbr_player": 403,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}
PLAYER_PAGE = {
    "facilitator": 403,
    "evaluator": 403,
    "usa_player": 200,
    "gbr_player": 200,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(
    "name, table",
    [
        ("evaluation", STAFF_PAGE),
        ("hot-wash", STAFF_PAGE),
        ("feedback", PLAYER_PAGE),
        ("share-assessment", PLAYER_PAGE),
    ],
)
def test_evaluation_and_sharing_pages_by_persona(client, running, who, name, table):
    login_as(client, running, who)
    check(client.get(reverse(name, args=[running.exercise.pk])), table[who])


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("name", ["observe", "adjudicate", "rate-team"])
def test_evaluation_posts_by_persona(client, running, who, name):
    login_as(client, running, who)
    expected = {**STAFF_PAGE, "facilitator": 400, "evaluator": 400}  # empty forms: refused with a message
    check(client.post(reverse(name, args=[running.exercise.pk]), {}), expected[who])


# Hot wash ----------------------------------------------------------------------------------


def feedback_data(**overrides):
    data = {
        "strengths": "Fast CSPOC notification",
        "improvements": "Slow downgrades",
        "action_1": "Pre-agree tear lines",
        "priority_1": "high",
        "owner_1": "J2",
        "action_2": "Exercise FVEY+DEU/FRA sharing",
        "priority_2": "low",
    }
    data.update({f"rating_{key}": "4" for key, _ in Feedback.QUESTIONS})
    data.update(overrides)
    return data


def test_the_feedback_form_opens_when_the_exercise_ends(running, client):
    client.force_login(running.usa_player)
    url = reverse("feedback", args=[running.exercise.pk])
    assert "opens when exercise control ends" in client.get(url).content.decode()
    assert client.post(url, feedback_data()).status_code == 409
    change_status(exercise=running.exercise, action="end", by=running.facilitator)
    assert client.post(url, feedback_data()).status_code == 302
    assert "your feedback is recorded" in client.get(url).content.decode()
    feedback = Feedback.objects.get()
    assert feedback.corrective_actions[0] == {"action": "Pre-agree tear lines", "priority": "high", "owner": "J2"}
    assert feedback.ratings["realism"] == 4


def test_feedback_is_sent_once_and_aggregated_for_the_facilitator(running, client):
    change_status(exercise=running.exercise, action="end", by=running.facilitator)
    for player, score in ((running.usa_player, "5"), (running.gbr_player, "2")):
        client.force_login(player)
        client.post(reverse("feedback", args=[running.exercise.pk]), feedback_data(rating_realism=score))
    usa = running.exercise.participants.select_related("exercise").get(team_id="USA")
    with pytest.raises(Conflict, match="already sent"):
        submit_feedback(participant=usa, strengths="a", improvements="b", corrective_actions=[], ratings={})
    client.force_login(running.facilitator)
    page = client.get(reverse("hot-wash", args=[running.exercise.pk])).content.decode()
    assert "3.5" in page  # mean realism of 5 and 2
    assert page.index("Pre-agree tear lines") < page.index("Exercise FVEY+DEU/FRA sharing"), "high priority first"


def test_a_feedback_form_with_missing_ratings_is_refused_and_keeps_the_text(running, client):
    change_status(exercise=running.exercise, action="end", by=running.facilitator)
    client.force_login(running.usa_player)
    reply = client.post(
        reverse("feedback", args=[running.exercise.pk]), {"strengths": "Kept text", "improvements": "x"}
    )
    assert reply.status_code == 400
    body = reply.content.decode()
    assert "Rate each statement" in body and "Kept text" in body
    assert not Feedback.objects.exists()
