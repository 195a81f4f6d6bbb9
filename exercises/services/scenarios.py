"""Scenarios: authoring their MSELs, and the Conjunction scenario format (JSON, versioned).

The format is documented in docs/scenario-format.md. Import is atomic: every problem is
collected with where it is and why, and if there is any, nothing is written. Every write
here runs in one transaction and records one audit event (scenarios belong to no exercise).
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, pgettext

from exercises.models import (
    AttackTechnique,
    Classification,
    CoreCapability,
    DeliveryMethod,
    InjectKind,
    Objective,
    ProtocolStep,
    Releasability,
    Scenario,
    ScenarioInject,
    Team,
    Trigger,
    format_exercise_time,
)
from exercises.scenario_time import parse_scenario_time
from exercises.services import Conflict, ServiceError, audit, catalogue_authoring

FORMAT = "conjunction-scenario"
VERSION = 1
MAX_SEQUENCE = 99999
MAX_NAME = Scenario._meta.get_field("name").max_length
MAX_TITLE = ScenarioInject._meta.get_field("title").max_length
MAX_ORIGINATOR = ScenarioInject._meta.get_field("originator").max_length
MAX_OBJECTIVE_CODE = Objective._meta.get_field("code").max_length
MAX_OBJECT_NAME = ScenarioInject._meta.get_field("primary_object").max_length

# The MSEL fields of a scenario inject, as the JSON format names them.
TEXT_FIELDS = ("title", "text", "originator", "expected_action", "notes")
M2M_FIELDS = ("teams", "protocol_steps", "objectives", "releasable_to", "techniques")


@dataclass(frozen=True)
class Problem:
    where: str  # e.g. "inject 3" or "row 7"
    field: str  # a JSON key, or a spreadsheet column header
    reason: str

    def __str__(self):
        return f"{self.where}, {self.field}: {self.reason}" if self.field else f"{self.where}: {self.reason}"


class InvalidScenario(ServiceError):
    def __init__(self, problems: list[Problem]):
        super().__init__(gettext("%(count)s problem(s); nothing was imported.") % {"count": len(problems)})
        self.problems = problems


# --- Reading and writing the JSON format -------------------------------------------------


def export_scenario(scenario: Scenario) -> dict:
    injects = scenario.injects.select_related("trigger_step").prefetch_related(
        "teams", "protocol_steps", "objectives", "releasable_to", "techniques"
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": scenario.name,
        "description": scenario.description,
        "orbit_epoch": catalogue_authoring.format_orbit_epoch(scenario.orbit_epoch),
        "catalogue": catalogue_authoring.export_catalogue(scenario),
        "objectives": [
            {"code": o.code, "text": o.text, "core_capability": o.core_capability_id}
            for o in scenario.objectives.order_by("code")
        ],
        "injects": [export_inject(i) for i in injects.order_by("sequence")],
    }


def export_inject(inject: ScenarioInject) -> dict:
    return {
        "sequence": inject.sequence,
        "offset": format_exercise_time(inject.offset),
        "kind": inject.kind,
        "title": inject.title,
        "text": inject.text,
        "to": "all" if inject.addressed_to_all else sorted(t.code for t in inject.teams.all()),
        "originator": inject.originator,
        "delivery_method": inject.delivery_method,
        "expected_action": inject.expected_action,
        "protocol_steps": sorted(s.code for s in inject.protocol_steps.all()),
        "objectives": sorted(o.code for o in inject.objectives.all()),
        "notes": inject.notes,
        "classification": inject.classification,
        "releasability": inject.releasability,
        "releasable_to": sorted(t.code for t in inject.releasable_to.all()),
        "on_demand": inject.on_demand,
        "trigger": inject.trigger,
        "trigger_step": inject.trigger_step_id,
        "primary_object": inject.primary_object,
        "secondary_object": inject.secondary_object,
        "techniques": sorted(technique.code for technique in inject.techniques.all()),
        "decision_bearing": inject.decision_bearing,
        "course_of_action_options": list(inject.course_of_action_options),
    }


def import_scenario(data: dict, *, by=None, replace: bool = False) -> Scenario:
    """Create (or with `replace`, overwrite) the scenario described by `data`."""
    parsed = _parse(data)
    with transaction.atomic():
        existing = Scenario.objects.select_for_update().filter(name__iexact=parsed["name"]).first()
        if existing and not replace:
            reason = gettext("a scenario named %(name)s already exists") % {"name": repr(existing.name)}
            raise InvalidScenario([Problem(_in_scenario(), "name", reason)])
        if existing:
            existing.injects.all().delete()
            existing.objectives.all().delete()
            existing.catalogue.all().delete()
            existing.name = parsed["name"]
            existing.description = parsed["description"]
            existing.orbit_epoch = parsed["orbit_epoch"]
            existing.save()
            scenario = existing
        else:
            scenario = Scenario.objects.create(
                name=parsed["name"], description=parsed["description"], orbit_epoch=parsed["orbit_epoch"]
            )
        catalogue_authoring.write_catalogue(scenario, parsed["catalogue"])
        write_msel(scenario, parsed["objectives"], parsed["injects"])
        audit.record(
            exercise=None,
            actor=by,
            kind="scenario.imported",
            obj=scenario,
            payload={
                "name": scenario.name,
                "source": "json",
                "injects": len(parsed["injects"]),
                "catalogue": len(parsed["catalogue"]),
                "replaced": bool(existing),
            },
        )
    return scenario


def write_msel(scenario: Scenario, objectives: list[dict], injects: list[dict]) -> None:
    """Write validated objectives and injects into a scenario without injects.

    An inject's objectives are codes: of the objectives given here, or else of those the
    scenario already has."""
    by_code = {o.code: o for o in scenario.objectives.all()}
    for objective in objectives:
        by_code[objective["code"]] = Objective.objects.create(scenario=scenario, **objective)
    for values in injects:
        row = dict(values)
        related = {name: row.pop(name) for name in M2M_FIELDS}
        inject = ScenarioInject.objects.create(scenario=scenario, **row)
        inject.teams.set(related["teams"])
        inject.protocol_steps.set(related["protocol_steps"])
        inject.releasable_to.set(related["releasable_to"])
        inject.objectives.set([by_code[code] for code in related["objectives"]])
        inject.techniques.set(related["techniques"])


def _in_file() -> str:
    return pgettext("where a problem is", "file")


def _in_scenario() -> str:
    return pgettext("where a problem is", "scenario")


def _inject_where(index: int) -> str:
    return gettext("inject %(number)s") % {"number": index}


def _catalogue_object(index: int, name: str = "") -> str:
    if name:
        return gettext("catalogue object %(number)s (%(name)s)") % {"number": index, "name": name}
    return gettext("catalogue object %(number)s") % {"number": index}


def _required() -> str:
    return gettext("is required")


def _too_long(limit: int) -> str:
    return gettext("is longer than %(limit)s characters") % {"limit": limit}


def _parse(data) -> dict:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InvalidScenario([Problem(_in_file(), "", gettext("the top level must be a JSON object"))])
    if data.get("format") != FORMAT:
        problems.append(Problem(_in_file(), "format", gettext("must be %(format)s") % {"format": repr(FORMAT)}))
    if data.get("version") != VERSION:
        problems.append(
            Problem(_in_file(), "version", gettext("this Conjunction reads version %(version)s") % {"version": VERSION})
        )
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append(Problem(_in_scenario(), "name", _required()))
    elif len(name) > MAX_NAME:
        problems.append(Problem(_in_scenario(), "name", _too_long(MAX_NAME)))
    description = data.get("description") or ""
    if not isinstance(description, str):
        problems.append(Problem(_in_scenario(), "description", gettext("must be text")))
        description = ""
    capabilities = set(CoreCapability.objects.values_list("code", flat=True))
    objectives = []
    raw_objectives = data.get("objectives") or []
    if not isinstance(raw_objectives, list):
        problems.append(Problem(_in_scenario(), "objectives", gettext("must be a list")))
        raw_objectives = []
    for index, raw in enumerate(raw_objectives, start=1):
        where = gettext("objective %(number)s") % {"number": index}
        if not isinstance(raw, dict):
            problems.append(Problem(where, "", gettext("must be an object with code, text and core_capability")))
            continue
        code, text = str(raw.get("code") or "").strip(), normalise_text(raw.get("text"))
        if not code:
            problems.append(Problem(where, "code", _required()))
        elif len(code) > MAX_OBJECTIVE_CODE:
            problems.append(Problem(where, "code", _too_long(MAX_OBJECTIVE_CODE)))
        elif code in {o["code"] for o in objectives}:
            problems.append(Problem(where, "code", gettext("%(code)s is used by another objective") % {"code": code}))
        if not text:
            problems.append(Problem(where, "text", _required()))
        if not isinstance(raw.get("core_capability"), str) or raw["core_capability"] not in capabilities:
            reason = gettext("unknown capability %(code)s") % {"code": repr(raw.get("core_capability"))}
            problems.append(Problem(where, "core_capability", reason))
        objectives.append({"code": code, "text": text, "core_capability_id": raw.get("core_capability")})
    objective_codes = {o["code"] for o in objectives}
    references = References()
    orbit_epoch = None
    try:
        orbit_epoch = catalogue_authoring.parse_orbit_epoch(data.get("orbit_epoch"))
    except ValueError as error:
        problems.append(Problem(_in_scenario(), "orbit_epoch", str(error)))
    catalogue = []
    raw_catalogue = data.get("catalogue") or []
    if not isinstance(raw_catalogue, list):
        problems.append(Problem(_in_scenario(), "catalogue", gettext("must be a list of space objects")))
        raw_catalogue = []
    seen_names = {}
    for index, raw in enumerate(raw_catalogue, start=1):
        if not isinstance(raw, dict):
            problems.append(Problem(_catalogue_object(index), "", gettext("must be an object")))
            continue
        values, object_problems = catalogue_authoring.clean_object(raw, references.teams)
        where = _catalogue_object(index, values["name"])
        problems += [Problem(where, key, reason) for key, reason in object_problems]
        if values["name"]:
            if values["name"].lower() in seen_names:
                first = seen_names[values["name"].lower()]
                reason = gettext("is used again (first at catalogue object %(number)s)") % {"number": first}
                problems.append(Problem(where, "name", reason))
            seen_names.setdefault(values["name"].lower(), index)
        catalogue.append(values)
    if catalogue and orbit_epoch is None and "orbit_epoch" not in {p.field for p in problems}:
        problems.append(
            Problem(
                _in_scenario(), "orbit_epoch", gettext("a scenario with a catalogue needs the UTC moment of STARTEX")
            )
        )
    object_names = {values["name"] for values in catalogue if values["name"]}
    rows = []
    raw_injects = data.get("injects") or []
    if not isinstance(raw_injects, list):
        problems.append(Problem(_in_scenario(), "injects", gettext("must be a list")))
        raw_injects = []
    for index, raw in enumerate(raw_injects, start=1):
        if not isinstance(raw, dict):
            problems.append(Problem(_inject_where(index), "", gettext("must be an object")))
            rows.append({})
            continue
        row, row_problems = clean_msel_row(raw, objective_codes, references, object_names)
        problems += [Problem(_inject_where(index), key, reason) for key, reason in row_problems]
        rows.append(row)
    problems += duplicate_sequences(rows, _inject_where)
    if problems:
        raise InvalidScenario(problems)
    return {
        "name": name,
        "description": description,
        "orbit_epoch": orbit_epoch,
        "catalogue": catalogue,
        "objectives": objectives,
        "injects": rows,
    }


# --- Validating one MSEL row, wherever it comes from ---------------------------------------


@dataclass
class References:
    """Teams, protocol steps and attack techniques by code, read once for a whole file."""

    teams: dict = field(default_factory=lambda: {t.code: t for t in Team.objects.all()})
    steps: dict = field(default_factory=lambda: {s.code: s for s in ProtocolStep.objects.all()})
    techniques: dict = field(default_factory=lambda: {t.code: t for t in AttackTechnique.objects.all()})


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(value) -> str:
    """Plain text as stored: trimmed, with \\n line ends and no control characters."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", text).strip()


def _code_list(value) -> list[str] | None:
    """A list of codes from a JSON list; None when it is not a list of strings."""
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        return None
    return [item.strip() for item in value if item.strip()]


def clean_msel_row(
    raw: dict, objective_codes: set[str], references: References | None = None, object_names: set[str] | None = None
) -> tuple[dict, list[tuple[str, str]]]:
    """Validate one MSEL row given as plain values (the JSON format's keys).

    Return the model values and the (key, reason) problems. Keys the row leaves out take
    their defaults (see docs/scenario-format.md). `primary_object` and `secondary_object` must
    be names in `object_names` (the scenario's catalogue)."""
    references = references or References()
    problems = []
    row = {}
    sequence = raw.get("sequence")
    try:
        if isinstance(sequence, bool) or (isinstance(sequence, float) and not sequence.is_integer()):
            raise ValueError
        row["sequence"] = int(str(sequence).strip()) if isinstance(sequence, str) else int(sequence)
        if not 1 <= row["sequence"] <= MAX_SEQUENCE:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(("sequence", gettext("must be a whole number from 1 to %(max)s") % {"max": MAX_SEQUENCE}))
        row["sequence"] = None
    offset = raw.get("offset", "")
    if offset in (None, ""):
        problems.append(("offset", gettext("is required; write T+01:30, 01:30:00 or D+0 H+1 M+30")))
    else:
        try:
            row["offset"] = parse_scenario_time(offset)
        except ValueError as error:
            problems.append(("offset", str(error)))
    kind = raw.get("kind")
    if kind not in InjectKind.values:
        problems.append(
            ("kind", _unknown(gettext("unknown inject type %(value)s; use one of %(values)s"), kind, InjectKind))
        )
    row["kind"] = kind
    method = raw.get("delivery_method") or DeliveryMethod.MESSAGE
    if method not in DeliveryMethod.values:
        reason = _unknown(gettext("unknown delivery method %(value)s; use one of %(values)s"), method, DeliveryMethod)
        problems.append(("delivery_method", reason))
    row["delivery_method"] = method
    for key, required in (
        ("title", True),
        ("text", True),
        ("originator", False),
        ("expected_action", False),
        ("notes", False),
    ):
        row[key] = normalise_text(raw.get(key))
        if required and not row[key]:
            problems.append((key, _required()))
    for key, limit in (("title", MAX_TITLE), ("originator", MAX_ORIGINATOR)):
        if len(row[key]) > limit:
            problems.append((key, _too_long(limit)))
    for key in ("text", "expected_action", "notes"):
        if len(row[key]) > settings.CONJUNCTION_MAX_TEXT:
            problems.append((key, _too_long(settings.CONJUNCTION_MAX_TEXT)))

    to = raw.get("to", "all")
    if to == "all" or to == ["all"]:
        row["addressed_to_all"], row["teams"] = True, []
    else:
        codes = _code_list(to) or []
        unknown = sorted(set(codes) - set(references.teams))
        if not codes:
            problems.append(("to", gettext("name 'all' or at least one team code")))
        if unknown:
            problems.append(("to", _unknown_teams(unknown)))
        row["addressed_to_all"], row["teams"] = False, [references.teams[c] for c in codes if c in references.teams]

    step_codes = _code_list(raw.get("protocol_steps"))
    if step_codes is None:
        problems.append(("protocol_steps", gettext("must be a list of protocol step codes")))
        step_codes = []
    unknown = sorted(set(step_codes) - set(references.steps))
    if unknown:
        problems.append(
            ("protocol_steps", gettext("unknown protocol step(s) %(codes)s") % {"codes": ", ".join(unknown)})
        )
    row["protocol_steps"] = [references.steps[c] for c in step_codes if c in references.steps]

    codes = _code_list(raw.get("objectives"))
    if codes is None:
        problems.append(("objectives", gettext("must be a list of objective codes")))
        codes = []
    unknown = sorted(set(codes) - objective_codes)
    if unknown:
        problems.append(("objectives", gettext("unknown objective(s) %(codes)s") % {"codes": ", ".join(unknown)}))
    row["objectives"] = sorted(set(codes) & objective_codes)

    row["techniques"], problem = clean_techniques(raw.get("techniques"), references.techniques)
    if problem:
        problems.append(("techniques", problem))

    classification = raw.get("classification") or Classification.UNCLASSIFIED
    if classification not in Classification.values:
        reason = _unknown(
            gettext("unknown classification %(value)s; use one of %(values)s"), classification, Classification
        )
        problems.append(("classification", reason))
    row["classification"] = classification
    releasability = raw.get("releasability") or Releasability.ALL_ALLIES
    if releasability not in Releasability.values:
        reason = _unknown(
            gettext("unknown releasability %(value)s; use one of %(values)s"), releasability, Releasability
        )
        problems.append(("releasability", reason))
    row["releasability"] = releasability
    releasable = _code_list(raw.get("releasable_to"))
    if releasable is None:
        problems.append(("releasable_to", gettext("must be a list of team codes")))
        releasable = []
    unknown = sorted(set(releasable) - set(references.teams))
    if unknown:
        problems.append(("releasable_to", _unknown_teams(unknown)))
    row["releasable_to"] = [references.teams[c] for c in releasable if c in references.teams]

    on_demand = raw.get("on_demand", False)
    if not isinstance(on_demand, bool):
        problems.append(("on_demand", gettext("must be true or false")))
        on_demand = False
    row["on_demand"] = on_demand
    trigger = raw.get("trigger") or ""
    if trigger not in Trigger.values:
        reason = gettext("unknown trigger %(value)s; use one of not_claimed, claimed or leave it empty")
        problems.append(("trigger", reason % {"value": repr(trigger)}))
    row["trigger"] = trigger
    step = raw.get("trigger_step") or None
    if step is not None and (not isinstance(step, str) or step not in references.steps):
        problems.append(("trigger_step", gettext("unknown protocol step %(code)s") % {"code": repr(step)}))
    row["trigger_step"] = references.steps.get(step) if isinstance(step, str) else None
    object_names = object_names or set()
    for key in ("primary_object", "secondary_object"):
        value = raw.get(key) or ""
        if not isinstance(value, str):
            problems.append((key, gettext("must be the name of an object of the catalogue")))
            value = ""
        value = " ".join(value.split())
        if len(value) > MAX_OBJECT_NAME:
            problems.append((key, _too_long(MAX_OBJECT_NAME)))
        elif value and value not in object_names:
            problems.append(
                (key, gettext("%(name)s is not an object of the scenario's catalogue") % {"name": repr(value)})
            )
        row[key] = value
    row["decision_bearing"], row["course_of_action_options"], decision_problems = clean_decision(
        raw.get("decision_bearing", False), raw.get("course_of_action_options", [])
    )
    problems += decision_problems
    problems += msel_row_rules(row)
    return row, problems


def _unknown(message: str, value, choices) -> str:
    return message % {"value": repr(value), "values": ", ".join(choices.values)}


def _unknown_teams(codes) -> str:
    return gettext("unknown team(s) %(codes)s") % {"codes": ", ".join(codes)}


def clean_techniques(value, known: dict) -> tuple[list, str]:
    """The attack techniques (SPARTA, ATT&CK) a row is tagged with, from a list of ids; and the problem, if any
    ("" when none). Ids are matched whatever their case; an unknown id is named."""
    codes = _code_list(value)
    if codes is None:
        return [], gettext("must be a list of technique ids (SPARTA or ATT&CK, e.g. EX-0016.01, T1078)")
    codes = [code.upper() for code in codes]
    unknown = sorted(set(codes) - set(known))
    if unknown:
        return [], gettext(
            "unknown technique id(s) %(codes)s; the bundled list (fixtures/attack_techniques.json) has %(known)s"
        ) % {"codes": ", ".join(unknown), "known": ", ".join(known)}
    return [known[code] for code in dict.fromkeys(codes)], ""


MAX_OPTIONS, MAX_OPTION = 8, 120


def clean_decision(decision_bearing, options) -> tuple[bool, list[str], list[tuple[str, str]]]:
    """A row's decision-bearing flag and its courses of action (a list of short phrases, or one per line)."""
    problems = []
    if not isinstance(decision_bearing, bool):
        problems.append(("decision_bearing", gettext("must be true or false")))
        decision_bearing = False
    if isinstance(options, str):
        options = options.splitlines()
    if options is None:
        options = []
    if not isinstance(options, list) or not all(isinstance(option, str) for option in options):
        problems.append(("course_of_action_options", gettext("must be a list of short phrases")))
        options = []
    options = list(dict.fromkeys(" ".join(option.split()) for option in options if option.strip()))
    if len(options) > MAX_OPTIONS:
        problems.append(
            ("course_of_action_options", gettext("give at most %(max)s courses of action") % {"max": MAX_OPTIONS})
        )
    if any(len(option) > MAX_OPTION for option in options):
        reason = gettext("keep each course of action under %(max)s characters") % {"max": MAX_OPTION}
        problems.append(("course_of_action_options", reason))
    if any(option.casefold() == "other" for option in options):
        problems.append(("course_of_action_options", gettext("'other' is always offered; leave it out")))
    if options and not decision_bearing:
        problems.append(("decision_bearing", gettext("courses of action go with a decision-bearing inject: tick it")))
    return decision_bearing, options, problems


def msel_row_rules(row: dict) -> list[tuple[str, str]]:
    """Rules across fields of one row, the same for the browser form and every import."""
    problems = []
    if row.get("releasability") == Releasability.REL_TO and not row.get("releasable_to"):
        problems.append(("releasable_to", gettext("name the nations it is releasable to (releasability 'rel_to')")))
    if row.get("releasability") != Releasability.REL_TO and row.get("releasable_to"):
        problems.append(("releasable_to", gettext("list nations only when the releasability is 'rel_to'")))
    if row.get("releasability") == Releasability.NATIONAL and row.get("addressed_to_all"):
        problems.append(("to", gettext("a national-only inject goes to its nation(s): address it to them, not to all")))
    if row.get("trigger") and not row.get("trigger_step"):
        problems.append(("trigger_step", gettext("a contingency inject needs the protocol step its condition is on")))
    if not row.get("trigger") and row.get("trigger_step"):
        problems.append(("trigger", gettext("choose the condition on the trigger step, or clear the trigger step")))
    if row.get("secondary_object") and not row.get("primary_object"):
        problems.append(("primary_object", gettext("a secondary object goes with a primary object: name the primary")))
    if row.get("primary_object") and row.get("primary_object") == row.get("secondary_object"):
        problems.append(("secondary_object", gettext("must be another object than the primary")))
    return problems


def duplicate_sequences(rows: list[dict], where) -> list[Problem]:
    seen = {}
    problems = []
    for index, row in enumerate(rows, start=1):
        sequence = row.get("sequence")
        if sequence is None:
            continue
        if sequence in seen:
            problems.append(
                Problem(
                    where(index),
                    "sequence",
                    gettext("%(sequence)s is used again (first at %(where)s)")
                    % {"sequence": sequence, "where": where(seen[sequence])},
                )
            )
        seen.setdefault(sequence, index)
    return problems


# --- Authoring ----------------------------------------------------------------------------


def name_taken(name: str, *, exclude=None) -> bool:
    others = Scenario.objects.filter(name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def _check_name(name: str, *, exclude=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(gettext("A scenario needs a name."))
    if len(name) > MAX_NAME:
        raise ServiceError(gettext("Keep the name under %(max)s characters.") % {"max": MAX_NAME})
    if name_taken(name, exclude=exclude):
        raise Conflict(gettext("A scenario named %(name)s already exists.") % {"name": repr(name)})
    return name


def _locked(scenario: Scenario) -> Scenario:
    """The scenario's row, locked until the transaction ends: one author's write at a time."""
    return Scenario.objects.select_for_update().get(pk=scenario.pk)


@transaction.atomic
def create_scenario(*, name: str, description: str = "", by) -> Scenario:
    scenario = Scenario.objects.create(name=_check_name(name), description=normalise_text(description))
    audit.record(exercise=None, actor=by, kind="scenario.created", obj=scenario, payload={"name": scenario.name})
    return scenario


@transaction.atomic
def rename_scenario(*, scenario: Scenario, name: str, description: str, by) -> Scenario:
    scenario = _locked(scenario)
    old_name, old_description = scenario.name, scenario.description
    scenario.name = _check_name(name, exclude=scenario)
    scenario.description = normalise_text(description)
    scenario.save()
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.renamed",
        obj=scenario,
        payload={"from": old_name, "to": scenario.name, "description_changed": old_description != scenario.description},
    )
    return scenario


def copy_name(scenario: Scenario) -> str:
    """A free name for a copy: "Copy of X", then "Copy of X (2)"..."""
    base = (gettext("Copy of %(name)s") % {"name": scenario.name})[: MAX_NAME - 5]
    name, number = base, 2
    while name_taken(name):
        name, number = f"{base} ({number})", number + 1
    return name


@transaction.atomic
def duplicate_scenario(*, scenario: Scenario, name: str = "", by) -> Scenario:
    """A new scenario with the same description, objectives and injects (all their fields)."""
    name = _check_name(name or copy_name(scenario))
    data = export_scenario(scenario)
    parsed = _parse({**data, "name": name})
    copy = Scenario.objects.create(name=name, description=parsed["description"], orbit_epoch=parsed["orbit_epoch"])
    catalogue_authoring.write_catalogue(copy, parsed["catalogue"])
    write_msel(copy, parsed["objectives"], parsed["injects"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.duplicated",
        obj=copy,
        payload={"from": scenario.name, "from_id": scenario.pk, "name": copy.name, "injects": len(parsed["injects"])},
    )
    return copy


def _codes(values: dict) -> dict:
    """What an audit payload says about an inject's values."""
    summary = {}
    for key, value in values.items():
        if key in M2M_FIELDS:
            summary[key] = sorted(getattr(item, "code", item) for item in value)
        elif key == "offset":
            summary[key] = format_exercise_time(value)
        elif key == "trigger_step":
            summary[key] = value.code if value is not None else None
        else:
            summary[key] = value
    return summary


def _current_values(inject: ScenarioInject) -> dict:
    values = {name: getattr(inject, name) for name in EDITABLE_FIELDS}
    values["teams"] = list(inject.teams.all())
    values["protocol_steps"] = list(inject.protocol_steps.all())
    values["objectives"] = list(inject.objectives.all())
    values["releasable_to"] = list(inject.releasable_to.all())
    values["techniques"] = list(inject.techniques.all())
    return values


EDITABLE_FIELDS = [
    "sequence",
    "offset",
    "kind",
    "title",
    "text",
    "addressed_to_all",
    "originator",
    "delivery_method",
    "expected_action",
    "notes",
    "classification",
    "releasability",
    "on_demand",
    "trigger",
    "trigger_step",
    "primary_object",
    "secondary_object",
    "decision_bearing",
    "course_of_action_options",
]


def _set_related(inject: ScenarioInject, values: dict) -> None:
    inject.teams.set([] if values["addressed_to_all"] else values["teams"])
    inject.protocol_steps.set(values["protocol_steps"])
    inject.objectives.set(values["objectives"])
    inject.releasable_to.set(values["releasable_to"])
    inject.techniques.set(values["techniques"])


def _check_objectives(scenario: Scenario, values: dict) -> None:
    if any(o.scenario_id != scenario.pk for o in values["objectives"]):
        raise ServiceError(gettext("An inject can only exercise objectives of its own scenario."))
    names = set(scenario.catalogue.values_list("name", flat=True))
    for key in ("primary_object", "secondary_object"):
        if values.get(key) and values[key] not in names:
            raise ServiceError(
                gettext("%(name)s is not an object of this scenario's catalogue.") % {"name": values[key]}
            )


def _number_taken(sequence) -> str:
    return gettext("Inject number %(sequence)s is already used in this scenario.") % {"sequence": sequence}


@transaction.atomic
def add_inject(*, scenario: Scenario, values: dict, by) -> ScenarioInject:
    """Add a MSEL row; `values` are validated model values (see forms_scenarios.InjectForm)."""
    scenario = _locked(scenario)
    values = {
        "primary_object": "",
        "secondary_object": "",
        "techniques": [],
        "decision_bearing": False,
        "course_of_action_options": [],
        **values,
    }
    _check_objectives(scenario, values)
    if scenario.injects.filter(sequence=values["sequence"]).exists():
        raise Conflict(_number_taken(values["sequence"]))
    inject = ScenarioInject.objects.create(scenario=scenario, **{name: values[name] for name in EDITABLE_FIELDS})
    _set_related(inject, values)
    scenario.save(update_fields=["updated_at"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.inject_added",
        obj=scenario,
        payload={"inject": inject.pk, "sequence": inject.sequence, "title": inject.title},
    )
    return inject


@transaction.atomic
def change_inject(*, inject: ScenarioInject, values: dict, by) -> ScenarioInject:
    scenario = _locked(inject.scenario)
    inject = scenario.injects.get(pk=inject.pk)
    values = {
        "primary_object": inject.primary_object,
        "secondary_object": inject.secondary_object,
        "techniques": list(inject.techniques.all()),
        "decision_bearing": inject.decision_bearing,
        "course_of_action_options": inject.course_of_action_options,
        **values,
    }
    _check_objectives(scenario, values)
    if scenario.injects.filter(sequence=values["sequence"]).exclude(pk=inject.pk).exists():
        raise Conflict(_number_taken(values["sequence"]))
    before = _codes(_current_values(inject))
    for name in EDITABLE_FIELDS:
        setattr(inject, name, values[name])
    inject.save()
    _set_related(inject, values)
    after = _codes(_current_values(inject))
    scenario.save(update_fields=["updated_at"])
    changed = sorted(key for key in after if after[key] != before[key])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.inject_changed",
        obj=scenario,
        payload={
            "inject": inject.pk,
            "sequence": inject.sequence,
            "changed": changed,
            "before": {key: before[key] for key in changed},
        },
    )
    return inject


@transaction.atomic
def delete_inject(*, inject: ScenarioInject, by) -> None:
    scenario = _locked(inject.scenario)
    inject = scenario.injects.get(pk=inject.pk)
    payload = {"inject": inject.pk, **_codes(_current_values(inject))}
    inject.delete()
    scenario.save(update_fields=["updated_at"])
    audit.record(exercise=None, actor=by, kind="scenario.inject_deleted", obj=scenario, payload=payload)


MOVES = ("up", "down")


@transaction.atomic
def move_inject(*, inject: ScenarioInject, direction: str, by) -> ScenarioInject | None:
    """Swap the inject with its neighbour in the MSEL (ordered by time, then number).

    The two injects exchange their numbers and their scenario times, so that each takes the
    other's place in the MSEL. Return the neighbour, or None when there is none."""
    if direction not in MOVES:
        raise ServiceError(gettext("Move an inject up or down."))
    scenario = _locked(inject.scenario)
    order = list(scenario.injects.order_by("offset", "sequence"))
    index = next(i for i, item in enumerate(order) if item.pk == inject.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(order):
        return None
    inject, other = order[index], order[other_index]
    (inject.sequence, inject.offset), (other.sequence, other.offset) = (
        (other.sequence, other.offset),
        (inject.sequence, inject.offset),
    )
    # (scenario, sequence) is unique: park one row on 0 (never a real number) while swapping.
    try:
        with transaction.atomic():
            ScenarioInject.objects.filter(pk=inject.pk).update(sequence=0)
            other.save(update_fields=["sequence", "offset"])
            inject.save(update_fields=["sequence", "offset"])
    except IntegrityError as error:
        raise Conflict(gettext("The MSEL changed meanwhile; reload the page and try again.")) from error
    scenario.save(update_fields=["updated_at"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.injects_reordered",
        obj=scenario,
        payload={
            "inject": inject.pk,
            "direction": direction,
            "now": {"sequence": inject.sequence, "offset": format_exercise_time(inject.offset)},
            "swapped_with": {"inject": other.pk, "sequence": other.sequence},
        },
    )
    return other


@transaction.atomic
def replace_msel(*, rows: list[dict], scenario: Scenario | None = None, new_name: str = "", source: str, by):
    """Replace a scenario's injects with validated rows (its objectives are kept), or create a
    new scenario named `new_name` with them. One event: scenario.imported."""
    if scenario is None:
        scenario = Scenario.objects.create(name=_check_name(new_name))
        replaced = 0
    else:
        scenario = _locked(scenario)
        replaced = scenario.injects.count()
        scenario.injects.all().delete()
    write_msel(scenario, [], rows)
    scenario.save(update_fields=["updated_at"])
    audit.record(
        exercise=None,
        actor=by,
        kind="scenario.imported",
        obj=scenario,
        payload={
            "name": scenario.name,
            "source": source,
            "injects": len(rows),
            "replaced": replaced,
            "new": new_name != "",
        },
    )
    return scenario
