"""Forms for authoring scenarios. They only validate; exercises/services/scenarios.py writes."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from exercises import orbit_errors
from exercises.forms import TechniquesField
from exercises.models import (
    Classification,
    DeliveryMethod,
    InjectKind,
    Objective,
    ObjectType,
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
from exercises.services import catalogue_authoring, scenarios
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
        label=_("Name"),
        max_length=scenarios.MAX_NAME,
        error_messages={"required": _("Give the scenario a name players will recognise.")},
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )

    def __init__(self, *args, scenario: Scenario | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scenario = scenario

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if scenarios.name_taken(name, exclude=self.scenario):
            raise forms.ValidationError(gettext("A scenario with this name already exists; choose another name."))
        return name


class DuplicateForm(PlainLabels, forms.Form):
    name = forms.CharField(max_length=scenarios.MAX_NAME, required=False, label=_("Name of the copy"))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name and scenarios.name_taken(name):
            raise forms.ValidationError(gettext("A scenario with this name already exists; choose another name."))
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
        label=_("No."),
        min_value=1,
        max_value=scenarios.MAX_SEQUENCE,
        error_messages={"required": _("Give the inject a number."), "invalid": _("Write a whole number.")},
    )
    scenario_time = forms.CharField(
        label=_("Scenario time"),
        max_length=40,
        help_text=_("T+01:30, 01:30:00 or D+0 H+1 M+30"),
        error_messages={"required": _("Give the scenario time, e.g. T+01:30.")},
    )
    kind = forms.ChoiceField(label=_("Inject type"), choices=InjectKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=scenarios.MAX_TITLE,
        error_messages={"required": _("Give the inject a short title (its synopsis).")},
    )
    text = forms.CharField(
        label=_("Text (what players read)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        error_messages={"required": _("Write the text players will read.")},
    )
    to = forms.ChoiceField(
        label=pgettext_lazy("addressed to", "To"),
        choices=[(TO_ALL, _("All teams in the exercise")), (TO_TEAMS, _("Only the teams ticked below"))],
        widget=forms.RadioSelect,
        initial=TO_ALL,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    originator = forms.CharField(
        label=_("From (simulated sender)"), max_length=scenarios.MAX_ORIGINATOR, required=False
    )
    delivery_method = forms.ChoiceField(
        label=_("Delivery method"), choices=DeliveryMethod.choices, initial=DeliveryMethod.MESSAGE
    )
    expected_action = forms.CharField(
        label=_("Expected action"), widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_TEXT, required=False
    )
    objectives = ObjectiveChoiceField(
        label=_("Objectives"), queryset=Objective.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    protocol_steps = forms.ModelMultipleChoiceField(
        label=_("Protocol steps"), queryset=ProtocolStep.objects.all(), required=False
    )
    notes = forms.CharField(
        label=_("Notes for controllers and evaluators"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=False,
    )
    classification = forms.ChoiceField(
        label=_("Classification"), choices=Classification.choices, initial=Classification.UNCLASSIFIED
    )
    releasability = forms.ChoiceField(
        label=_("Releasability"), choices=Releasability.choices, initial=Releasability.ALL_ALLIES
    )
    releasable_to = forms.ModelMultipleChoiceField(
        label=_("Releasable to"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    on_demand = forms.BooleanField(label=_("On demand: kept off the timeline until released by hand"), required=False)
    trigger = forms.ChoiceField(label=_("Contingency"), choices=Trigger.choices, required=False)
    trigger_step = forms.ChoiceField(label=_("Condition on protocol step"), required=False)
    techniques = TechniquesField(
        label=_("Attack techniques (SPARTA, ATT&CK)"),
        help_text=_("SPARTA or ATT&CK ids separated by commas, e.g. EX-0016.01, T1078."),
    )
    primary_object = forms.ChoiceField(
        label=_("Primary object"),
        required=False,
        help_text=_("Conjunction: the allied object. ASAT test: the target destroyed at release."),
    )
    secondary_object = forms.ChoiceField(
        label=_("Secondary object"), required=False, help_text=_("Conjunction: the other object.")
    )
    decision_bearing = forms.BooleanField(
        label=_("Decision-bearing: each team answers with cause, confidence and course of action"), required=False
    )
    course_of_action_options = forms.CharField(
        label=_("Courses of action (one per line; “other” is always offered)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

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
        names = [("", "—")] + [(name, name) for name in scenario.catalogue.values_list("name", flat=True)]
        self.fields["primary_object"].choices = names
        self.fields["secondary_object"].choices = names
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
            raise forms.ValidationError(
                gettext("Inject number %(sequence)s is already used in this scenario.") % {"sequence": sequence}
            )
        return sequence

    def clean_trigger_step(self):
        code = self.cleaned_data["trigger_step"]
        return ProtocolStep.objects.get(code=code) if code else None

    def clean(self):
        data = super().clean()
        bearing, options, problems = scenarios.clean_decision(
            data.get("decision_bearing", False), data.get("course_of_action_options", "")
        )
        data["course_of_action_options"] = options
        for field, reason in problems:
            self.add_error(field, reason[0].upper() + reason[1:] + ".")
        for name in ("title", "text", "originator", "expected_action", "notes"):
            if name in data:
                data[name] = scenarios.normalise_text(data[name])
        if data.get("to") == self.TO_TEAMS and "teams" in data and not data["teams"]:
            self.add_error("teams", gettext("Tick at least one team, or address the inject to all teams."))
        rules = scenarios.msel_row_rules(
            {
                "releasability": data.get("releasability"),
                "releasable_to": data.get("releasable_to"),
                "trigger": data.get("trigger"),
                "trigger_step": data.get("trigger_step"),
                "primary_object": data.get("primary_object"),
                "secondary_object": data.get("secondary_object"),
            }
        )
        for field, reason in rules:
            if field == "releasable_to" and data.get("releasability") == Releasability.REL_TO:
                self.add_error(field, gettext("Tick the nations it is releasable to."))
            elif field == "releasable_to":
                self.add_error(field, gettext("Tick nations only for “REL TO listed nations”."))
            elif field == "trigger_step":
                self.add_error(field, gettext("Choose the protocol step the condition is on."))
            elif field in ("primary_object", "secondary_object"):
                self.add_error(field, reason[0].upper() + reason[1:] + ".")
            else:
                self.add_error(field, gettext("Choose the condition, or clear the protocol step."))
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
            "primary_object": data["primary_object"],
            "secondary_object": data["secondary_object"],
            "decision_bearing": data["decision_bearing"],
            "course_of_action_options": data["course_of_action_options"],
            "protocol_steps": list(data["protocol_steps"]),
            "objectives": list(data["objectives"]),
            "techniques": data["techniques"],
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
        "primary_object": inject.primary_object,
        "secondary_object": inject.secondary_object,
        "decision_bearing": inject.decision_bearing,
        "course_of_action_options": "\n".join(inject.course_of_action_options),
        "protocol_steps": [s.code for s in inject.protocol_steps.all()],
        "objectives": [o.pk for o in inject.objectives.all()],
        "techniques": ", ".join(technique.code for technique in inject.techniques.all()),
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

    file = forms.FileField(label=_("Scenario file (.json)"))
    replace = forms.BooleanField(
        label=_("Replace the scenario of the same name if there is one (its objectives and injects)"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(megabytes)s MB.") % {"megabytes": MAX_UPLOAD_BYTES // 1_000_000}
            )
        return upload


class MselFileForm(PlainLabels, forms.Form):
    """A MSEL spreadsheet, into an existing scenario (replacing its injects) or a new one."""

    file = forms.FileField(label=_("MSEL spreadsheet (.xlsx or .csv)"))
    scenario = forms.ModelChoiceField(
        label=_("Into the scenario (its injects are replaced; its objectives are kept)"),
        queryset=Scenario.objects.all(),
        required=False,
        empty_label=_("— a new scenario —"),
    )
    new_name = forms.CharField(label=_("Or a new scenario named"), max_length=scenarios.MAX_NAME, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(megabytes)s MB.") % {"megabytes": MAX_UPLOAD_BYTES // 1_000_000}
            )
        return upload

    def clean(self):
        data = super().clean()
        scenario, name = data.get("scenario"), (data.get("new_name") or "").strip()
        data["new_name"] = name
        if scenario and name:
            self.add_error("new_name", gettext("Choose a scenario or name a new one, not both."))
        elif not scenario and not name and "new_name" not in self.errors:
            self.add_error("new_name", gettext("Name the new scenario, or choose one to import into."))
        elif name and scenarios.name_taken(name):
            self.add_error(
                "new_name", gettext("A scenario with this name already exists; choose it above or another name.")
            )
        return data


class OrbitEpochForm(PlainLabels, forms.Form):
    """The UTC moment of STARTEX on a scenario's orbits."""

    orbit_epoch = forms.CharField(
        label=_("Orbit epoch of STARTEX (UTC)"),
        required=False,
        max_length=40,
        help_text=_("ISO 8601, e.g. 2031-03-14T06:00:00Z; exercise time T+0 on the catalogue's orbits."),
    )

    def clean_orbit_epoch(self):
        try:
            return catalogue_authoring.parse_orbit_epoch(self.cleaned_data["orbit_epoch"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class SpaceObjectForm(PlainLabels, forms.Form):
    """One object of a scenario's catalogue; its orbit as OMM fields, a pasted TLE or a pasted OMM."""

    FIELDS, TLE, OMM = "fields", "tle", "omm"

    name = forms.CharField(
        label=_("Name"),
        max_length=catalogue_authoring.MAX_OBJECT_NAME,
        error_messages={"required": _("Give the object a name.")},
    )
    owner = forms.ModelChoiceField(
        label=_("Owner (allied team)"), queryset=Team.objects.all(), required=False, empty_label=_("— not allied —")
    )
    owner_other = forms.CharField(
        label=_("Or other owner"),
        max_length=catalogue_authoring.MAX_OWNER_OTHER,
        required=False,
        help_text=_("e.g. KARSLAND"),
    )
    object_type = forms.ChoiceField(label=_("Object type"), choices=ObjectType.choices, initial=ObjectType.PAYLOAD)
    manoeuvrable = forms.BooleanField(label=_("Manoeuvrable"), required=False)
    hard_body_radius_m = forms.FloatField(label=_("Hard-body radius (m)"), initial=5.0)
    mass_kg = forms.FloatField(label=_("Mass (kg)"), required=False)
    delta_v_budget_m_s = forms.FloatField(label=_("Delta-v budget (m/s)"), initial=0.0, required=False)
    sigma_radial_m = forms.FloatField(label=_("1σ radial (m)"), required=False)
    sigma_in_track_m = forms.FloatField(label=_("1σ in-track (m)"), required=False)
    sigma_cross_track_m = forms.FloatField(label=_("1σ cross-track (m)"), required=False)
    orbit_source = forms.ChoiceField(
        label=_("Orbit given as"),
        choices=[
            (FIELDS, _("OMM mean elements")),
            (TLE, _("A pasted TLE (2 or 3 lines)")),
            (OMM, _("A pasted OMM (KVN or XML)")),
        ],
        widget=forms.RadioSelect,
        initial=FIELDS,
    )
    epoch = forms.CharField(label="EPOCH (UTC)", required=False, max_length=40, help_text="2031-03-14T06:00:00")
    mean_motion = forms.CharField(label="MEAN_MOTION (rev/day)", required=False, max_length=40)
    eccentricity = forms.CharField(label="ECCENTRICITY", required=False, max_length=40)
    inclination = forms.CharField(label="INCLINATION (°)", required=False, max_length=40)
    ra_of_asc_node = forms.CharField(label="RA_OF_ASC_NODE (°)", required=False, max_length=40)
    arg_of_pericenter = forms.CharField(label="ARG_OF_PERICENTER (°)", required=False, max_length=40)
    mean_anomaly = forms.CharField(label="MEAN_ANOMALY (°)", required=False, max_length=40)
    bstar = forms.CharField(label="BSTAR (1/ER)", required=False, max_length=40)
    mean_motion_dot = forms.CharField(label="MEAN_MOTION_DOT (rev/day²)", required=False, max_length=40)
    mean_motion_ddot = forms.CharField(label="MEAN_MOTION_DDOT (rev/day³)", required=False, max_length=40)
    norad_cat_id = forms.CharField(label="NORAD_CAT_ID", required=False, max_length=12)
    object_id = forms.CharField(label="OBJECT_ID", required=False, max_length=20, help_text=_("e.g. 2031-012A"))
    tle = forms.CharField(
        label="TLE", required=False, max_length=400, widget=forms.Textarea(attrs={"rows": 3, "class": "mono"})
    )
    omm = forms.CharField(
        label=_("OMM message"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
    )

    def __init__(self, *args, scenario: Scenario, space_object=None, **kwargs):
        self.scenario, self.space_object = scenario, space_object
        self.dom_id = f"object-{space_object.pk}" if space_object else "new-object"
        kwargs.setdefault("auto_id", f"{self.dom_id}-%s")
        if space_object is not None and not args and "data" not in kwargs:
            kwargs["initial"] = object_initial(space_object)
        super().__init__(*args, **kwargs)

    def element_fields(self):
        return [self[name] for name in catalogue_authoring.ELEMENT_FIELDS]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        taken = self.scenario.catalogue.filter(name__iexact=name)
        if self.space_object is not None:
            taken = taken.exclude(pk=self.space_object.pk)
        if taken.exists():
            raise forms.ValidationError(gettext("The catalogue already has an object of this name."))
        return name

    def clean(self):
        from exercises.orbits.elements import ElementsError

        data = super().clean()
        data["owner_other"] = " ".join((data.get("owner_other") or "").split())
        if data.get("owner") and data["owner_other"]:
            self.add_error("owner_other", gettext("An allied object has no other owner: clear one of the two."))
        if data.get("delta_v_budget_m_s") is None:
            data["delta_v_budget_m_s"] = 0.0
        source = data.get("orbit_source") or self.FIELDS
        name = data.get("name") or "OBJECT"
        fields = {key: data.get(key, "") for key in catalogue_authoring.ELEMENT_FIELDS}
        try:
            elements = catalogue_authoring.elements_from_input(
                name, source, fields=fields, text=data.get("tle" if source == self.TLE else "omm", "")
            )
        except ElementsError as error:
            data["elements"] = None
            if source == self.FIELDS and error.field.lower() in catalogue_authoring.ELEMENT_FIELDS:
                self.add_error(error.field.lower(), _field_problem(error))
            else:
                self.add_error(source if source != self.FIELDS else "epoch", _field_problem(error))
        else:
            data["elements"] = elements.with_name(name).as_dict()
        if not self.errors:
            for field, reason in catalogue_authoring.model_problems(self.object_values()):
                self.add_error(field if field in self.fields else None, reason)
        return data

    def object_values(self) -> dict:
        """The validated values, as services.catalogue_authoring.add_object / change_object take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "owner": data.get("owner"),
            "owner_other": data.get("owner_other", ""),
            "object_type": data["object_type"],
            "manoeuvrable": data.get("manoeuvrable", False),
            "hard_body_radius_m": data["hard_body_radius_m"],
            "mass_kg": data.get("mass_kg"),
            "delta_v_budget_m_s": data.get("delta_v_budget_m_s") or 0.0,
            "sigma_radial_m": data.get("sigma_radial_m"),
            "sigma_in_track_m": data.get("sigma_in_track_m"),
            "sigma_cross_track_m": data.get("sigma_cross_track_m"),
            "elements": data["elements"],
        }


def _field_problem(error) -> str:
    """An orbit's problem, named by its OMM or TLE field (a code, never translated)."""
    return gettext("%(field)s: %(message)s") % {"field": error.field, "message": orbit_errors.in_language(error)}


def object_initial(space_object) -> dict:
    elements = space_object.elements
    return {
        "name": space_object.name,
        "owner": space_object.owner_id,
        "owner_other": space_object.owner_other,
        "object_type": space_object.object_type,
        "manoeuvrable": space_object.manoeuvrable,
        "hard_body_radius_m": space_object.hard_body_radius_m,
        "mass_kg": space_object.mass_kg,
        "delta_v_budget_m_s": space_object.delta_v_budget_m_s,
        "sigma_radial_m": space_object.sigma_radial_m,
        "sigma_in_track_m": space_object.sigma_in_track_m,
        "sigma_cross_track_m": space_object.sigma_cross_track_m,
        "orbit_source": SpaceObjectForm.FIELDS,
        **{key: elements.get(key, "") for key in catalogue_authoring.ELEMENT_FIELDS},
    }
