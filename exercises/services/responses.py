"""Team responses: decisions, actions and assessments recorded against protocol steps."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from exercises import coalition, fragments, realtime
from exercises.models import Classification, Exercise, Participant, Releasability, Response
from exercises.selectors import as_prefetched
from exercises.services import Conflict, ServiceError, audit, current_exercise
from exercises.services.releases import push_coalition, push_coverage, push_delivery_row


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
    assessment: dict | None = None,
    journal: bool = True,
) -> Response:
    """Record a team's response. `inject` must already be one released to the team (see selectors).

    `journal=False` is for a service whose own journal event records the response with the rest of its
    write (a committed manoeuvre): one write, one event.

    `assessment`: the structured assessment of a decision-bearing inject (coalition.py): assessed_cause,
    confidence, course_of_action (an option or "other"), course_of_action_other, attributed_actor."""
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
    structured = check_assessment(inject, assessment)
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
        **structured,
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
    if journal:
        audit.record(
            exercise=exercise,
            actor=participant.user,
            kind="response.submitted",
            obj=response,
            at=now,
            payload=journal_payload(response),
        )
    realtime.send_after_commit(
        [realtime.team_group(exercise.pk, participant.team_id), *realtime.staff_groups(exercise.pk)],
        partial(fragments.new_response, response),
    )
    if inject is not None:
        push_delivery_row(exercise, inject.pk)  # the console's matrix: responded (or late)
    push_coverage(exercise)  # and the steps' coverage
    if structured:
        push_coalition(exercise)
    return response


def journal_payload(response: Response) -> dict:
    """What the journal keeps of a response just written (its links as `submit_response` left them)."""
    structured = {name: getattr(response, name) for name in ASSESSMENT_FIELDS}
    if not any(structured.values()):
        structured = {}
    return {
        "team": response.team_id,
        "inject": response.inject_id,
        "kind": response.kind,
        "protocol_steps": [step.code for step in response.protocol_steps.all()],
        "amends": response.amends_id,
        "text": response.text,
        "marking": response.banner,
        **({"assessment": structured} if structured else {}),
    }


ASSESSMENT_FIELDS = ("assessed_cause", "confidence", "course_of_action", "course_of_action_other", "attributed_actor")


def check_assessment(inject, assessment: dict | None) -> dict:
    """The structured assessment's fields as stored (all blank when there is none), or a ServiceError naming the
    field at fault."""
    values = {name: " ".join(str((assessment or {}).get(name) or "").split()) for name in ASSESSMENT_FIELDS}
    if not any(values.values()):
        return {}
    if inject is None or not inject.decision_bearing:
        raise ServiceError("Only a decision-bearing inject takes a structured assessment (cause, confidence, action).")
    causes = dict(coalition.causes_for(inject.kind))
    if values["assessed_cause"] not in causes:
        raise ServiceError(f"Assessed cause: choose one of {', '.join(causes.values())}.")
    if values["confidence"] not in coalition.CONFIDENCE:
        raise ServiceError("Confidence: choose one of the words of estimative probability (ICD 203).")
    options = list(inject.course_of_action_options)
    if values["course_of_action"] == coalition.OTHER:
        if not values["course_of_action_other"]:
            raise ServiceError("Course of action: describe the other course of action you recommend.")
    elif values["course_of_action"] not in options:
        raise ServiceError("Course of action: choose one of the inject's options, or 'other' with your own words.")
    else:
        values["course_of_action_other"] = ""
    if len(values["attributed_actor"]) > 120 or len(values["course_of_action_other"]) > 200:
        raise ServiceError("Attributed actor: at most 120 characters; other course of action: at most 200.")
    return values
