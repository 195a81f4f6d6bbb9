"""Forms for authoring scenarios. They only validate; exercises/services/scenarios.py writes."""

from django import forms
from django.conf import settings

from exercises.models import (
    Classification,
    DeliveryMethod,
    InjectKind,
    Objective,
    Protocol,
    ProtocolStep,
    Releasability,
    Scenario,
    ScenarioInject,
    Team,
    Trigger,
    format_exercise_time,
)
from exercises.scenario_time import parse_scenario_time
from exercises.services import scenarios
from exercises.services.msel_spreadsheet import MAX_UPLOAD_BYTES

MAX_TEXT = settings.CONJUNCTION_MAX_TEXT


class PlainLabels:
    """Labels without Django's trailing colon: they read as the column names planners know."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ScenarioForm(PlainLabels, forms.Form):
    """A new scenario, or a scenario's new name and description."""

    name = forms.CharField(
        max_length=scenarios.MAX_NAME, error_messages={"required": "Give the scenario a name players will recognise."}
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000)

    def __init__(self, *args, scenario: Scenario | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scenario = scenario

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if scenarios.name_taken(name, exclude=self.scenario):
            raise forms.ValidationError("A scenario with this name already exists; choose another name.")
        return name


class DuplicateForm(PlainLabels, forms.Form):
    name = forms.CharField(max_length=scenarios.MAX_NAME, required=False, label="Name of the copy")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name and scenarios.name_taken(name):
            raise forms.ValidationError("A scenario with this name already exists; choose another name.")
        return name


class ObjectiveChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.text}"


def _step_choices():
    groups = {}
    for step in ProtocolStep.objects.select_related("protocol"):
        groups.setdefault(step.protocol, []).append((step.code, f"{step.code} {step.title}"))
    return [("", "—")] + [(f"{protocol.code} {protocol.title}", steps) for protocol, steps in groups.items()]


class InjectForm(PlainLabels, forms.Form):
    """One MSEL row of a scenario, every field the JSON format carries."""

    TO_ALL, TO_TEAMS = "all", "teams"

    sequence = forms.IntegerField(
        label="No.",
        min_value=1,
        max_value=scenarios.MAX_SEQUENCE,
        error_messages={"required": "Give the inject a number.", "invalid": "Write a whole number."},
    )
    scenario_time = forms.CharField(
        label="Scenario time",
        max_length=40,
        help_text="T+01:30, 01:30:00 or D+0 H+1 M+30",
        error_messages={"required": "Give the scenario time, e.g. T+01:30."},
    )
    kind = forms.ChoiceField(label="Inject type", choices=InjectKind.choices)
    title = forms.CharField(
        max_length=scenarios.MAX_TITLE, error_messages={"required": "Give the inject a short title (its synopsis)."}
    )
    text = forms.CharField(
        label="Text (what players read)",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        error_messages={"required": "Write the text players will read."},
    )
    to = forms.ChoiceField(
        label="To",
        choices=[(TO_ALL, "All teams in the exercise"), (TO_TEAMS, "Only the teams ticked below")],
        widget=forms.RadioSelect,
        initial=TO_ALL,
    )
    teams = forms.ModelMultipleChoiceField(
        label="Teams", queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    originator = forms.CharField(label="From (simulated sender)", max_length=scenarios.MAX_ORIGINATOR, required=False)
    delivery_method = forms.ChoiceField(
        label="Delivery method", choices=DeliveryMethod.choices, initial=DeliveryMethod.MESSAGE
    )
    expected_action = forms.CharField(
        label="Expected action", widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_TEXT, required=False
    )
    objectives = ObjectiveChoiceField(
        label="Objectives", queryset=Objective.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    protocol_steps = forms.ModelMultipleChoiceField(
        label="Protocol steps", queryset=ProtocolStep.objects.all(), required=False
    )
    notes = forms.CharField(
        label="Notes for controllers and evaluators",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=False,
    )
    classification = forms.ChoiceField(choices=Classification.choices, initial=Classification.UNCLASSIFIED)
    releasability = forms.ChoiceField(choices=Releasability.choices, initial=Releasability.ALL_ALLIES)
    releasable_to = forms.ModelMultipleChoiceField(
        label="Releasable to", queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    on_demand = forms.BooleanField(label="On demand: kept off the timeline until released by hand", required=False)
    trigger = forms.ChoiceField(label="Contingency", choices=Trigger.choices, required=False)
    trigger_step = forms.ChoiceField(label="Condition on protocol step", required=False)

    def __init__(self, *args, scenario: Scenario, inject: ScenarioInject | None = None, **kwargs):
        self.scenario, self.inject = scenario, inject
        prefix_id = f"inject-{inject.pk}" if inject else "new-inject"
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        if inject is not None and not args and "data" not in kwargs:
            kwargs["initial"] = initial_for(inject)
        elif not args and "data" not in kwargs:
            kwargs["initial"] = initial_for_new(scenario)
        super().__init__(*args, **kwargs)
        self.fields["objectives"].queryset = scenario.objectives.all()
        self.fields["trigger_step"].choices = _step_choices()
        self.dom_id = prefix_id

    def clean_scenario_time(self):
        try:
            return parse_scenario_time(self.cleaned_data["scenario_time"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_sequence(self):
        sequence = self.cleaned_data["sequence"]
        taken = self.scenario.injects.filter(sequence=sequence)
        if self.inject is not None:
            taken = taken.exclude(pk=self.inject.pk)
        if taken.exists():
            raise forms.ValidationError(f"Inject number {sequence} is already used in this scenario.")
        return sequence

    def clean_trigger_step(self):
        code = self.cleaned_data["trigger_step"]
        return ProtocolStep.objects.get(code=code) if code else None

    def clean(self):
        data = super().clean()
        for name in ("title", "text", "originator", "expected_action", "notes"):
            if name in data:
                data[name] = scenarios.normalise_text(data[name])
        if data.get("to") == self.TO_TEAMS and "teams" in data and not data["teams"]:
            self.add_error("teams", "Tick at least one team, or address the inject to all teams.")
        rules = scenarios.msel_row_rules(
            {
                "releasability": data.get("releasability"),
                "releasable_to": data.get("releasable_to"),
                "trigger": data.get("trigger"),
                "trigger_step": data.get("trigger_step"),
            }
        )
        for field, _reason in rules:
            if field == "releasable_to" and data.get("releasability") == Releasability.REL_TO:
                self.add_error(field, "Tick the nations it is releasable to.")
            elif field == "releasable_to":
                self.add_error(field, "Tick nations only for “REL TO listed nations”.")
            elif field == "trigger_step":
                self.add_error(field, "Choose the protocol step the condition is on.")
            else:
                self.add_error(field, "Choose the condition, or clear the protocol step.")
        return data

    def msel_values(self) -> dict:
        """The validated values, as services.scenarios.add_inject / change_inject take them."""
        data = self.cleaned_data
        to_all = data["to"] == self.TO_ALL
        return {
            "sequence": data["sequence"],
            "offset": data["scenario_time"],
            "kind": data["kind"],
            "title": data["title"],
            "text": data["text"],
            "addressed_to_all": to_all,
            "teams": [] if to_all else list(data["teams"]),
            "originator": data["originator"],
            "delivery_method": data["delivery_method"],
            "expected_action": data["expected_action"],
            "notes": data["notes"],
            "classification": data["classification"],
            "releasability": data["releasability"],
            "releasable_to": list(data["releasable_to"]),
            "on_demand": data["on_demand"],
            "trigger": data["trigger"] or "",
            "trigger_step": data["trigger_step"],
            "protocol_steps": list(data["protocol_steps"]),
            "objectives": list(data["objectives"]),
        }

    def selected_steps(self) -> set[str]:
        """The protocol step codes ticked (as submitted, or as stored)."""
        return {str(value) for value in (self["protocol_steps"].value() or [])}

    def step_groups(self) -> list[dict]:
        """The protocol steps by protocol, each with whether it is ticked; protocols with a tick start open."""
        selected = self.selected_steps()
        groups = []
        for protocol in Protocol.objects.prefetch_related("steps"):
            steps = [(step, step.code in selected) for step in protocol.steps.all()]
            count = sum(checked for _step, checked in steps)
            groups.append({"protocol": protocol, "steps": steps, "count": count, "open": count > 0})
        return groups


def initial_for(inject: ScenarioInject) -> dict:
    return {
        "sequence": inject.sequence,
        "scenario_time": format_exercise_time(inject.offset),
        "kind": inject.kind,
        "title": inject.title,
        "text": inject.text,
        "to": InjectForm.TO_ALL if inject.addressed_to_all else InjectForm.TO_TEAMS,
        "teams": [t.code for t in inject.teams.all()],
        "originator": inject.originator,
        "delivery_method": inject.delivery_method,
        "expected_action": inject.expected_action,
        "notes": inject.notes,
        "classification": inject.classification,
        "releasability": inject.releasability,
        "releasable_to": [t.code for t in inject.releasable_to.all()],
        "on_demand": inject.on_demand,
        "trigger": inject.trigger,
        "trigger_step": inject.trigger_step_id or "",
        "protocol_steps": [s.code for s in inject.protocol_steps.all()],
        "objectives": [o.pk for o in inject.objectives.all()],
    }


def initial_for_new(scenario: Scenario) -> dict:
    """The next free number, at the time of the last inject."""
    last = scenario.injects.order_by("-offset", "-sequence").first()
    highest = scenario.injects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    return {
        "sequence": highest + 1,
        "scenario_time": format_exercise_time(last.offset) if last else "T+00:00:00",
        "to": InjectForm.TO_ALL,
    }


class ScenarioFileForm(PlainLabels, forms.Form):
    """A scenario in the Conjunction JSON format."""

    file = forms.FileField(label="Scenario file (.json)")
    replace = forms.BooleanField(
        label="Replace the scenario of the same name if there is one (its objectives and injects)", required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        return upload


class MselFileForm(PlainLabels, forms.Form):
    """A MSEL spreadsheet, into an existing scenario (replacing its injects) or a new one."""

    file = forms.FileField(label="MSEL spreadsheet (.xlsx or .csv)")
    scenario = forms.ModelChoiceField(
        label="Into the scenario (its injects are replaced; its objectives are kept)",
        queryset=Scenario.objects.all(),
        required=False,
        empty_label="— a new scenario —",
    )
    new_name = forms.CharField(label="Or a new scenario named", max_length=scenarios.MAX_NAME, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        return upload

    def clean(self):
        data = super().clean()
        scenario, name = data.get("scenario"), (data.get("new_name") or "").strip()
        data["new_name"] = name
        if scenario and name:
            self.add_error("new_name", "Choose a scenario or name a new one, not both.")
        elif not scenario and not name and "new_name" not in self.errors:
            self.add_error("new_name", "Name the new scenario, or choose one to import into.")
        elif name and scenarios.name_taken(name):
            self.add_error("new_name", "A scenario with this name already exists; choose it above or another name.")
        return data
