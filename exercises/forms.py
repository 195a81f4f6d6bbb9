import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from exercises.models import (
    Adjudication,
    AttackTechnique,
    Classification,
    Feedback,
    ImprovementItem,
    Inject,
    InjectKind,
    Objective,
    Observation,
    ProtocolStep,
    Rating,
    Releasability,
    Response,
    Team,
    format_exercise_time,
)
from exercises.scenario_time import parse_scenario_time


class LoadedMultipleChoiceField(forms.MultipleChoiceField):
    """ModelMultipleChoiceField over objects already in memory: validating costs no query.

    `objects` are the rows that may be chosen (e.g. an inject's prefetched protocol steps), each
    chosen by its `key` attribute; the cleaned value is the chosen objects, in the order given."""

    def __init__(self, *, key: str = "pk", **kwargs):
        self.key = key
        self._objects = []
        super().__init__(choices=(), **kwargs)

    @property
    def objects(self) -> list:
        return self._objects

    @objects.setter
    def objects(self, objects):
        self._objects = list(objects)
        self.choices = [(str(getattr(obj, self.key)), str(obj)) for obj in self._objects]

    def clean(self, value):
        chosen = set(super().clean(value))
        return [obj for obj in self._objects if str(getattr(obj, self.key)) in chosen]


class ResponseForm(forms.Form):
    """A team's response to a released inject. Forms only validate; the service writes."""

    kind = forms.ChoiceField(choices=Response.Kind.choices, initial=Response.Kind.ACTION)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.CONJUNCTION_MAX_TEXT,
        strip=True,
        error_messages={
            "required": _("Write what your team decided, did or assessed."),
            "max_length": _(
                "Keep a response under %(limit_value)d characters (it has %(show_value)d); split it into several."
            ),
        },
    )
    protocol_steps = LoadedMultipleChoiceField(
        key="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Protocol steps this carries out"),
    )

    def __init__(self, *args, inject=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inject = inject
        if inject is not None:
            # The inject's steps as loaded (selectors prefetch them): checking the choice needs no query.
            self.fields["protocol_steps"].objects = inject.protocol_steps.all()
        self.fields["protocol_steps"].error_messages["invalid_choice"] = _(
            "%(value)s is not a protocol step of this inject."
        )


def _text_field(required: str, max_length: str, **kwargs):
    """A long text; `required` and `max_length` are its (translated) error messages, the latter with the
    %(limit_value)d and %(show_value)d placeholders of Django's length check."""
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=settings.CONJUNCTION_MAX_TEXT,
        strip=True,
        error_messages={"required": required, "max_length": max_length},
        **kwargs,
    )


class ErrorTextMixin:
    def error_text(self) -> str:
        return " ".join(str(message) for errors in self.errors.values() for message in errors)


class MessageForm(ErrorTextMixin, forms.Form):
    text = _text_field(
        _("Write the message."), _("Keep the message under %(limit_value)d characters (it has %(show_value)d).")
    )
    to = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = exercise.teams.all()
        self.fields["to"].error_messages["invalid_choice"] = _("That team does not take part in this exercise.")


class SpeedForm(ErrorTextMixin, forms.Form):
    speed = forms.FloatField(
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": _("Speed must be between 1× and 60×."),
            "max_value": _("Speed must be between 1× and 60×."),
            "invalid": _("Speed must be a number between 1 and 60."),
            "required": _("Choose a speed."),
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
    exercise_time = ScenarioTimeField(
        error_messages={"required": _("Type the exercise time to jump to, e.g. T+01:00.")}
    )


class DelayForm(ErrorTextMixin, forms.Form):
    minutes = forms.IntegerField(
        min_value=1,
        max_value=1440,
        error_messages={
            "min_value": _("Delay by at least 1 minute."),
            "max_value": _("Delay by at most 1440 minutes (a day)."),
            "invalid": _("Type the delay in whole minutes."),
            "required": _("Type the delay in minutes."),
        },
    )


class TechniquesField(forms.CharField):
    """Attack technique ids (SPARTA, MITRE ATT&CK) typed with commas, cleaned to techniques of the bundled list
    (fixtures/attack_techniques.json), whatever their case; an unknown id is named."""

    def __init__(self, **kwargs):
        kwargs = {
            "label": _("Attack techniques (SPARTA, ATT&CK)"),
            "required": False,
            "max_length": 400,
            "help_text": _("SPARTA or ATT&CK ids separated by commas, e.g. EX-0016.01, T1078."),
            **kwargs,
        }
        super().__init__(**kwargs)

    def clean(self, value):
        from exercises.services.scenarios import clean_techniques

        codes = [code for code in re.split(r"[,;\s]+", super().clean(value)) if code]
        techniques, problem = clean_techniques(codes, {t.code: t for t in AttackTechnique.objects.all()})
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return techniques


class InjectForm(ErrorTextMixin, forms.ModelForm):
    """Edit an exercise inject before release, or compose an ad-hoc one."""

    offset = ScenarioTimeField(label=_("Scenario time"), help_text=_("T+01:30, 01:30:00 or D+0 H+1 M+30"))
    techniques = TechniquesField()

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
        labels = {
            "addressed_to_all": _("Addressed to all teams"),
            "kind": _("Inject type"),
            "title": _("Title"),
            "text": _("Text"),
            "teams": _("Teams"),
            "originator": _("Originator"),
            "delivery_method": _("Delivery method"),
            "expected_action": _("Expected action"),
            "protocol_steps": _("Protocol steps"),
        }

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = exercise.teams.all()
        self.fields["teams"].required = False
        self.fields["protocol_steps"].required = False
        if self.instance.pk:
            self.initial["offset"] = format_exercise_time(self.instance.offset)
            self.initial["techniques"] = ", ".join(technique.code for technique in self.instance.techniques.all())

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("addressed_to_all") and not cleaned.get("teams"):
            self.add_error("teams", _("Choose the teams the inject goes to, or tick 'Addressed to all teams'."))
        return cleaned


class AdhocInjectForm(ErrorTextMixin, forms.Form):
    kind = forms.ChoiceField(choices=InjectKind.choices, label=_("Inject type"))
    title = forms.CharField(max_length=200, error_messages={"required": _("Give the inject a title.")})
    text = _text_field(
        _("Write the inject text."),
        _("Keep the inject text under %(limit_value)d characters (it has %(show_value)d)."),
    )
    addressed_to_all = forms.BooleanField(required=False, label=_("To all teams"))
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = exercise.teams.all()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("addressed_to_all") and not cleaned.get("teams"):
            self.add_error("teams", _("Choose the teams the inject goes to, or tick 'To all teams'."))
        return cleaned


class MarkingFields(forms.Form):
    """Classification and releasability, with the REL TO nations."""

    classification = forms.ChoiceField(
        choices=Classification.choices, initial=Classification.UNCLASSIFIED, label=_("Classification")
    )
    releasability = forms.ChoiceField(
        choices=Releasability.choices, initial=Releasability.ALL_ALLIES, label=_("Releasability")
    )
    releasable_to = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        label=_("REL TO nations"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("releasability") == Releasability.REL_TO and not cleaned.get("releasable_to"):
            self.add_error("releasable_to", _("Name the nations it is releasable to."))
        return cleaned


class ShareMarkingFields(MarkingFields):
    """What every share to allies asks (the share page, a STIX import): the recipients, the marking, and a
    downgrade's reason and removals. `participant` sets the teams offered."""

    recipients = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        label=_("Share with"),
        error_messages={"required": _("Choose at least one allied team to share with.")},
    )
    downgrade_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why downgrade (needed to share beyond the source's marking)"),
    )
    downgrade_removed = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("What was removed or sanitised")
    )

    def __init__(self, *args, participant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = participant.exercise.teams.exclude(pk=participant.team_id)
        self.fields["releasable_to"].queryset = participant.exercise.teams.all()


class ShareForm(ErrorTextMixin, ShareMarkingFields):
    field_order = [
        "source",
        "title",
        "text",
        "recipients",
        "classification",
        "releasability",
        "releasable_to",
        "attach_cdm",
        "downgrade_reason",
        "downgrade_removed",
    ]

    source = forms.ChoiceField(label=_("Source"))
    title = forms.CharField(
        max_length=200, label=_("Title"), error_messages={"required": _("Give the assessment a title.")}
    )
    text = _text_field(
        _("Write the assessment."),
        _("Keep the assessment under %(limit_value)d characters (it has %(show_value)d)."),
        label=_("Text"),
    )
    attach_cdm = forms.BooleanField(required=False)

    def __init__(self, *args, participant, sources, conjunction=None, **kwargs):
        """`conjunction`: the source's screened conjunction (selectors.source_conjunction); without one the
        form offers no CDM to attach."""
        super().__init__(*args, participant=participant, **kwargs)
        if conjunction is None:
            del self.fields["attach_cdm"]
        else:
            self.fields["attach_cdm"].label = _(
                "Attach the CDM of %(primary)s × %(secondary)s "
                "(CCSDS Conjunction Data Message, shared under this marking)"
            ) % {"primary": conjunction.primary.name, "secondary": conjunction.secondary.name}
        self.fields["source"].choices = sources
        self.fields["source"].error_messages["invalid_choice"] = _(
            "Pick an inject your team received or one of its responses."
        )


class ObservationForm(ErrorTextMixin, forms.Form):
    kind = forms.ChoiceField(choices=Observation.Kind.choices)
    text = _text_field(
        _("Write the observation."),
        _("Keep the observation under %(limit_value)d characters (it has %(show_value)d)."),
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, to_field_name="code")
    inject = forms.ModelChoiceField(queryset=Inject.objects.none(), required=False)
    protocol_step = forms.ModelChoiceField(queryset=ProtocolStep.objects.all(), required=False)
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), required=False)

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = exercise.teams.all()
        self.fields["inject"].queryset = exercise.injects.all()
        self.fields["objective"].queryset = exercise.objectives.all()


class AdjudicationForm(ErrorTextMixin, forms.Form):
    response = forms.ModelChoiceField(queryset=Response.objects.none())
    protocol_step = forms.ModelChoiceField(queryset=ProtocolStep.objects.all())
    verdict = forms.ChoiceField(choices=Adjudication.Verdict.choices)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].queryset = exercise.responses.all()


class RatingForm(ErrorTextMixin, forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), to_field_name="code")
    objective = forms.ModelChoiceField(queryset=Objective.objects.none())
    rating = forms.ChoiceField(choices=Rating.Scale.choices)
    explanation = _text_field(
        _("Write the explanation of the rating."),
        _("Keep the explanation of the rating under %(limit_value)d characters (it has %(show_value)d)."),
    )

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = exercise.teams.all()
        self.fields["objective"].queryset = exercise.objectives.all()


class FeedbackForm(ErrorTextMixin, forms.Form):
    strengths = _text_field(
        _("Write the strengths."),
        _("Keep the strengths under %(limit_value)d characters (it has %(show_value)d)."),
        label=_("Strengths"),
    )
    improvements = _text_field(
        _("Write the areas for improvement."),
        _("Keep the areas for improvement under %(limit_value)d characters (it has %(show_value)d)."),
        label=_("Improvements"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, 4):
            self.fields[f"action_{n}"] = forms.CharField(
                required=False, max_length=500, label=_("Corrective action %(n)d") % {"n": n}
            )
            self.fields[f"priority_{n}"] = forms.ChoiceField(
                choices=Feedback.Priority.choices, required=False, label=_("Priority of action %(n)d") % {"n": n}
            )
            self.fields[f"owner_{n}"] = forms.CharField(
                required=False, max_length=120, label=_("Owner of action %(n)d") % {"n": n}
            )
        for key, question in Feedback.QUESTIONS:
            self.fields[f"rating_{key}"] = forms.TypedChoiceField(
                choices=[(n, str(n)) for n in range(1, 6)],
                coerce=int,
                label=question,
                widget=forms.RadioSelect,
                error_messages={"required": _("Rate each statement from 1 (disagree) to 5 (agree).")},
            )

    def corrective_actions(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"action": data[f"action_{n}"], "priority": data[f"priority_{n}"] or "medium", "owner": data[f"owner_{n}"]}
            for n in range(1, 4)
            if data.get(f"action_{n}")
        ]

    def ratings(self) -> dict:
        return {key: self.cleaned_data[f"rating_{key}"] for key, _question in Feedback.QUESTIONS}


class MarkedResponseForm(MarkingFields, ResponseForm):
    """A response with its marking; by default it carries the marking of the inject it answers.

    `teams` are the exercise's teams (the REL TO choices) when the caller has them already."""

    releasable_to = LoadedMultipleChoiceField(
        key="code", required=False, widget=forms.CheckboxSelectMultiple, label=_("REL TO nations")
    )

    def __init__(self, *args, inject=None, teams=None, **kwargs):
        super().__init__(*args, inject=inject, **kwargs)
        if inject is not None:
            self.fields["releasable_to"].objects = teams if teams is not None else inject.exercise.teams.all()
            self.fields["classification"].initial = self.initial.get("classification", inject.classification)
            self.fields["releasability"].initial = self.initial.get("releasability", inject.releasability)
            self.fields["classification"].required = False
            self.fields["releasability"].required = False

    def clean(self):
        cleaned = super().clean()
        if self.inject is not None:
            cleaned["classification"] = cleaned.get("classification") or self.inject.classification
            cleaned["releasability"] = cleaned.get("releasability") or self.inject.releasability
        return cleaned


class ImprovementItemForm(forms.ModelForm):
    class Meta:
        model = ImprovementItem
        fields = [
            "core_capability",
            "issue",
            "corrective_action",
            "capability_element",
            "responsible",
            "point_of_contact",
            "start_date",
            "completion_date",
        ]
        widgets = {
            "issue": forms.Textarea(attrs={"rows": 2}),
            "corrective_action": forms.Textarea(attrs={"rows": 2}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "completion_date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "core_capability": _("Core capability"),
            "issue": _("Issue"),
            "corrective_action": _("Corrective action"),
            "capability_element": _("Capability element"),
            "responsible": _("Primary responsible nation or organisation"),
            "point_of_contact": _("Point of contact"),
            "start_date": _("Start date"),
            "completion_date": _("Completion date"),
        }


class PlanExerciseForm(forms.Form):
    name = forms.CharField(max_length=160, label=_("Name"), error_messages={"required": _("Name the exercise.")})
    scenario = forms.ModelChoiceField(
        queryset=None, label=_("Scenario"), error_messages={"required": _("Choose the scenario to run.")}
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        label=_("Participating teams"),
        error_messages={"required": _("Choose at least one participating team.")},
    )

    def __init__(self, *args, **kwargs):
        from exercises.models import Scenario

        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = Scenario.objects.all()
        self.fields["teams"].initial = list(Team.objects.values_list("code", flat=True))


class StixImportForm(ErrorTextMixin, ShareMarkingFields):
    """A STIX 2.1 bundle (a file or pasted), shared as the team's assessment under the marking chosen here."""

    field_order = [
        "bundle_file",
        "bundle_text",
        "source",
        "recipients",
        "classification",
        "releasability",
        "releasable_to",
        "downgrade_reason",
        "downgrade_removed",
    ]

    bundle_file = forms.FileField(required=False, label=_("STIX bundle file (.json)"))
    bundle_text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), label=_("Or paste the STIX bundle")
    )
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args, participant, sources, **kwargs):
        super().__init__(*args, participant=participant, **kwargs)
        self.fields["source"].choices = [("", _("The inject the bundle's report names (in its object_refs)")), *sources]
        self.fields["source"].error_messages["invalid_choice"] = _(
            "Pick an inject your team received or one of its responses."
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("bundle_file")
        if upload is not None:
            if upload.size > 1024 * 1024:
                self.add_error("bundle_file", _("The file is larger than 1 MB."))
                return cleaned
            cleaned["bundle"] = upload.read()
        elif cleaned.get("bundle_text", "").strip():
            cleaned["bundle"] = cleaned["bundle_text"]
        else:
            self.add_error("bundle_file", _("Choose a STIX bundle file, or paste the bundle."))
        return cleaned


class ApiTokenForm(ErrorTextMixin, forms.Form):
    name = forms.CharField(
        max_length=80,
        label=_("Token name"),
        help_text=_("What uses it, e.g. 'taxii2-client on the ops laptop'."),
        error_messages={"required": _("Give the token a name.")},
    )
