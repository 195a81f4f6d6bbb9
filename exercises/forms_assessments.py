"""The structured assessment of a decision-bearing inject, on the response form (forms only validate)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exercises import coalition
from exercises.forms import MarkedResponseForm

ASSESSMENT_FIELDS = ("assessed_cause", "attributed_actor", "confidence", "course_of_action", "course_of_action_other")


class StructuredResponseForm(MarkedResponseForm):
    """A response; to a decision-bearing inject, with the assessed cause, attributed actor, confidence (ICD 203)
    and the recommended course of action. The assessment is optional, but given, it is given whole."""

    assessed_cause = forms.ChoiceField(required=False, label=_("Assessed cause"))
    attributed_actor = forms.CharField(required=False, max_length=120, label=_("Attributed actor (if any)"))
    confidence = forms.ChoiceField(
        required=False, choices=[("", "—"), *coalition.confidence_choices()], label=_("Confidence")
    )
    course_of_action = forms.ChoiceField(required=False, label=_("Recommended course of action"))
    course_of_action_other = forms.CharField(required=False, max_length=200, label=_("Other course of action"))

    def __init__(self, *args, inject=None, **kwargs):
        super().__init__(*args, inject=inject, **kwargs)
        kind = inject.kind if inject is not None else ""
        options = list(inject.course_of_action_options) if inject is not None else []
        self.decision_bearing = bool(inject is not None and inject.decision_bearing)
        if not self.decision_bearing:
            for name in ASSESSMENT_FIELDS:
                del self.fields[name]
            return
        self.fields["assessed_cause"].choices = [("", "—"), *coalition.causes_for(kind)]
        self.fields["course_of_action"].choices = [
            ("", "—"),
            *[(option, option) for option in options],
            (coalition.OTHER, gettext("Other (describe)")),
        ]
        messages = {
            "assessed_cause": gettext("Assessed cause: choose one of the causes listed for this inject."),
            "confidence": gettext("Confidence: choose one of the words of estimative probability."),
            "course_of_action": gettext("Course of action: choose one of the inject's options, or 'Other'."),
        }
        for name, message in messages.items():
            self.fields[name].error_messages["invalid_choice"] = message

    def clean(self):
        cleaned = super().clean()
        given = [name for name in ("assessed_cause", "confidence", "course_of_action") if cleaned.get(name)]
        if not self.decision_bearing:
            return cleaned
        if given and len(given) < 3 or (cleaned.get("attributed_actor") and not given):
            for name, message in (
                (
                    "assessed_cause",
                    _("Choose the assessed cause. An assessment gives cause, confidence and course of action."),
                ),
                (
                    "confidence",
                    _("Choose your confidence. An assessment gives cause, confidence and course of action."),
                ),
                (
                    "course_of_action",
                    _(
                        "Choose the course of action you recommend. "
                        "An assessment gives cause, confidence and course of action."
                    ),
                ),
            ):
                if not cleaned.get(name):
                    self.add_error(name, message)
        if cleaned.get("course_of_action") == coalition.OTHER and not cleaned.get("course_of_action_other"):
            self.add_error("course_of_action_other", _("Describe the other course of action you recommend."))
        return cleaned

    def assessment(self) -> dict | None:
        data = self.cleaned_data
        if not self.decision_bearing or not data.get("assessed_cause"):
            return None
        return {
            "assessed_cause": data["assessed_cause"],
            "confidence": data["confidence"],
            "course_of_action": data["course_of_action"],
            "course_of_action_other": data.get("course_of_action_other", ""),
            "attributed_actor": data.get("attributed_actor", ""),
        }
