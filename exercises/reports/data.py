"""The after-action report's data (HSEEP AAR/IP), built from a fixed number of queries.

Everything is loaded once, in bulk, and computed in memory, so the number of queries does
not grow with injects, teams or responses. Every export (HTML, PDF, DOCX, CSV, JSON) reads
from this one structure.

The report proper (HTML, PDF, DOCX) is bounded by the exercise's design (injects × teams), not
by how much the players wrote: it does not list every response or journal event. Those are the
record, in the CSV files and the JSON archive; `build_report(..., with_records=True)` loads them
(authors, texts, markings, the whole journal, messages) for the CSV export.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from exercises import selectors
from exercises.coalition import coalition_report
from exercises.evaluation import compute_suggestion
from exercises.models import (
    Acknowledgement,
    Adjudication,
    AssessmentAcknowledgement,
    AttackTechnique,
    AuditEvent,
    Classification,
    Exercise,
    Feedback,
    ImprovementItem,
    Inject,
    Message,
    Observation,
    Participant,
    ProtocolStep,
    Rating,
    Release,
    Response,
    SharedAssessment,
    Team,
    format_exercise_time,
    marking_banner,
)
from exercises.reports.conjunctions import ConjunctionReport, build_conjunctions


class Loaded(tuple):
    """Related rows loaded in bulk, read like a prefetched relation (`.all()`), without the related manager
    Django builds on every access of a many-to-many attribute (~50 µs each, tens of thousands of times in the
    report of a big exercise: bench/reports.py)."""

    def all(self):
        return self


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """What the metrics, the charts and the marking banner read of a response (the report proper);
    the CSV export reads whole responses (`build_report(..., with_records=True)`)."""

    pk: int
    team_id: str
    inject_id: int | None
    exercise_time: timedelta
    classification: str
    protocol_steps: Loaded
    kind: str = ""


@dataclass(frozen=True, slots=True)
class InjectFacts:
    pk: int
    protocol_steps: Loaded
    objective_ids: frozenset


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """A release as compute_suggestion reads it (its inject's steps, its exercise time)."""

    inject_id: int
    team_id: str
    exercise_time: timedelta
    inject: InjectFacts


@dataclass(frozen=True, slots=True)
class AcknowledgementFacts:
    team_id: str
    acknowledged_at: datetime


@dataclass(frozen=True, slots=True)
class ShareFacts:
    """A shared assessment as the report reads it (the sharing grid, the downgraded shares, shares.csv)."""

    pk: int
    from_team_id: str
    title: str
    text: str
    classification: str
    releasability: str
    downgraded: bool
    downgrade_reason: str
    downgrade_removed: str
    shared_at: datetime
    source_arrived_at: datetime
    exercise_time: timedelta
    recipients: Loaded  # teams, in their order
    releasable_to: Loaded  # teams of a REL TO marking
    acknowledgements: Loaded  # AcknowledgementFacts, in time order

    @property
    def seconds_to_share(self) -> float:
        return (self.shared_at - self.source_arrived_at).total_seconds()

    @property
    def banner(self) -> str:
        return marking_banner(
            self.classification,
            self.releasability,
            lambda: {self.from_team_id},
            lambda: {team.code for team in self.releasable_to},
        )


SHARE_FIELDS = [  # the columns of ShareFacts, in its order
    "id",
    "from_team_id",
    "title",
    "text",
    "classification",
    "releasability",
    "downgraded",
    "downgrade_reason",
    "downgrade_removed",
    "shared_at",
    "source_arrived_at",
    "exercise_time",
]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    exercise_time: timedelta | None
    label: str
    detail: str


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

    @property
    def outcome(self) -> str:
        """The worst of its steps: "missed", "late", "on time", or "" when no step was expected."""
        statuses = {step.status for step in self.steps}
        return next((status for status in ("missed", "late", "on time") if status in statuses), "")


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
class TechniqueResponse:
    """How a team answered an inject that enacts an attack technique."""

    row: InjectTeamRow  # the inject, the team, time to first response and its steps
    responses: int


@dataclass
class TechniqueExercised:
    """An attack technique (SPARTA, ATT&CK) that released injects enacted, and how the teams responded."""

    technique: AttackTechnique
    injects: list  # the released injects tagged with it, in MSEL order
    responses: list[TechniqueResponse]  # per inject and addressed team, in MSEL and team order


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
    responses: list
    releases: list
    observations: list
    ratings: list
    classification_banner: str
    record_counts: dict
    conjunctions: ConjunctionReport | None = None  # the orbits behind the injects (reports/conjunctions.py)
    techniques: list = field(default_factory=list)  # TechniqueExercised, SPARTA first then ATT&CK
    journal: list | None = None  # with_records only
    messages: list | None = None  # with_records only
    coalition: object = None  # exercises.coalition.CoalitionReport
    rating_scale: list = field(default_factory=lambda: list(Rating.Scale.values))

    @property
    def matrix(self) -> list:
        """Injects × teams: (inject, [InjectTeamRow or None per team]), in MSEL order."""
        cells = {(row.inject.pk, row.team.code): row for row in self.inject_rows}
        rows = []
        for inject in self.injects:
            line = [cells.get((inject.pk, team.code)) for team in self.teams]
            if any(line):
                rows.append((inject, line))
        return rows

    @property
    def team_medians(self) -> list:
        """Per team: (team, median to acknowledge, median to first response, responded, received)."""
        summary = []
        for team in self.teams:
            rows = [row for row in self.inject_rows if row.team.code == team.code]
            acks = [row.to_acknowledge for row in rows if row.to_acknowledge is not None]
            firsts = [row.to_first_response for row in rows if row.to_first_response is not None]
            summary.append((team, _median(acks), _median(firsts), len(firsts), len(rows)))
        return summary

    @property
    def downgraded_shares(self) -> list:
        return [share for share in self.shares if share.downgraded]

    @property
    def capabilities(self) -> list:
        seen = {}
        for objective in self.objectives:
            seen.setdefault(objective.core_capability_id, objective.core_capability)
        return list(seen.values())


# The timeline of the report: how the exercise was conducted (control's actions and the injects).
# Every response, share and message is in the record (CSV, JSON archive), not in the document.
# The labels are lazy: a report shows them in its reader's language.
TIMELINE_KINDS = {
    "exercise.start": "STARTEX",
    "exercise.pause": gettext_lazy("Exercise paused"),
    "exercise.resume": gettext_lazy("Exercise resumed"),
    "exercise.end": "ENDEX",
    "exercise.speed": gettext_lazy("Clock speed changed"),
    "exercise.jump": gettext_lazy("Clock jumped ahead"),
    "inject.released": gettext_lazy("Inject released"),
    "inject.composed": gettext_lazy("Ad-hoc inject"),
    "inject.held": gettext_lazy("Inject held"),
    "inject.delayed": gettext_lazy("Inject delayed"),
}


def build_report(exercise: Exercise, *, with_records: bool = False) -> Report:
    exercise = Exercise.objects.select_related("scenario").get(pk=exercise.pk)
    teams = list(exercise.teams.all())
    objectives = list(exercise.objectives.select_related("core_capability"))
    participants = list(
        Participant.objects.filter(exercise=exercise).select_related("user", "team").order_by("role", "team__order")
    )
    # Only what the report reads of each row: the related rows it does not show (an inject's addressees and
    # marking, a share's author and sources, who released or adjudicated) are not loaded, the teams of the
    # releases are the exercise's, already loaded, and many-to-many rows are read from their link tables as plain
    # values (a prefetch builds a queryset and a related manager per row: most of the time of the shares, and
    # garbage for the collector to walk). bench/reports.py: build_report 0.24 -> 0.11 s.
    injects = list(Inject.objects.filter(exercise=exercise).order_by("offset", "sequence"))
    steps = {step.code: step for step in ProtocolStep.objects.all()}  # in the steps' order
    releases = Release.objects.filter(inject__exercise=exercise)
    releases = list(releases.select_related("released_by") if with_records else releases)
    inject_by_id = {inject.pk: inject for inject in injects}
    team_by_code = {team.code: team for team in teams}
    for release in releases:
        release.inject = inject_by_id[release.inject_id]  # share the prefetched steps
        if release.team_id in team_by_code:
            release.team = team_by_code[release.team_id]
    acks = {
        (inject_id, team_id): at
        for inject_id, team_id, at in Acknowledgement.objects.filter(inject__exercise=exercise).values_list(
            "inject_id", "team_id", "exercise_time"
        )
    }
    if with_records:
        responses = list(
            Response.objects.filter(exercise=exercise)
            .select_related("team", "author", "inject")
            .prefetch_related("protocol_steps", "releasable_to")
            .order_by("exercise_time", "id")
        )
        facts = [
            ResponseFacts(
                r.pk, r.team_id, r.inject_id, r.exercise_time, r.classification, Loaded(r.protocol_steps.all()), r.kind
            )
            for r in responses
        ]
    else:
        facts = responses = _response_facts(exercise, steps)
    labels = dict(Adjudication.Verdict.choices)
    adjudications = Adjudication.objects.filter(response__exercise=exercise)
    verdicts = {  # (response id, step code) → verdict
        (response_id, step): verdict
        for response_id, step, verdict in adjudications.values_list("response_id", "protocol_step_id", "verdict")
    }
    ratings = list(Rating.objects.filter(exercise=exercise).select_related("team", "objective", "by"))
    observations = list(
        Observation.objects.filter(exercise=exercise)
        .select_related("team", "inject", "protocol_step", "objective", "by")
        .order_by("recorded_at")
    )
    shares = _share_facts(exercise)
    feedback = list(Feedback.objects.filter(exercise=exercise).select_related("team", "user"))
    plan = list(ImprovementItem.objects.filter(exercise=exercise).select_related("core_capability"))
    journal = messages = None
    if with_records:
        journal = list(
            AuditEvent.objects.filter(exercise=exercise).select_related("actor").order_by("occurred_at", "id")
        )
        messages = list(
            Message.objects.filter(exercise=exercise)
            .select_related("author", "from_team", "to_team")
            .order_by("exercise_time", "id")
        )
        timeline_events = [event for event in journal if event.kind in TIMELINE_KINDS]
    else:
        timeline_events = list(
            AuditEvent.objects.filter(exercise=exercise, kind__in=TIMELINE_KINDS).order_by("occurred_at", "id")
        )
    record_counts = {
        "journal": AuditEvent.objects.filter(exercise=exercise).count() if journal is None else len(journal),
        "messages": Message.objects.filter(exercise=exercise).count() if messages is None else len(messages),
        "responses": len(responses),
        "releases": len(releases),
        "acknowledgements": len(acks),
        "shares": len(shares),
        "adjudications": len(verdicts),
        "observations": len(observations),
        "ratings": len(ratings),
        "feedback": len(feedback),
    }

    responses_by = defaultdict(list)  # (inject id, team) → responses in time order
    for response in facts:
        if response.inject_id:
            responses_by[(response.inject_id, response.team_id)].append(response)
    inject_facts = _inject_facts(exercise, injects, steps)
    release_facts = [ReleaseFacts(r.inject_id, r.team_id, r.exercise_time, inject_facts[r.inject_id]) for r in releases]

    inject_rows, coverage = _inject_rows(teams, injects, inject_facts, releases, acks, responses_by, verdicts, labels)
    analysis = _analysis(objectives, teams, release_facts, responses_by, verdicts, ratings, observations)
    techniques = _techniques_exercised(exercise, injects, inject_rows, responses_by)
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
        timeline=_timeline(timeline_events),
        responses=responses,
        releases=sorted(releases, key=lambda r: (r.released_at, r.inject.sequence, r.team.order)),
        observations=observations,
        ratings=ratings,
        classification_banner=_highest_classification(injects, responses, shares),
        record_counts=record_counts,
        conjunctions=build_conjunctions(exercise, injects, facts),
        techniques=techniques,
        journal=journal,
        messages=messages,
        coalition=coalition_report(exercise),
    )


def _timeline(events) -> list[TimelineEntry]:
    """The conduct of the exercise, one line per event; a run of clock jumps (a rehearsal jumps from one
    event to the next hundreds of times) is one line."""
    entries, jumps = [], []

    def close_jumps():
        if jumps:
            start = format_exercise_time(timedelta(seconds=jumps[0].payload.get("from_seconds", 0)))
            end = format_exercise_time(timedelta(seconds=jumps[-1].payload.get("to_seconds", 0)))
            span = f"{start} → {end}"
            if len(jumps) > 1:
                span = gettext("%(count)s times, %(span)s") % {"count": len(jumps), "span": span}
            label = TIMELINE_KINDS["exercise.jump"]
            entries.append(TimelineEntry(jumps[0].exercise_time, label, span))
            jumps.clear()

    for event in events:
        if event.kind == "exercise.jump":
            jumps.append(event)
            continue
        close_jumps()
        payload = event.payload or {}
        detail = str(payload.get("title") or payload.get("text") or payload.get("team") or "")
        if payload.get("sequence"):
            detail = f"{payload['sequence']}. {detail}"
        if payload.get("teams"):
            detail += " → " + ", ".join(payload["teams"])
        if payload.get("team") and payload.get("title"):
            detail += f" ({payload['team']})"
        entries.append(TimelineEntry(event.exercise_time, TIMELINE_KINDS[event.kind], detail))
    close_jumps()
    return entries


def _linked(through, owner: str, target: str, **filters) -> dict:
    """owner id → [target ids] from a many-to-many link table, as plain values."""
    linked = defaultdict(list)
    for owner_id, target_id in through.objects.filter(**filters).values_list(owner, target):
        linked[owner_id].append(target_id)
    return linked


def _inject_facts(exercise, injects, steps) -> dict[int, InjectFacts]:
    """Each inject's expected steps (in the steps' order, as a prefetch gives them) and objectives."""
    rank = {code: index for index, code in enumerate(steps)}
    expected = _linked(Inject.protocol_steps.through, "inject_id", "protocolstep_id", inject__exercise=exercise)
    serves = _linked(Inject.objectives.through, "inject_id", "objective_id", inject__exercise=exercise)
    return {
        inject.pk: InjectFacts(
            inject.pk,
            Loaded(steps[code] for code in sorted(expected.get(inject.pk, ()), key=rank.__getitem__)),
            frozenset(serves.get(inject.pk, ())),
        )
        for inject in injects
    }


def _share_facts(exercise) -> list[ShareFacts]:
    """The exercise's shared assessments in the order shared, with their recipients, nations and acknowledgements,
    from four queries of plain values."""
    teams = {team.code: team for team in Team.objects.all()}  # in the teams' order
    rank = {code: index for index, code in enumerate(teams)}
    in_exercise = {"sharedassessment__exercise": exercise}
    recipients = _linked(SharedAssessment.recipients.through, "sharedassessment_id", "team_id", **in_exercise)
    nations = _linked(SharedAssessment.releasable_to.through, "sharedassessment_id", "team_id", **in_exercise)
    acknowledged = defaultdict(list)
    acks = AssessmentAcknowledgement.objects.filter(assessment__exercise=exercise).order_by("acknowledged_at", "id")
    for assessment_id, team_id, at in acks.values_list("assessment_id", "team_id", "acknowledged_at"):
        acknowledged[assessment_id].append(AcknowledgementFacts(team_id, at))

    def loaded_teams(codes):
        return Loaded(teams[code] for code in sorted(codes, key=rank.__getitem__))

    rows = SharedAssessment.objects.filter(exercise=exercise).order_by("shared_at", "id")
    return [
        ShareFacts(
            *row,
            recipients=loaded_teams(recipients.get(row[0], ())),
            releasable_to=loaded_teams(nations.get(row[0], ())),
            acknowledgements=Loaded(acknowledged.get(row[0], ())),
        )
        for row in rows.values_list(*SHARE_FIELDS)
    ]


def _response_facts(exercise, steps) -> list[ResponseFacts]:
    """The exercise's responses in time order, with their claimed steps, from two queries of plain values."""
    claimed = defaultdict(list)
    links = Response.protocol_steps.through.objects.filter(response__exercise=exercise).order_by(
        "protocolstep__protocol__order",
        "protocolstep__order",  # ProtocolStep's own order, as the pages show it
    )
    for response_id, code in links.values_list("response_id", "protocolstep_id"):
        claimed[response_id].append(steps[code])
    claimed = {response_id: Loaded(claims) for response_id, claims in claimed.items()}
    nothing = Loaded()  # shared by the responses that claim no step (most of them)
    rows = Response.objects.filter(exercise=exercise).order_by("exercise_time", "id")
    return [
        ResponseFacts(pk, team, inject, at, classification, claimed.get(pk, nothing), kind)
        for pk, team, inject, at, classification, kind in rows.values_list(
            "id", "team_id", "inject_id", "exercise_time", "classification", "kind"
        )
    ]


def _inject_rows(teams, injects, inject_facts, releases, acks, responses_by, verdicts, labels):
    release_by = {(r.inject_id, r.team_id): r for r in releases}
    coverage = {team.code: TeamCoverage(team) for team in teams}
    claimed = {}  # response id → codes of the steps it claims
    rows = []
    for inject in injects:
        for team in teams:
            release = release_by.get((inject.pk, team.code))
            if release is None:
                continue
            ack = acks.get((inject.pk, team.code))
            answers = responses_by.get((inject.pk, team.code), [])
            steps = []
            for response in answers:
                if response.pk not in claimed:
                    claimed[response.pk] = {s.code for s in response.protocol_steps}
            for step in inject_facts[inject.pk].protocol_steps:
                deadline = release.exercise_time + timedelta(minutes=step.expected_minutes)
                claim = next((r for r in answers if step.code in claimed[r.pk]), None)
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
                        labels.get(verdict, verdict) if verdict else "",
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
                    to_acknowledge=ack - release.exercise_time if ack is not None else None,
                    to_first_response=answers[0].exercise_time - release.exercise_time if answers else None,
                    steps=steps,
                )
            )
    return rows, list(coverage.values())


def _analysis(objectives, teams, releases, responses_by, verdicts, ratings, observations):
    rating_by = {(r.team_id, r.objective_id): r for r in ratings}
    analysis = []
    for objective in objectives:
        serving = _objective_injects(releases, objective)
        rows = []
        for team in teams:
            team_releases = [r for r in releases if r.team_id == team.code and r.inject_id in serving]
            team_responses = [resp for r in team_releases for resp in responses_by.get((r.inject_id, team.code), [])]
            suggestion = compute_suggestion(team_releases, team_responses, verdicts)
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


def _techniques_exercised(exercise, injects, inject_rows, responses_by) -> list[TechniqueExercised]:
    """The attack techniques of the released injects (two queries), with every addressed team's answer."""
    tagged = _linked(Inject.techniques.through, "attacktechnique_id", "inject_id", inject__exercise=exercise)
    rows_by_inject = defaultdict(list)  # inject id → its rows, in team order
    for row in inject_rows:
        rows_by_inject[row.inject.pk].append(row)
    exercised = []
    for technique in AttackTechnique.objects.filter(code__in=tagged):
        inject_ids = set(tagged[technique.code])
        released = [inject for inject in injects if inject.pk in inject_ids and rows_by_inject[inject.pk]]
        if not released:
            continue
        answers = [
            TechniqueResponse(row, len(responses_by.get((inject.pk, row.team.code), ())))
            for inject in released
            for row in rows_by_inject[inject.pk]
        ]
        exercised.append(TechniqueExercised(technique, released, answers))
    return exercised


def _objective_injects(releases, objective):
    return {r.inject_id for r in releases if objective.pk in r.inject.objective_ids}


def _highest_classification(injects, responses, shares) -> str:
    order = list(Classification.values)
    present = [item.classification for item in (*injects, *responses, *shares)] or [Classification.UNCLASSIFIED]
    highest = max(present, key=order.index)
    return f"{Classification(highest).label} // EXERCISE CONTROL AND EVALUATORS"


def _median(values: list):
    return statistics.median(values) if values else None


def minutes(value: timedelta | None) -> str:
    """Minutes with one decimal, for tables and CSV, with the active language's decimal mark (the CSV files are
    written in English: a point)."""
    if value is None:
        return ""
    return f"{value.total_seconds() / 60:.1f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
