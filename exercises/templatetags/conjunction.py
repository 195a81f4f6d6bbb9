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


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def speeds():
    """Speed factors offered on the console (the service accepts any from 1 to 60)."""
    return [1, 2, 5, 10, 20, 30, 60]


@register.simple_tag
def inject_kinds():
    from exercises.models import InjectKind

    return InjectKind.choices


@register.filter
def acknowledgement_by(assessment, team_code):
    """The team's acknowledgement of a shared assessment, or None (uses the prefetched rows)."""
    return next((ack for ack in assessment.acknowledgements.all() if ack.team_id == team_code), None)


@register.simple_tag
def marking_choices():
    from exercises.models import Classification, Releasability

    return {"classifications": Classification.choices, "releasabilities": Releasability.choices}


@register.filter
def minutes(value):
    """A timedelta in minutes with one decimal."""
    from exercises.reports.data import minutes as in_minutes

    return in_minutes(value)


@register.filter
def step_count(row, status):
    return row.count(status)
