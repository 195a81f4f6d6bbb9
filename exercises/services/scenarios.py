"""Scenarios in the Conjunction scenario format (JSON, versioned; see docs/scenario-format.md).

Import is atomic: every problem is collected with where it is and why, and if there is
any, nothing is written.
"""

from dataclasses import dataclass

from django.db import transaction

from exercises.models import (
    CoreCapability,
    DeliveryMethod,
    InjectKind,
    Objective,
    ProtocolStep,
    Scenario,
    ScenarioInject,
    Team,
    format_exercise_time,
)
from exercises.scenario_time import parse_scenario_time
from exercises.services import ServiceError, audit

FORMAT = "conjunction-scenario"
VERSION = 1


@dataclass(frozen=True)
class Problem:
    where: str  # e.g. "inject 3" or "row 7"
    field: str
    reason: str

    def __str__(self):
        return f"{self.where}, {self.field}: {self.reason}"


class InvalidScenario(ServiceError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported.")
        self.problems = problems


def export_scenario(scenario: Scenario) -> dict:
    injects = scenario.injects.prefetch_related("teams", "protocol_steps", "objectives").order_by("sequence")
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": scenario.name,
        "description": scenario.description,
        "objectives": [
            {"code": o.code, "text": o.text, "core_capability": o.core_capability_id}
            for o in scenario.objectives.order_by("code")
        ],
        "injects": [
            {
                "sequence": i.sequence,
                "offset": format_exercise_time(i.offset),
                "kind": i.kind,
                "title": i.title,
                "text": i.text,
                "to": "all" if i.addressed_to_all else sorted(t.code for t in i.teams.all()),
                "originator": i.originator,
                "delivery_method": i.delivery_method,
                "expected_action": i.expected_action,
                "protocol_steps": sorted(s.code for s in i.protocol_steps.all()),
                "objectives": sorted(o.code for o in i.objectives.all()),
                "notes": i.notes,
            }
            for i in injects
        ],
    }


def import_scenario(data: dict, *, by=None, replace: bool = False) -> Scenario:
    """Create (or with `replace`, overwrite) the scenario described by `data`."""
    parsed = _parse(data)
    with transaction.atomic():
        existing = Scenario.objects.filter(name=parsed["name"]).first()
        if existing and not replace:
            raise InvalidScenario([Problem("scenario", "name", f"a scenario named {parsed['name']!r} already exists")])
        if existing:
            existing.injects.all().delete()
            existing.objectives.all().delete()
            existing.description = parsed["description"]
            existing.save()
            scenario = existing
        else:
            scenario = Scenario.objects.create(name=parsed["name"], description=parsed["description"])
        write_msel(scenario, parsed["objectives"], parsed["injects"])
        audit.record(
            exercise=None,
            actor=by,
            kind="scenario.imported",
            obj=scenario,
            payload={"name": scenario.name, "injects": len(parsed["injects"]), "replaced": bool(existing)},
        )
    return scenario


def write_msel(scenario: Scenario, objectives: list[dict], injects: list[dict]) -> None:
    """Write validated objectives and injects into an empty scenario."""
    by_code = {}
    for objective in objectives:
        by_code[objective["code"]] = Objective.objects.create(scenario=scenario, **objective)
    for row in injects:
        teams, steps, objective_codes = row.pop("teams"), row.pop("protocol_steps"), row.pop("objectives")
        inject = ScenarioInject.objects.create(scenario=scenario, **row)
        inject.teams.set(teams)
        inject.protocol_steps.set(steps)
        inject.objectives.set([by_code[code] for code in objective_codes])


def _parse(data) -> dict:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InvalidScenario([Problem("file", "", "the top level must be a JSON object")])
    if data.get("format") != FORMAT:
        problems.append(Problem("file", "format", f"must be {FORMAT!r}"))
    if data.get("version") != VERSION:
        problems.append(Problem("file", "version", f"this Conjunction reads version {VERSION}"))
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append(Problem("scenario", "name", "is required"))
    capabilities = set(CoreCapability.objects.values_list("code", flat=True))
    objectives = []
    for index, raw in enumerate(data.get("objectives") or [], start=1):
        where = f"objective {index}"
        code, text = str(raw.get("code") or "").strip(), str(raw.get("text") or "").strip()
        if not code:
            problems.append(Problem(where, "code", "is required"))
        if not text:
            problems.append(Problem(where, "text", "is required"))
        if raw.get("core_capability") not in capabilities:
            problems.append(Problem(where, "core_capability", f"unknown capability {raw.get('core_capability')!r}"))
        objectives.append({"code": code, "text": text, "core_capability_id": raw.get("core_capability")})
    objective_codes = {o["code"] for o in objectives}
    rows = []
    for index, raw in enumerate(data.get("injects") or [], start=1):
        row, row_problems = clean_msel_row(raw, objective_codes)
        problems += [Problem(f"inject {index}", field, reason) for field, reason in row_problems]
        rows.append(row)
    problems += duplicate_sequences(rows, lambda index: f"inject {index}")
    if problems:
        raise InvalidScenario(problems)
    return {"name": name, "description": str(data.get("description") or ""), "objectives": objectives, "injects": rows}


def clean_msel_row(raw: dict, objective_codes: set[str]) -> tuple[dict, list[tuple[str, str]]]:
    """Validate one MSEL row given as plain values; return the model values and (field, reason) problems."""
    problems = []
    row = {}
    try:
        row["sequence"] = int(raw.get("sequence"))
        if row["sequence"] < 1:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(("sequence", "must be a whole number from 1"))
        row["sequence"] = None
    try:
        row["offset"] = parse_scenario_time(raw.get("offset", ""))
    except ValueError as error:
        problems.append(("offset", str(error)))
    kind = raw.get("kind")
    if kind not in InjectKind.values:
        problems.append(("kind", f"unknown inject type {kind!r}; use one of {', '.join(InjectKind.values)}"))
    row["kind"] = kind
    method = raw.get("delivery_method") or DeliveryMethod.MESSAGE
    if method not in DeliveryMethod.values:
        problems.append(("delivery_method", f"unknown delivery method {method!r}"))
    row["delivery_method"] = method
    for field, required in (
        ("title", True),
        ("text", True),
        ("originator", False),
        ("expected_action", False),
        ("notes", False),
    ):
        row[field] = str(raw.get(field) or "").strip()
        if required and not row[field]:
            problems.append((field, "is required"))
    if len(row["title"]) > 200:
        problems.append(("title", "is longer than 200 characters"))
    to = raw.get("to", "all")
    if to == "all" or to == ["all"]:
        row["addressed_to_all"], row["teams"] = True, []
    else:
        codes = list(to) if isinstance(to, (list, tuple)) else []
        teams = list(Team.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {team.code for team in teams})
        if not codes:
            problems.append(("to", "name 'all' or at least one team code"))
        if unknown:
            problems.append(("to", f"unknown team(s) {', '.join(unknown)}"))
        row["addressed_to_all"], row["teams"] = False, teams
    step_codes = list(raw.get("protocol_steps") or [])
    steps = list(ProtocolStep.objects.filter(code__in=step_codes))
    unknown = sorted(set(step_codes) - {step.code for step in steps})
    if unknown:
        problems.append(("protocol_steps", f"unknown protocol step(s) {', '.join(unknown)}"))
    row["protocol_steps"] = steps
    codes = list(raw.get("objectives") or [])
    unknown = sorted(set(codes) - objective_codes)
    if unknown:
        problems.append(("objectives", f"unknown objective(s) {', '.join(unknown)}"))
    row["objectives"] = codes
    return row, problems


def duplicate_sequences(rows: list[dict], where) -> list[Problem]:
    seen = {}
    problems = []
    for index, row in enumerate(rows, start=1):
        sequence = row.get("sequence")
        if sequence is None:
            continue
        if sequence in seen:
            problems.append(
                Problem(where(index), "sequence", f"{sequence} is used again (first at {where(seen[sequence])})")
            )
        seen.setdefault(sequence, index)
    return problems
