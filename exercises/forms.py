from django import forms
from django.conf import settings

from exercises.models import Inject, InjectKind, ProtocolStep, Response, Team, format_exercise_time
from exercises.scenario_time import parse_scenario_time


class ResponseForm(forms.Form):
    """A team's response to a released inject. Forms only validate; the service writes."""

    kind = forms.ChoiceField(choices=Response.Kind.choices, initial=Response.Kind.ACTION)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.CONJUNCTION_MAX_TEXT,
        strip=True,
        error_messages={
            "required": "Write what your team decided, did or assessed.",
            "max_length": f"Keep a response under {settings.CONJUNCTION_MAX_TEXT} characters "
            "(it has %(show_value)d); split it into several.",
        },
    )
    protocol_steps = forms.ModelMultipleChoiceField(
        queryset=ProtocolStep.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Protocol steps this carries out",
    )

    def __init__(self, *args, inject=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inject = inject
        if inject is not None:
            self.fields["protocol_steps"].queryset = inject.protocol_steps.all()
        self.fields["protocol_steps"].error_messages["invalid_choice"] = (
            "%(value)s is not a protocol step of this inject."
        )


def _text_field(what: str):
    return forms.CharField(
        max_length=settings.CONJUNCTION_MAX_TEXT,
        strip=True,
        error_messages={
            "required": f"Write the {what}.",
            "max_length": f"Keep the {what} under {settings.CONJUNCTION_MAX_TEXT} characters (it has %(show_value)d).",
        },
    )


class ErrorTextMixin:
    def error_text(self) -> str:
        return " ".join(str(message) for errors in self.errors.values() for message in errors)


class MessageForm(ErrorTextMixin, forms.Form):
    text = _text_field("message")
    to = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = exercise.teams.all()
        self.fields["to"].error_messages["invalid_choice"] = "That team does not take part in this exercise."


class SpeedForm(ErrorTextMixin, forms.Form):
    speed = forms.FloatField(
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": "Speed must be between 1× and 60×.",
            "max_value": "Speed must be between 1× and 60×.",
            "invalid": "Speed must be a number between 1 and 60.",
            "required": "Choose a speed.",
        },
    )


class ScenarioTimeField(forms.CharField):
    """A scenario time typed as T+01:30, 01:30:00 or D+0 H+1 M+30."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_scenario_time(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class JumpForm(ErrorTextMixin, forms.Form):
    exercise_time = ScenarioTimeField(error_messages={"required": "Type the exercise time to jump to, e.g. T+01:00."})


class DelayForm(ErrorTextMixin, forms.Form):
    minutes = forms.IntegerField(
        min_value=1,
        max_value=1440,
        error_messages={
            "min_value": "Delay by at least 1 minute.",
            "max_value": "Delay by at most 1440 minutes (a day).",
            "invalid": "Type the delay in whole minutes.",
            "required": "Type the delay in minutes.",
        },
    )


class InjectForm(ErrorTextMixin, forms.ModelForm):
    """Edit an exercise inject before release, or compose an ad-hoc one."""

    offset = ScenarioTimeField(label="Scenario time", help_text="T+01:30, 01:30:00 or D+0 H+1 M+30")

    class Meta:
        model = Inject
        fields = [
            "kind",
            "title",
            "text",
            "offset",
            "addressed_to_all",
            "teams",
            "originator",
            "delivery_method",
            "expected_action",
            "protocol_steps",
        ]
        widgets = {
            "teams": forms.CheckboxSelectMultiple,
            "protocol_steps": forms.SelectMultiple(attrs={"size": 8}),
            "text": forms.Textarea(attrs={"rows": 5}),
            "expected_action": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"addressed_to_all": "Addressed to all teams", "kind": "Inject type"}

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = exercise.teams.all()
        self.fields["teams"].required = False
        self.fields["protocol_steps"].required = False
        if self.instance.pk:
            self.initial["offset"] = format_exercise_time(self.instance.offset)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("addressed_to_all") and not cleaned.get("teams"):
            self.add_error("teams", "Choose the teams the inject goes to, or tick 'Addressed to all teams'.")
        return cleaned


class AdhocInjectForm(ErrorTextMixin, forms.Form):
    kind = forms.ChoiceField(choices=InjectKind.choices, label="Inject type")
    title = forms.CharField(max_length=200, error_messages={"required": "Give the inject a title."})
    text = _text_field("inject text")
    addressed_to_all = forms.BooleanField(required=False, label="To all teams")
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = exercise.teams.all()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("addressed_to_all") and not cleaned.get("teams"):
            self.add_error("teams", "Choose the teams the inject goes to, or tick 'To all teams'.")
        return cleaned
