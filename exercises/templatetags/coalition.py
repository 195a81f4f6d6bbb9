from django import template

from exercises import coalition

register = template.Library()


@register.simple_tag
def assessment_choices(inject):
    """The causes for the inject's kind and the ICD 203 confidence scale, as (value, label) pairs."""
    return {"causes": coalition.causes_for(inject.kind), "confidence": coalition.confidence_choices()}


@register.filter
def percent(value):
    """A share (0–1) as a whole percentage, or — when there is none."""
    return "—" if value is None else f"{round(value * 100)} %"


@register.filter
def cause_label(value):
    """The cause's label in the active language."""
    return coalition.cause_label(value)


@register.filter
def confidence_label(value):
    return coalition.confidence_label(value) if value in coalition.CONFIDENCE else value


@register.filter
def join_and(codes):
    """USA, GBR and CAN (in the active language: "USA, GBR et CAN")."""
    return coalition.join_and(codes)


@register.filter
def article(cause):
    """A cause label (CAUSES' English) with its article, in the active language: 'a hostile act', '“unknown”'."""
    return coalition.cause_phrase(cause)
