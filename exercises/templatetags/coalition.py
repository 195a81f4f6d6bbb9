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
    return coalition.CAUSES.get(value, value)


@register.filter
def confidence_label(value):
    return coalition.CONFIDENCE[value][0] if value in coalition.CONFIDENCE else value


@register.filter
def join_and(codes):
    """USA, GBR and CAN."""
    codes = list(codes)
    return codes[0] if len(codes) == 1 else f"{', '.join(codes[:-1])} and {codes[-1]}" if codes else ""


@register.filter
def article(cause):
    """'a hostile act', 'an accident'; 'unknown' and 'natural (space weather)' read as 'unknown' and 'a natural…'."""
    if cause == "unknown":
        return "“unknown”"
    return f"{'an' if cause[:1] in 'aeiou' else 'a'} {cause}"
