"""The rating the app suggests for a team on an objective, from protocol coverage and timeliness.

The rules (also in docs/evaluation.md):
- Expected steps: the protocol steps linked to the injects that reached the team and that
  serve the objective. No expected step → no suggestion.
- Coverage: the share of expected steps the team claimed in a response to one of those
  injects, not counting claims an evaluator adjudicated "not met" (a "partially met" claim
  counts half).
- Timeliness: the share of counted claims made within the step's expected time after the
  inject reached the team.
- P if coverage ≥ 90 % and timeliness ≥ 80 %; S if coverage ≥ 70 % and timeliness ≥ 50 %;
  M if coverage ≥ 40 %; U otherwise.
The evaluator's own rating is what the report uses; the suggestion is kept beside it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext

from exercises.models import Adjudication, Release, Response

THRESHOLDS = [("P", 0.9, 0.8), ("S", 0.7, 0.5), ("M", 0.4, 0.0)]
CREDIT = {Adjudication.Verdict.NOT_MET: 0.0, Adjudication.Verdict.PARTIAL: 0.5}


@dataclass
class Suggestion:
    rating: str  # "" when there is nothing to rate
    coverage: float
    timeliness: float
    expected: int
    reason: str


def rate(coverage: float, timeliness: float) -> str:
    for rating, min_coverage, min_timeliness in THRESHOLDS:
        if coverage >= min_coverage and timeliness >= min_timeliness:
            return rating
    return "U"


def compute_suggestion(releases, responses, verdicts: dict) -> Suggestion:
    """The suggestion from data already loaded (no queries):

    releases: the team's releases of injects serving the objective, with inject.protocol_steps prefetched;
    responses: the team's responses to those injects, with protocol_steps prefetched;
    verdicts: (response id, step code) → verdict.
    """
    expected = {}  # step code → deadline as exercise time
    for release in releases:
        for step in release.inject.protocol_steps.all():
            deadline = release.exercise_time + timedelta(minutes=step.expected_minutes)
            expected[step.code] = max(deadline, expected.get(step.code, deadline))
    if not expected:
        return Suggestion("", 0.0, 0.0, 0, gettext("No protocol step was expected of this team for this objective."))
    credit, on_time = {}, {}
    for response in responses:
        for step in response.protocol_steps.all():
            if step.code not in expected:
                continue
            value = CREDIT.get(verdicts.get((response.pk, step.code)), 1.0)
            if value > credit.get(step.code, 0.0):
                credit[step.code] = value
                on_time[step.code] = response.exercise_time <= expected[step.code]
    coverage = sum(credit.values()) / len(expected)
    counted = [code for code, value in credit.items() if value > 0]
    timeliness = sum(on_time[code] for code in counted) / len(counted) if counted else 0.0
    return Suggestion(
        rate(coverage, timeliness),
        coverage,
        timeliness,
        len(expected),
        gettext("%(coverage)d %% of %(expected)d expected steps covered, %(timeliness)d %% on time.")
        % {"coverage": round(coverage * 100), "expected": len(expected), "timeliness": round(timeliness * 100)},
    )


def suggest_rating(exercise, team_code: str, objective) -> Suggestion:
    """Load one team's data for one objective and compute the suggestion."""
    releases = list(
        Release.objects.filter(inject__exercise=exercise, team_id=team_code, inject__objectives=objective)
        .select_related("inject")
        .prefetch_related("inject__protocol_steps")
    )
    responses = Response.objects.filter(
        exercise=exercise, team_id=team_code, inject_id__in=[release.inject_id for release in releases]
    ).prefetch_related("protocol_steps")
    verdicts = {
        (a.response_id, a.protocol_step_id): a.verdict
        for a in Adjudication.objects.filter(response__exercise=exercise, response__team_id=team_code)
    }
    return compute_suggestion(releases, responses, verdicts)
