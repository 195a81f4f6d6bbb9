"""The append-only audit journal: one event for every write."""

from django.utils import timezone

from exercises.models import AuditEvent


def record(*, exercise, actor, kind: str, obj=None, payload: dict | None = None, at=None) -> AuditEvent:
    at = at or timezone.now()
    return AuditEvent.objects.create(
        exercise=exercise,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        occurred_at=at,
        exercise_time=exercise.exercise_time(at) if exercise is not None else None,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        payload=payload or {},
    )
