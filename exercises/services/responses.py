"""Team responses: decisions, actions and assessments recorded against protocol steps."""

from django.db import transaction
from django.utils import timezone

from exercises import fragments, realtime
from exercises.models import Classification, Exercise, Participant, Releasability, Response
from exercises.selectors import as_prefetched
from exercises.services import Conflict, ServiceError, audit, current_exercise
from exercises.services.releases import push_coverage, push_delivery_row


@transaction.atomic
def submit_response(
    *,
    participant: Participant,
    inject,
    kind: str,
    text: str,
    protocol_steps,
    amends=None,
    classification: str | None = None,
    releasability: str | None = None,
    releasable_to=(),
) -> Response:
    """Record a team's response. `inject` must already be one released to the team (see selectors)."""
    exercise = current_exercise(participant)
    if not participant.is_player:
        raise ServiceError("Only players respond for a team.")
    if exercise.status == Exercise.Status.DRAFT:
        raise Conflict("The exercise has not started yet.")
    if exercise.status == Exercise.Status.ENDED:
        raise Conflict("The exercise has ended; responses are closed.")
    steps = list(protocol_steps)
    releasable_to = list(releasable_to)
    # The inject's steps as the caller loaded them (selectors prefetch them), else one query.
    inject_steps = list(inject.protocol_steps.all()) if inject else []
    allowed = {step.code for step in inject_steps}
    if any(step.code not in allowed for step in steps):
        raise ServiceError("Claim only protocol steps linked to the inject you respond to.")
    version = 1
    if amends is not None:
        if amends.team_id != participant.team_id or amends.exercise_id != exercise.pk:
            raise ServiceError("You can amend only your own team's responses.")
        if Response.objects.filter(amends=amends).exists():
            raise Conflict("That response was already amended; amend the newest version.")
        version = amends.version + 1
    now = timezone.now()
    response = Response.objects.create(
        exercise=exercise,
        team_id=participant.team_id,
        author=participant.user,
        inject=inject,
        kind=kind,
        text=text,
        submitted_at=now,
        exercise_time=exercise.exercise_time(now),
        amends=amends,
        version=version,
        # By default a response carries the marking of the inject it answers.
        classification=classification or (inject.classification if inject else Classification.UNCLASSIFIED),
        releasability=releasability or (inject.releasability if inject else Releasability.NATIONAL),
    )
    # A new row has no links yet: add them (one INSERT each), and none at all when there are none.
    if steps:
        response.protocol_steps.add(*steps)
    if releasable_to:
        response.releasable_to.add(*releasable_to)
    # What was just written, as a prefetch would have read it back: the marking line and the push below
    # read the links without a query. The steps in the inject's order, which is ProtocolStep's ordering.
    claimed = {step.pk for step in steps}
    as_prefetched(response, "protocol_steps", [step for step in inject_steps if step.pk in claimed])
    as_prefetched(response, "releasable_to", list(dict.fromkeys(releasable_to)))
    response.team = participant.team  # loaded with the participant: the push below needs no query for it
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="response.submitted",
        obj=response,
        at=now,
        payload={
            "team": participant.team_id,
            "inject": inject.pk if inject else None,
            "kind": kind,
            "protocol_steps": [step.code for step in steps],
            "amends": amends.pk if amends else None,
            "text": text,
            "marking": response.banner,
        },
    )
    realtime.send_after_commit(
        [realtime.team_group(exercise.pk, participant.team_id), *realtime.staff_groups(exercise.pk)],
        fragments.new_response(response),
    )
    if inject is not None:
        push_delivery_row(exercise, inject.pk)  # the console's matrix: responded (or late)
    push_coverage(exercise)  # and the steps' coverage
    return response
