from django import template
from django.conf import settings

from exercises.models import Response, format_exercise_time

register = template.Library()


@register.filter
def exercise_time(value):
    """Render a timedelta as T+HH:MM:SS."""
    return format_exercise_time(value)


@register.simple_tag
def response_kinds():
    return Response.Kind.choices


@register.simple_tag
def max_text():
    return settings.CONJUNCTION_MAX_TEXT
