"""Facilitator control of an exercise's MSEL: hold, delay, edit before release, ad-hoc injects."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from exercises.models import Inject
from exercises.services import Conflict, ServiceError, audit, debris
from exercises.services.releases import push_msel_row, release_inject

MAX_DELAY_MINUTES = 24 * 60


def _unreleased(inject: Inject) -> Inject:
    inject = Inject.objects.select_for_update().select_related("exercise").get(pk=inject.pk)
    if inject.is_released:
        raise Conflict(
            gettext("Inject %(sequence)s was already released; it can no longer be changed.")
            % {"sequence": inject.sequence}
        )
    if inject.exercise.status == inject.exercise.Status.ENDED:
        raise Conflict(gettext("The exercise has ended."))
    return inject


@transaction.atomic
def set_hold(*, inject: Inject, held: bool, by) -> Inject:
    """A held inject is not released when due; releasing it by hand still works."""
    inject = _unreleased(inject)
    inject.held = held
    inject.save(update_fields=["held"])
    audit.record(
        exercise=inject.exercise,
        actor=by,
        kind="inject.held" if held else "inject.unheld",
        obj=inject,
        payload={"sequence": inject.sequence},
    )
    push_msel_row(inject.exercise_id, inject.pk)
    return inject


@transaction.atomic
def delay(*, inject: Inject, minutes: int, by) -> Inject:
    if not 1 <= minutes <= MAX_DELAY_MINUTES:
        raise ServiceError(gettext("Delay by 1 to %(max)d minutes.") % {"max": MAX_DELAY_MINUTES})
    inject = _unreleased(inject)
    previous = inject.offset
    inject.offset = previous + timedelta(minutes=minutes)
    inject.save(update_fields=["offset"])
    audit.record(
        exercise=inject.exercise,
        actor=by,
        kind="inject.delayed",
        obj=inject,
        payload={
            "sequence": inject.sequence,
            "minutes": minutes,
            "from_seconds": previous.total_seconds(),
            "to_seconds": inject.offset.total_seconds(),
        },
    )
    push_msel_row(inject.exercise_id, inject.pk)
    return inject


EDITABLE = ["kind", "title", "text", "offset", "addressed_to_all", "originator", "delivery_method", "expected_action"]


@transaction.atomic
def edit(*, inject: Inject, by, teams, protocol_steps, techniques=None, **changes) -> Inject:
    """Edit an inject before it is released; the journal keeps what it was. `techniques`: the attack
    techniques (SPARTA, ATT&CK) it is tagged with (None: unchanged)."""
    inject = _unreleased(inject)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(gettext("Cannot edit %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    before = {field: str(getattr(inject, field)) for field in changes}
    before["teams"] = sorted(inject.teams.values_list("code", flat=True))
    after = {}
    if techniques is not None:
        before["techniques"] = sorted(inject.techniques.values_list("code", flat=True))
        after["techniques"] = sorted(technique.code for technique in techniques)
    for field, value in changes.items():
        setattr(inject, field, value)
    inject.save()
    inject.teams.set(teams)
    inject.protocol_steps.set(protocol_steps)
    if techniques is not None:
        inject.techniques.set(techniques)
    audit.record(
        exercise=inject.exercise,
        actor=by,
        kind="inject.edited",
        obj=inject,
        payload={
            "sequence": inject.sequence,
            "before": before,
            "after": {
                **{f: str(v) for f, v in changes.items()},
                "teams": sorted(team.code for team in teams),
                **after,
            },
        },
    )
    push_msel_row(inject.exercise_id, inject.pk)
    if inject.drafted_from_id is not None:
        debris.push_debris_console(inject.exercise_id)
    return inject


@transaction.atomic
def compose_adhoc(*, exercise, by, kind: str, title: str, text: str, teams, addressed_to_all: bool) -> Inject:
    """An inject written live by the facilitator and released at once."""
    if exercise.status != exercise.Status.RUNNING and exercise.status != exercise.Status.PAUSED:
        raise Conflict(gettext("Start the exercise before sending ad-hoc injects."))
    teams = list(teams)
    if not addressed_to_all and not teams:
        raise ServiceError(gettext("Choose the teams the inject goes to, or all teams."))
    sequence = (exercise.injects.aggregate(last=Max("sequence"))["last"] or 0) + 1
    inject = Inject.objects.create(
        exercise=exercise,
        sequence=sequence,
        offset=exercise.exercise_time(timezone.now()),
        kind=kind,
        title=title,
        text=text,
        addressed_to_all=addressed_to_all,
        originator="Exercise control",
        notes="Ad-hoc inject composed during the exercise.",
    )
    inject.teams.set(teams)
    audit.record(
        exercise=exercise,
        actor=by,
        kind="inject.composed",
        obj=inject,
        payload={
            "sequence": sequence,
            "title": title,
            "text": text,
            "teams": "all" if addressed_to_all else [team.code for team in teams],
        },
    )
    release_inject(inject=inject, by=by)
    return inject
