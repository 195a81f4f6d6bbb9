"""Attack techniques (SPARTA, MITRE ATT&CK) on cyber, jamming, co-orbital and ASAT injects: the bundled list,
authoring (JSON, MSEL editor, spreadsheet), the copy into an exercise, the card, STIX and the report."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import stix2
from django.test import Client
from django.urls import reverse
from docx import Document

from exercises import fragments, stix
from exercises.models import AttackTechnique, Participant, Scenario, ScenarioInject, Team
from exercises.reports.archive import export_archive
from exercises.reports.exports import export
from exercises.services import msel_spreadsheet, scenarios
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.msel_spreadsheet import import_msel_file
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from exercises.services.scenarios import InvalidScenario
from tests.conftest import make_user
from tests.test_msel_spreadsheet import counts, to_csv
from tests.test_scenario_authoring import HX, inject_data

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT = "Operation Clear Orbit"
KESTREL_RIDGE, FORENSICS, UPLINK_JAMMING, DAZZLED, INSPECTOR, ASAT_TEST = 15, 18, 13, 14, 11, 9


def codes(inject) -> list[str]:
    return [technique.code for technique in inject.techniques.all()]


def bundled_scenarios() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((FIXTURES / "scenarios").glob("*.json"))]


@pytest.fixture
def default_scenario(library) -> Scenario:
    return Scenario.objects.get(name=DEFAULT)


class Allies:
    """A running exercise of the default scenario, with a facilitator and players of AUS, NZL, GBR and DEU."""

    def __init__(self, scenario):
        self.exercise = create_exercise(scenario=scenario, name="Clear Orbit run", teams=Team.objects.all())
        self.facilitator = make_user("facilitator")
        add_participant(exercise=self.exercise, user=self.facilitator, role=Participant.Role.FACILITATOR)
        self.players = {}
        for code in ("AUS", "NZL", "GBR", "DEU"):
            self.players[code] = make_user(f"{code.lower()}_player")
            add_participant(
                exercise=self.exercise,
                user=self.players[code],
                role=Participant.Role.PLAYER,
                team=Team.objects.get(code=code),
            )
        self.exercise = change_status(exercise=self.exercise, action="start", by=self.facilitator)

    def inject(self, sequence):
        return self.exercise.injects.get(sequence=sequence)

    def release(self, sequence):
        return release_inject(inject=self.inject(sequence), by=self.facilitator)

    def participant(self, code) -> Participant:
        return Participant.objects.select_related("exercise").get(exercise=self.exercise, team_id=code)

    def page(self, user, name="team") -> str:
        client = Client()
        client.force_login(user)
        reply = client.get(reverse(name, args=[self.exercise.pk]))
        assert reply.status_code == 200
        return reply.content.decode()


@pytest.fixture
def allies(default_scenario) -> Allies:
    return Allies(default_scenario)


# --- The bundled list ---------------------------------------------------------------------------------


def test_the_bundled_list_loads_with_each_techniques_framework_version_and_source(library):
    rows = json.loads((FIXTURES / "attack_techniques.json").read_text())
    assert 10 <= len(rows) <= 25
    loaded = {technique.code: technique for technique in AttackTechnique.objects.all()}
    assert set(loaded) == {row["pk"] for row in rows}
    for technique in loaded.values():
        technique.full_clean()  # the id's shape, the URL
        if technique.framework == AttackTechnique.Framework.SPARTA:
            assert technique.framework_version == "v3.0"
            assert technique.url == f"https://sparta.aerospace.org/technique/{technique.code.replace('.', '/')}/"
            assert technique.source_name == "sparta"
        else:
            assert technique.framework_version.startswith("Enterprise v")
            assert technique.url == f"https://attack.mitre.org/techniques/{technique.code}/"
            assert technique.source_name == "mitre-attack"
    assert loaded["EX-0016.01"].name == "Jamming: Uplink Jamming"
    assert loaded["T1078"].name == "Valid Accounts"
    assert "not confirmed" in loaded["EX-0016.03"].note, "an uncertain name says so"


def test_the_list_is_exactly_the_techniques_the_bundled_scenarios_use(library):
    used = {code for data in bundled_scenarios() for inject in data["injects"] for code in inject.get("techniques", [])}
    assert used == set(AttackTechnique.objects.values_list("code", flat=True))


def test_every_hostile_inject_of_the_default_scenario_is_tagged(default_scenario):
    hostile = default_scenario.injects.filter(kind__in=["cyber", "jamming", "co_orbital", "asat"])
    assert sorted(hostile.values_list("sequence", flat=True)) == [9, 11, 13, 14, 15, 18]
    for inject in hostile:
        assert codes(inject), inject
    assert codes(default_scenario.injects.get(sequence=KESTREL_RIDGE)) == ["EXF-0007", "IA-0007", "IA-0007.02", "T1078"]
    assert codes(default_scenario.injects.get(sequence=ASAT_TEST)) == ["EX-0017.01", "IMP-0005"]
    assert not default_scenario.injects.filter(kind="press", techniques__isnull=False).exists()


# --- Authoring ------------------------------------------------------------------------------------------


def test_an_exercise_copies_the_tags_and_keeps_them_when_the_scenario_changes(allies, default_scenario):
    assert codes(allies.inject(FORENSICS)) == ["IA-0009", "T1041", "T1078", "T1133", "T1199"]
    source = default_scenario.injects.get(sequence=FORENSICS)
    source.techniques.clear()
    assert codes(allies.inject(FORENSICS)) == ["IA-0009", "T1041", "T1078", "T1133", "T1199"]


def test_the_scenario_json_carries_the_tags_and_reads_them_back(default_scenario):
    data = scenarios.export_scenario(default_scenario)
    by_sequence = {inject["sequence"]: inject for inject in data["injects"]}
    assert by_sequence[UPLINK_JAMMING]["techniques"] == ["EX-0016.01", "EX-0016.03", "IMP-0004"]
    assert by_sequence[1]["techniques"] == []
    by_sequence[DAZZLED]["techniques"] = ["ex-0018.02", "T1078"]  # ids in any case
    copy = scenarios.import_scenario({**data, "name": "Clear Orbit, retagged"})
    assert codes(copy.injects.get(sequence=DAZZLED)) == ["EX-0018.02", "T1078"]
    assert codes(copy.injects.get(sequence=INSPECTOR)) == ["IA-0005", "REC-0005"]
    assert scenarios.export_scenario(copy)["injects"][DAZZLED - 1]["techniques"] == ["EX-0018.02", "T1078"]


@pytest.mark.parametrize(
    "techniques, reason",
    [
        (["EX-0016.01", "EX-9999"], "unknown technique id(s) EX-9999"),
        ("EX-0016.01", "must be a list of technique ids"),
    ],
)
def test_an_unknown_or_malformed_technique_in_json_is_refused_naming_the_inject_and_key(
    default_scenario, techniques, reason
):
    data = scenarios.export_scenario(default_scenario)
    data["injects"][KESTREL_RIDGE - 1]["techniques"] = techniques
    before = counts()
    with pytest.raises(InvalidScenario) as refused:
        scenarios.import_scenario({**data, "name": "Bad tags"})
    problems = [(p.where, p.field) for p in refused.value.problems if reason in p.reason]
    assert problems == [(f"inject {KESTREL_RIDGE}", "techniques")]
    assert counts() == before


def test_the_msel_spreadsheet_has_a_techniques_column_that_round_trips(default_scenario):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    column = rows[0].index("Techniques")
    number = rows[0].index("No.")
    by_sequence = {row[number]: row[column] for row in rows[1:]}
    assert by_sequence[KESTREL_RIDGE] == "EXF-0007, IA-0007, IA-0007.02, T1078"
    assert by_sequence[1] == ""
    copy = scenarios.duplicate_scenario(scenario=default_scenario, name="Clear Orbit from a sheet", by=None)
    for inject in copy.injects.all():
        inject.techniques.clear()
    rows[1 + [row[number] for row in rows[1:]].index(DAZZLED)][column] = "ex-0018.02; T1199"

    import_msel_file(to_csv(rows), "msel.csv", scenario=copy, by=None)

    assert codes(copy.injects.get(sequence=KESTREL_RIDGE)) == ["EXF-0007", "IA-0007", "IA-0007.02", "T1078"]
    assert codes(copy.injects.get(sequence=DAZZLED)) == ["EX-0018.02", "T1199"]


def test_an_unknown_technique_in_the_spreadsheet_is_refused_naming_row_and_column(default_scenario):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    column, number = rows[0].index("Techniques"), rows[0].index("No.")
    position = [row[number] for row in rows[1:]].index(KESTREL_RIDGE)
    rows[1 + position][column] = "IA-0007, SPARTA-1"
    before = counts()
    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(to_csv(rows), "msel.csv", scenario=default_scenario, by=None)
    problem = next(p for p in refused.value.problems if p.field == "Techniques")
    assert problem.where == f"row {position + 2}" and "SPARTA-1" in problem.reason
    assert counts() == before
    assert codes(default_scenario.injects.get(sequence=KESTREL_RIDGE)) == ["EXF-0007", "IA-0007", "IA-0007.02", "T1078"]


@pytest.fixture
def planner(personas):
    return personas.facilitator


def test_the_msel_editor_tags_an_inject_and_shows_its_ids_when_edited(client, planner, default_scenario):
    client.force_login(planner)
    data = inject_data(sequence=30, kind="cyber", techniques="ia-0007, T1078")
    reply = client.post(reverse("scenario-inject-add", args=[default_scenario.pk]), data, headers=HX)
    assert reply.status_code == 200
    inject = default_scenario.injects.get(sequence=30)
    assert codes(inject) == ["IA-0007", "T1078"]
    form = client.get(reverse("scenario-inject-edit", args=[default_scenario.pk, inject.pk]), headers=HX)
    assert 'value="IA-0007, T1078"' in form.content.decode()

    reply = client.post(
        reverse("scenario-inject-edit", args=[default_scenario.pk, inject.pk]),
        inject_data(sequence=30, kind="cyber", techniques="T1199"),
        headers=HX,
    )
    assert reply.status_code == 200
    assert codes(inject) == ["T1199"]


def test_the_msel_editor_refuses_an_unknown_technique_beside_the_field(client, planner, default_scenario):
    client.force_login(planner)
    before = counts()
    data = inject_data(sequence=31, kind="cyber", techniques="IA-0007, EX-0042")
    reply = client.post(reverse("scenario-inject-add", args=[default_scenario.pk]), data, headers=HX)
    assert reply.status_code == 400
    body = reply.content.decode()
    errors = body[body.index('id="new-inject-techniques_error"') :]
    assert "Unknown technique id(s) EX-0042" in errors[: errors.index("</ul>")]
    assert counts() == before


# --- Shown: the card, STIX, the report -----------------------------------------------------------------


def test_the_card_shows_the_techniques_with_their_sources_to_the_addressed_teams_only(allies):
    (first, *_rest) = allies.release(KESTREL_RIDGE)  # to AUS and NZL, REL TO FVEY
    pushed = fragments.released_inject(first)
    for html in (pushed, allies.page(allies.players["AUS"]), allies.page(allies.players["NZL"])):
        assert "Techniques:" in html
        assert '<a href="https://sparta.aerospace.org/technique/IA-0007/02/"' in html
        assert "IA-0007.02 Compromise Ground System: Malicious Commanding via Valid GS" in html
        assert '<a href="https://attack.mitre.org/techniques/T1078/"' in html and "T1078 Valid Accounts" in html
    for code in ("GBR", "DEU"):
        page = allies.page(allies.players[code])
        assert "Techniques:" not in page and "IA-0007" not in page and "Kestrel Ridge" not in page


def parsed(exercise, team) -> list:
    bundle = stix.bundle_for(exercise, team)
    return stix2.parse(bundle.serialize(), allow_custom=False).objects


def test_stix_has_an_attack_pattern_per_technique_with_its_framework_reference(allies):
    allies.release(FORENSICS)  # to AUS only; its text names a KARSLAND-affiliated group
    objects = parsed(allies.exercise, "AUS")
    patterns = {obj.external_references[0].external_id: obj for obj in objects if obj.type == "attack-pattern"}
    assert sorted(patterns) == ["IA-0009", "T1041", "T1078", "T1133", "T1199"]
    reference = patterns["IA-0009"].external_references[0]
    assert (reference.source_name, reference.url) == ("sparta", "https://sparta.aerospace.org/technique/IA-0009/")
    assert patterns["IA-0009"].name == "Trusted Relationship"
    reference = patterns["T1133"].external_references[0]
    assert (reference.source_name, reference.url) == ("mitre-attack", "https://attack.mitre.org/techniques/T1133/")
    report = next(obj for obj in objects if obj.type == "report" and obj.name == "Forensics: Kestrel Ridge intrusion")
    assert {pattern.id for pattern in patterns.values()} <= set(report.object_refs)
    actor = next(obj for obj in objects if obj.type == "threat-actor")
    uses = {obj.target_ref for obj in objects if obj.type == "relationship" and obj.relationship_type == "uses"}
    assert actor.name == "KARSLAND" and uses == {pattern.id for pattern in patterns.values()}
    sighted = {obj.sighting_of_ref for obj in objects if obj.type == "sighting"}
    assert {pattern.id for pattern in patterns.values()} <= sighted
    for pattern in patterns.values():
        assert pattern.object_marking_refs == report.object_marking_refs  # the inject's marking
    assert not [obj for obj in parsed(allies.exercise, "GBR") if obj.type == "attack-pattern"]


def test_an_untagged_hostile_inject_keeps_the_attack_pattern_its_kind_names(allies):
    inject = allies.inject(ASAT_TEST)
    inject.techniques.clear()
    allies.release(ASAT_TEST)
    patterns = [obj for obj in parsed(allies.exercise, "GBR") if obj.type == "attack-pattern"]
    assert [pattern.name for pattern in patterns] == ["Direct-ascent anti-satellite test"]
    assert patterns[0].id == stix.stix_id("attack-pattern", "inject", inject.pk)


def test_the_report_lists_the_techniques_exercised_with_the_teams_and_their_responses(allies):
    allies.release(UPLINK_JAMMING)  # to GBR and DEU
    submit_response(
        participant=allies.participant("GBR"),
        inject=allies.inject(UPLINK_JAMMING),
        kind="action",
        text="Moved users to transponder 6 and told AUS and NZL.",
        protocol_steps=[],
    )
    page = allies.page(allies.facilitator, "report")
    section = page[page.index('id="techniques"') : page.index('<section id="timeline">')]
    assert (
        '<a href="https://sparta.aerospace.org/technique/EX-0016/01/">EX-0016.01</a> Jamming: Uplink Jamming' in section
    )
    assert "SPARTA v3.0" in section and "IMP-0004" in section
    assert "13. SATCOM uplink jamming and GNSS jamming" in section
    assert "<strong>GBR</strong> (inject 13): 1 response, the first after" in section
    assert "<strong>DEU</strong> (inject 13): no response" in section
    assert "IA-0007" not in section, "a technique of an inject not released is not exercised"

    document = Document(io.BytesIO(export(allies.exercise, "docx")))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Technique")
    cells = {row.cells[0].text.split(" ")[0]: [cell.text for cell in row.cells] for row in table.rows[1:]}
    assert (
        "Jamming: Uplink Jamming (SPARTA v3.0, https://sparta.aerospace.org/technique/EX-0016/01/)"
        in (cells["EX-0016.01"][0])
    )
    assert "GBR (inject 13): 1 response, the first after" in cells["EX-0016.01"][2]  # as the HTML words it
    assert "DEU (inject 13): no response" in cells["EX-0016.01"][2]


def test_the_archive_carries_the_tags_the_techniques_and_the_metric(allies):
    allies.release(INSPECTOR)
    archive = export_archive(allies.exercise)
    injects = {row["fields"]["sequence"]: row["fields"] for row in archive["records"]["exercises.inject"]}
    assert injects[INSPECTOR]["techniques"] == ["IA-0005", "REC-0005"]
    assert injects[1]["techniques"] == []
    listed = {row["pk"] for row in archive["reference"]["exercises.attacktechnique"]}
    assert listed == {code for fields in injects.values() for code in fields["techniques"]}
    metric = {item["technique"]: item for item in archive["metrics"]["techniques"]}
    assert set(metric) == {"IA-0005", "REC-0005"}
    assert metric["IA-0005"]["injects"] == [INSPECTOR] and metric["IA-0005"]["framework_version"] == "v3.0"
    assert metric["IA-0005"]["responses"] == [{"inject": INSPECTOR, "team": "GBR", "count": 0}]


def test_scenario_injects_default_to_no_techniques(library):
    scenario = Scenario.objects.create(name="Untagged")
    inject = ScenarioInject.objects.create(
        scenario=scenario, sequence=1, offset=timedelta(minutes=1), kind="cyber", title="Untagged", text="An intrusion."
    )
    assert codes(inject) == []
    assert scenarios.export_inject(inject)["techniques"] == []


# --- The console's edit-inject form ---------------------------------------------------------------------


def edit_form_data(inject, techniques) -> dict:
    return {
        "kind": inject.kind,
        "title": inject.title,
        "text": inject.text,
        "offset": "T+00:20",
        "addressed_to_all": "on" if inject.addressed_to_all else "",
        "teams": list(inject.teams.values_list("code", flat=True)),
        "originator": inject.originator,
        "delivery_method": inject.delivery_method,
        "expected_action": inject.expected_action,
        "protocol_steps": list(inject.protocol_steps.values_list("pk", flat=True)),
        "techniques": techniques,
    }


def test_the_console_edit_form_retags_a_cyber_inject_checked_against_the_bundled_list(allies):
    from exercises.models import AuditEvent

    inject = allies.exercise.injects.filter(kind="cyber", released_at__isnull=True).first()
    assert inject is not None and codes(inject)
    client = Client()
    client.force_login(allies.facilitator)
    url = reverse("edit-inject", args=[allies.exercise.pk, inject.pk])
    page = client.get(url).content.decode()
    assert f'value="{", ".join(codes(inject))}"' in page and "Attack techniques (SPARTA, ATT&amp;CK)" in page
    before = codes(inject)

    refused = client.post(url, edit_form_data(inject, "IA-0007.02, EX-0042"))
    assert refused.status_code == 400
    assert "Unknown technique id(s) EX-0042" in refused.content.decode()
    assert codes(inject) == before

    assert client.post(url, edit_form_data(inject, "ex-0016.03, T1133")).status_code == 302
    assert sorted(codes(inject)) == ["EX-0016.03", "T1133"]
    event = AuditEvent.objects.filter(kind="inject.edited", object_id=str(inject.pk)).latest("id")
    assert event.payload["before"]["techniques"] == sorted(before)
    assert event.payload["after"]["techniques"] == ["EX-0016.03", "T1133"]
    release_inject(inject=inject, by=allies.facilitator)
    patterns = [
        obj
        for obj in stix.inject_objects(inject, stix.control_identity_id(allies.exercise.pk))
        if obj.type == "attack-pattern"
    ]
    assert sorted(p.external_references[0].external_id for p in patterns) == ["EX-0016.03", "T1133"]
