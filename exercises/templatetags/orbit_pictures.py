"""Filters for the orbit pictures' captions and alt text."""

from django import template

from exercises.models import format_exercise_time

register = template.Library()


@register.filter
def orbit_exercise_time(moment, exercise):
    """A UTC moment on the orbits (a TCA, a burn, a break-up) as exercise time (T+HH:MM:SS)."""
    return "" if moment is None else format_exercise_time(exercise.exercise_time_of(moment))


@register.filter
def pc(value):
    """A probability of collision in scientific notation, as the injects write it: 1.2e-04."""
    return "" if value is None else f"{value:.1e}"
