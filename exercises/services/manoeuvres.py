"""The manoeuvre planner: a team's burn of its own satellite against a conjunction it was warned of.

`preview_burn` computes the outcome (the new miss distance and probability of collision against the
conjunction's secondary, the fuel cost and the budget left) and writes nothing. `commit_burn` checks the
plan again inside one transaction and records it: the team's response against the protocol steps it
claims, a Manoeuvre row, the satellite's new orbit and budget, and a new screening of the catalogue from
the burn on (a burn can make a new conjunction). Orbital mechanics come from exercises.orbits.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from exercises import fragments, orbit_errors, realtime, selectors
from exercises.models import Conjunction, Manoeuvre, Participant, Response, SpaceObject, format_exercise_time
from exercises.scenario_time import parse_scenario_time
from exercises.services import Conflict, ServiceError, audit, current_exercise
from exercises.services.catalogue import screen_exercise, sigmas_m
from exercises.services.responses import journal_payload, submit_response

# The new closest approach is looked for around the old TCA, within these half-spans (s) in turn: a burn
# moves the satellite along its orbit, and on a slow (co-planar) encounter the TCA moves with it.
SEARCH_SPANS_S = (120.0, 600.0, 2700.0)
COMPONENTS = (("radial_m_s", "radial"), ("in_track_m_s", "in-track"), ("cross_track_m_s", "cross-track"))


class ManoeuvreError(ServiceError):
    """A burn refused, naming the field at fault (burn_time, radial_m_s, in_track_m_s, cross_track_m_s,
    delta_v, protocol_steps, space_object, conjunction)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class BurnOutcome:
    """What a burn would do, computed before the team commits it."""

    space_object: SpaceObject
    conjunction: Conjunction
    inject: object  # the conjunction inject the team received, which the response answers
    burn_at: datetime  # orbit time (UTC)
    burn_exercise_time: timedelta
    delta_v_rtn_m_s: tuple[float, float, float]
    delta_v_m_s: float  # the fuel cost
    budget_before_m_s: float
    budget_after_m_s: float
    miss_distance_before_m: float
    probability_before: float
    miss_distance_after_m: float | None  # None: no approach found near the old TCA any more
    probability_after: float
    tca_after: datetime | None
    elements_before: dict
    elements_after: dict

    @property
    def burn_time(self) -> str:
        return format_exercise_time(self.burn_exercise_time)

    @property
    def tca_after_exercise_time(self) -> timedelta | None:
        """The new TCA as exercise time (the burn's exercise time is its orbit time less the epoch)."""
        return self.tca_after - self.burn_at + self.burn_exercise_time if self.tca_after else None


def preview_burn(
    *, participant: Participant, space_object, conjunction, burn_at, radial_m_s, in_track_m_s, cross_track_m_s, seen=()
) -> BurnOutcome:
    """The outcome of the burn, checked as a commit would check it; nothing is written.

    `burn_at` is an exercise time (a timedelta, or text such as T+01:30:00) or an orbit time (a UTC
    datetime); the delta-v components are m/s in the satellite's radial / in-track / cross-track frame.
    `seen`, when given, is the (conjunction, inject) pair `selectors.visible_conjunction(participant, …)`
    returned in this request (the view's authorization): then the service does not run that selector again,
    nor reload the satellite (the conjunction's primary as loaded with it); it still checks the pair is this
    conjunction's, of this exercise, and every ownership rule. Raises ManoeuvreError naming the field at fault.
    """
    exercise = current_exercise(participant)
    if seen and seen[0].pk == conjunction.pk and seen[0].primary_id == space_object.pk:
        space_object = seen[0].primary if seen[0].primary.exercise_id == exercise.pk else None
    else:
        seen = None
        space_object = SpaceObject.objects.select_related("owner").filter(pk=space_object.pk, exercise=exercise).first()
    return _outcome(
        exercise, participant, space_object, conjunction, burn_at, (radial_m_s, in_track_m_s, cross_track_m_s), seen
    )


@transaction.atomic
def commit_burn(
    *,
    participant: Participant,
    space_object,
    conjunction,
    burn_at,
    radial_m_s,
    in_track_m_s,
    cross_track_m_s,
    protocol_steps=(),
) -> Manoeuvre:
    """Carry out the burn for the rest of the run, as part of the team's response.

    Checks everything again on the rows as they are now (the satellite locked), then: the team's response
    (an action against the claimed protocol steps of the conjunction inject), the Manoeuvre, the satellite's
    new elements and budget, a screening from the burn on (superseding the conjunctions it recomputes),
    `manoeuvre.committed` in the journal, and after commit the manoeuvre on the console and the team's pages.
    """
    exercise = current_exercise(participant)
    if not exercise.is_live:
        raise Conflict(gettext("Commit a manoeuvre while the exercise runs: it has not started, or it has ended."))
    space_object = (
        SpaceObject.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=space_object.pk, exercise=exercise)
    ).first()
    outcome = _outcome(
        exercise, participant, space_object, conjunction, burn_at, (radial_m_s, in_track_m_s, cross_track_m_s)
    )
    steps = _claimed_steps(outcome.inject, protocol_steps)
    now = timezone.now()
    # Exactly once per conjunction: a second commit against it (a double click, two players) finds it superseded.
    if not Conjunction.objects.filter(pk=outcome.conjunction.pk, superseded_at__isnull=True).update(superseded_at=now):
        raise ManoeuvreError(
            "conjunction", gettext("This conjunction was screened again since you planned: plan again."), 409
        )
    cost = outcome.delta_v_m_s
    updated = SpaceObject.objects.filter(pk=space_object.pk, delta_v_budget_m_s__gte=cost).update(
        elements=outcome.elements_after, delta_v_budget_m_s=F("delta_v_budget_m_s") - cost
    )
    if not updated:
        raise ManoeuvreError(
            "delta_v",
            gettext("%(name)s no longer has %(cost).2f m/s of delta-v left.")
            % {"name": space_object.name, "cost": cost},
            409,
        )
    response = submit_response(
        participant=participant,
        inject=outcome.inject,
        kind=Response.Kind.ACTION,
        text=_response_text(outcome),
        protocol_steps=steps,
        journal=False,  # this write's one event, `manoeuvre.committed`, records the response
    )
    manoeuvre = Manoeuvre.objects.create(
        exercise=exercise,
        space_object=space_object,
        team_id=participant.team_id,
        by=participant.user,
        inject=outcome.inject,
        conjunction=outcome.conjunction,
        response=response,
        burn_at=outcome.burn_at,
        radial_m_s=outcome.delta_v_rtn_m_s[0],
        in_track_m_s=outcome.delta_v_rtn_m_s[1],
        cross_track_m_s=outcome.delta_v_rtn_m_s[2],
        delta_v_m_s=cost,
        miss_distance_before_m=outcome.miss_distance_before_m,
        probability_before=outcome.probability_before,
        miss_distance_after_m=outcome.miss_distance_after_m,
        probability_after=outcome.probability_after,
        elements_before=outcome.elements_before,
        elements_after=outcome.elements_after,
        committed_at=now,
        exercise_time=exercise.exercise_time(now),
    )
    screened = screen_exercise(
        exercise=exercise, by=participant.user, reason="manoeuvre", start=outcome.burn_at, journal=False
    )
    audit.record(
        exercise=exercise,
        actor=participant.user,
        kind="manoeuvre.committed",
        obj=manoeuvre,
        at=now,
        payload={
            "team": participant.team_id,
            "object": space_object.name,
            "conjunction": outcome.conjunction.pk,
            "inject": outcome.inject.pk,
            "response": {"id": response.pk, **journal_payload(response)},
            "burn_at": outcome.burn_at.isoformat(),
            "burn_time": outcome.burn_time,
            "delta_v_rtn_m_s": list(outcome.delta_v_rtn_m_s),
            "delta_v_m_s": cost,
            "budget_left_m_s": outcome.budget_after_m_s,
            "miss_distance_before_m": outcome.miss_distance_before_m,
            "miss_distance_after_m": outcome.miss_distance_after_m,
            "probability_before": outcome.probability_before,
            "probability_after": outcome.probability_after,
            "conjunctions_after": len(screened),
            "screened_from": outcome.burn_at.isoformat(),
        },
    )
    manoeuvre.space_object = space_object
    manoeuvre.team = participant.team
    realtime.send_after_commit(
        [realtime.team_group(exercise.pk, participant.team_id), *realtime.staff_groups(exercise.pk)],
        partial(fragments.committed_manoeuvre, manoeuvre),
    )
    return manoeuvre


def _outcome(exercise, participant, space_object, conjunction, burn_at, components, seen=None) -> BurnOutcome:
    """Check the plan against the rows as loaded, and compute its outcome (exercises.orbits). `seen`: the
    pair selectors.visible_conjunction returned for this participant in this request (see preview_burn)."""
    from exercises.orbits import assessment, manoeuvre, planning

    if not participant.is_player:
        raise ManoeuvreError("space_object", gettext("Only a team's players manoeuvre its satellites."), 403)
    if space_object is None:
        raise ManoeuvreError("space_object", gettext("That satellite is not in this exercise's catalogue."), 404)
    if space_object.owner_id != participant.team_id:
        raise ManoeuvreError(
            "space_object",
            gettext("%(name)s belongs to %(owner)s: only its own team may manoeuvre it.")
            % {"name": space_object.name, "owner": space_object.owner_label},
            403,
        )
    if not space_object.manoeuvrable:
        raise ManoeuvreError(
            "space_object",
            gettext("%(name)s cannot manoeuvre (it has no propulsion).") % {"name": space_object.name},
        )
    if space_object.destroyed_at is not None:
        raise ManoeuvreError(
            "space_object", gettext("%(name)s was destroyed; it cannot manoeuvre.") % {"name": space_object.name}
        )
    if seen is None or not _same_exercise(exercise, *seen):
        seen = selectors.visible_conjunction(participant, conjunction.pk)
    if seen is None:
        raise ManoeuvreError(
            "conjunction",
            gettext("That conjunction is not current, or no inject warned your team of it: plan again."),
            409,
        )
    conjunction, inject = seen
    if conjunction.primary_id != space_object.pk:
        raise ManoeuvreError(
            "space_object",
            gettext("%(name)s is not the satellite of this conjunction.") % {"name": space_object.name},
        )
    delta_v = tuple(_number(value, field, label) for value, (field, label) in zip(components, COMPONENTS, strict=True))
    burn_orbit_time, burn_exercise_time = _burn_time(exercise, burn_at)
    now_time = exercise.exercise_time()
    if burn_exercise_time < now_time:
        raise ManoeuvreError(
            "burn_time",
            gettext("The burn time %(burn)s has passed: the exercise clock is at %(now)s.")
            % {"burn": format_exercise_time(burn_exercise_time), "now": format_exercise_time(now_time)},
        )
    if not any(delta_v):
        raise ManoeuvreError("delta_v", gettext("Give a delta-v: all three components are zero."))
    budget = space_object.delta_v_budget_m_s
    try:
        manoeuvre.check_burn(burn_orbit_time, conjunction.tca, delta_v, budget)
    except manoeuvre.BurnError as error:
        if error.field == "time":
            tca = format_exercise_time(exercise.exercise_time_of(conjunction.tca))
            raise ManoeuvreError(
                "burn_time",
                gettext("The burn at %(burn)s is not before the time of closest approach (%(tca)s).")
                % {"burn": format_exercise_time(burn_exercise_time), "tca": tca},
            ) from None
        raise ManoeuvreError(
            "delta_v", gettext("Delta-v: %(error)s") % {"error": orbit_errors.in_language(error)}
        ) from None
    before = space_object.mean_elements()
    secondary = conjunction.secondary
    after = manoeuvre.apply_burn(before, burn_orbit_time, delta_v)
    encounter = None
    for span in SEARCH_SPANS_S:
        encounter = planning.closest_approach(after, secondary.mean_elements(), conjunction.tca, span_s=span)
        if encounter is not None:
            break
    probability_after = 0.0
    if encounter is not None:
        probability_after = assessment.probability_of_collision(
            encounter,
            sigmas_m(space_object),
            sigmas_m(secondary),
            space_object.hard_body_radius_m + secondary.hard_body_radius_m,
        )
    cost = manoeuvre.delta_v_cost_m_s(delta_v)
    return BurnOutcome(
        space_object=space_object,
        conjunction=conjunction,
        inject=inject,
        burn_at=burn_orbit_time,
        burn_exercise_time=burn_exercise_time,
        delta_v_rtn_m_s=delta_v,
        delta_v_m_s=cost,
        budget_before_m_s=budget,
        budget_after_m_s=budget - cost,
        miss_distance_before_m=conjunction.miss_distance_m,
        probability_before=conjunction.probability,
        miss_distance_after_m=encounter.miss_distance_m if encounter else None,
        probability_after=probability_after,
        tca_after=encounter.tca if encounter else None,
        elements_before=before.as_dict(),
        elements_after=after.as_dict(),
    )


def _same_exercise(exercise, conjunction, inject) -> bool:
    """Whether a checked (conjunction, inject) pair is of this exercise (else it is looked up again)."""
    return conjunction.exercise_id == exercise.pk and inject.exercise_id == exercise.pk


def _number(value, field: str, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        messages = {
            "radial": gettext("Radial delta-v must be a number in m/s, not %(value)s."),
            "in-track": gettext("In-track delta-v must be a number in m/s, not %(value)s."),
            "cross-track": gettext("Cross-track delta-v must be a number in m/s, not %(value)s."),
        }
        raise ManoeuvreError(field, messages[label] % {"value": repr(value)}) from None
    if not math.isfinite(number):
        messages = {
            "radial": gettext("Radial delta-v must be a finite number in m/s."),
            "in-track": gettext("In-track delta-v must be a finite number in m/s."),
            "cross-track": gettext("Cross-track delta-v must be a finite number in m/s."),
        }
        raise ManoeuvreError(field, messages[label])
    return number


def _burn_time(exercise, burn_at) -> tuple[datetime, timedelta]:
    """(orbit time, exercise time) of the burn: given as either, or as text like T+01:30:00."""
    if exercise.orbit_epoch is None:
        raise ManoeuvreError("burn_time", gettext("This exercise has no orbits: its scenario sets no orbit epoch."))
    if isinstance(burn_at, datetime):
        if burn_at.tzinfo is None:
            raise ManoeuvreError("burn_time", gettext("The burn's orbit time must be in UTC."))
        return burn_at, exercise.exercise_time_of(burn_at)
    try:
        offset = parse_scenario_time(burn_at)
    except ValueError as error:
        raise ManoeuvreError("burn_time", gettext("Burn time: %(error)s") % {"error": error}) from None
    return exercise.orbit_time(offset), offset


def _claimed_steps(inject, protocol_steps) -> list:
    """The claimed steps as the inject's own (refused unless linked to it, naming the field)."""
    linked = {step.code: step for step in inject.protocol_steps.all()}
    codes = [getattr(step, "code", step) for step in protocol_steps]
    unknown = [code for code in codes if code not in linked]
    if unknown:
        raise ManoeuvreError(
            "protocol_steps",
            gettext("Protocol steps: claim only steps of inject %(sequence)s (%(linked)s), not %(unknown)s.")
            % {
                "sequence": inject.sequence,
                "linked": ", ".join(linked) or gettext("none"),
                "unknown": ", ".join(map(str, unknown)),
            },
        )
    return [linked[code] for code in dict.fromkeys(codes)]


def _response_text(outcome: BurnOutcome) -> str:
    radial, in_track, cross_track = outcome.delta_v_rtn_m_s
    miss_after = (
        f"{outcome.miss_distance_after_m:.0f} m"
        if outcome.miss_distance_after_m is not None
        else "no close approach near the old TCA"
    )
    return (
        f"Manoeuvre of {outcome.space_object.name} at {outcome.burn_time}: delta-v {radial:.2f} m/s radial, "
        f"{in_track:.2f} m/s in-track, {cross_track:.2f} m/s cross-track ({outcome.delta_v_m_s:.2f} m/s; "
        f"{outcome.budget_after_m_s:.2f} m/s of budget left). Against {outcome.conjunction.secondary.name}: "
        f"miss distance {outcome.miss_distance_before_m:.0f} m → {miss_after}, "
        f"probability of collision {outcome.probability_before:.1e} → {outcome.probability_after:.1e}."
    )
