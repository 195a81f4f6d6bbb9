"""The MSEL at a glance: each inject as a mark along exercise time, the current time, the next due inject.

A read, like exercises/selectors.py: computed from the stored injects, releases and clock, never from
anything a browser sends. The page places the marks from the percentages computed here and moves the
current-time line between pushes from the clock's stored figures (static/js/timeline.js).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from exercises.models import Exercise, Inject, Release, format_exercise_time

# An inject is late once its scheduled time is this far behind: still not out (a held clock worker, a
# stopped process), or released by hand after it.
LATE_AFTER = timedelta(minutes=1)
# The line is at least this long, and its end a whole number of steps, so the marks keep their places
# as time passes.
MIN_SPAN = timedelta(minutes=30)
SPAN_STEP = timedelta(minutes=15)
MAX_TICKS = 8

LABELS = {
    "scheduled": pgettext_lazy("inject state", "Scheduled"),
    "held": pgettext_lazy("inject state", "Held"),
    "released": pgettext_lazy("inject state", "Released"),
    "late": pgettext_lazy("inject state", "Late"),
    "contingency": pgettext_lazy("inject state", "Contingency"),
}
RELEASED_LATE = gettext_lazy("Released late")


@dataclass(frozen=True)
class Mark:
    inject_id: int
    sequence: int
    title: str
    scheduled: timedelta  # the MSEL's time for it
    at: timedelta  # where it sits: its release's exercise time once released, its scheduled time before
    state: str  # scheduled | held | released | late | contingency
    released: bool
    percent: float = 0.0

    @property
    def label(self) -> str:
        if self.state == "late":
            return str(RELEASED_LATE if self.released else LABELS["late"])
        return str(LABELS[self.state])

    @property
    def description(self) -> str:
        """What the mark says to someone who cannot see where it sits."""
        when = format_exercise_time(self.at)
        values = {"sequence": self.sequence, "title": self.title, "state": self.label.lower(), "when": when}
        if self.released:
            return gettext("Inject %(sequence)s, %(title)s: %(state)s at %(when)s") % values
        return gettext("Inject %(sequence)s, %(title)s: %(state)s, due %(when)s") % values


@dataclass(frozen=True)
class Tick:
    at: timedelta
    percent: float

    @property
    def label(self) -> str:
        return format_exercise_time(self.at)[:-3]  # T+HH:MM


@dataclass(frozen=True)
class Timeline:
    exercise_id: int
    status: str
    speed: float
    now: timedelta
    span: timedelta
    marks: list[Mark]
    ticks: list[Tick]
    next_due: Mark | None

    @property
    def now_percent(self) -> float:
        return _percent(self.now, self.span)

    @property
    def countdown(self) -> timedelta | None:
        """Exercise time left until the next due inject (zero once it is due)."""
        if self.next_due is None:
            return None
        return max(timedelta(0), self.next_due.scheduled - self.now)


def timeline(exercise: Exercise, at=None) -> Timeline:
    """The exercise's timeline at wall time `at` (now by default), in two queries."""
    now = exercise.exercise_time(at or timezone.now())
    injects = (
        Inject.objects.filter(exercise_id=exercise.pk)
        .only("id", "exercise_id", "sequence", "title", "offset", "released_at", "held", "on_demand", "trigger")
        .prefetch_related(Prefetch("releases", Release.objects.only("id", "inject_id", "exercise_time")))
        .order_by("offset", "sequence")
    )
    marks = [mark for mark in (_mark(inject, now) for inject in injects) if mark is not None]
    span = _span([mark.at for mark in marks] + [now])
    marks = [_placed(mark, span) for mark in marks]
    waiting = [mark for mark in marks if not mark.released and mark.state != "held"]
    return Timeline(
        exercise_id=exercise.pk,
        status=exercise.status,
        speed=exercise.speed,
        now=now,
        span=span,
        marks=marks,
        ticks=_ticks(span),
        next_due=min(waiting, key=lambda mark: (mark.scheduled, mark.sequence), default=None),
    )


def _mark(inject: Inject, now: timedelta) -> Mark | None:
    """The inject's mark, or None for an on-demand inject not yet released (it has no time until then)."""
    releases = [release.exercise_time for release in inject.releases.all()]
    if inject.is_released:
        at = min(releases) if releases else inject.offset  # a contingency no team met: evaluated at its time
        late = not inject.on_demand and at > inject.offset + LATE_AFTER
        state = "late" if late else "released"
    elif inject.on_demand:
        return None
    else:
        at = inject.offset
        if inject.held:
            state = "held"
        elif now > inject.offset + LATE_AFTER:
            state = "late"
        elif inject.trigger:
            state = "contingency"
        else:
            state = "scheduled"
    return Mark(
        inject_id=inject.pk,
        sequence=inject.sequence,
        title=inject.title,
        scheduled=inject.offset,
        at=at,
        state=state,
        released=inject.is_released,
    )


def _span(times: list[timedelta]) -> timedelta:
    """From STARTEX to past the latest of `times`, in whole steps, and never shorter than MIN_SPAN."""
    steps = math.floor(max(times, default=timedelta(0)) / SPAN_STEP) + 1  # strictly past the latest
    return max(MIN_SPAN, steps * SPAN_STEP)


def _ticks(span: timedelta) -> list[Tick]:
    step = SPAN_STEP
    while span / step > MAX_TICKS:
        step *= 2
    count = math.floor(span / step)
    return [Tick(at=step * n, percent=_percent(step * n, span)) for n in range(count + 1)]


def _placed(mark: Mark, span: timedelta) -> Mark:
    return Mark(**{**mark.__dict__, "percent": _percent(mark.at, span)})


def _percent(at: timedelta, span: timedelta) -> float:
    return round(min(100.0, max(0.0, 100 * (at / span))), 3)
