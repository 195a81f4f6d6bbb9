from django import forms
from django.conf import settings

from exercises.models import ProtocolStep, Response


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
