"""An ASAT test's debris: the target broken up at the test's release, its fragments in the exercise's catalogue,
the follow-on conjunctions screened, and a drafted contingency inject for each one that matters.

When it happens. Releasing an inject of kind ASAT test whose `primary_object` names an object of the
exercise's catalogue (by the clock or by a facilitator's click, through services/releases.release_inject)
makes it pending: `selectors.pending_breakups` is every released ASAT test whose target is still whole.
The clock worker's tick (exercises/clock_worker.py) breaks them up after the release has committed, so the
teams' card is not held up by the orbits and a failing break-up cannot undo a release. A break-up takes one
to three seconds (a few hundred fragments fitted, then the catalogue screened for the rest of the 72 h):
the model and the fits before the transaction, the screening inside it (on SQLite other writers wait that
long), and the tick's other work waits for it once. The state is in the rows, so a restarted worker finds
what is left to do; the target's `destroyed_at`, set by a conditional update in the break-up's
transaction, makes it exactly once with any number of workers.

The break-up. NASA's standard breakup model (exercises/orbits/breakup.py, Johnson et al. 2001): a
direct-ascent ASAT is a hypervelocity collision of a kill vehicle with the target, catastrophic at these
energies, so the count law is N(>Lc) = 0.1 M^0.75 Lc^-1.71 with M the mass of both. The target's mass is
its catalogue entry's, or a default by object type. The seed is derived from the scenario, the inject's
sequence and the target's name (sha256), so a rerun of the scenario breaks the target up identically.

What is catalogued. Only fragments of TRACKABLE_LENGTH_M (10 cm) and larger are generated and catalogued:
the size a space surveillance network tracks and catalogues (a 10-cm object in low Earth orbit), and what
keeps a break-up to hundreds of objects instead of the model's tens of thousands above 1 cm (the journal
records that estimate too). Of those, a fragment whose post-breakup state has no SGP4 orbit (thrown onto
an escape or sub-orbital path) or whose perigee is under REENTRY_PERIGEE_KM (it re-enters within its
first revolution) is counted but not catalogued. Each catalogued fragment gets SGP4 mean elements fitted
to its state (orbits.elements.from_state), a BSTAR from its area-to-mass ratio, its size as hard-body
radius, and the model's mass.

Drafts. After the break-up the catalogue is screened again from the moment of the break-up
(services.catalogue.screen_exercise). Each allied object's first approach to a fragment (the one an inject
naming the pair is bound to) closer than DRAFT_MISS_DISTANCE_M, or with a probability of collision of
DRAFT_PROBABILITY or more, becomes an unreleased, on-demand conjunction inject addressed to the object's
owner team (when that team takes part), bound to the event by its primary and secondary object and
`drafted_from` the ASAT test: the facilitator releases, edits or discards it (`discard_draft`). A later,
closer approach of a pair whose first one was not worth a draft is not drafted (the inject could not show it).
"""

import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Max, ProtectedError

from exercises import conjunction_text, fragments, realtime, selectors
from exercises.models import (
    AuditEvent,
    DeliveryMethod,
    Exercise,
    Inject,
    InjectKind,
    ObjectType,
    ProtocolStep,
    SpaceObject,
)
from exercises.services import Conflict, ServiceError, audit, catalogue

logger = logging.getLogger(__name__)

TRACKABLE_LENGTH_M = 0.10  # catalogued fragments: 10 cm and larger
SMALLEST_COUNTED_LENGTH_M = 0.01  # the journal's estimate of the lethal, untracked population (1 cm and larger)
LARGEST_FRAGMENT_M = 1.0  # the size the model's power law is fitted to (orbits.breakup)
KILL_VEHICLE_MASS_KG = 20.0  # a direct-ascent interceptor's kinetic kill vehicle
IMPACT_SPEED_KM_S = 10.0  # head-on at orbital speed
DEFAULT_MASS_KG = {ObjectType.PAYLOAD: 1000.0, ObjectType.ROCKET_BODY: 1500.0, ObjectType.DEBRIS: 50.0}
DRAG_COEFFICIENT = 2.2
REFERENCE_DENSITY_KG_M2_ER = 2.461e-8 * 6378135.0  # SGP4's rho0: 2.461e-8 kg/m^3 (at 120 km) x 1 Earth radius
REENTRY_PERIGEE_KM = 100.0
DRAFT_MISS_DISTANCE_M = 2000.0
DRAFT_PROBABILITY = 1e-7
DRAFT_STEPS = ("CONJ-1", "CONJ-2")  # assess the warning, notify allies (protocols.json)
DRAFT_ORIGINATOR = "18th Space Defense Squadron (via CSPOC)"
RETRY_SECONDS = 60.0  # a break-up that failed is tried again after this long (logged each time)

DRAFT_TEXT = (
    "CONJUNCTION DATA MESSAGE (summary). Screening against the debris of {target} (ASAT test, inject "
    "{sequence}). Primary: {{primary}} ({owner}). Secondary: {{secondary}}, a fragment of {target}, not "
    "manoeuvrable, tracked for hours only. TCA: {{tca}}. Miss distance {{miss_distance}} m (radial {{radial}} m, "
    "in-track {{in_track}} m, cross-track {{cross_track}} m), relative speed {{relative_speed}} m/s. "
    "Probability of collision {{pc}}."
)
DRAFT_ACTION = (
    "{owner} assesses the warning against its manoeuvre threshold, tells allies through the CSPOC what it "
    "will do, and plans an avoidance manoeuvre if {primary} can make one."
)

_failed_at: dict[tuple, float] = {}  # (inject id, released at) -> time.monotonic() of its last failed break-up


@dataclass(frozen=True)
class PlannedFragment:
    name: str
    elements: dict  # MeanElements.as_dict()
    length_m: float
    mass_kg: float


@dataclass(frozen=True)
class Breakup:
    """A break-up computed from the rows as they were read, not yet written."""

    inject_id: int
    target_id: int
    at: datetime  # orbit time of the release
    exercise_time: timedelta
    actor_id: int | None
    seed: int
    generated: int  # the model's fragments of TRACKABLE_LENGTH_M and larger
    estimated_above_1cm: int
    fragments: list[PlannedFragment]


def break_up_released_targets() -> int:
    """Break up the target of every released ASAT test still pending (the clock worker's tick calls this).

    Returns how many targets were broken up. One that fails is logged and tried again after RETRY_SECONDS,
    without holding up the others."""
    done = 0
    for inject in selectors.pending_breakups():
        key = (inject.pk, inject.released_at)  # not the id alone: a database reset may give it to another inject
        failed = _failed_at.get(key)
        if failed is not None and time.monotonic() - failed < RETRY_SECONDS:
            continue
        try:
            if break_up(inject=inject) is not None:
                done += 1
            _failed_at.pop(key, None)
        except Exception:
            _failed_at[key] = time.monotonic()
            logger.exception("Break-up for inject %s failed; trying again in %.0f s", inject.pk, RETRY_SECONDS)
    return done


def break_up(*, inject: Inject) -> list[SpaceObject] | None:
    """Break up the released ASAT test's target, exactly once; the catalogued fragments, or None when there
    was nothing to do (not released, no target, already broken up).

    The model and the fits run before the transaction (they only read); the writes, the screening and the
    drafts are one transaction, guarded by the conditional update of the target's `destroyed_at`."""
    planned = plan_breakup(inject)
    if planned is None:
        return None
    return _record(planned)


def plan_breakup(inject: Inject) -> Breakup | None:
    """The break-up of the inject's target, computed (exercises.orbits) but not stored."""
    from exercises.orbits.breakup import breakup, count_law
    from exercises.orbits.elements import ElementsError, from_state, state_at

    inject = Inject.objects.select_related("exercise__scenario").get(pk=inject.pk)
    exercise = inject.exercise
    if inject.kind != InjectKind.ASAT or not inject.is_released or exercise.orbit_epoch is None:
        return None
    target = SpaceObject.objects.filter(
        exercise=exercise, name=inject.primary_object, destroyed_at__isnull=True
    ).first()
    if target is None:
        return None
    release = (
        AuditEvent.objects.filter(exercise=exercise, kind="inject.released", object_id=str(inject.pk))
        .filter(object_type="inject")
        .order_by("occurred_at")
        .first()
    )
    exercise_time = release.exercise_time if release is not None else exercise.exercise_time(inject.released_at)
    at = exercise.orbit_time(exercise_time)
    parent = target.mean_elements()
    r, v = state_at(parent, at)
    mass_kg = target.mass_kg or DEFAULT_MASS_KG[target.object_type]
    seed = breakup_seed(exercise, inject, target)
    model = {
        "kind": "collision",
        "mass_kg": mass_kg,
        "projectile_mass_kg": KILL_VEHICLE_MASS_KG,
        "impact_speed_km_s": IMPACT_SPEED_KM_S,
    }
    pieces = breakup(
        r,
        v,
        **model,
        min_length_m=TRACKABLE_LENGTH_M,
        max_length_m=LARGEST_FRAGMENT_M,
        parent_type="rocket_body" if target.object_type == ObjectType.ROCKET_BODY else "spacecraft",
        seed=seed,
    )
    coefficient, exponent = count_law(**model)
    estimated = round(coefficient * (SMALLEST_COUNTED_LENGTH_M**-exponent - LARGEST_FRAGMENT_M**-exponent))
    catalogued = []
    for piece in pieces:
        bstar = 0.5 * DRAG_COEFFICIENT * piece.area_to_mass_m2_kg * REFERENCE_DENSITY_KG_M2_ER
        try:
            elements = from_state(target.name, at, piece.position_km, piece.velocity_km_s, bstar=bstar)
        except ElementsError:
            continue  # no orbit: thrown onto an escape or sub-orbital path
        if elements.perigee_km >= REENTRY_PERIGEE_KM:
            catalogued.append((piece, elements))
    planned = [
        PlannedFragment(
            name=name,
            elements=replace(elements, object_name=name).as_dict(),
            length_m=piece.characteristic_length_m,
            mass_kg=piece.mass_kg,
        )
        for name, (piece, elements) in zip(fragment_names(exercise, target, len(catalogued)), catalogued, strict=True)
    ]
    return Breakup(
        inject_id=inject.pk,
        target_id=target.pk,
        at=at,
        exercise_time=exercise_time,
        actor_id=release.actor_id if release is not None else None,
        seed=seed,
        generated=len(pieces),
        estimated_above_1cm=estimated,
        fragments=planned,
    )


def fragment_names(exercise: Exercise, target: SpaceObject, count: int) -> list[str]:
    """KRS-METEO 2 DEB 001, 002, ... in order of size (largest first), skipping names the catalogue has."""
    taken = set(SpaceObject.objects.filter(exercise=exercise).values_list("name", flat=True))
    width = max(3, len(str(count)))
    names, number = [], 0
    while len(names) < count:
        number += 1
        name = f"{target.name} DEB {number:0{width}d}"
        if name not in taken:
            names.append(name)
    return names


def breakup_seed(exercise: Exercise, inject: Inject, target: SpaceObject) -> int:
    """The model's seed: the same for every exercise of one scenario (its name, the inject's sequence, the
    target's name); an exercise without a scenario uses its own id."""
    origin = exercise.scenario.name if exercise.scenario is not None else f"exercise {exercise.pk}"
    digest = hashlib.sha256(f"{origin}\n{inject.sequence}\n{target.name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@transaction.atomic
def _record(planned: Breakup) -> list[SpaceObject] | None:
    """Store a computed break-up: the target destroyed, the fragments, the journal, the screening, the drafts;
    the console's debris and MSEL after commit. None if another worker broke the target up first."""
    if not SpaceObject.objects.filter(pk=planned.target_id, destroyed_at__isnull=True).update(destroyed_at=planned.at):
        return None
    target = SpaceObject.objects.select_related("owner").get(pk=planned.target_id)
    inject = Inject.objects.select_related("exercise").get(pk=planned.inject_id)
    exercise = inject.exercise
    actor = _user(planned.actor_id)
    hard_body = {fragment.name: max(fragment.length_m / 2, 0.01) for fragment in planned.fragments}
    created = SpaceObject.objects.bulk_create(
        [
            SpaceObject(
                exercise=exercise,
                name=fragment.name,
                owner=None,
                owner_other=target.owner_id or target.owner_other,
                object_type=ObjectType.DEBRIS,
                manoeuvrable=False,
                hard_body_radius_m=hard_body[fragment.name],
                mass_kg=max(fragment.mass_kg, 0.001),
                elements=fragment.elements,
                parent=target,
                created_by=inject,
            )
            for fragment in planned.fragments
        ]
    )
    audit.record(
        exercise=exercise,
        actor=actor,
        kind="catalogue.breakup",
        obj=target,
        payload={
            "inject": inject.pk,
            "sequence": inject.sequence,
            "target": target.name,
            "at": planned.at.isoformat(),
            "exercise_seconds": planned.exercise_time.total_seconds(),
            "model": "NASA standard breakup model, catastrophic collision",
            "seed": planned.seed,
            "min_length_m": TRACKABLE_LENGTH_M,
            "fragments": planned.generated,
            "catalogued": len(created),
            "estimated_above_1cm": planned.estimated_above_1cm,
        },
    )
    screened = catalogue.screen_exercise(exercise=exercise, by=actor, reason="breakup", start=planned.at)
    fragment_ids = {fragment.pk for fragment in created}
    follow_on = [row for row in screened if row.secondary_id in fragment_ids]
    _draft_injects(inject, target, follow_on, planned.exercise_time, actor)
    _push_after_breakup(exercise.pk)
    return created


def _user(user_id):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


def worth_a_draft(conjunction) -> bool:
    """Close enough, or likely enough, for the facilitator to want an inject about it."""
    return conjunction.miss_distance_m < DRAFT_MISS_DISTANCE_M or conjunction.probability >= DRAFT_PROBABILITY


def _draft_injects(asat: Inject, target: SpaceObject, conjunctions, exercise_time: timedelta, actor) -> list[Inject]:
    """One drafted conjunction inject per allied object and fragment whose first approach is worth a draft
    (the approach selectors.current_conjunction binds the inject to, so its card shows what justified it),
    addressed to the object's owner team when the team takes part in the exercise."""
    exercise = asat.exercise
    playing = set(exercise.team_codes())
    steps = list(ProtocolStep.objects.filter(code__in=DRAFT_STEPS))
    sequence = exercise.injects.aggregate(last=Max("sequence"))["last"] or 0
    seen, drafts = set(), []
    for conjunction in sorted(conjunctions, key=lambda row: row.tca):
        primary, secondary = conjunction.primary, conjunction.secondary
        pair = (primary.pk, secondary.pk)
        if pair in seen:
            continue
        seen.add(pair)  # the pair's first approach: the one a conjunction inject is bound to
        if not worth_a_draft(conjunction) or primary.owner_id not in playing:
            continue
        sequence += 1
        owner = primary.owner_id
        draft = Inject.objects.create(
            exercise=exercise,
            sequence=sequence,
            offset=exercise_time,
            kind=InjectKind.CONJUNCTION,
            title=f"Conjunction warning: {primary.name} and {secondary.name}",
            text=DRAFT_TEXT.format(target=target.name, sequence=asat.sequence, owner=owner),
            addressed_to_all=False,
            originator=DRAFT_ORIGINATOR,
            delivery_method=DeliveryMethod.DATA_FEED,
            expected_action=DRAFT_ACTION.format(owner=owner, primary=primary.name),
            notes=(
                f"Drafted by the app from the debris of {target.name} (inject {asat.sequence}): "
                "release, edit or discard it."
            ),
            on_demand=True,
            primary_object=primary.name,
            secondary_object=secondary.name,
            drafted_from=asat,
        )
        draft.teams.set([owner])
        draft.protocol_steps.set(steps)
        audit.record(
            exercise=exercise,
            actor=actor,
            kind="inject.drafted",
            obj=draft,
            payload={
                "sequence": sequence,
                "title": draft.title,
                "drafted_from": asat.sequence,
                "teams": [owner],
                "conjunction": conjunction.pk,
                "miss_distance_m": conjunction.miss_distance_m,
                "probability": conjunction.probability,
            },
        )
        drafts.append(draft)
    return drafts


@transaction.atomic
def discard_draft(*, inject: Inject, by) -> None:
    """Discard a drafted contingency inject the facilitator does not want; a released one stays."""
    inject = Inject.objects.select_for_update().select_related("exercise").get(pk=inject.pk)
    if inject.drafted_from_id is None:
        raise ServiceError(f"Inject {inject.sequence} was not drafted by the app; only drafts can be discarded.")
    if inject.is_released:
        raise Conflict(f"Inject {inject.sequence} was already released; it can no longer be discarded.")
    if inject.exercise.status == Exercise.Status.ENDED:
        raise Conflict("The exercise has ended.")
    audit.record(
        exercise=inject.exercise,
        actor=by,
        kind="inject.discarded",
        obj=inject,
        payload={
            "sequence": inject.sequence,
            "title": inject.title,
            "text": inject.text,
            "drafted_from": inject.drafted_from_id,
            "primary_object": inject.primary_object,
            "secondary_object": inject.secondary_object,
            "teams": sorted(inject.teams.values_list("code", flat=True)),
        },
    )
    inject_id, exercise_id = inject.pk, inject.exercise_id
    try:
        with transaction.atomic():
            deleted, _ = Inject.objects.filter(pk=inject_id, released_at__isnull=True).delete()
    except ProtectedError:
        raise Conflict(f"Inject {inject.sequence} is referred to (an observation); it cannot be discarded.") from None
    if not deleted:
        raise Conflict(f"Inject {inject.sequence} was already released; it can no longer be discarded.")
    realtime.send_after_commit(realtime.staff_groups(exercise_id), partial(fragments.discarded_inject, inject_id))
    push_debris_console(exercise_id)


def push_debris_console(exercise_id: int) -> None:
    """The console's debris section, for facilitators (with the drafts' controls) and evaluators (without),
    rendered after commit (a draft released, edited or discarded)."""
    realtime.render_and_send_after_commit(lambda: _debris_views(exercise_id, msel=False))


def _push_after_breakup(exercise_id: int) -> None:
    """After a break-up the console's debris section and its MSEL (the drafts are new rows in it)."""
    realtime.render_and_send_after_commit(lambda: _debris_views(exercise_id, msel=True))


def _debris_views(exercise_id: int, *, msel: bool) -> list[tuple[list[str], str]]:
    exercise = Exercise.objects.get(pk=exercise_id)
    clouds = selectors.debris_clouds(exercise)
    injects = selectors.msel(exercise) if msel else None
    cards = conjunction_text.cards(injects, exercise) if msel else None  # once for both audiences
    views = []
    for group, can_control in (
        (realtime.facilitators_group(exercise_id), True),
        (realtime.evaluators_group(exercise_id), False),
    ):
        views.append(([group], fragments.debris_console(exercise, clouds, can_control=can_control)))
        if msel:  # a message of its own: a <tbody> after a <div> is dropped when htmx parses the fragment
            views.append(
                ([group], fragments.msel_body(exercise, injects, can_control=can_control, conjunction_cards=cards))
            )
    return views
