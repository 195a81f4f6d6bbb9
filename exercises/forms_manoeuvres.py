"""The manoeuvre planner's form: it only reads what the team typed; exercises/services/manoeuvres.py checks
the burn against the orbits and the budget."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exercises.scenario_time import parse_scenario_time


def _delta_v(label: str, message: str) -> forms.FloatField:
    return forms.FloatField(label=label, initial=0.0, error_messages={"required": message, "invalid": message})


class ManoeuvreForm(forms.Form):
    """A burn: when (exercise time) and how much (m/s, radial / in-track / cross-track), and the steps it
    carries out. `inject` is the conjunction inject the team received: its protocol steps are the choices."""

    burn_time = forms.CharField(
        label=_("Burn time (exercise time)"),
        max_length=20,
        error_messages={"required": _("Burn time: give the exercise time of the burn, e.g. T+01:30:00.")},
    )
    radial_m_s = _delta_v(_("Radial (m/s)"), _("Radial delta-v must be a number in m/s."))
    in_track_m_s = _delta_v(_("In-track (m/s)"), _("In-track delta-v must be a number in m/s."))
    cross_track_m_s = _delta_v(_("Cross-track (m/s)"), _("Cross-track delta-v must be a number in m/s."))
    protocol_steps = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, inject, **kwargs):
        super().__init__(*args, **kwargs)
        self.inject = inject
        self.delta_v_errors = []  # the burn as a whole (over the budget, all zero), shown with its three fields
        self.fields["protocol_steps"].choices = [(step.code, step.title) for step in inject.protocol_steps.all()]
        self.fields["protocol_steps"].error_messages["invalid_choice"] = gettext(
            "Protocol steps: claim only steps of inject %(sequence)s; %%(value)s is not one of them."
        ) % {"sequence": inject.sequence}

    def delta_v_fields(self):
        return [self["radial_m_s"], self["in_track_m_s"], self["cross_track_m_s"]]

    def clean_burn_time(self):
        try:
            return parse_scenario_time(self.cleaned_data["burn_time"])
        except ValueError as error:
            raise forms.ValidationError(gettext("Burn time: %(error)s") % {"error": error}) from None
