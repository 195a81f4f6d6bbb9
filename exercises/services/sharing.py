"""Allied information sharing: shared assessments on the Combined Picture, under releasability markings.

The paper's central problem is that classification barriers slow allied sharing. Here a team
may share only what its marking allows, or record a downgrade (who, why, what was removed),
and every share is measured: time from the source's arrival to the share, and from the share
to each recipient's acknowledgement.
"""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from exercises import cdm, fragments, realtime, selectors
from exercises.models import (
    AssessmentAcknowledgement,
    AssessmentComment,
    Classification,
    Inject,
    Participant,
    Release,
    SharedAssessment,
)
from exercises.services import Conflict, ServiceError, audit, current_exercise

CLASSIFICATION_ORDER = list(Classification.values)  # unclassified < confidential < secret


@transaction.atomic
def share_assessment(
    *,
    participant: Participant,
    source,
    title: str,
    text: str,
    recipients,
    classification: str,
    releasability: str,
    releasable_to=(),
    downgrade_reason: str = "",
    downgrade_removed: str = "",
    attach_cdm: bool = False,
    stix: dict | None = None,
) -> SharedAssessment:
    """Share an assessment drawn from `source` (an inject the team received, or its own response).

    `source` must already have been checked as visible to the team (selectors.visible_to). `attach_cdm`:
    attach the CDM of the source inject's screened conjunction (selectors.source_conjunction), recorded as
    screened now, shared under the assessment's marking. `stix`: the
    Report an imported STIX bundle carried (its id, created and modified; services/stix_import.py), kept
    in the journal so that the exports give the assessment its author's id.
    """
    if not participant.is_player:
        raise ServiceError("Teams share assessments; facilitators and evaluators observe them.")
    exercise = current_exercise(participant)
    if exercise.status != exercise.Status.RUNNING and exercise.status != exercise.Status.PAUSED:
        raise Conflict("Sharing is open while the exercise runs.")
    team = participant.team_id
    recipients = [r for r in recipients if r.code != team]
    if not recipients:
        raise ServiceError("Choose at least one allied team to share with.")
    participating = set(exercise.team_codes())
    strangers = sorted(r.code for r in recipients if r.code not in participating)
    if strangers:
        raise ServiceError(f"{', '.join(strangers)} do(es) not take part in this exercise.")
    releasable_to = list(releasable_to)
    draft = SharedAssessment(
        exercise=exercise, from_team_id=team, classification=classification, releasability=releasability
    )
    own_rel_to = {t.code for t in releasable_to}
    blocked = sorted(r.code for r in recipients if not draft.permits(r.code, rel_to=own_rel_to))
    if blocked:
        raise ServiceError(
            f"Your marking does not allow release to {', '.join(blocked)}: mark it so that every recipient may read it."
        )
    source_rel_to = set(source.releasable_to.values_list("code", flat=True))
    beyond = sorted(r.code for r in recipients if not source.permits(r.code, rel_to=source_rel_to))
    lowered = CLASSIFICATION_ORDER.index(classification) < CLASSIFICATION_ORDER.index(source.classification)
    downgraded = bool(beyond) or lowered
    if downgraded and not (downgrade_reason.strip() and downgrade_removed.strip()):
        what = (
            f"sharing with {', '.join(beyond)} goes beyond the source's marking ({source.banner})"
            if beyond
            else f"the source is {source.get_classification_display()}"
        )
        raise ServiceError(f"Downgrade needed: {what}. Record why you downgrade and what you removed or sanitised.")
    conjunction = None
    if attach_cdm:
        conjunction = selectors.source_conjunction(source)
        if conjunction is None:
            raise ServiceError(
                "attach_cdm: the source is bound to no screened conjunction, so there is no CDM to attach."
            )
    if isinstance(source, Inject):
        arrived = Release.objects.get(inject=source, team_id=team).released_at
        source_fields = {"source_inject": source}
    else:
        arrived = source.submitted_at
        source_fields = {"source_response": source}
    now = timezone.now()
    assessment = SharedAssessment.objects.create(
        exercise=exercise,
        from_team_id=team,
        author=participant.user,
        title=title,
        text=text,
        classification=classification,
        releasability=releasability,
        downgraded=downgraded,
        downgrade_reason=downgrade_reason.strip() if downgraded else "",
        downgrade_removed=downgrade_removed.strip() if downgraded else "",
        source_arrived_at=arrived,
        conjunction=conjunction,
        shared_at=now,
        exercise_time=exercise.exercise_time(now),
        **source_fields,
    )
    assessment.recipients.set(recipients)
    assessment.releasable_to.set(releasable_to)
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="assessment.shared",
        obj=assessment,
        at=now,
        payload={
            "from": team,
            "to": sorted(r.code for r in recipients),
            "title": title,
            "text": text,
            "marking": assessment.banner,
            "source": {
                "inject": source_fields.get("source_inject") and source.pk,
                "response": source_fields.get("source_response") and source.pk,
            },
            "seconds_to_share": assessment.seconds_to_share,
            "cdm": {"conjunction": conjunction.pk, "message_id": cdm.conjunction_message_id(exercise, conjunction)}
            if conjunction is not None
            else None,
            "downgrade": {
                "by": participant.user.get_username(),
                "reason": assessment.downgrade_reason,
                "removed": assessment.downgrade_removed,
                "beyond": beyond,
                "lowered": lowered,
            }
            if downgraded
            else None,
            **({"stix": stix} if stix else {}),
        },
    )
    push_assessment(assessment, new=True)
    return assessment


def push_assessment(assessment: SharedAssessment, *, new: bool = False) -> None:
    """Render the card once per audience: each recipient team (its own acknowledge button), and
    once for the sender and staff; then the sharing matrix for staff."""
    exercise_id = assessment.exercise_id
    assessment = (
        SharedAssessment.objects.prefetch_related(
            "recipients", "releasable_to", "acknowledgements__team", "comments__team", "comments__author"
        )
        .select_related(
            "from_team",
            "author",
            "source_inject",
            "source_response",
            "conjunction__primary",
            "conjunction__secondary",
        )
        .get(pk=assessment.pk)
    )
    for recipient in assessment.recipients.all():
        realtime.send_after_commit(
            [realtime.team_group(exercise_id, recipient.code)],
            partial(fragments.assessment, assessment, viewer_team=recipient.code, new=new),
        )
    realtime.send_after_commit(
        [realtime.team_group(exercise_id, assessment.from_team_id)],
        partial(fragments.assessment, assessment, viewer_team=assessment.from_team_id, new=new),
    )
    realtime.send_after_commit(
        realtime.staff_groups(exercise_id), partial(fragments.assessment, assessment, viewer_team=None, new=new)
    )
    exercise = assessment.exercise
    realtime.render_and_send_once_after_commit(
        f"sharing.{exercise_id}", realtime.staff_groups(exercise_id), lambda: fragments.sharing(exercise)
    )


def _recipient_check(participant, assessment):
    if not participant.is_player or not assessment.recipients.filter(pk=participant.team_id).exists():
        raise ServiceError("Only a recipient team can do that.")


def acknowledge_assessment(*, participant: Participant, assessment: SharedAssessment) -> AssessmentAcknowledgement:
    _recipient_check(participant, assessment)
    now = timezone.now()
    try:
        with transaction.atomic():
            ack = AssessmentAcknowledgement.objects.create(
                assessment=assessment, team_id=participant.team_id, by=participant.user, acknowledged_at=now
            )
            audit.record(
                exercise=assessment.exercise,
                actor=participant.user,
                kind="assessment.acknowledged",
                obj=assessment,
                at=now,
                payload={"team": participant.team_id, "seconds_after_share": ack.seconds_after_share},
            )
            push_assessment(assessment)
    except IntegrityError as error:
        raise Conflict("Your team has already acknowledged this assessment.") from error
    return ack


@transaction.atomic
def comment_on_assessment(*, participant: Participant, assessment: SharedAssessment, text: str) -> AssessmentComment:
    if participant.team_id != assessment.from_team_id:
        _recipient_check(participant, assessment)
    now = timezone.now()
    comment = AssessmentComment.objects.create(
        assessment=assessment, team_id=participant.team_id, author=participant.user, text=text, written_at=now
    )
    audit.record(
        exercise=assessment.exercise,
        actor=participant.user,
        kind="assessment.commented",
        obj=assessment,
        at=now,
        payload={"team": participant.team_id, "text": text},
    )
    push_assessment(assessment)
    return comment
