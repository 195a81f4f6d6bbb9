"""Setting up an exercise: a run of a scenario, with its own copy of the MSEL."""

from django.db import transaction
from django.utils.translation import gettext

from exercises import realtime
from exercises.models import Exercise, Inject, MselRow, Objective, Participant
from exercises.services import ServiceError, audit, catalogue


@transaction.atomic
def create_exercise(*, scenario, name: str, teams, by=None) -> Exercise:
    """Copy the scenario's objectives and injects so later scenario edits never rewrite this run."""
    teams = list(teams)
    if not teams:
        raise ServiceError(gettext("An exercise needs at least one participating team."))
    exercise = Exercise.objects.create(name=name, scenario=scenario)
    exercise.teams.set(teams)
    objective_copies = {}
    for objective in scenario.objectives.all():
        objective_copies[objective.pk] = Objective.objects.create(
            exercise=exercise, code=objective.code, text=objective.text, core_capability=objective.core_capability
        )
    source_injects = scenario.injects.prefetch_related(
        "teams", "protocol_steps", "objectives", "releasable_to", "techniques"
    )
    for source in source_injects:
        inject = Inject.objects.create(
            exercise=exercise,
            **{field: getattr(source, field) for field in COPIED_FIELDS},
        )
        inject.teams.set(source.teams.all())
        inject.protocol_steps.set(source.protocol_steps.all())
        inject.releasable_to.set(source.releasable_to.all())
        inject.objectives.set([objective_copies[o.pk] for o in source.objectives.all()])
        inject.techniques.set(source.techniques.all())
    catalogue.copy_catalogue(scenario=scenario, exercise=exercise)
    catalogue.screen_exercise(exercise=exercise, by=by, reason="exercise created")
    audit.record(
        exercise=exercise,
        actor=by,
        kind="exercise.created",
        obj=exercise,
        payload={"scenario": scenario.name, "teams": [team.code for team in teams]},
    )
    return exercise


COPIED_FIELDS = [field.name for field in MselRow._meta.get_fields()]


@transaction.atomic
def add_participant(*, exercise: Exercise, user, role: str, team=None, by=None) -> Participant:
    if role == Participant.Role.PLAYER and team is None:
        raise ServiceError(gettext("A player belongs to exactly one team."))
    if role != Participant.Role.PLAYER:
        team = None
    if team is not None and not exercise.teams.filter(pk=team.pk).exists():
        raise ServiceError(gettext("%(team)s does not take part in this exercise.") % {"team": team.code})
    before = Participant.objects.filter(exercise=exercise, user=user).values_list("role", "team_id").first()
    participant, _ = Participant.objects.update_or_create(
        exercise=exercise, user=user, defaults={"role": role, "team": team}
    )
    if before is not None and before != (role, team.pk if team else None):
        realtime.close_sockets_after_commit(user.pk, exercise.pk)
    audit.record(
        exercise=exercise,
        actor=by,
        kind="participant.assigned",
        obj=participant,
        payload={"user": user.get_username(), "role": role, "team": team.code if team else None},
    )
    return participant


PLANNERS = "Exercise planners"
AUTHORING_PERMISSIONS = ["add_scenario", "change_scenario", "delete_scenario", "view_scenario"]


def planners_group():
    """The group whose members author scenarios (MSELs): facilitators who plan exercises."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=PLANNERS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="exercises", codename__in=AUTHORING_PERMISSIONS)
    )
    return group


@transaction.atomic
def plan_exercise(*, scenario, name: str, teams, by) -> Exercise:
    """A planner starts a new run of a scenario and becomes its facilitator."""
    exercise = create_exercise(scenario=scenario, name=name, teams=teams, by=by)
    add_participant(exercise=exercise, user=by, role=Participant.Role.FACILITATOR, by=by)
    return exercise


@transaction.atomic
def remove_participant(*, participant: Participant, by) -> None:
    if participant.user_id == by.pk:
        raise ServiceError(gettext("You cannot remove yourself; ask another facilitator."))
    audit.record(
        exercise=participant.exercise,
        actor=by,
        kind="participant.removed",
        obj=participant,
        payload={"user": participant.user.get_username(), "role": participant.role, "team": participant.team_id},
    )
    realtime.close_sockets_after_commit(participant.user_id, participant.exercise_id)
    participant.delete()
