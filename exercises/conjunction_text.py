"""A conjunction inject's card: the screened event it is bound to, and its text with the placeholders filled.

An inject of kind conjunction names its two objects (`primary_object`, `secondary_object`); the current
screened `Conjunction` of that pair is what its card shows, and its text may use these placeholders,
filled from it:

    {primary} {secondary}     the objects' names
    {tca}                     the time of closest approach as exercise time, T+HH:MM:SS
    {miss_distance}           metres, to the metre (the number only: write "{miss_distance} m")
    {radial} {in_track} {cross_track}   the miss's components in the primary's RTN frame, metres
    {relative_speed}          metres per second, to 0.1 m/s
    {pc}                      the probability of collision, e.g. 1.2e-04

Any other brace is the author's and stays as written; an inject bound to nothing keeps its text. When a later
screening (after a burn or a break-up) no longer finds the pair within the threshold, the card keeps the numbers
of the last screening that did, marked as no longer current.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from exercises import selectors
from exercises.models import Conjunction, Exercise, Inject, InjectKind, format_exercise_time

PLACEHOLDERS = (
    "primary",
    "secondary",
    "tca",
    "miss_distance",
    "radial",
    "in_track",
    "cross_track",
    "relative_speed",
    "pc",
)
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


@dataclass(frozen=True)
class ConjunctionCard:
    """What a conjunction inject's card shows of its screened event."""

    conjunction: Conjunction
    exercise: Exercise
    tca_exercise_time: timedelta | None
    values: dict[str, str]  # placeholder → its text
    text: str  # the inject's text with the placeholders filled

    @property
    def primary(self):
        return self.conjunction.primary

    @property
    def secondary(self):
        return self.conjunction.secondary

    @property
    def tca(self) -> datetime:
        return self.conjunction.tca

    @property
    def is_current(self) -> bool:
        """False when a later screening (after a burn or a break-up) no longer finds the pair close: the card
        shows what was warned of, and says so."""
        return self.conjunction.is_current


def is_bindable(inject) -> bool:
    """A conjunction inject that names both of its objects."""
    return inject.kind == InjectKind.CONJUNCTION and bool(inject.primary_object) and bool(inject.secondary_object)


def placeholder_values(conjunction: Conjunction, exercise: Exercise) -> dict[str, str]:
    """Each placeholder's text for this conjunction (the TCA in the exercise's time)."""
    return {
        "primary": conjunction.primary.name,
        "secondary": conjunction.secondary.name,
        "tca": format_exercise_time(exercise.exercise_time_of(conjunction.tca)),
        "miss_distance": f"{conjunction.miss_distance_m:.0f}",
        "radial": f"{conjunction.radial_m:.0f}",
        "in_track": f"{conjunction.in_track_m:.0f}",
        "cross_track": f"{conjunction.cross_track_m:.0f}",
        "relative_speed": f"{conjunction.relative_speed_m_s:.1f}",
        "pc": f"{conjunction.probability:.1e}",
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """The text with each known {placeholder} replaced; other braces are left as they are."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def card(inject: Inject, conjunction: Conjunction, exercise: Exercise) -> ConjunctionCard:
    values = placeholder_values(conjunction, exercise)
    return ConjunctionCard(
        conjunction=conjunction,
        exercise=exercise,
        tca_exercise_time=exercise.exercise_time_of(conjunction.tca),
        values=values,
        text=fill_placeholders(inject.text, values),
    )


def cards(injects, exercise: Exercise | None = None) -> dict[int, ConjunctionCard]:
    """inject id → card, for the bound conjunction injects among `injects` (all of one exercise: `exercise`,
    or the injects' own). One query, and none when no inject is a conjunction naming its objects."""
    injects = [inject for inject in injects if is_bindable(inject)]
    if not injects:
        return {}
    exercise = exercise or injects[0].exercise
    bound = selectors.current_conjunctions(exercise.pk, injects)
    unbound = [inject for inject in injects if inject.pk not in bound]
    if unbound:  # screened again since, and the pair no longer close: the card keeps the numbers it warned of
        bound |= selectors.last_screened_conjunctions(exercise.pk, unbound)
    return {inject.pk: card(inject, bound[inject.pk], exercise) for inject in injects if inject.pk in bound}


def text_of(item) -> str:
    """An inject's text as its team reads it (filled when it is a bound conjunction), or any item's own text."""
    if isinstance(item, Inject):
        found = cards([item])
        if item.pk in found:
            return found[item.pk].text
    return item.text
