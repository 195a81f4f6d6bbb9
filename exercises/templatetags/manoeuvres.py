from django import template

from exercises.models import format_exercise_time

register = template.Library()


@register.filter
def burn_time(manoeuvre):
    """A committed manoeuvre's burn as exercise time (T+HH:MM:SS): its orbit time less the exercise's epoch."""
    return format_exercise_time(manoeuvre.exercise.exercise_time_of(manoeuvre.burn_at))
