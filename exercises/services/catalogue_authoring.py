"""A scenario's space catalogue as its authors edit it: objects added, changed and deleted, the orbit
epoch of STARTEX, and the catalogue's plain-data form in the scenario JSON (docs/scenario-format.md).

An object's orbit comes as OMM mean-element fields, a pasted TLE (two lines, or three with a name
line) or a pasted OMM (KVN or XML, through exercises.orbits.messages.parse_omm). Every problem names
the field at fault (exercises.orbits.elements.ElementsError.field). Every write runs in one
transaction and records one audit event (scenarios belong to no exercise).
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext, ngettext

from exercises import orbit_errors
from exercises.models import ObjectType, Scenario, ScenarioSpaceObject, Team
from exercises.services import Conflict, ServiceError, audit

MAX_OBJECT_NAME = ScenarioSpaceObject._meta.get_field("name").max_length
MAX_OWNER_OTHER = ScenarioSpaceObject._meta.get_field("owner_other").max_length

# The keys of a catalogue object in the scenario JSON, beside `name`, `owner` and `elements`.
NUMBER_KEYS = (
    "hard_body_radius_m",
    "mass_kg",
    "delta_v_budget_m_s",
    "sigma_radial_m",
    "sigma_in_track_m",
    "sigma_cross_track_m",
)
OPTIONAL_NUMBER_KEYS = ("mass_kg", "sigma_radial_m", "sigma_in_track_m", "sigma_cross_track_m")
# The OMM mean-element fields an author types (MeanElements' names), in the order the form shows them.
ELEMENT_FIELDS = (
    "epoch",
    "mean_motion",
    "eccentricity",
    "inclination",
    "ra_of_asc_node",
    "arg_of_pericenter",
    "mean_anomaly",
    "bstar",
    "mean_motion_dot",
    "mean_motion_ddot",
    "norad_cat_id",
    "object_id",
)


class InvalidObject(ServiceError):
    """A catalogue object refused: `problems` are (field, reason) pairs, a field of the form or the JSON."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {reason}" if field else reason for field, reason in problems))
        self.problems = problems


# --- Orbits from what authors paste -----------------------------------------------------------


def elements_from_fields(name: str, fields: dict):
    """MeanElements from OMM mean-element fields (MeanElements' names, any case); ElementsError names the field."""
    from exercises.orbits.elements import MeanElements

    return MeanElements.from_dict({**fields, "object_name": name or fields.get("object_name") or ""})


def elements_from_tle(name: str, text: str):
    """MeanElements from a pasted TLE: two lines, or three with a name line first."""
    from exercises.orbits.elements import ElementsError, parse_tle

    lines = [line.rstrip() for line in (text or "").strip().splitlines() if line.strip()]
    if len(lines) == 3:
        title, line1, line2 = lines
        title = title.removeprefix("0 ").strip()
    elif len(lines) == 2:
        title, (line1, line2) = "", lines
    else:
        raise ElementsError(
            "TLE", gettext("paste two lines (or three, with a name line first), not %(count)s") % {"count": len(lines)}
        )
    return parse_tle(line1, line2, name or title)


def elements_from_omm(name: str, text: str):
    """MeanElements from a pasted OMM message, KVN or XML (exercises.orbits.messages.parse_omm)."""
    from exercises.orbits.elements import ElementsError

    try:
        from exercises.orbits.messages import MessageError, parse_omm
    except ImportError:  # the messages module is not there yet
        raise ElementsError("OMM", gettext("reading OMM messages is not available in this version")) from None
    try:
        elements = parse_omm(text or "")
    except MessageError as error:
        raise ElementsError(error.field, error.template, **error.values) from None
    return elements.with_name(name) if name else elements


def elements_from_input(name: str, source: str, *, fields: dict | None = None, text: str = ""):
    """The orbit an author gave: `source` is "fields", "tle" or "omm"."""
    if source == "tle":
        return elements_from_tle(name, text)
    if source == "omm":
        return elements_from_omm(name, text)
    return elements_from_fields(name, fields or {})


# --- The JSON form of an object -----------------------------------------------------------------


def export_object(obj) -> dict:
    """A catalogue object (a scenario's or an exercise's) as the scenario JSON writes it."""
    return {
        "name": obj.name,
        "owner": obj.owner_id,
        "owner_other": obj.owner_other,
        "object_type": obj.object_type,
        "manoeuvrable": obj.manoeuvrable,
        **{key: getattr(obj, key) for key in NUMBER_KEYS},
        "elements": {**obj.elements, "object_name": obj.name},
    }


def export_catalogue(scenario: Scenario) -> list[dict]:
    return [export_object(obj) for obj in scenario.catalogue.order_by("name")]


def _number(raw, key, problems, *, optional):
    value = raw.get(key)
    if value in (None, ""):
        if optional:
            return None
        return ScenarioSpaceObject._meta.get_field(key).default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        problems.append((key, gettext("must be a number")))
        return None
    try:
        return float(value)
    except ValueError:
        problems.append((key, gettext("%(value)s is not a number") % {"value": repr(value)}))
        return None


def clean_object(raw: dict, teams: dict | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """Validate one catalogue object given as the scenario JSON's plain values.

    Return the model values and the (key, reason) problems; an orbit's problem names its field as
    `elements.FIELD` (e.g. `elements.MEAN_MOTION`)."""
    from exercises.orbits.elements import ElementsError

    teams = teams if teams is not None else {team.code: team for team in Team.objects.all()}
    problems = []
    name = " ".join(str(raw.get("name") or "").split())
    if not name:
        problems.append(("name", gettext("is required")))
    elif len(name) > MAX_OBJECT_NAME:
        problems.append(("name", _too_long(MAX_OBJECT_NAME)))
    owner_code = raw.get("owner") or None
    owner = None
    if owner_code is not None:
        if not isinstance(owner_code, str) or owner_code not in teams:
            reason = gettext("unknown team %(code)s; use a team code, or null and owner_other")
            problems.append(("owner", reason % {"code": repr(owner_code)}))
        else:
            owner = teams[owner_code]
    owner_other = " ".join(str(raw.get("owner_other") or "").split())
    if len(owner_other) > MAX_OWNER_OTHER:
        problems.append(("owner_other", _too_long(MAX_OWNER_OTHER)))
    if owner is not None and owner_other:
        problems.append(
            ("owner_other", gettext("give an allied owner (owner) or another owner (owner_other), not both"))
        )
    object_type = raw.get("object_type") or ObjectType.PAYLOAD
    if object_type not in ObjectType.values:
        reason = gettext("unknown object type %(value)s; use one of %(values)s")
        problems.append(("object_type", reason % {"value": repr(object_type), "values": ", ".join(ObjectType.values)}))
    manoeuvrable = raw.get("manoeuvrable", False)
    if not isinstance(manoeuvrable, bool):
        problems.append(("manoeuvrable", gettext("must be true or false")))
        manoeuvrable = False
    values = {
        "name": name,
        "owner": owner,
        "owner_other": owner_other,
        "object_type": object_type,
        "manoeuvrable": manoeuvrable,
    }
    for key in NUMBER_KEYS:
        values[key] = _number(raw, key, problems, optional=key in OPTIONAL_NUMBER_KEYS)
    elements = raw.get("elements")
    if not isinstance(elements, dict):
        problems.append(("elements", gettext("must be an object of OMM mean-element fields")))
        values["elements"] = None
    else:
        try:
            values["elements"] = elements_from_fields(name or "?", elements).with_name(name or "?").as_dict()
        except ElementsError as error:
            problems.append((f"elements.{error.field}", orbit_errors.in_language(error)))
            values["elements"] = None
    if not problems:
        problems += model_problems(values)
    return values, problems


def _too_long(limit: int) -> str:
    return gettext("is longer than %(limit)s characters") % {"limit": limit}


def model_problems(values: dict) -> list[tuple[str, str]]:
    """The model's own rules (ranges, a budget only when manoeuvrable) on the values, as (field, reason)."""
    obj = ScenarioSpaceObject(**values)
    try:
        obj.full_clean(exclude=["scenario"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [(key, " ".join(messages)) for key, messages in error.message_dict.items()]
    return []


# --- Writes ----------------------------------------------------------------------------------------


def _locked(scenario: Scenario) -> Scenario:
    return Scenario.objects.select_for_update().get(pk=scenario.pk)


def _checked(scenario: Scenario, values: dict, *, exclude=None) -> dict:
    values = {**values, "name": " ".join(str(values.get("name") or "").split())}
    problems = []
    if not values["name"]:
        problems.append(("name", gettext("Give the object a name.")))
    if values.get("owner") is not None and values.get("owner_other"):
        problems.append(("owner_other", gettext("An allied object has no other owner: clear one of the two.")))
    if not problems:
        problems = model_problems(values)
    if problems:
        raise InvalidObject(problems)
    taken = scenario.catalogue.filter(name__iexact=values["name"])
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict(gettext("The catalogue already has an object named %(name)s.") % {"name": repr(values["name"])})
    return values


def _summary(obj) -> dict:
    return {"object": obj.pk, **{key: value for key, value in export_object(obj).items() if key != "elements"}} | {
        "elements": obj.elements
    }


@transaction.atomic
def add_object(*, scenario: Scenario, values: dict, by) -> ScenarioSpaceObject:
    """Add an object to the scenario's catalogue; `values` are model values (elements as as_dict())."""
    scenario = _locked(scenario)
    values = _checked(scenario, values)
    obj = ScenarioSpaceObject.objects.create(scenario=scenario, **values)
    scenario.save(update_fields=["updated_at"])
    audit.record(exercise=None, actor=by, kind="scenario.object_added", obj=scenario, payload=_summary(obj))
    return obj


@transaction.atomic
def change_object(*, space_object: ScenarioSpaceObject, values: dict, by) -> ScenarioSpaceObject:
    """Change an object; injects that named it by its old name follow a rename."""
    scenario = _locked(space_object.scenario)
    obj = scenario.catalogue.get(pk=space_object.pk)
    values = _checked(scenario, values, exclude=obj)
    before = _summary(obj)
    old_name = obj.name
    for key, value in values.items():
        setattr(obj, key, value)
    obj.save()
    renamed = 0
    if old_name != obj.name:
        renamed += scenario.injects.filter(primary_object=old_name).update(primary_object=obj.name)
        renamed += scenario.injects.filter(secondary_object=old_name).update(secondary_object=obj.name)
    after = _summary(obj)
    changed = sorted(key for key in after if after[key] != before[key])
    scenario.save(update_fields=["updated_at"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.object_changed",
        obj=scenario,
        payload={
            "object": obj.pk,
            "name": obj.name,
            "changed": changed,
            "before": {key: before[key] for key in changed},
            "injects_renamed": renamed,
        },
    )
    return obj


@transaction.atomic
def delete_object(*, space_object: ScenarioSpaceObject, by) -> None:
    """Delete an object; refused while an inject of the scenario names it."""
    scenario = _locked(space_object.scenario)
    obj = scenario.catalogue.get(pk=space_object.pk)
    naming = sorted(
        scenario.injects.filter(Q(primary_object=obj.name) | Q(secondary_object=obj.name)).values_list(
            "sequence", flat=True
        )
    )
    if naming:
        numbers = ", ".join(str(number) for number in naming)
        message = ngettext(
            "Inject %(numbers)s names %(name)s: change it first.",
            "Injects %(numbers)s name %(name)s: change them first.",
            len(naming),
        )
        raise Conflict(message % {"numbers": numbers, "name": obj.name})
    payload = _summary(obj)
    obj.delete()
    scenario.save(update_fields=["updated_at"])
    audit.record(exercise=None, actor=by, kind="scenario.object_deleted", obj=scenario, payload=payload)


def parse_orbit_epoch(raw) -> datetime | None:
    """An orbit epoch as the JSON and the form write it: ISO 8601 in UTC (a trailing Z, an offset, or none)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        parsed = raw
    else:
        text = str(raw).strip()
        try:
            parsed = datetime.fromisoformat(text.removesuffix("Z").removesuffix("z").replace(" ", "T", 1))
        except ValueError:
            message = gettext("%(value)s is not an ISO 8601 UTC time, e.g. 2031-03-14T06:00:00Z")
            raise ValueError(message % {"value": repr(raw)}) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def format_orbit_epoch(epoch: datetime | None) -> str | None:
    if epoch is None:
        return None
    epoch = epoch.astimezone(UTC)
    text = epoch.strftime("%Y-%m-%dT%H:%M:%S")
    if epoch.microsecond:
        text += f".{epoch.microsecond:06d}"
    return text + "Z"


@transaction.atomic
def set_orbit_epoch(*, scenario: Scenario, orbit_epoch: datetime | None, by) -> Scenario:
    """The UTC moment of STARTEX on the scenario's orbits (None: the scenario has no orbits in time)."""
    scenario = _locked(scenario)
    before = scenario.orbit_epoch
    scenario.orbit_epoch = orbit_epoch
    scenario.save(update_fields=["orbit_epoch", "updated_at"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.orbit_epoch_set",
        obj=scenario,
        payload={"from": format_orbit_epoch(before), "to": format_orbit_epoch(orbit_epoch)},
    )
    return scenario


def write_catalogue(scenario: Scenario, objects: list[dict]) -> None:
    """Write validated objects (clean_object's values) into a scenario without a catalogue."""
    ScenarioSpaceObject.objects.bulk_create([ScenarioSpaceObject(scenario=scenario, **values) for values in objects])
