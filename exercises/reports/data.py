"""The after-action report's data (HSEEP AAR/IP), built from a fixed number of queries.

Everything is loaded once, in bulk, and computed in memory, so the number of queries does
not grow with injects, teams or responses. Every export (HTML, PDF, DOCX, CSV, JSON) reads
from this one structure.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Prefetch

from exercises import selectors
from exercises.evaluation import compute_suggestion
from exercises.models import (
    Acknowledgement,
    Adjudication,
    AuditEvent,
    Classification,
    Exercise,
    Feedback,
    ImprovementItem,
    Inject,
    Message,
    Observation,
    Participant,
    Rating,
    Release,
    Response,
    SharedAssessment,
)


@dataclass
class StepResult:
    step: object
    status: str  # "on time" | "late" | "missed"
    claimed_at: timedelta | None
    deadline: timedelta
    verdict: str  # adjudication label, or ""


@dataclass
class InjectTeamRow:
    inject: Inject
    team: object
    released_at: timedelta
    to_acknowledge: timedelta | None
    to_first_response: timedelta | None
    steps: list[StepResult]

    def count(self, status: str) -> int:
        return sum(1 for step in self.steps if step.status == status)


@dataclass
class TeamCoverage:
    team: object
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0

    @property
    def percent(self) -> int:
        return round(100 * (self.on_time + self.late) / self.expected) if self.expected else 0


@dataclass
class ObjectiveAnalysis:
    objective: object
    ratings: list  # (team, Rating or None, Suggestion)
    strengths: list
    improvements: list


@dataclass
class Report:
    exercise: Exercise
    teams: list
    objectives: list
    participants: list
    facilitators: list
    injects: list
    analysis: list[ObjectiveAnalysis]
    inject_rows: list[InjectTeamRow]
    coverage: list[TeamCoverage]
    sharing: dict
    shares: list
    hot_wash: dict
    improvement_plan: list
    timeline: list
    journal: list
    responses: list
    releases: list
    observations: list
    ratings: list
    messages: list
    classification_banner: str
    rating_scale: list = field(default_factory=lambda: list(Rating.Scale.values))

    @property
    def capabilities(self) -> list:
        seen = {}
        for objective in self.objectives:
            seen.setdefault(objective.core_capability_id, objective.core_capability)
        return list(seen.values())


TIMELINE_KINDS = {
    "exercise.start": "STARTEX",
    "exercise.pause": "Exercise paused",
    "exercise.resume": "Exercise resumed",
    "exercise.end": "ENDEX",
    "exercise.speed": "Clock speed changed",
    "exercise.jump": "Clock jumped ahead",
    "inject.released": "Inject released",
    "inject.composed": "Ad-hoc inject",
    "assessment.shared": "Assessment shared",
    "response.submitted": "Response",
    "message.sent": "Message",
}


def build_report(exercise: Exercise) -> Report:
    exercise = Exercise.objects.select_related("scenario").get(pk=exercise.pk)
    teams = list(exercise.teams.all())
    objectives = list(exercise.objectives.select_related("core_capability"))
    participants = list(
        Participant.objects.filter(exercise=exercise).select_related("user", "team").order_by("role", "team__order")
    )
    injects = list(
        Inject.objects.filter(exercise=exercise)
        .prefetch_related("protocol_steps", "objectives", "teams", "releasable_to")
        .order_by("offset", "sequence")
    )
    releases = list(Release.objects.filter(inject__exercise=exercise).select_related("team", "released_by"))
    inject_by_id = {inject.pk: inject for inject in injects}
    for release in releases:
        release.inject = inject_by_id[release.inject_id]  # share the prefetched steps
    acks = {(a.inject_id, a.team_id): a for a in Acknowledgement.objects.filter(inject__exercise=exercise)}
    responses = list(
        Response.objects.filter(exercise=exercise)
        .select_related("team", "author", "inject")
        .prefetch_related("protocol_steps", "releasable_to")
        .order_by("exercise_time", "id")
    )
    adjudications = list(Adjudication.objects.filter(response__exercise=exercise).select_related("by"))
    verdicts = {(a.response_id, a.protocol_step_id): a for a in adjudications}
    ratings = list(Rating.objects.filter(exercise=exercise).select_related("team", "objective", "by"))
    observations = list(
        Observation.objects.filter(exercise=exercise)
        .select_related("team", "inject", "protocol_step", "objective", "by")
        .order_by("recorded_at")
    )
    shares = list(
        SharedAssessment.objects.filter(exercise=exercise)
        .select_related("from_team", "author", "source_inject", "source_response")
        .prefetch_related("recipients", "releasable_to", Prefetch("acknowledgements"))
        .order_by("shared_at")
    )
    feedback = list(Feedback.objects.filter(exercise=exercise).select_related("team", "user"))
    plan = list(ImprovementItem.objects.filter(exercise=exercise).select_related("core_capability"))
    journal = list(AuditEvent.objects.filter(exercise=exercise).select_related("actor").order_by("occurred_at", "id"))
    messages = list(Message.objects.filter(exercise=exercise).select_related("author", "from_team", "to_team"))

    responses_by = defaultdict(list)  # (inject id, team) → responses in time order
    for response in responses:
        if response.inject_id:
            responses_by[(response.inject_id, response.team_id)].append(response)

    inject_rows, coverage = _inject_rows(teams, injects, releases, acks, responses_by, verdicts)
    analysis = _analysis(objectives, teams, releases, responses_by, verdicts, ratings, observations)
    return Report(
        exercise=exercise,
        teams=teams,
        objectives=objectives,
        participants=participants,
        facilitators=[p for p in participants if p.role == Participant.Role.FACILITATOR],
        injects=injects,
        analysis=analysis,
        inject_rows=inject_rows,
        coverage=coverage,
        sharing=selectors.sharing_grid(teams, shares),
        shares=shares,
        hot_wash=selectors.summarise_feedback(feedback),
        improvement_plan=plan,
        timeline=[(event, TIMELINE_KINDS[event.kind]) for event in journal if event.kind in TIMELINE_KINDS],
        journal=journal,
        responses=responses,
        releases=sorted(releases, key=lambda r: (r.released_at, r.inject.sequence, r.team.order)),
        observations=observations,
        ratings=ratings,
        messages=messages,
        classification_banner=_highest_classification(injects, responses, shares),
    )


def _inject_rows(teams, injects, releases, acks, responses_by, verdicts):
    release_by = {(r.inject_id, r.team_id): r for r in releases}
    coverage = {team.code: TeamCoverage(team) for team in teams}
    rows = []
    for inject in injects:
        for team in teams:
            release = release_by.get((inject.pk, team.code))
            if release is None:
                continue
            ack = acks.get((inject.pk, team.code))
            answers = responses_by.get((inject.pk, team.code), [])
            steps = []
            for step in inject.protocol_steps.all():
                deadline = release.exercise_time + timedelta(minutes=step.expected_minutes)
                claim = next((r for r in answers if any(s.code == step.code for s in r.protocol_steps.all())), None)
                verdict = verdicts.get((claim.pk, step.code)) if claim else None
                if claim is None:
                    status = "missed"
                elif claim.exercise_time <= deadline:
                    status = "on time"
                else:
                    status = "late"
                steps.append(
                    StepResult(
                        step,
                        status,
                        claim.exercise_time if claim else None,
                        deadline,
                        verdict.get_verdict_display() if verdict else "",
                    )
                )
                cell = coverage[team.code]
                cell.expected += 1
                setattr(cell, status.replace(" ", "_"), getattr(cell, status.replace(" ", "_")) + 1)
            rows.append(
                InjectTeamRow(
                    inject=inject,
                    team=team,
                    released_at=release.exercise_time,
                    to_acknowledge=ack.exercise_time - release.exercise_time if ack else None,
                    to_first_response=answers[0].exercise_time - release.exercise_time if answers else None,
                    steps=steps,
                )
            )
    return rows, list(coverage.values())


def _analysis(objectives, teams, releases, responses_by, verdicts, ratings, observations):
    rating_by = {(r.team_id, r.objective_id): r for r in ratings}
    plain_verdicts = {key: adjudication.verdict for key, adjudication in verdicts.items()}
    analysis = []
    for objective in objectives:
        serving = _objective_injects(releases, objective)
        rows = []
        for team in teams:
            team_releases = [r for r in releases if r.team_id == team.code and r.inject_id in serving]
            team_responses = [resp for r in team_releases for resp in responses_by.get((r.inject_id, team.code), [])]
            suggestion = compute_suggestion(team_releases, team_responses, plain_verdicts)
            rows.append((team, rating_by.get((team.code, objective.pk)), suggestion))
        related = [o for o in observations if o.objective_id == objective.pk]
        analysis.append(
            ObjectiveAnalysis(
                objective=objective,
                ratings=rows,
                strengths=[o for o in related if o.kind == Observation.Kind.STRENGTH],
                improvements=[o for o in related if o.kind == Observation.Kind.IMPROVEMENT],
            )
        )
    return analysis


def _objective_injects(releases, objective):
    return {r.inject_id for r in releases if any(o.pk == objective.pk for o in r.inject.objectives.all())}


def _highest_classification(injects, responses, shares) -> str:
    order = list(Classification.values)
    present = [item.classification for item in (*injects, *responses, *shares)] or [Classification.UNCLASSIFIED]
    highest = max(present, key=order.index)
    return f"{Classification(highest).label} // EXERCISE CONTROL AND EVALUATORS"


def minutes(value: timedelta | None) -> str:
    """Minutes with one decimal, for tables and CSV."""
    return "" if value is None else f"{value.total_seconds() / 60:.1f}"
