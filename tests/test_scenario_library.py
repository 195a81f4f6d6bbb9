"""The reference library and the scenario file format: fixtures load, cite the paper, and round-trip."""

import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from exercises.models import (
    AuditEvent,
    CoreCapability,
    Exercise,
    Objective,
    Protocol,
    ProtocolStep,
    Scenario,
    ScenarioInject,
    Team,
)
from exercises.services import scenarios
from exercises.services.scenarios import InvalidScenario

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
BUNDLED = sorted((FIXTURES / "scenarios").glob("*.json"))
PAPER = Path(settings.BASE_DIR).parent / "shared" / "paper" / "better-engagement-with-allies.txt"

# The section headings of Tan, Collins and Guha, "Better Engagement With Allies" (Space Policy
# Symposium 2024), as its table of contents gives them; a subsection is cited with its section.
PAPER_SECTIONS = {
    "I. Introduction",
    "II. Information Sharing",
    "III. Threat Assessment",
    "IV. Capacity Building",
    "V. Potential Policy Implications",
    "VI. Further Discussions",
    "VI. Further Discussions — Existing International Laws & Norms",
    "VI. Further Discussions — Future Development",
    "VII. Conclusion",
}


def bundled(name: str) -> dict:
    return json.loads((FIXTURES / "scenarios" / name).read_text())


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Scenario, ScenarioInject, Objective, AuditEvent)}


# --- The bundled library --------------------------------------------------------------------


def test_the_library_loads_on_an_empty_database(db):
    Exercise.objects.all().delete()
    Scenario.objects.all().delete()
    Protocol.objects.all().delete()
    CoreCapability.objects.all().delete()
    Team.objects.all().delete()

    call_command("load_library", verbosity=0)

    assert Team.objects.count() == len(json.loads((FIXTURES / "teams.json").read_text()))
    protocols = json.loads((FIXTURES / "protocols.json").read_text())
    assert Protocol.objects.count() == sum(1 for row in protocols if row["model"] == "exercises.protocol")
    assert ProtocolStep.objects.count() == sum(1 for row in protocols if row["model"] == "exercises.protocolstep")
    assert CoreCapability.objects.count() == len(json.loads((FIXTURES / "capabilities.json").read_text()))
    for path in BUNDLED:
        data = json.loads(path.read_text())
        scenario = Scenario.objects.get(name=data["name"])
        assert scenario.injects.count() == len(data["injects"])
        assert scenario.objectives.count() == len(data["objectives"])


def test_loading_the_library_twice_changes_nothing(library):
    before = {
        path.name: scenarios.export_scenario(Scenario.objects.get(name=bundled(path.name)["name"])) for path in BUNDLED
    }
    before_counts = counts()
    call_command("load_library", verbosity=0)
    assert counts()["ScenarioInject"] == before_counts["ScenarioInject"]
    for path in BUNDLED:
        assert scenarios.export_scenario(Scenario.objects.get(name=bundled(path.name)["name"])) == before[path.name]


def test_every_protocol_step_cites_a_section_of_the_paper(library):
    steps = list(ProtocolStep.objects.all())
    assert steps
    for step in steps:
        assert step.paper_section.strip(), f"{step.code} cites no section of the paper"
        assert step.paper_section in PAPER_SECTIONS, f"{step.code} cites {step.paper_section!r}, not a paper section"
    for protocol in Protocol.objects.all():
        assert protocol.paper_section in PAPER_SECTIONS, f"{protocol.code} cites {protocol.paper_section!r}"


def paper_headings(text: str) -> set[str]:
    """The headings of the paper's table of contents, subsections joined to their section."""
    contents = text.split("Table of Contents", 1)[1].split("References", 1)[0]
    headings, section = set(), None
    for line in contents.splitlines():
        if "....." not in line:
            continue
        title = line.split(".....", 1)[0].strip()
        if re.match(r"^[IVX]+\. ", title):
            section = title
            headings.add(title)
        else:
            headings.add(f"{section} — {title}")
    return headings


@pytest.mark.skipif(not PAPER.exists(), reason=f"the paper is not at {PAPER}")
def test_the_cited_sections_are_the_papers_own_headings():
    text = PAPER.read_text()
    assert paper_headings(text) == PAPER_SECTIONS
    body = text.split("References.....", 1)[1]
    body_lines = {line.strip() for line in body.splitlines()}
    for heading in PAPER_SECTIONS:
        for part in heading.split(" — "):
            assert part in body_lines, f"{part!r} is not a heading in the body of the paper"


# --- The scenario format: round trips -------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.stem)
def test_a_bundled_scenario_round_trips_through_json_losslessly(library, path):
    original = Scenario.objects.get(name=bundled(path.name)["name"])
    exported = scenarios.export_scenario(original)
    text = json.dumps(exported)  # through real JSON text, as a file would carry it

    copy = scenarios.import_scenario({**json.loads(text), "name": "Round trip"})
    again = scenarios.export_scenario(copy)

    assert again["name"] == "Round trip"
    assert {**again, "name": exported["name"]} == exported


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.stem)
def test_the_export_of_a_bundled_scenario_is_its_file_with_the_defaults_filled_in(library, path):
    data = bundled(path.name)
    exported = scenarios.export_scenario(Scenario.objects.get(name=data["name"]))
    defaults = {
        "classification": "unclassified",
        "releasability": "all",
        "releasable_to": [],
        "on_demand": False,
        "trigger": "",
        "trigger_step": None,
        "primary_object": "",
        "secondary_object": "",
        "techniques": [],
        "decision_bearing": False,
        "course_of_action_options": [],
    }

    def normal(inject):
        inject = {**defaults, **inject}
        for key in ("protocol_steps", "objectives", "releasable_to", "techniques"):
            inject[key] = sorted(inject[key])
        if inject["to"] != "all":
            inject["to"] = sorted(inject["to"])
        return inject

    assert exported["description"] == data["description"]
    assert exported["objectives"] == sorted(data["objectives"], key=lambda o: o["code"])
    assert [normal(i) for i in sorted(data["injects"], key=lambda i: i["sequence"])] == [
        normal(i) for i in exported["injects"]
    ]


def full_scenario(name="Every field") -> Scenario:
    """A scenario whose injects use every field, markings and triggers included."""
    data = {
        "format": "conjunction-scenario",
        "version": 1,
        "name": name,
        "description": "Line one.\nLine two — with a dash, accents (é) and “quotes”.",
        "objectives": [
            {"code": "OBJ-1", "text": "Share what matters.", "core_capability": "intelligence-and-information-sharing"},
            {"code": "OBJ-2", "text": "Coordinate.", "core_capability": "operational-coordination"},
        ],
        "injects": [
            {
                "sequence": 1,
                "offset": "T+00:05:00",
                "kind": "intelligence",
                "title": "=A title that looks like a formula",
                "text": "+44 20 7946 0000 called.\n\n@CSPOC: -5 dB and a tab\there.",
                "to": ["GBR", "USA"],
                "originator": "UK Space Command",
                "delivery_method": "phone",
                "expected_action": "'=quoted already",
                "protocol_steps": ["INFO-1", "INFO-2"],
                "objectives": ["OBJ-1", "OBJ-2"],
                "notes": "'plain apostrophe stays",
                "classification": "secret",
                "releasability": "rel_to",
                "releasable_to": ["CAN", "GBR"],
                "on_demand": True,
                "trigger": "",
                "trigger_step": None,
            },
            {
                "sequence": 7,
                "offset": "T+26:00:30",
                "kind": "control",
                "title": "Contingency reminder",
                "text": "Has the team shared yet?",
                "to": "all",
                "originator": "",
                "delivery_method": "message",
                "expected_action": "",
                "protocol_steps": [],
                "objectives": [],
                "notes": "",
                "classification": "confidential",
                "releasability": "fvey",
                "releasable_to": [],
                "on_demand": False,
                "trigger": "not_claimed",
                "trigger_step": "INFO-2",
            },
            {
                "sequence": 3,
                "offset": "T+00:05:00",
                "kind": "press",
                "title": "Same time as inject 1",
                "text": "A journalist calls.",
                "to": ["FRA"],
                "originator": "Le Monde",
                "delivery_method": "news",
                "expected_action": "",
                "protocol_steps": ["TCBM-1"],
                "objectives": [],
                "notes": "",
                "classification": "unclassified",
                "releasability": "national",
                "releasable_to": [],
                "on_demand": False,
                "trigger": "claimed",
                "trigger_step": "TCBM-1",
            },
        ],
    }
    return scenarios.import_scenario(data)


def test_every_field_survives_a_json_round_trip(library):
    original = full_scenario()
    exported = scenarios.export_scenario(original)
    copy = scenarios.import_scenario({**json.loads(json.dumps(exported)), "name": "Every field, again"})
    assert {**scenarios.export_scenario(copy), "name": original.name} == exported
    inject = copy.injects.get(sequence=1)
    assert inject.classification == "secret" and inject.releasability == "rel_to" and inject.on_demand
    assert sorted(inject.releasable_to.values_list("code", flat=True)) == ["CAN", "GBR"]
    assert copy.injects.get(sequence=7).offset == timedelta(hours=26, seconds=30)
    assert copy.injects.get(sequence=7).trigger_step_id == "INFO-2"


def test_the_example_in_the_format_documentation_imports(library):
    doc = (Path(settings.BASE_DIR) / "docs" / "scenario-format.md").read_text()
    example = re.search(r"```json\n(.*?)\n```", doc, re.S)[1]
    data = json.loads(example)
    data["name"] = "Documented example"
    scenario = scenarios.import_scenario(data)
    assert scenario.injects.count() == 2
    assert scenarios.export_scenario(scenario)["injects"] == data["injects"]


def test_a_file_without_the_newer_keys_takes_their_defaults(library):
    data = bundled("training.json")
    assert "classification" not in data["injects"][0]
    scenario = scenarios.import_scenario({**data, "name": "Old file"})
    for inject in scenario.injects.all():
        assert (inject.classification, inject.releasability, inject.on_demand, inject.trigger) == (
            "unclassified",
            "all",
            False,
            "",
        )
        assert inject.trigger_step is None and not inject.releasable_to.exists()


# --- The scenario format: refusals ----------------------------------------------------------


def test_a_bad_file_lists_every_problem_with_its_place_and_writes_nothing(library):
    data = bundled("training.json")
    data["name"] = "Broken"
    data["injects"][0]["offset"] = "soon"
    data["injects"][1]["kind"] = "alien"
    data["injects"][2]["to"] = ["USA", "XYZ"]
    data["injects"][3]["protocol_steps"] = ["CONJ-99"]
    data["injects"][4]["sequence"] = data["injects"][0]["sequence"]
    data["injects"][5]["releasability"] = "rel_to"
    data["injects"][5]["trigger"] = "claimed"
    data["objectives"][0]["core_capability"] = "telepathy"
    before = counts()

    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario(data)

    found = {(p.where, p.field) for p in refused.value.problems}
    assert {
        ("inject 1", "offset"),
        ("inject 2", "kind"),
        ("inject 3", "to"),
        ("inject 4", "protocol_steps"),
        ("inject 5", "sequence"),
        ("inject 6", "releasable_to"),
        ("inject 6", "trigger_step"),
        ("objective 1", "core_capability"),
    } <= found
    assert "XYZ" in str(refused.value.problems)
    assert counts() == before
    assert not Scenario.objects.filter(name="Broken").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"format": "something-else"}, "format"),
        ({"version": 2}, "version"),
        ({"name": ""}, "name"),
        ({"objectives": "OBJ-1"}, "objectives"),
        ({"injects": {"sequence": 1}}, "injects"),
        ({"objectives": [{"code": "OBJ-1", "text": "x", "core_capability": ["planning"]}]}, "core_capability"),
        ({"objectives": ["OBJ-1"]}, ""),
    ],
)
def test_a_malformed_file_is_refused_with_a_reason(library, change, field):
    data = {**bundled("training.json"), "name": "Malformed", **change}
    before = counts()
    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario(data)
    assert field in {p.field for p in refused.value.problems}
    assert counts() == before


@pytest.mark.parametrize(
    "inject_change, field",
    [
        ({"protocol_steps": "CONJ-1"}, "protocol_steps"),
        ({"on_demand": "yes"}, "on_demand"),
        ({"trigger_step": ["CONJ-1"]}, "trigger_step"),
        ({"trigger_step": "CONJ-1"}, "trigger"),
        ({"text": "x" * 4001}, "text"),
        ({"originator": "x" * 121}, "originator"),
        ({"sequence": 0}, "sequence"),
        ({"sequence": 2.5}, "sequence"),
        ({"classification": "top-secret"}, "classification"),
    ],
)
def test_a_wrongly_typed_inject_field_is_refused_not_crashed_on(library, inject_change, field):
    data = bundled("training.json")
    data["name"] = "Wrong types"
    data["injects"][0].update(inject_change)
    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario(data)
    assert ("inject 1", field) in {(p.where, p.field) for p in refused.value.problems}
    assert not Scenario.objects.filter(name="Wrong types").exists()


def test_an_existing_name_is_refused_unless_replacing(library):
    data = bundled("training.json")
    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario(data)
    assert "already exists" in refused.value.problems[0].reason
    data["injects"] = data["injects"][:2]
    scenario = scenarios.import_scenario(data, replace=True)
    assert scenario.injects.count() == 2
    assert AuditEvent.objects.filter(kind="scenario.imported", object_id=str(scenario.pk)).last().payload["replaced"]


# --- Commands ---------------------------------------------------------------------------------


def test_export_scenario_and_import_scenario_commands_round_trip(library, tmp_path):
    name = bundled("default.json")["name"]
    path = tmp_path / "default.json"
    call_command("export_scenario", name, "--output", str(path), stdout=StringIO())
    data = json.loads(path.read_text())
    data["name"] = "From the command line"
    path.write_text(json.dumps(data))

    call_command("import_scenario", str(path), stdout=StringIO())

    copy = Scenario.objects.get(name="From the command line")
    exported = scenarios.export_scenario(copy)
    assert {**exported, "name": name} == scenarios.export_scenario(Scenario.objects.get(name=name))


def test_import_scenario_command_lists_the_problems_and_fails(library, tmp_path):
    data = bundled("training.json")
    data["name"] = "Bad from the command line"
    data["injects"][2]["offset"] = "later"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    before = counts()
    errors = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_scenario", str(path), stderr=errors)
    assert "inject 3, offset: 'later' is not a scenario time" in errors.getvalue()
    assert counts() == before


def test_import_scenario_command_refuses_a_file_that_is_not_json(library, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("This is not JSON.")
    with pytest.raises(CommandError, match="not a JSON scenario file"):
        call_command("import_scenario", str(path))
