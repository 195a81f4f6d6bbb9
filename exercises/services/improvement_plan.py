"""The improvement plan (AAR/IP Appendix A), edited by facilitators and evaluators."""

from django.db import transaction
from django.utils.translation import gettext

from exercises.models import ImprovementItem, Participant
from exercises.services import ServiceError, audit


def _staff(participant: Participant):
    if participant.is_player:
        raise ServiceError(gettext("Facilitators and evaluators keep the improvement plan."))


def _payload(item: ImprovementItem) -> dict:
    return {
        "issue": item.issue,
        "corrective_action": item.corrective_action,
        "element": item.capability_element,
        "responsible": item.responsible,
        "point_of_contact": item.point_of_contact,
        "capability": item.core_capability_id,
        "start": item.start_date and item.start_date.isoformat(),
        "completion": item.completion_date and item.completion_date.isoformat(),
    }


@transaction.atomic
def add_item(*, participant: Participant, **fields) -> ImprovementItem:
    _staff(participant)
    item = ImprovementItem(exercise=participant.exercise, **fields)
    item.full_clean()
    item.save()
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="improvement.added",
        obj=item,
        payload=_payload(item),
    )
    return item


@transaction.atomic
def change_item(*, participant: Participant, item: ImprovementItem, **fields) -> ImprovementItem:
    _staff(participant)
    item = ImprovementItem.objects.select_for_update().get(pk=item.pk)  # as stored, not as a form left it
    before = _payload(item)
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="improvement.changed",
        obj=item,
        payload={"before": before, "after": _payload(item)},
    )
    return item


@transaction.atomic
def delete_item(*, participant: Participant, item: ImprovementItem) -> None:
    _staff(participant)
    payload = _payload(item)
    audit.record(
        exercise=participant.exercise, actor=participant.user, kind="improvement.deleted", obj=item, payload=payload
    )
    item.delete()
