"""Reads, with the permission filters every view, consumer and export uses.

One place decides who sees what: a player sees only what was released to their team
and their own team's responses; facilitators and evaluators see the whole exercise.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch, Q

from exercises.models import (
    Acknowledgement,
    Exercise,
    Inject,
    Message,
    Participant,
    Release,
    Response,
    format_exercise_time,
)


def participation(user, exercise_id) -> Participant | None:
    """The user's role in the exercise, or None when they have none."""
    if not user.is_authenticated:
        return None
    return Participant.objects.select_related("exercise", "team").filter(user=user, exercise_id=exercise_id).first()


def participations(user) -> list[Participant]:
    if not user.is_authenticated:
        return []
    return list(
        Participant.objects.select_related("exercise", "team").filter(user=user).order_by("-exercise__created_at")
    )


def msel_injects(exercise_id: int):
    """The exercise's injects in scheduled order, with their teams, steps and releases."""
    return (
        Inject.objects.filter(exercise_id=exercise_id)
        .prefetch_related(
            "teams",
            "protocol_steps",
            Prefetch("releases", queryset=Release.objects.select_related("team").order_by("team__order")),
        )
        .order_by("offset", "sequence")
    )


def msel(exercise: Exercise) -> list[Inject]:
    return list(msel_injects(exercise.pk))


def releases_for_team(exercise_id: int, team_code: str):
    """What a team has been sent, newest first."""
    return (
        Release.objects.filter(inject__exercise_id=exercise_id, team_id=team_code)
        .select_related("inject")
        .prefetch_related("inject__protocol_steps")
        .order_by("-released_at", "-id")
    )


def released_inject_for_team(exercise_id: int, team_code: str, inject_id) -> Inject | None:
    """The inject, only if it was released to the team; None otherwise (never another team's)."""
    return (
        Inject.objects.filter(exercise_id=exercise_id, pk=inject_id, releases__team_id=team_code)
        .prefetch_related("protocol_steps")
        .first()
    )


def _responses():
    return Response.objects.select_related("team", "author", "inject").prefetch_related("protocol_steps")


def responses_for_team(exercise_id: int, team_code: str):
    return _responses().filter(exercise_id=exercise_id, team_id=team_code)


def responses_for_exercise(exercise_id: int):
    return _responses().filter(exercise_id=exercise_id)


def can_author_scenarios(user) -> bool:
    """Planners (facilitators in the planners group) author scenarios; players and evaluators do not."""
    return user.is_authenticated and user.has_perm("exercises.change_scenario")


def due_injects(exercise: Exercise, at):
    """Unreleased, not held, scheduled injects whose time has come, in order."""
    return (
        Inject.objects.filter(
            exercise=exercise,
            released_at__isnull=True,
            held=False,
            on_demand=False,
            offset__lte=exercise.exercise_time(at),
        )
        .select_related("trigger_step")
        .order_by("offset", "sequence")
    )


def running_exercise_ids() -> list[int]:
    return list(Exercise.objects.filter(status=Exercise.Status.RUNNING).values_list("pk", flat=True))


@dataclass
class Cell:
    """One team's state for one inject on the console matrix."""

    state: str  # not_delivered | delivered | acknowledged | responded | late | responded_late | not_addressed
    label: str
    detail: str = ""


@dataclass
class DeliveryRow:
    inject: Inject
    cells: list[Cell]


@dataclass
class Coverage:
    team: object
    claimed: list[str]
    expected: list[str]

    @property
    def percent(self) -> int:
        return round(100 * len(set(self.claimed) & set(self.expected)) / len(self.expected)) if self.expected else 0


def delivery_matrix(exercise: Exercise, at=None) -> tuple[list, list[DeliveryRow]]:
    """Team × released inject: not delivered / delivered / acknowledged / responded / late.

    Late is measured against the earliest expected time of the inject's protocol steps,
    counted from the moment the inject reached the team. A fixed number of queries.
    """
    now_time = exercise.exercise_time(at)
    teams = list(exercise.teams.all())
    injects = list(
        exercise.injects.filter(released_at__isnull=False)
        .prefetch_related("protocol_steps", "releases")
        .order_by("released_at", "sequence")
    )
    acks = {(a.inject_id, a.team_id): a for a in Acknowledgement.objects.filter(inject__exercise=exercise)}
    first_response = {}
    for inject_id, team_id, exercise_time in (
        Response.objects.filter(exercise=exercise, inject__isnull=False)
        .order_by("exercise_time")
        .values_list("inject_id", "team_id", "exercise_time")
    ):
        first_response.setdefault((inject_id, team_id), exercise_time)
    rows = []
    for inject in injects:
        releases = {release.team_id: release for release in inject.releases.all()}
        minutes = [step.expected_minutes for step in inject.protocol_steps.all()]
        window = timedelta(minutes=min(minutes)) if minutes else None
        cells = []
        for team in teams:
            release = releases.get(team.code)
            if release is None:
                cells.append(Cell("not_delivered", "Not delivered"))
                continue
            due = release.exercise_time + window if window else None
            responded = first_response.get((inject.pk, team.code))
            if responded is not None:
                late = due is not None and responded > due
                cells.append(
                    Cell(
                        "responded_late" if late else "responded",
                        "Responded late" if late else "Responded",
                        format_exercise_time(responded),
                    )
                )
            elif due is not None and now_time > due:
                cells.append(Cell("late", "Late", f"due {format_exercise_time(due)}"))
            elif (inject.pk, team.code) in acks:
                cells.append(
                    Cell(
                        "acknowledged", "Acknowledged", format_exercise_time(acks[(inject.pk, team.code)].exercise_time)
                    )
                )
            else:
                cells.append(Cell("delivered", "Delivered", format_exercise_time(release.exercise_time)))
        rows.append(DeliveryRow(inject, cells))
    return teams, rows


def protocol_coverage(exercise: Exercise) -> list[Coverage]:
    """Per team: the protocol steps it claimed, against those linked to injects it received."""
    expected = defaultdict(set)
    for team_id, step in Release.objects.filter(inject__exercise=exercise).values_list(
        "team_id", "inject__protocol_steps"
    ):
        if step:
            expected[team_id].add(step)
    claimed = defaultdict(set)
    for team_id, step in Response.objects.filter(exercise=exercise).values_list("team_id", "protocol_steps"):
        if step:
            claimed[team_id].add(step)
    return [Coverage(team, sorted(claimed[team.code]), sorted(expected[team.code])) for team in exercise.teams.all()]


def presence(exercise: Exercise) -> list[tuple]:
    """Who is connected now: (team or None for control, [names])."""
    connected = defaultdict(set)
    for participant in Participant.objects.filter(exercise=exercise, connections__isnull=False).select_related(
        "user", "team"
    ):
        connected[participant.team_id].add(participant.user.get_full_name() or participant.user.get_username())
    rows = [(None, sorted(connected[None]))]
    rows += [(team, sorted(connected[team.code])) for team in exercise.teams.all()]
    return rows


def messages_for_team(exercise_id: int, team_code: str):
    return (
        Message.objects.filter(exercise_id=exercise_id)
        .filter(Q(from_team_id=team_code) | Q(from_team__isnull=True, to_team__isnull=True) | Q(to_team_id=team_code))
        .select_related("author", "from_team", "to_team")
    )


def messages_for_exercise(exercise_id: int):
    return Message.objects.filter(exercise_id=exercise_id).select_related("author", "from_team", "to_team")


def acknowledged(exercise_id: int, team_code: str) -> dict:
    """inject id → acknowledgement, for one team."""
    return {
        ack.inject_id: ack
        for ack in Acknowledgement.objects.filter(inject__exercise_id=exercise_id, team_id=team_code).select_related(
            "by"
        )
    }
